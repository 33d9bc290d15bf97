"""Notebook 11's CloudWatch alarm: its name, the ALB dimensions it watches, waiting for its state.

The alarm watches the green target group's ``HTTPCode_Target_5XX_Count`` under
``AWS/ApplicationELB``, whose dimensions are the tails of the ARNs: ``TargetGroup`` is
``targetgroup/<name>/<id>``, ``LoadBalancer`` is ``app/<name>/<id>``
(:func:`target_group_dimensions`). The notebook creates it with a plain ``put_metric_alarm``,
tagged by the kit (:mod:`.tags`), so :mod:`.cleanup` finds it (:func:`our_alarms`) and deletes it.
"""

from __future__ import annotations

from typing import Any

from bgkit.walkthrough.naming import names
from bgkit.walkthrough.progress import Step, poll
from bgkit.walkthrough.tags import is_ours

__all__ = ["alarm_name", "alarm_state", "our_alarms", "target_group_dimensions", "wait_alarm"]


def alarm_name(kit: Any) -> str:
    """The alarm of notebook 11: ``<prefix>-green-5xx``."""
    return f"{names(kit).prefix}-green-5xx"


def target_group_dimensions(target_group_arn: str, load_balancer_arn: str) -> list[dict[str, str]]:
    """The ``TargetGroup`` and ``LoadBalancer`` dimensions of a target group's ALB metrics.

    Args:
        target_group_arn: ``arn:aws:elasticloadbalancing:…:targetgroup/<name>/<id>``.
        load_balancer_arn: ``arn:aws:elasticloadbalancing:…:loadbalancer/app/<name>/<id>``.
    """
    return [
        {"Name": "TargetGroup", "Value": target_group_arn.split(":")[-1]},
        {"Name": "LoadBalancer", "Value": load_balancer_arn.split(":loadbalancer/", 1)[1]},
    ]


def alarm_state(kit: Any, name: str) -> str:
    """The alarm's ``StateValue`` (``OK``, ``ALARM``, ``INSUFFICIENT_DATA``), or ``-`` when
    there is no such alarm."""
    found = kit.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return found[0]["StateValue"] if found else "-"


def wait_alarm(kit: Any, name: str, state: str = "ALARM", timeout: float = 600.0) -> str:
    """Wait until the alarm is in ``state``; return it."""

    def check() -> Step:
        now = alarm_state(kit, name)
        return Step(now == state, now)

    return poll(check, what=f"alarm {name} in {state}", timeout=timeout).text


def our_alarms(kit: Any) -> list[str]:
    """The metric alarms the kit made for this prefix (``<prefix>-…``, tagged by the kit)."""
    cloudwatch = kit.client("cloudwatch")
    prefix = names(kit).prefix
    ours = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=f"{prefix}-", AlarmTypes=["MetricAlarm"]
    ):
        for alarm in page["MetricAlarms"]:
            tags = cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
            if is_ours(tags, prefix):
                ours.append(alarm["AlarmName"])
    return ours

"""Notebook 11's alarm helpers through a live local cloud: the ALB dimensions of a target group,
waiting for a state, and the clean-up that finds the kit's alarms by their tags and deletes them
(another prefix's, or an untagged one, stay)."""

from __future__ import annotations

from bgkit import walkthrough as wt
from bgkit.walkthrough.tags import key_value

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/test-tg-2/73e2d6bc24d8a067"
LB = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test-alb/50dc6c495c0c9188"
)


def make_alarm(kit, name: str, tags: list[dict[str, str]] | None = None, **more) -> None:
    kit.client("cloudwatch").put_metric_alarm(
        AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
        Dimensions=wt.target_group_dimensions(TG, LB), Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold",
        Tags=tags or [], **more,
    )  # fmt: skip


def test_target_group_dimensions_are_the_arns_tails():
    assert wt.target_group_dimensions(TG, LB) == [
        {"Name": "TargetGroup", "Value": "targetgroup/test-tg-2/73e2d6bc24d8a067"},
        {"Name": "LoadBalancer", "Value": "app/test-alb/50dc6c495c0c9188"},
    ]


def test_wait_alarm_sees_the_state_and_alarm_state_a_missing_alarm(kit):
    name = wt.alarm_name(kit)
    assert name == "test-green-5xx"
    assert wt.alarm_state(kit, name) == "-"
    make_alarm(kit, name, key_value(kit), TreatMissingData="breaching")
    assert wt.wait_alarm(kit, name, "ALARM", timeout=30) == "ALARM"


def test_clean_up_deletes_the_kits_alarms_only(kit):
    make_alarm(kit, wt.alarm_name(kit), key_value(kit))
    make_alarm(kit, "test-untagged")  # the prefix, but not the kit's tags
    other = [t if t["Key"] != "bgkit:prefix" else {**t, "Value": "else"} for t in key_value(kit)]
    make_alarm(kit, "else-green-5xx", other)
    listed = wt.created_resources(kit)
    assert listed[listed["service"] == "cloudwatch"]["name"].tolist() == ["test-green-5xx"]
    deleted = wt.clean_up(kit)
    assert ("cloudwatch", "alarm", "test-green-5xx") in set(map(tuple, deleted.to_numpy()))
    left = kit.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in left) == ["else-green-5xx", "test-untagged"]
    assert wt.created_resources(kit).empty

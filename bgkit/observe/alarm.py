"""A deployment stopped by an alarm, on one time axis: the metric, the threshold, the alarm's
state and the deployment's events (notebook 11).

Three frames read with plain describe calls — :func:`alarm_metric_frame` (the alarm's metric, a
datapoint a period, ``GetMetricStatistics``), :func:`alarm_states_frame` (the alarm's state
changes, ``DescribeAlarmHistory``) and :func:`deployment_events_frame` (each deployment created,
its production traffic shift started, and ended, ``GetDeployment`` and ``GetDeploymentTarget``) —
and :func:`plot_alarm`, which draws them. Times are the cloud's own timestamps (the local cloud's
clock, or AWS's), so the plot reads in the deployment's minutes on either target.
"""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from bgkit.observe.plots import BLUE, GREEN, GREY, RED, ShownFigure

__all__ = ["alarm_metric_frame", "alarm_states_frame", "deployment_events_frame", "plot_alarm"]

STATE_LEVEL = {"OK": 0, "INSUFFICIENT_DATA": 0.5, "ALARM": 1}


def alarm_metric_frame(
    kit: Any, alarm: dict[str, Any], start: datetime.datetime, end: datetime.datetime
) -> pd.DataFrame:
    """The alarm's metric between ``start`` and ``end``, one row a period: ``time`` (the
    period's start) and ``value`` (the alarm's statistic), oldest first; missing periods absent.

    Args:
        kit: the handle of :func:`bgkit.connect`.
        alarm: the alarm as ``describe_alarms`` shows it (a single-metric alarm).
    """
    got = kit.client("cloudwatch").get_metric_statistics(
        Namespace=alarm["Namespace"], MetricName=alarm["MetricName"],
        Dimensions=alarm.get("Dimensions", []), StartTime=start, EndTime=end,
        Period=alarm["Period"], Statistics=[alarm["Statistic"]],
    )  # fmt: skip
    rows = [{"time": p["Timestamp"], "value": p[alarm["Statistic"]]} for p in got["Datapoints"]]
    return pd.DataFrame(rows, columns=["time", "value"]).sort_values("time", ignore_index=True)


def alarm_states_frame(kit: Any, alarm_name: str) -> pd.DataFrame:
    """The alarm's state changes, oldest first: ``time``, ``from``, ``to``, ``reason``."""
    cloudwatch = kit.client("cloudwatch")
    rows = []
    for page in cloudwatch.get_paginator("describe_alarm_history").paginate(
        AlarmName=alarm_name, HistoryItemType="StateUpdate"
    ):
        for item in page["AlarmHistoryItems"]:
            data = json.loads(item["HistoryData"])
            rows.append({
                "time": item["Timestamp"], "from": data["oldState"]["stateValue"],
                "to": data["newState"]["stateValue"], "reason": data["newState"]["stateReason"],
            })  # fmt: skip
    frame = pd.DataFrame(rows, columns=["time", "from", "to", "reason"])
    return frame.sort_values("time", ignore_index=True)


def deployment_events_frame(kit: Any, deployment_ids: Iterable[str]) -> pd.DataFrame:
    """What happened to each deployment, oldest first: ``time``, ``deployment``, ``event``
    (``created``, ``shift started``, or its final status: ``Stopped``, ``Succeeded`` …)."""
    codedeploy = kit.client("codedeploy")
    rows = []
    for deployment_id in deployment_ids:
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        rollback = info.get("creator") == "codeDeployRollback"
        label = "rollback" if rollback else "deployment"
        rows.append({"time": info["createTime"], "deployment": deployment_id,
                     "event": f"{label} created"})  # fmt: skip
        shift = _shift_start(codedeploy, info)
        if shift is not None and not rollback:
            rows.append({"time": shift, "deployment": deployment_id, "event": "shift started"})
        if info.get("completeTime") is not None:
            rows.append({"time": info["completeTime"], "deployment": deployment_id,
                         "event": f"{label} {info['status']}"})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["time", "deployment", "event"])
    return frame.sort_values("time", ignore_index=True)


def _shift_start(codedeploy: Any, info: dict[str, Any]) -> datetime.datetime | None:
    """When production traffic began to move (the AllowTraffic event's start), if it did."""
    try:
        targets = codedeploy.list_deployment_targets(deploymentId=info["deploymentId"])
    except codedeploy.exceptions.DeploymentNotStartedException:
        return None
    target_id = (targets.get("targetIds") or [None])[0]
    if target_id is None:
        return None
    target = codedeploy.get_deployment_target(deploymentId=info["deploymentId"],
                                              targetId=target_id)["deploymentTarget"]  # fmt: skip
    for event in (target.get("ecsTarget") or {}).get("lifecycleEvents", []):
        if event["lifecycleEventName"] == "AllowTraffic" and event.get("startTime"):
            return event["startTime"]
    return None


def plot_alarm(
    metric: pd.DataFrame,
    states: pd.DataFrame,
    events: pd.DataFrame,
    threshold: float,
    *,
    metric_name: str = "HTTPCode_Target_5XX_Count",
    title: str = "",
) -> ShownFigure:
    """The metric a period (bars) against the threshold (dashed), the alarm's state below it,
    and the deployments' events as vertical lines across both, on one time axis.

    Args:
        metric: :func:`alarm_metric_frame`.
        states: :func:`alarm_states_frame`.
        events: :func:`deployment_events_frame`.
        threshold: the alarm's threshold.
        metric_name: the metric's name, for the axis.
        title: the figure's title.
    """
    figure = ShownFigure(figsize=(11, 5))
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    times = [t for frame in (metric, states, events) for t in frame["time"]]
    if len(metric):
        width = _period_width(metric)
        top.bar(metric["time"], metric["value"], width=width, align="edge", color=RED,
                alpha=0.7, label=metric_name)  # fmt: skip
    top.axhline(threshold, color=GREY, linestyle="--", label=f"threshold ({threshold:g})")
    top.set_ylabel("count")
    _state_line(bottom, states, times)
    _events(top, bottom, events, times)
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    if title:
        top.set_title(title)
    bottom.set_xlabel("time")
    figure.autofmt_xdate()
    figure.subplots_adjust(right=0.74)
    return figure


def _events(top: Any, bottom: Any, events: pd.DataFrame, times: list[Any]) -> None:
    """A vertical line an event across both axes, its label at the top; labels of events close
    together are stacked."""
    span = (max(times) - min(times)) if times else datetime.timedelta(minutes=1)
    last, level = None, 0
    for _, event in events.iterrows():
        colour = BLUE if "rollback" in event["event"] else GREEN
        for axis in (top, bottom):
            axis.axvline(event["time"], color=colour, linewidth=1)
        close = last is not None and event["time"] - last < span * 0.15
        level = level + 1 if close else 0
        last = event["time"]
        top.annotate(event["event"], (event["time"], 0.96 - 0.1 * level),
                     xycoords=("data", "axes fraction"), va="top", ha="left", fontsize=8,
                     color=colour, xytext=(3, 0), textcoords="offset points",
                     bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                           "alpha": 0.8})  # fmt: skip


def _period_width(metric: pd.DataFrame) -> Any:
    """The bars' width: the gap between two datapoints (a minute when there is one)."""
    stamps = sorted(metric["time"])
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    return (min(gaps) if gaps else datetime.timedelta(minutes=1)) * 0.9


def _state_line(axis: Any, states: pd.DataFrame, times: list[Any]) -> None:
    """The alarm's state as a step line (OK low, ALARM high)."""
    if len(states):
        xs = list(states["time"])
        ys = [STATE_LEVEL.get(s, 0.5) for s in states["to"]]
        if times:
            xs.append(max(times))
            ys.append(ys[-1])
        axis.step(xs, ys, where="post", color=RED)
    axis.set_yticks([0, 0.5, 1], ["OK", "INSUFFICIENT", "ALARM"], fontsize=8)
    axis.set_ylim(-0.2, 1.2)
    axis.set_ylabel("alarm")

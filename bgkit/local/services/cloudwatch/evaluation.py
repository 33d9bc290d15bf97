"""Alarm evaluation on the local clock, as CloudWatch documents it.

An alarm is evaluated once a minute (once a period for periods under a minute), in the service's
advance. Each evaluation reads the *evaluation range* — the ``EvaluationPeriods + 2`` most recent
whole periods, as in the documented example where 3 evaluation periods read 5 — and decides with
:func:`decide`, which follows "How alarm state is evaluated when data is missing"
(docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):

- with at least ``EvaluationPeriods`` real datapoints in the range, the most recent that many are
  judged, and ``TreatMissingData`` is not needed;
- with fewer, every real datapoint is judged and the shortfall is filled by ``TreatMissingData``:
  ``breaching`` and ``notBreaching`` fill with that; ``missing`` and ``ignore`` fill with
  datapoints that do not breach, except that when every real datapoint breaches and the oldest
  breaching one of the last ``EvaluationPeriods`` is at least ``DatapointsToAlarm`` periods old,
  ``missing`` goes to ``ALARM`` ("premature alarm state") and ``ignore`` keeps the state;
- with none at all, ``missing`` gives ``INSUFFICIENT_DATA`` and ``ignore`` keeps the state.

This reading reproduces both tables of that page row for row (``tests/local/
test_cloudwatch_alarms.py`` holds them). The ALARM decision needs ``DatapointsToAlarm`` of the
judged datapoints breaching ("M out of N").
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from typing import Any

from bgkit.local.provider import RequestContext
from bgkit.local.services.cloudwatch.models import ALARM, metric_key, points_of
from bgkit.local.services.cloudwatch.statistics import aggregate

OK, ALARMING, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
COMPARISONS = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
EXTRA_PERIODS = 2


def decide(points: Sequence[bool | None], n: int, m: int, treat: str) -> str | None:
    """The state an evaluation gives, or ``None`` to keep the current one.

    Args:
        points: the evaluation range, oldest first: ``True`` breaching, ``False`` not, ``None``
            missing.
        n: EvaluationPeriods.
        m: DatapointsToAlarm.
        treat: TreatMissingData (``missing``, ``ignore``, ``breaching``, ``notBreaching``).
    """
    real = [p for p in points if p is not None]
    if not real:
        return {"breaching": ALARMING, "notBreaching": OK, "ignore": None}.get(treat, INSUFFICIENT)
    if len(real) >= n:
        return ALARMING if sum(real[-n:]) >= m else OK
    shortfall = n - len(real)
    if treat in ("breaching", "notBreaching"):
        judged = real + [treat == "breaching"] * shortfall
        return ALARMING if sum(judged) >= m else OK
    window = list(points[-n:])
    breaching_ages = [len(window) - i for i, p in enumerate(window) if p]
    if all(real) and breaching_ages and breaching_ages[0] >= m:
        return ALARMING if treat == "missing" else None
    return ALARMING if sum(real) >= m else OK


def _iso(stamp: float) -> str:
    millis = round((stamp - math.floor(stamp)) * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + f".{millis:03d}+0000"


def _short(stamp: float) -> str:
    return time.strftime("%d/%m/%y %H:%M:%S", time.gmtime(stamp))


def _datapoints(count: int) -> str:
    return f"{count} datapoint" if count == 1 else f"{count} datapoints"


def reason(
    alarm: dict[str, Any],
    state: str,
    periods: Sequence[tuple[float, float | None, float]],
    judged: int,
    now: float,
) -> tuple[str, dict[str, Any]]:
    """The ``StateReason`` and ``StateReasonData`` of an evaluation, in AWS's words and form.

    Args:
        alarm: the alarm record.
        state: the new state.
        periods: the evaluation range, oldest first: ``(start, value or None, sample count)``.
        judged: how many datapoints were judged (EvaluationPeriods).
        now: local time of the evaluation.
    """
    real = [(s, v, c) for s, v, c in periods if v is not None]
    recent = real[-judged:]
    n, m = alarm["EvaluationPeriods"], alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"]
    words = COMPARISONS[alarm["ComparisonOperator"]][1]
    threshold = float(alarm.get("Threshold", 0.0))
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": _iso(now),
        "statistic": alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "Expression",
        "period": alarm.get("Period") or 0,
        "recentDatapoints": [v for _, v, _ in recent],
        "threshold": threshold,
        "evaluatedDatapoints": [
            {"timestamp": _iso(s), "sampleCount": c, "value": v} for s, v, c in reversed(recent)
        ],
    }
    if periods:
        data["startDate"] = _iso(periods[0][0])
    if state == INSUFFICIENT:
        return f"Insufficient Data: {_datapoints(len(periods))} were unknown.", data
    if not real:
        treated = "Breaching" if state == ALARMING else "NonBreaching"
        return (
            f"Threshold Crossed: no datapoints were received for {n} periods and {n} missing "
            f"datapoints were treated as [{treated}].",
            data,
        )
    compare = COMPARISONS[alarm["ComparisonOperator"]][0]
    shown = ", ".join(f"{v} ({_short(s)})" for s, v, _ in reversed(recent))
    if state == ALARMING:
        count = sum(1 for _, v, _ in recent if compare(v, threshold))
        verb, relation = ("was" if count == 1 else "were"), words
        transition = f"(minimum {_datapoints(m)} for OK -> ALARM transition)"
    else:
        count = sum(1 for _, v, _ in recent if not compare(v, threshold))
        verb, relation = ("was" if count == 1 else "were"), f"not {words}"
        transition = f"(minimum {_datapoints(n - m + 1)} for ALARM -> OK transition)"
    return (
        f"Threshold Crossed: {count} out of the last {len(recent)} datapoints [{shown}] {verb} "
        f"{relation} the threshold ({threshold}) {transition}.",
        data,
    )


def metric_periods(
    ctx: RequestContext, alarm: dict[str, Any], end: float
) -> list[tuple[float, float | None, float]]:
    """The evaluation range of a single-metric alarm ending at ``end``: one ``(start, value,
    sample count)`` a period, oldest first (value ``None``: missing)."""
    period = int(alarm["Period"])
    count = int(alarm["EvaluationPeriods"]) + EXTRA_PERIODS
    start = end - count * period
    key = metric_key(alarm["Namespace"], alarm["MetricName"], alarm.get("Dimensions"))
    points = points_of(ctx.store, ctx.records(ALARM).partition, key, start, end)
    unit = alarm.get("Unit")
    if unit is None:  # without a Unit the alarm reads the datapoints of every unit as one
        points = [[p[0], "", *p[2:]] for p in points]
    folded = {begin: agg for (begin, _), agg in aggregate(points, start, period, unit).items()}
    statistic = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
    found = []
    for k in range(count):
        begin = start + k * period
        agg = folded.get(begin)
        value = agg.statistic(statistic) if agg is not None else None
        found.append((begin, value, agg.count if agg is not None else 0.0))
    return found


def breaching(alarm: dict[str, Any], value: float | None) -> bool | None:
    if value is None:
        return None
    return COMPARISONS[alarm["ComparisonOperator"]][0](value, float(alarm["Threshold"]))


def evaluation_step(alarm: dict[str, Any]) -> int:
    """How often an alarm is evaluated, in seconds: every minute, or every period under one."""
    period = int(alarm.get("Period") or _query_period(alarm) or 60)
    return period if period < 60 else 60


def _query_period(alarm: dict[str, Any]) -> int | None:
    for query in alarm.get("Metrics") or ():
        stat = query.get("MetricStat")
        if stat:
            return int(stat["Period"])
    return None


def json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))

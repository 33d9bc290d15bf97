"""Metric alarms: their records, their history, and their evaluation in the service's advance.

``PutMetricAlarm`` creates an alarm in ``INSUFFICIENT_DATA`` ("Unchecked: Initial alarm
creation") or replaces an alarm's configuration and keeps its state, as AWS does; each is a
``ConfigurationUpdate`` history item, each change of state a ``StateUpdate`` one. Alarm actions
are kept and shown; the local cloud runs none of them (no SNS, no Auto Scaling).
"""

from __future__ import annotations

import json
import math
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.cloudwatch.evaluation import (
    COMPARISONS,
    EXTRA_PERIODS,
    breaching,
    decide,
    evaluation_step,
    json_text,
    metric_periods,
    reason,
)
from bgkit.local.services.cloudwatch.models import ALARM, HISTORY, combination, invalid, missing
from bgkit.local.services.cloudwatch.queries import evaluate_queries
from bgkit.local.services.cloudwatch.statistics import STATISTICS, check_period, check_statistic

STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
TREATMENTS = ("breaching", "notBreaching", "ignore", "missing")
CREATED_REASON = "Unchecked: Initial alarm creation"


def public(alarm: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in alarm.items() if not k.startswith("_")}


def check_alarm(params: dict[str, Any]) -> None:
    """Refuse a PutMetricAlarm as AWS does: a metric or Metrics, a statistic, the operator."""
    metrics = params.get("Metrics")
    single = [k for k in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions",
                          "Period", "Unit") if params.get(k) is not None]  # fmt: skip
    if metrics and single:
        raise combination(
            f"The parameters Metrics and {single[0]} are mutually exclusive and you have "
            "specified both."
        )
    operator = params["ComparisonOperator"]
    if operator not in COMPARISONS:
        raise invalid(
            f"The value {operator} for parameter ComparisonOperator is not supported by the bgkit "
            "local cloud: it evaluates static thresholds (" + ", ".join(COMPARISONS) + ")."
        )
    if params.get("Threshold") is None:
        raise missing("Threshold")
    n = params["EvaluationPeriods"]
    m = params.get("DatapointsToAlarm")
    if m is not None and not 1 <= m <= n:
        raise invalid(f"DatapointsToAlarm ({m}) must be between 1 and EvaluationPeriods ({n}).")
    treat = params.get("TreatMissingData")
    if treat is not None and treat not in TREATMENTS:
        raise invalid(
            f"The value {treat} for parameter TreatMissingData is invalid: use one of "
            + ", ".join(TREATMENTS)
            + "."
        )
    if metrics:
        returned = [q for q in metrics if q.get("ReturnData", True)]
        if len(returned) != 1:
            raise invalid(
                "Exactly one element of the metrics list should return data (ReturnData=true)."
            )
        for query in metrics:
            if "MetricStat" in query:
                check_period(int(query["MetricStat"]["Period"]), "Metrics.MetricStat.Period")
        return
    for member in ("MetricName", "Namespace", "Period"):
        if params.get(member) is None:
            raise missing(member)
    if (params.get("Statistic") is None) == (params.get("ExtendedStatistic") is None):
        raise combination("Exactly one of Statistic and ExtendedStatistic must be specified.")
    if params.get("Statistic") is not None and params["Statistic"] not in STATISTICS:
        raise invalid(f"The value {params['Statistic']} for parameter Statistic is invalid.")
    if params.get("ExtendedStatistic") is not None:
        check_statistic(params["ExtendedStatistic"], "ExtendedStatistic")
    check_period(int(params["Period"]))
    if params["Period"] * n > 86400 * 7:
        raise invalid(
            "The evaluation period (Period × EvaluationPeriods) must be at most one week."
        )


def add_history(
    ctx: RequestContext,
    alarm: dict[str, Any],
    kind: str,
    summary: str,
    data: dict[str, Any],
) -> None:
    number = ctx.store.next_counter(f"cloudwatch-history/{ctx.records(HISTORY).partition}")
    ctx.records(HISTORY).put(
        f"{number:012d}",
        {
            "AlarmName": alarm["AlarmName"],
            "AlarmType": "MetricAlarm",
            "Timestamp": ctx.now(),
            "HistoryItemType": kind,
            "HistorySummary": summary,
            "HistoryData": json_text(data),
        },
    )


def configuration(alarm: dict[str, Any]) -> dict[str, Any]:
    """The alarm as a ConfigurationUpdate history item shows it (camelCase members)."""
    shown = {k: v for k, v in public(alarm).items() if not k.startswith("State")}
    return {k[0].lower() + k[1:]: v for k, v in shown.items()}


def set_state(
    ctx: RequestContext,
    alarm: dict[str, Any],
    state: str,
    why: str,
    data: dict[str, Any] | None,
) -> None:
    """Move an alarm to ``state`` with its reason; a StateUpdate history item records it."""
    old = {"stateValue": alarm["StateValue"], "stateReason": alarm["StateReason"]}
    now = ctx.now()
    alarm["StateValue"], alarm["StateReason"] = state, why
    alarm["StateUpdatedTimestamp"] = alarm["StateTransitionedTimestamp"] = now
    if data is not None:
        alarm["StateReasonData"] = json_text(data)
    else:
        alarm.pop("StateReasonData", None)
    new: dict[str, Any] = {"stateValue": state, "stateReason": why}
    if data is not None:
        new["stateReasonData"] = data
    ctx.records(ALARM).put(alarm["AlarmName"], alarm)
    add_history(
        ctx,
        alarm,
        "StateUpdate",
        f"Alarm updated from {old['stateValue']} to {state}",
        {"version": "1.0", "oldState": old, "newState": new},
    )


def check_reason_data(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ServiceError(
            "InvalidFormat", "StateReasonData is not valid JSON: give a JSON object."
        )
    return data


def _periods_of_queries(
    ctx: RequestContext, alarm: dict[str, Any], end: float
) -> list[tuple[float, float | None, float]]:
    queries = alarm["Metrics"]
    returned = next(q for q in queries if q.get("ReturnData", True))
    period = int(returned.get("Period") or (returned.get("MetricStat") or {}).get("Period") or 60)
    for query in queries:
        if "MetricStat" in query:
            period = int(query["MetricStat"]["Period"])
            break
    count = int(alarm["EvaluationPeriods"]) + EXTRA_PERIODS
    start = end - count * period
    series = evaluate_queries(ctx, queries, start, end)[returned["Id"]]
    return [(start + k * period, series.get(start + k * period), 1.0) for k in range(count)]


def evaluate(ctx: RequestContext, alarm: dict[str, Any], end: float) -> None:
    """Evaluate one alarm over the periods that end at ``end`` and change its state if due."""
    periods = (
        _periods_of_queries(ctx, alarm, end)
        if alarm.get("Metrics")
        else metric_periods(ctx, alarm, end)
    )
    n = int(alarm["EvaluationPeriods"])
    m = int(alarm.get("DatapointsToAlarm") or n)
    treat = alarm.get("TreatMissingData") or "missing"
    state = decide([breaching(alarm, v) for _, v, _ in periods], n, m, treat)
    if state is None or state == alarm["StateValue"]:
        return
    why, data = reason(alarm, state, periods, n, ctx.now())
    set_state(ctx, alarm, state, why, data)


def advance_alarms(ctx: RequestContext) -> None:
    """Evaluate the region's alarms that are due (each once a minute, or once a period under a
    minute), at the last step boundary passed; quick when none is due."""
    now = ctx.now()
    records = ctx.records(ALARM)
    for alarm in records.list():
        if alarm.get("_next", 0.0) > now:
            continue
        step = evaluation_step(alarm)
        end = math.floor(now / step) * step
        alarm["_next"] = end + step
        records.put(alarm["AlarmName"], alarm)
        evaluate(ctx, alarm, end)

"""Custom metrics in, metrics and statistics out: ``PutMetricData``, ``ListMetrics``,
``GetMetricStatistics``.

``PutMetricData`` takes at most 1,000 datums a call, each a ``Value``, ``Values`` with
``Counts`` (at most 150), or ``StatisticValues``; at most 30 dimensions; a timestamp at most two
weeks old and two hours ahead; a ``StorageResolution`` of 1 or 60; no namespace that starts with
``AWS/`` (AWS's own) — as the PutMetricData reference says. Every datum is checked before any is
kept, so a refused call keeps nothing. Standard-resolution datapoints are stored to the second
too; a period shorter than a minute is what tells the two apart on read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from bgkit.local.provider import RequestContext
from bgkit.local.services.cloudwatch.models import (
    METRIC,
    combination,
    dimensions_of,
    invalid,
    metric_key,
    missing,
    points_of,
    put_datums,
)
from bgkit.local.services.cloudwatch.statistics import (
    STATISTICS,
    aggregate,
    aligned_start,
    check_datapoints,
    check_period,
    check_statistic,
    datapoint,
)

MAX_DATUMS = 1000
MAX_VALUES = 150
MAX_DIMENSIONS = 30
PAST = 14 * 86400
FUTURE = 2 * 3600
#: CloudWatch refuses values outside ±2^360
LARGEST = 2.0**360
RECENT = 3 * 3600


def _check_value(value: float, member: str) -> None:
    if (
        math.isnan(value)
        or math.isinf(value)
        or abs(value) > LARGEST
        or (value != 0 and abs(value) < 2.0**-260)
    ):
        raise invalid(f"The value {value} for parameter {member} is invalid.")


def check_dimensions(dimensions: Sequence[Mapping[str, str]] | None, member: str) -> None:
    if dimensions and len(dimensions) > MAX_DIMENSIONS:
        raise invalid(
            f"The collection {member} must not have a size greater than {MAX_DIMENSIONS}."
        )
    names = [d["Name"] for d in dimensions or ()]
    if len(set(names)) != len(names):
        raise invalid(f"No Metric may specify the same dimension name twice ({member}).")


def check_datum(datum: Mapping[str, Any], member: str, now: float) -> None:
    """Refuse a ``MetricDatum`` as AWS does (see the module docstring)."""
    exclusive = [name for name in ("Value", "StatisticValues", "Values") if name in datum]
    if len(exclusive) > 1:
        first, second = exclusive[:2]
        raise combination(
            f"The parameters {member}.{first} and {member}.{second} are mutually exclusive and "
            "you have specified both."
        )
    if not exclusive:
        raise missing(f"{member}.Value")
    if "Value" in datum:
        _check_value(float(datum["Value"]), f"{member}.Value")
    if "Values" in datum:
        values, counts = datum["Values"], datum.get("Counts")
        if len(values) > MAX_VALUES:
            raise invalid(
                f"The collection {member}.Values must not have a size greater than {MAX_VALUES}."
            )
        if counts is not None and len(counts) != len(values):
            raise invalid(
                f"The parameters {member}.Values and {member}.Counts must be of the same size."
            )
        if not values:
            raise missing(f"{member}.Values")
        for i, value in enumerate(values, 1):
            _check_value(float(value), f"{member}.Values.member.{i}")
        for i, count in enumerate(counts or (), 1):
            if count < 0 or math.isnan(count):
                raise invalid(
                    f"The value {count} for parameter {member}.Counts.member.{i} is invalid."
                )
    if "StatisticValues" in datum:
        stats = datum["StatisticValues"]
        for name in ("SampleCount", "Sum", "Minimum", "Maximum"):
            _check_value(float(stats[name]), f"{member}.StatisticValues.{name}")
        if stats["SampleCount"] <= 0 or stats["Minimum"] > stats["Maximum"]:
            raise invalid(
                f"The parameter {member}.StatisticValues must have a SampleCount above 0 and a "
                "Minimum no greater than its Maximum."
            )
    resolution = datum.get("StorageResolution")
    if resolution is not None and resolution not in (1, 60):
        raise invalid(
            f"The value {resolution} for parameter {member}.StorageResolution is invalid: "
            "it must be 1 (high resolution) or 60 (standard)."
        )
    check_dimensions(datum.get("Dimensions"), f"{member}.Dimensions")
    stamp = datum.get("Timestamp")
    if stamp is not None and not now - PAST <= stamp.timestamp() <= now + FUTURE:
        raise invalid(
            f"The parameter {member}.Timestamp must specify a time no more than two weeks in "
            "the past and no more than two hours in the future."
        )


def put_metric_data(ctx: RequestContext, namespace: str, metric_data: list[dict[str, Any]]) -> None:
    if namespace.startswith("AWS/"):
        raise invalid(f"The value {namespace} for parameter Namespace is invalid.")
    if not metric_data:
        raise missing("MetricData")
    if len(metric_data) > MAX_DATUMS:
        raise invalid(f"The collection MetricData must not have a size greater than {MAX_DATUMS}.")
    now = ctx.now()
    for i, datum in enumerate(metric_data, 1):
        check_datum(datum, f"MetricData.member.{i}", now)
    put_datums(ctx.store, ctx.records(METRIC).partition, namespace, metric_data, now)


def matches(
    metric: Mapping[str, Any],
    namespace: str | None,
    name: str | None,
    dimensions: Sequence[Mapping[str, Any]] | None,
) -> bool:
    """Whether a ``metric`` record passes ListMetrics' filters (a dimension filter without a
    value matches any value of that name)."""
    if namespace is not None and metric["Namespace"] != namespace:
        return False
    if name is not None and metric["MetricName"] != name:
        return False
    have = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
    for wanted in dimensions or ():
        if wanted["Name"] not in have:
            return False
        if "Value" in wanted and have[wanted["Name"]] != wanted["Value"]:
            return False
    return True


def list_metrics(
    ctx: RequestContext,
    namespace: str | None,
    metric_name: str | None,
    dimensions: list[dict[str, Any]] | None,
    recently_active: str | None,
) -> list[dict[str, Any]]:
    """The metrics ListMetrics lists, in key order (``RecentlyActive=PT3H``: a datapoint in the
    last three hours)."""
    if dimensions and len(dimensions) > 10:
        raise invalid("The collection Dimensions must not have a size greater than 10.")
    since = ctx.now() - RECENT if recently_active == "PT3H" else -math.inf
    found = [
        m
        for m in ctx.records(METRIC).list()
        if m["_last"] >= since and matches(m, namespace, metric_name, dimensions)
    ]
    found.sort(key=lambda m: metric_key(m["Namespace"], m["MetricName"], m["Dimensions"]))
    return [{k: v for k, v in m.items() if not k.startswith("_")} for m in found]


def check_range(start: float, end: float) -> None:
    if start >= end:
        raise invalid("The parameter StartTime must be less than the parameter EndTime.")


def get_metric_statistics(
    ctx: RequestContext,
    namespace: str,
    metric_name: str,
    start_time: Any,
    end_time: Any,
    period: int,
    dimensions: list[dict[str, str]] | None = None,
    statistics: list[str] | None = None,
    extended_statistics: list[str] | None = None,
    unit: str | None = None,
) -> dict[str, Any]:
    if not statistics and not extended_statistics:
        raise missing("Statistics")
    if statistics and extended_statistics:
        raise combination(
            "The parameters Statistics and ExtendedStatistics are mutually exclusive and you "
            "have specified both."
        )
    for name in statistics or ():
        if name not in STATISTICS:
            raise invalid(f"The value {name} for parameter Statistics is invalid.")
    if extended_statistics and len(extended_statistics) > 10:
        raise invalid("The collection ExtendedStatistics must not have a size greater than 10.")
    for name in extended_statistics or ():
        check_statistic(name)
    check_period(period)
    check_dimensions(dimensions, "Dimensions")
    now = ctx.now()
    start, end = start_time.timestamp(), end_time.timestamp()
    check_range(start, end)
    start = aligned_start(start, now, period)
    check_datapoints(start, end, period)
    key = metric_key(namespace, metric_name, dimensions_of(dimensions))
    points = points_of(ctx.store, ctx.records(METRIC).partition, key, start, end)
    folded = aggregate(points, start, period, unit)
    datapoints = [
        datapoint(begin, point_unit, agg, statistics or (), extended_statistics or ())
        for (begin, point_unit), agg in sorted(folded.items())
    ]
    return {"Label": metric_name, "Datapoints": datapoints}

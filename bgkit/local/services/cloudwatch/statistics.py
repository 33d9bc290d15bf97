"""Statistics of a metric over periods, which GetMetricStatistics, GetMetricData and alarms read.

A period's statistics come from the datapoints stored for it (:func:`.models.points_of`):
``SampleCount``, ``Sum``, ``Minimum``, ``Maximum``, ``Average`` (Sum / SampleCount) and
percentiles ``pNN`` (nearest rank over the single values a period holds). As the
GetMetricStatistics reference says, a percentile needs raw values: a statistic set gives one
only when its SampleCount is 1 or its Minimum equals its Maximum, and no percentile is given over
negative values. The period rules (1, 5, 10, 20, 30 or a multiple of 60 seconds; StartTime
rounded down by its age) and the limit of 1,440 datapoints are the same reference's
(docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from bgkit.local.services.cloudwatch.models import combination, invalid

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d{0,2})?|100(?:\.0{0,2})?)")
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 20, 30)
MAX_DATAPOINTS = 1440
DAY = 86400


def check_period(period: int, member: str = "Period") -> None:
    """Refuse a period CloudWatch does not take: 1, 5, 10, 20, 30 or a multiple of 60."""
    if period <= 0 or (period not in HIGH_RESOLUTION_PERIODS and period % 60):
        raise invalid(
            f"The parameter {member} must be 1, 5, 10, 20, 30, or a multiple of 60 seconds."
        )


def check_statistic(name: str, member: str = "ExtendedStatistics") -> None:
    if not PERCENTILE.fullmatch(name):
        raise invalid(
            f"The value {name} for parameter {member} is not supported: ask for a percentile "
            "pNN or pNN.NN between p0 and p100."
        )


def aligned_start(start: float, now: float, period: int) -> float:
    """StartTime rounded down as CloudWatch rounds it: to the minute within 15 days (to the
    period for periods under a minute), 5 minutes within 63 days, the hour before."""
    age = now - start
    step = min(period, 60) if age <= 15 * DAY else 300 if age <= 63 * DAY else 3600
    return math.floor(start / step) * step


def check_datapoints(start: float, end: float, period: int) -> int:
    """The number of periods asked for; more than 1,440 is AWS's error."""
    count = max(0, math.ceil((end - start) / period))
    if count > MAX_DATAPOINTS:
        raise combination(
            f"You have requested up to {count} datapoints, which exceeds the limit of "
            f"{MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or "
            "decreasing the time range."
        )
    return count


def percentile(values: dict[float, float], share: float) -> float | None:
    """The nearest-rank percentile ``share`` (0–100) of weighted values, or ``None``."""
    total = sum(values.values())
    if total <= 0 or any(v < 0 for v in values):
        return None
    rank = max(1.0, math.ceil(share / 100.0 * total))
    seen = 0.0
    for value in sorted(values):
        seen += values[value]
        if seen >= rank:
            return value
    return max(values)


class Aggregate:
    """The datapoints of one period folded together."""

    __slots__ = ("count", "high", "low", "raw", "total")

    def __init__(self) -> None:
        self.count, self.total = 0.0, 0.0
        self.low, self.high = math.inf, -math.inf
        self.raw: dict[float, float] | None = {}

    def add(self, point: Sequence[Any]) -> None:
        _, _, count, total, low, high, values = point
        self.count += count
        self.total += total
        self.low, self.high = min(self.low, low), max(self.high, high)
        if values is None or self.raw is None:
            self.raw = None
        else:
            for text, seen in values.items():
                value = float(text)
                self.raw[value] = self.raw.get(value, 0.0) + seen

    def statistic(self, name: str) -> float | None:
        """One statistic of the period (``Sum``, ``p99`` …), ``None`` when it has none."""
        if name == "SampleCount":
            return self.count
        if name == "Sum":
            return self.total
        if name == "Minimum":
            return self.low
        if name == "Maximum":
            return self.high
        if name == "Average":
            return self.total / self.count if self.count else None
        if PERCENTILE.fullmatch(name) and self.raw is not None:
            return percentile(self.raw, float(name[1:]))
        return None


def aggregate(
    points: Iterable[Sequence[Any]], start: float, period: int, unit: str | None
) -> dict[tuple[float, str], Aggregate]:
    """The points folded into periods ``[start + k·period, …)``, by period start and unit (all
    units apart; only ``unit`` when one is asked)."""
    found: dict[tuple[float, str], Aggregate] = {}
    for point in points:
        if unit is not None and point[1] != unit:
            continue
        begin = start + math.floor((point[0] - start) / period) * period
        found.setdefault((begin, point[1]), Aggregate()).add(point)
    return found


def datapoint(
    begin: float, unit: str, folded: Aggregate, statistics: Sequence[str], extended: Sequence[str]
) -> dict[str, Any]:
    """A ``Datapoint`` shape of one period."""
    item: dict[str, Any] = {"Timestamp": begin, "Unit": unit}
    for name in statistics:
        value = folded.statistic(name)
        if value is not None:
            item[name] = value
    if extended:
        values = {name: folded.statistic(name) for name in extended}
        item["ExtendedStatistics"] = {k: v for k, v in values.items() if v is not None}
    return item

"""The ALB's metrics, counted by the listeners in memory a minute at a time, flushed.

:class:`AlbMetrics` is the one piece the listeners call for each request (:meth:`AlbMetrics.
request`, :meth:`AlbMetrics.elb_answer`): a dictionary update, no store write. The counts of a
local minute are kept per metric and dimensions until :meth:`AlbMetrics.flush` writes them as
``MetricDatum`` shapes of ``AWS/ApplicationELB`` through :func:`cloudwatch.models.put_datums` —
a closed minute at once, the current minute at most once a wall second — so a data plane in
another process could send the same datums with ``PutMetricData``. Names, units and dimensions are
AWS's (docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-
metrics.html): RequestCount, HTTPCode_Target_2XX…5XX_Count and TargetResponseTime (seconds) per
``TargetGroup`` with ``LoadBalancer`` and per ``LoadBalancer``; HTTPCode_ELB_5XX_Count and
HTTPCode_ELB_502/503/504_Count per ``LoadBalancer``.
"""

from __future__ import annotations

import time
from typing import Any

from bgkit.local.services.cloudwatch.models import (
    ELB_NAMESPACE,
    load_balancer_dimension,
    put_datums,
    region_partition,
    target_group_dimension,
)
from bgkit.local.store import Store

#: wall seconds between two flushes of the current minute
FLUSH_EVERY = 1.0
Key = tuple[str, float, str, str, tuple[tuple[str, str], ...]]


class AlbMetrics:
    """Per-minute counters of the listeners' requests (see the module docstring)."""

    def __init__(self) -> None:
        self._counts: dict[Key, list[Any]] = {}
        self._flushed = 0.0

    def _add(
        self,
        partition: str | None,
        now: float,
        name: str,
        unit: str,
        dims: tuple[tuple[str, str], ...],
        value: float,
        raw: bool = False,
    ) -> None:
        if partition is None:
            return
        key = (partition, now - now % 60, name, unit, dims)
        entry = self._counts.get(key)
        if entry is None:
            entry = self._counts[key] = [0.0, 0.0, value, value, {} if raw else None]
        entry[0] += 1
        entry[1] += value
        entry[2], entry[3] = min(entry[2], value), max(entry[3], value)
        if raw:
            text = repr(round(value, 6))
            entry[4][text] = entry[4].get(text, 0) + 1

    def request(
        self, now: float, lb_arn: str, tg_arn: str, status: int, elb: bool, seconds: float
    ) -> None:
        """One request a target was chosen for; ``elb`` when the listener answered it itself
        (``502``/``504``: the target failed)."""
        partition = region_partition(lb_arn)
        lb = ("LoadBalancer", load_balancer_dimension(lb_arn))
        tg = ("TargetGroup", target_group_dimension(tg_arn))
        for dims in ((lb, tg), (lb,)):
            self._add(partition, now, "RequestCount", "Count", dims, 1.0)
            if not elb:
                self._add(partition, now, f"HTTPCode_Target_{status // 100}XX_Count", "Count",
                          dims, 1.0)  # fmt: skip
                self._add(partition, now, "TargetResponseTime", "Seconds", dims, seconds, True)
        if elb:
            self.elb_answer(now, lb_arn, status)

    def elb_answer(self, now: float, lb_arn: str, status: int) -> None:
        """An answer the load balancer gave itself (``503`` without a target, ``502``, ``504``)."""
        partition = region_partition(lb_arn)
        dims = (("LoadBalancer", load_balancer_dimension(lb_arn)),)
        self._add(partition, now, "HTTPCode_ELB_5XX_Count", "Count", dims, 1.0)
        if status in (502, 503, 504):
            self._add(partition, now, f"HTTPCode_ELB_{status}_Count", "Count", dims, 1.0)

    def flush(self, store: Store, now: float) -> None:
        """Write what was counted: closed minutes always, the current one once a wall second."""
        minute = now - now % 60
        wall = time.monotonic()
        current = wall - self._flushed >= FLUSH_EVERY
        chosen = [k for k in self._counts if k[1] < minute or current]
        if not chosen:
            return
        by_partition: dict[str, list[dict[str, Any]]] = {}
        for key in chosen:
            partition, stamp, name, unit, dims = key
            count, total, low, high, values = self._counts.pop(key)
            datum: dict[str, Any] = {
                "MetricName": name, "Unit": unit, "Timestamp": stamp,
                "Dimensions": [{"Name": n, "Value": v} for n, v in dims],
            }  # fmt: skip
            if values is not None:
                datum["Values"] = [float(v) for v in values]
                datum["Counts"] = [float(c) for c in values.values()]
            else:
                datum["StatisticValues"] = {"SampleCount": count, "Sum": total,
                                            "Minimum": low, "Maximum": high}  # fmt: skip
            by_partition.setdefault(partition, []).append(datum)
        for partition, datums in by_partition.items():
            put_datums(store, partition, ELB_NAMESPACE, datums, now)
        if current:
            self._flushed = wall

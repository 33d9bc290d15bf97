"""The ALB's metrics, counted by the listeners in memory a minute at a time, flushed.

:class:`AlbMetrics` is the one piece the listeners call for each request (:meth:`AlbMetrics.
request`, :meth:`AlbMetrics.elb_answer`): a dictionary update, no store write. The counts of a
local minute are kept per metric and dimensions until :meth:`AlbMetrics.flush` writes them as
``MetricDatum`` shapes of ``AWS/ApplicationELB`` through :func:`cloudwatch.models.put_datums` —
a closed minute at once, the current minute at most once a wall second unless the local clock
has moved :data:`FLUSH_LOCAL` seconds since (a fast clock: then every pass, so an alarm evaluated
at a minute's end misses at most the last pass's requests) — so a data plane in another process
could send the same datums with ``PutMetricData``. Once a local minute the flush also samples the
targets of each target group a listener or rule forwards to: HealthyHostCount and
UnHealthyHostCount per ``TargetGroup`` with ``LoadBalancer``. Names, units and dimensions are
AWS's (docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-
metrics.html): RequestCount, HTTPCode_Target_2XX…5XX_Count and TargetResponseTime (seconds) per
``TargetGroup`` with ``LoadBalancer`` and per ``LoadBalancer``; HTTPCode_ELB_4XX_Count,
HTTPCode_ELB_5XX_Count and HTTPCode_ELB_502/503/504_Count per ``LoadBalancer``.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from bgkit.local.services.cloudwatch.models import (
    ELB_NAMESPACE,
    load_balancer_dimension,
    put_datums,
    region_partition,
    target_group_dimension,
)
from bgkit.local.services.elbv2.models import (
    LISTENER,
    RULE,
    TARGET,
    TARGET_HEALTH,
    forwarded_groups,
    target_key,
)
from bgkit.local.store import Store

#: wall seconds between two flushes of the current minute
FLUSH_EVERY = 1.0
#: local seconds after which the current minute is flushed whatever the wall time
FLUSH_LOCAL = 5.0
Key = tuple[str, float, str, str, tuple[tuple[str, str], ...]]
Dimension = tuple[str, str]


@functools.lru_cache(maxsize=1024)
def _load_balancer(lb_arn: str) -> tuple[str | None, Dimension]:
    """The store partition and ``LoadBalancer`` dimension of an ALB, its ARN parsed once."""
    return region_partition(lb_arn), ("LoadBalancer", load_balancer_dimension(lb_arn))


@functools.lru_cache(maxsize=4096)
def _per_request(lb_arn: str, tg_arn: str) -> tuple[str | None, tuple[tuple[Dimension, ...], ...]]:
    """The partition and the two dimension sets a request is counted in, its ARNs parsed once."""
    partition, lb = _load_balancer(lb_arn)
    return partition, ((lb, ("TargetGroup", target_group_dimension(tg_arn))), (lb,))


#: the metric names of the status classes, formatted once
TARGET_CODES = {n: f"HTTPCode_Target_{n}XX_Count" for n in range(1, 6)}
ELB_CODES = {n: f"HTTPCode_ELB_{n}XX_Count" for n in range(1, 6)}


class AlbMetrics:
    """Per-minute counters of the listeners' requests (see the module docstring)."""

    def __init__(self) -> None:
        self._counts: dict[Key, list[Any]] = {}
        self._flushed = 0.0
        self._flushed_local = float("-inf")
        self._sampled: float | None = None  # the local minute the targets were last sampled

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
        partition, both = _per_request(lb_arn, tg_arn)
        code = TARGET_CODES.get(status // 100) or f"HTTPCode_Target_{status // 100}XX_Count"
        for dims in both:
            self._add(partition, now, "RequestCount", "Count", dims, 1.0)
            if not elb:
                self._add(partition, now, code, "Count", dims, 1.0)
                self._add(partition, now, "TargetResponseTime", "Seconds", dims, seconds, True)
        if elb:
            self.elb_answer(now, lb_arn, status)

    def elb_answer(self, now: float, lb_arn: str, status: int) -> None:
        """An answer the load balancer gave itself: ``503`` without a target, ``502``, ``504``,
        or a ``4xx`` to a request it could not take (HTTPCode_ELB_4XX_Count)."""
        partition, lb = _load_balancer(lb_arn)
        dims = (lb,)
        code = ELB_CODES.get(status // 100) or f"HTTPCode_ELB_{status // 100}XX_Count"
        self._add(partition, now, code, "Count", dims, 1.0)
        if status in (502, 503, 504):
            self._add(partition, now, f"HTTPCode_ELB_{status}_Count", "Count", dims, 1.0)

    def sample_hosts(self, store: Store, now: float) -> None:
        """Count the healthy and unhealthy targets of each target group a listener or rule of a
        load balancer forwards to (a sample of the minute ``now`` is in)."""
        listeners = {item["ListenerArn"]: item for item in store.list(None, LISTENER)}
        users = [(item["LoadBalancerArn"], item["DefaultActions"]) for item in listeners.values()]
        for rule in store.list(None, RULE):
            owner = listeners.get(rule.get("_listener_arn"))
            if owner is not None:
                users.append((owner["LoadBalancerArn"], rule["Actions"]))
        pairs = {(lb, tg) for lb, actions in users for tg in forwarded_groups(actions)}
        counts: dict[str, list[float]] = {tg: [0.0, 0.0] for _, tg in pairs}
        for target in store.list(None, TARGET):
            group = target["TargetGroupArn"]
            if group not in counts or target.get("_deregistered_at") is not None:
                continue
            key = target_key(group, target["Id"], target["Port"])
            partition = region_partition(group)
            checked = store.get(partition, TARGET_HEALTH, key) if partition else None
            if checked is None or checked.get("_checked_at", 0.0) < target.get(
                "_registered_at", 0.0
            ):
                continue  # still in its first health check: neither
            if checked["State"] == "healthy":
                counts[group][0] += 1
            elif checked["State"] == "unhealthy":
                counts[group][1] += 1
        for lb, tg in sorted(pairs):
            dims = (("LoadBalancer", load_balancer_dimension(lb)),
                    ("TargetGroup", target_group_dimension(tg)))  # fmt: skip
            healthy, unhealthy = counts[tg]
            self._add(region_partition(lb), now, "HealthyHostCount", "Count", dims, healthy)
            self._add(region_partition(lb), now, "UnHealthyHostCount", "Count", dims, unhealthy)

    def flush(self, store: Store, now: float) -> None:
        """Write what was counted: closed minutes always, the current one once a wall second
        (or every :data:`FLUSH_LOCAL` local seconds); sample the targets once a local minute."""
        minute = now - now % 60
        if self._sampled != minute:
            self._sampled = minute
            self.sample_hosts(store, now)
        wall = time.monotonic()
        current = wall - self._flushed >= FLUSH_EVERY or now - self._flushed_local >= FLUSH_LOCAL
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
            self._flushed, self._flushed_local = wall, now

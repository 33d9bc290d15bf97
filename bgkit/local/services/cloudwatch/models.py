"""CloudWatch records: metrics, datapoints, alarms; the face the rest of the local cloud uses.

Records, per region:

- ``metric`` keyed by :func:`metric_key` (namespace, name and sorted dimensions): the ``Metric``
  shape plus ``_last``, the local time of its newest datapoint (``ListMetrics``'
  ``RecentlyActive``);
- ``metric-data`` keyed ``"<metric key>|<hour>"``: the datapoints of one metric whose timestamps
  fall in one hour, each ``[timestamp, unit, count, sum, min, max, values]`` where ``values`` maps
  a value (as text) to how many times it was seen, or is ``None`` for a statistic set that holds
  no single values (see :mod:`.series`);
- ``alarm`` keyed by the alarm's name: the ``MetricAlarm`` shape plus ``_tags`` and ``_next``,
  when it is evaluated next; ``alarm-history`` keyed by a counter: one ``AlarmHistoryItem``.

What the rest of the local cloud may call:

- :func:`put_datums` writes ``MetricDatum`` shapes (as ``PutMetricData`` takes them) into a
  region's store. The data plane feeds the ALB's metrics through it (:mod:`bgkit.local.dataplane.
  metrics`); a data plane in another process would send the same datums with ``PutMetricData``.
- :func:`alarm_states` answers the state of each named alarm (``None``: no such alarm), and
  :func:`alarms_in_alarm` which of them are in ``ALARM`` (CodeDeploy's and ECS's alarm rollback).
- :func:`load_balancer_dimension` and :func:`target_group_dimension`: the ALB's dimension values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.ids import parse_arn
from bgkit.local.store import Store

METRIC = "metric"
DATA = "metric-data"
ALARM = "alarm"
HISTORY = "alarm-history"
SERVICE = "cloudwatch"
#: the ALB's namespace
ELB_NAMESPACE = "AWS/ApplicationELB"
HOUR = 3600

UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
)  # fmt: skip


def invalid(message: str) -> ServiceError:
    """CloudWatch's refusal of a value (``InvalidParameterValue``)."""
    return ServiceError("InvalidParameterValue", message)


def combination(message: str) -> ServiceError:
    """CloudWatch's refusal of values that do not go together (``InvalidParameterCombination``)."""
    return ServiceError("InvalidParameterCombination", message)


def missing(member: str) -> ServiceError:
    return ServiceError("MissingParameter", f"The parameter {member} is required.")


def partition_of(account: str, region: str) -> str:
    """The store partition of a region (as :meth:`RequestContext.records` names it)."""
    return f"{account}/{region}"


def dimensions_of(dimensions: Iterable[Mapping[str, str]] | None) -> list[dict[str, str]]:
    """Dimensions as ``[{Name, Value}]`` sorted by name: one metric whatever the order sent."""
    return sorted(
        ({"Name": d["Name"], "Value": d["Value"]} for d in dimensions or ()),
        key=lambda d: d["Name"],
    )


def metric_key(namespace: str, name: str, dimensions: Iterable[Mapping[str, str]] | None) -> str:
    """The key of a ``metric`` record: namespace, name and the dimensions in name order."""
    dims = ",".join(f"{d['Name']}={d['Value']}" for d in dimensions_of(dimensions))
    return f"{namespace}|{name}|{dims}"


def load_balancer_dimension(load_balancer_arn: str) -> str:
    """The ``LoadBalancer`` dimension of an ALB: ``app/<name>/<id>``, its ARN's resource tail."""
    parts = parse_arn(load_balancer_arn)
    resource = parts["resource"] if parts else load_balancer_arn
    return resource.removeprefix("loadbalancer/")


def target_group_dimension(target_group_arn: str) -> str:
    """The ``TargetGroup`` dimension: ``targetgroup/<name>/<id>``, the ARN's resource."""
    parts = parse_arn(target_group_arn)
    return parts["resource"] if parts else target_group_arn


def region_partition(arn: str) -> str | None:
    """The store partition of the region and account an ARN names, or ``None``."""
    parts = parse_arn(arn)
    if not parts or not parts["region"]:
        return None
    return partition_of(parts["account"], parts["region"])


# -- datapoints ------------------------------------------------------------------------------


def _stamp(value: Any) -> float:
    """Epoch seconds of a ``datetime`` or a number."""
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def entry_of(datum: Mapping[str, Any], now: float) -> list[Any]:
    """A stored datapoint ``[timestamp, unit, count, sum, min, max, values]`` of a checked
    ``MetricDatum`` (timestamps of standard resolution are kept to the second)."""
    stamp = _stamp(datum["Timestamp"]) if datum.get("Timestamp") is not None else now
    stamp = math.floor(stamp)
    unit = datum.get("Unit") or "None"
    if "StatisticValues" in datum:
        stats = datum["StatisticValues"]
        count, low, high = (
            float(stats["SampleCount"]),
            float(stats["Minimum"]),
            float(stats["Maximum"]),
        )
        single = count == 1 or low == high  # percentiles stay available (GetMetricStatistics)
        values = {_text(low): count} if single and count > 0 else None
        return [stamp, unit, count, float(stats["Sum"]), low, high, values]
    if "Values" in datum:
        values_list = [float(v) for v in datum["Values"]]
        counts = [float(c) for c in datum.get("Counts") or [1.0] * len(values_list)]
    else:
        values_list, counts = [float(datum["Value"])], [1.0]
    values: dict[str, float] = {}
    for value, count in zip(values_list, counts, strict=True):
        values[_text(value)] = values.get(_text(value), 0.0) + count
    total = sum(v * c for v, c in zip(values_list, counts, strict=True))
    return [stamp, unit, sum(counts), total, min(values_list), max(values_list), values]


def _text(value: float) -> str:
    return repr(float(value))


def put_datums(
    store: Store, partition: str, namespace: str, datums: Iterable[Mapping[str, Any]], now: float
) -> None:
    """Write checked ``MetricDatum`` shapes of ``namespace`` into a region (one transaction).

    Args:
        store: the local cloud's store.
        partition: the region's partition (:func:`partition_of`).
        namespace: the metrics' namespace (``AWS/ApplicationELB``).
        datums: ``MetricDatum`` shapes as ``PutMetricData`` takes them, already checked.
        now: local time, the timestamp of a datum that gives none.
    """
    by_record: dict[str, list[list[Any]]] = {}
    metrics: dict[str, dict[str, Any]] = {}
    for datum in datums:
        dims = dimensions_of(datum.get("Dimensions"))
        key = metric_key(namespace, datum["MetricName"], dims)
        entry = entry_of(datum, now)
        by_record.setdefault(f"{key}|{int(entry[0] // HOUR)}", []).append(entry)
        metrics[key] = {
            "Namespace": namespace,
            "MetricName": datum["MetricName"],
            "Dimensions": dims,
        }
    with store.transaction():
        for record_key, entries in by_record.items():
            record = store.get(partition, DATA, record_key) or {"points": []}
            record["points"].extend(entries)
            store.put(partition, DATA, record_key, record)
        for key, metric in metrics.items():
            store.put(partition, METRIC, key, {**metric, "_last": now})


def points_of(store: Store, partition: str, key: str, start: float, end: float) -> list[list[Any]]:
    """The stored datapoints of one metric with ``start <= timestamp < end``, oldest first."""
    found: list[list[Any]] = []
    for hour in range(int(start // HOUR), math.ceil(end / HOUR) + 1):
        record = store.get(partition, DATA, f"{key}|{hour}")
        if record:
            found.extend(p for p in record["points"] if start <= p[0] < end)
    found.sort(key=lambda p: p[0])
    return found


# -- alarms ----------------------------------------------------------------------------------


def alarm_states(store: Store, partition: str, names: Iterable[str]) -> dict[str, str | None]:
    """The ``StateValue`` of each of the region's alarms named (``None`` for a name that is no
    alarm there), in the order given, each name once."""
    states: dict[str, str | None] = {}
    for name in dict.fromkeys(names):
        alarm = store.get(partition, ALARM, name)
        states[name] = None if alarm is None else alarm["StateValue"]
    return states


def alarms_in_alarm(store: Store, partition: str, names: Iterable[str]) -> list[str]:
    """The names among ``names`` of the region's alarms whose state is ``ALARM`` (in the order
    given; a name that is no alarm is not among them)."""
    return [name for name, state in alarm_states(store, partition, names).items()
            if state == "ALARM"]  # fmt: skip

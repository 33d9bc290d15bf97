"""The local cloud's Amazon CloudWatch: metrics, statistics, metric math, alarms and their tags.

Metrics: ``PutMetricData``, ``ListMetrics``, ``GetMetricStatistics`` (:mod:`.metrics`),
``GetMetricData`` (:mod:`.queries`). Alarms: ``PutMetricAlarm``, ``DescribeAlarms``,
``DescribeAlarmsForMetric``, ``DescribeAlarmHistory``, ``SetAlarmState``, ``DeleteAlarms``,
``EnableAlarmActions``, ``DisableAlarmActions`` and the tags of alarms (:mod:`.alarms`), evaluated
on the local clock in :meth:`CloudWatchProvider.advance` (:mod:`.evaluation`). The ALB's metrics
come from the data plane through :func:`.models.put_datums`. Records: :mod:`.models`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bgkit.errors import ServiceError
from bgkit.local.paging import Pager
from bgkit.local.provider import Provider, RequestContext
from bgkit.local.services.cloudwatch import metrics as metric_ops
from bgkit.local.services.cloudwatch.alarms import (
    CREATED_REASON,
    STATES,
    add_history,
    advance_alarms,
    check_alarm,
    check_reason_data,
    configuration,
    public,
    set_state,
)
from bgkit.local.services.cloudwatch.models import ALARM, HISTORY, dimensions_of, invalid
from bgkit.local.services.cloudwatch.queries import MAX_QUERIES, evaluate_queries
from bgkit.local.tagging import merge, remove

__all__ = ["CloudWatchProvider"]

MAX_DATAPOINTS = 100_800
MAX_TAGS = 50


def _bad_token(token: str) -> ServiceError:
    return ServiceError("InvalidNextToken", f"The NextToken {token!r} is not valid.")


PAGER = Pager(
    "cloudwatch",
    _bad_token,
    size=lambda limit: limit or 50,
    sizes={"ListMetrics": lambda limit: 500},
)


def _not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFound", f"Alarm {name} not found.")


class CloudWatchProvider(Provider):
    """Amazon CloudWatch (see the module docstring)."""

    service: ClassVar[str] = "cloudwatch"
    #: alarms are evaluated on the local clock in the regions that have some
    advancing: ClassVar[tuple[str, ...]] = (ALARM,)

    def advance(self, ctx: RequestContext) -> None:
        advance_alarms(ctx)

    # -- metrics ---------------------------------------------------------------------------------

    def put_metric_data(
        self, ctx: RequestContext, namespace: str, metric_data: list[dict[str, Any]] | None = None,
        **others: Any,
    ) -> None:  # fmt: skip
        metric_ops.put_metric_data(ctx, namespace, metric_data or [])

    def list_metrics(
        self,
        ctx: RequestContext,
        namespace: str | None = None,
        metric_name: str | None = None,
        dimensions: list[dict[str, Any]] | None = None,
        recently_active: str | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        found = metric_ops.list_metrics(ctx, namespace, metric_name, dimensions, recently_active)
        return PAGER.page("ListMetrics", found, paging)

    def get_metric_statistics(self, ctx: RequestContext, **params: Any) -> dict[str, Any]:
        return metric_ops.get_metric_statistics(ctx, **params)

    def get_metric_data(
        self,
        ctx: RequestContext,
        metric_data_queries: list[dict[str, Any]],
        start_time: Any,
        end_time: Any,
        next_token: str | None = None,
        scan_by: str | None = None,
        max_datapoints: int | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        if len(metric_data_queries) > MAX_QUERIES:
            raise invalid(
                f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
            )
        start, end = start_time.timestamp(), end_time.timestamp()
        metric_ops.check_range(start, end)
        skip = 0
        if next_token is not None:
            if not next_token.isdecimal():
                raise _bad_token(next_token)
            skip = int(next_token)
        budget = max_datapoints or MAX_DATAPOINTS
        series = evaluate_queries(ctx, metric_data_queries, start, end)
        descending = (scan_by or "TimestampDescending") == "TimestampDescending"
        results, more, seen = [], False, 0
        for query in metric_data_queries:
            if not query.get("ReturnData", True):
                continue
            points = sorted(series[query["Id"]].items(), reverse=descending)
            chosen = []
            for point in points:
                seen += 1
                if seen <= skip:
                    continue
                if len(chosen) + sum(len(r["Timestamps"]) for r in results) >= budget:
                    more = True
                    break
                chosen.append(point)
            label = query.get("Label") or (
                query["MetricStat"]["Metric"]["MetricName"]
                if "MetricStat" in query
                else query["Id"]
            )
            results.append(
                {
                    "Id": query["Id"],
                    "Label": label,
                    "Timestamps": [t for t, _ in chosen],
                    "Values": [v for _, v in chosen],
                    "StatusCode": "PartialData" if more else "Complete",
                    "Messages": [],
                }
            )
        answer: dict[str, Any] = {"MetricDataResults": results, "Messages": []}
        if more:
            answer["NextToken"] = str(skip + sum(len(r["Timestamps"]) for r in results))
        return answer

    # -- alarms ----------------------------------------------------------------------------------

    def put_metric_alarm(
        self,
        ctx: RequestContext,
        alarm_name: str,
        evaluation_periods: int | None = None,
        comparison_operator: str | None = None,
        tags: list[dict[str, str]] | None = None,
        **params: Any,
    ) -> None:
        for member, value in (("EvaluationPeriods", evaluation_periods),
                              ("ComparisonOperator", comparison_operator)):  # fmt: skip
            if value is None:
                raise ServiceError("MissingParameter", f"The parameter {member} is required.")
        config = {
            "ComparisonOperator": comparison_operator,
            "EvaluationPeriods": evaluation_periods,
            **{_member(k): v for k, v in params.items() if v is not None},
        }
        check_alarm(config)
        if config.get("Dimensions") is not None:
            metric_ops.check_dimensions(config["Dimensions"], "Dimensions")
        records = ctx.records(ALARM)
        old = records.get(alarm_name)
        now = ctx.now()
        alarm: dict[str, Any] = {
            "AlarmName": alarm_name,
            "AlarmArn": ctx.arn("cloudwatch", f"alarm:{alarm_name}"),
            "ActionsEnabled": True,
            "OKActions": [],
            "AlarmActions": [],
            "InsufficientDataActions": [],
            "Dimensions": [],
            **config,
            "AlarmConfigurationUpdatedTimestamp": now,
            "StateValue": old["StateValue"] if old else "INSUFFICIENT_DATA",
            "StateReason": old["StateReason"] if old else CREATED_REASON,
            "StateUpdatedTimestamp": old["StateUpdatedTimestamp"] if old else now,
            "StateTransitionedTimestamp": old["StateTransitionedTimestamp"] if old else now,
            "TreatMissingData": config.get("TreatMissingData", "missing"),
            "_tags": merge(old["_tags"] if old else [], tags or []),
            # a new alarm is evaluated at once; an updated one keeps its minute
            "_next": old.get("_next", now) if old else now,
        }
        if "Metrics" in config:
            alarm.pop("Dimensions")
        if old and "StateReasonData" in old:
            alarm["StateReasonData"] = old["StateReasonData"]
        if len(alarm["_tags"]) > MAX_TAGS:
            raise ServiceError(
                "LimitExceededException", f"An alarm can have at most {MAX_TAGS} tags."
            )
        records.put(alarm_name, alarm)
        verb = "updated" if old else "created"
        add_history(
            ctx, alarm, "ConfigurationUpdate", f'Alarm "{alarm_name}" {verb}',
            {"version": "1.0", "type": "Update" if old else "Create",
             ("updatedAlarm" if old else "createdAlarm"): configuration(alarm)},
        )  # fmt: skip

    def describe_alarms(
        self,
        ctx: RequestContext,
        alarm_names: list[str] | None = None,
        alarm_name_prefix: str | None = None,
        alarm_types: list[str] | None = None,
        state_value: str | None = None,
        action_prefix: str | None = None,
        children_of_alarm_name: str | None = None,
        parents_of_alarm_name: str | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        if alarm_names and alarm_name_prefix:
            raise ServiceError(
                "InvalidParameterCombination",
                "AlarmNames and AlarmNamePrefix are mutually exclusive: give one of them.",
            )
        if alarm_names and len(alarm_names) > 100:
            raise invalid("The collection AlarmNames must not have a size greater than 100.")
        wanted = set(alarm_names or ())
        alarms = sorted(ctx.records(ALARM).list(), key=lambda a: a["AlarmName"])
        found = [
            a
            for a in alarms
            if (not wanted or a["AlarmName"] in wanted)
            and a["AlarmName"].startswith(alarm_name_prefix or "")
            and (state_value is None or a["StateValue"] == state_value)
            and (action_prefix is None or any(x.startswith(action_prefix) for x in _actions(a)))
        ]
        if alarm_types is not None and "MetricAlarm" not in alarm_types:
            found = []
        page = PAGER.page("DescribeAlarms", found, paging, show=public)
        return {**page, "CompositeAlarms": []}

    def describe_alarms_for_metric(
        self,
        ctx: RequestContext,
        metric_name: str,
        namespace: str,
        statistic: str | None = None,
        extended_statistic: str | None = None,
        dimensions: list[dict[str, str]] | None = None,
        period: int | None = None,
        unit: str | None = None,
    ) -> dict[str, Any]:
        dims = dimensions_of(dimensions)
        found = [
            public(a)
            for a in sorted(ctx.records(ALARM).list(), key=lambda a: a["AlarmName"])
            if a.get("MetricName") == metric_name
            and a.get("Namespace") == namespace
            and dimensions_of(a.get("Dimensions")) == dims
            and (statistic is None or a.get("Statistic") == statistic)
            and (extended_statistic is None or a.get("ExtendedStatistic") == extended_statistic)
            and (period is None or a.get("Period") == period)
            and (unit is None or a.get("Unit") == unit)
        ]
        return {"MetricAlarms": found}

    def describe_alarm_history(
        self,
        ctx: RequestContext,
        alarm_name: str | None = None,
        alarm_types: list[str] | None = None,
        history_item_type: str | None = None,
        start_date: Any = None,
        end_date: Any = None,
        scan_by: str | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        start = start_date.timestamp() if start_date is not None else float("-inf")
        end = end_date.timestamp() if end_date is not None else float("inf")
        items = [
            h
            for h in ctx.records(HISTORY).list()
            if (alarm_name is None or h["AlarmName"] == alarm_name)
            and (history_item_type is None or h["HistoryItemType"] == history_item_type)
            and (alarm_types is None or h["AlarmType"] in alarm_types)
            and start <= h["Timestamp"] <= end
        ]
        if (scan_by or "TimestampDescending") == "TimestampDescending":
            items.reverse()
        return PAGER.page("DescribeAlarmHistory", items, paging)

    def set_alarm_state(
        self, ctx: RequestContext, alarm_name: str, state_value: str, state_reason: str,
        state_reason_data: str | None = None,
    ) -> None:  # fmt: skip
        if state_value not in STATES:
            raise invalid(f"The value {state_value} for parameter StateValue is invalid.")
        data = check_reason_data(state_reason_data)
        alarm = ctx.records(ALARM).get(alarm_name)
        if alarm is None:
            raise _not_found(alarm_name)
        set_state(ctx, alarm, state_value, state_reason, data)

    def delete_alarms(self, ctx: RequestContext, alarm_names: list[str]) -> None:
        records = ctx.records(ALARM)
        absent = [name for name in alarm_names if name not in records]
        if absent:
            raise ServiceError(
                "ResourceNotFound",
                f"The following alarms were not found: {', '.join(absent)}; none was deleted.",
            )
        for name in dict.fromkeys(alarm_names):
            alarm = records.get(name)
            assert alarm is not None
            records.delete(name)
            add_history(
                ctx, alarm, "ConfigurationUpdate", f'Alarm "{name}" deleted',
                {"version": "1.0", "type": "Delete", "deletedAlarm": configuration(alarm)},
            )  # fmt: skip

    def _set_actions(self, ctx: RequestContext, names: list[str], enabled: bool) -> None:
        records = ctx.records(ALARM)
        for name in names:  # names that are no alarm are passed over, as AWS does
            alarm = records.get(name)
            if alarm is not None:
                alarm["ActionsEnabled"] = enabled
                records.put(name, alarm)

    def enable_alarm_actions(self, ctx: RequestContext, alarm_names: list[str]) -> None:
        self._set_actions(ctx, alarm_names, True)

    def disable_alarm_actions(self, ctx: RequestContext, alarm_names: list[str]) -> None:
        self._set_actions(ctx, alarm_names, False)

    # -- tags ------------------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, resource_arn: str) -> dict[str, Any]:
        prefix = ctx.arn("cloudwatch", "alarm:")
        name = resource_arn.removeprefix(prefix) if resource_arn.startswith(prefix) else None
        alarm = ctx.records(ALARM).get(name) if name else None
        if alarm is None:
            raise ServiceError(
                "ResourceNotFoundException", f"The resource {resource_arn} does not exist."
            )
        return alarm

    def tag_resource(
        self, ctx: RequestContext, resource_arn: str, tags: list[dict[str, str]]
    ) -> None:
        alarm = self._tagged(ctx, resource_arn)
        merged = merge(alarm["_tags"], tags)
        if len(merged) > MAX_TAGS:
            raise ServiceError(
                "LimitExceededException", f"An alarm can have at most {MAX_TAGS} tags."
            )
        alarm["_tags"] = merged
        ctx.records(ALARM).put(alarm["AlarmName"], alarm)

    def untag_resource(self, ctx: RequestContext, resource_arn: str, tag_keys: list[str]) -> None:
        alarm = self._tagged(ctx, resource_arn)
        alarm["_tags"] = remove(alarm["_tags"], tag_keys)
        ctx.records(ALARM).put(alarm["AlarmName"], alarm)

    def list_tags_for_resource(self, ctx: RequestContext, resource_arn: str) -> dict[str, Any]:
        return {"Tags": self._tagged(ctx, resource_arn)["_tags"]}


def _member(name: str) -> str:
    """The model's member name of a snake_case parameter (``ok_actions`` → ``OKActions``)."""
    special = {"ok_actions": "OKActions", "threshold_metric_id": "ThresholdMetricId"}
    return special.get(name) or "".join(part.capitalize() for part in name.split("_"))


def _actions(alarm: dict[str, Any]) -> list[str]:
    return [*alarm["OKActions"], *alarm["AlarmActions"], *alarm["InsufficientDataActions"]]

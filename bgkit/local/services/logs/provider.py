"""The local cloud's CloudWatch Logs: log groups, log streams, and ECS task output as events.

What the kit uses — ``CreateLogGroup`` (with tags), ``PutRetentionPolicy``, ``DescribeLogGroups``,
``DeleteLogGroup``, ``DescribeLogStreams``, ``GetLogEvents`` — and the neighbours a learner tries:
``DeleteRetentionPolicy``, ``TagResource``/``UntagResource``/``ListTagsForResource`` (and the
older ``TagLogGroup``/``ListTagsLogGroup``), ``CreateLogStream``, ``DeleteLogStream``,
``PutLogEvents`` and ``FilterLogEvents`` (plain-text terms only: every term must appear; no JSON
or space-delimited patterns).

Records, per region: ``log-group`` (key: its name) holds the ``LogGroup`` shape plus ``_tags``;
``log-stream`` records are described in :mod:`.streams`, which also says how a task whose
``awslogs`` configuration names a group writes its output to a stream of it — one event a line,
stamped when the local cloud ships it.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from bgkit.errors import ServiceError
from bgkit.local.paging import Pager, Tokens
from bgkit.local.provider import Provider, RequestContext
from bgkit.local.services.logs.models import (
    GROUP,
    INVALID_TOKEN,
    STREAM,
    group_name_of,
    invalid,
    missing_group,
    missing_stream,
    ms,
    stream_arn,
    stream_key,
)
from bgkit.local.services.logs.streams import (
    accept_events,
    add_user_events,
    events_of,
    matching_events,
    offset_of,
    offset_token,
    page_events,
    ship,
)
from bgkit.local.tagging import merge, remove

__all__ = ["LogsProvider"]

GROUP_PATTERN = r"[\.\-_/#A-Za-z0-9]+"
STREAM_FORBIDDEN = re.compile(r"[:*]")
MAX_NAME = 512
#: the values PutRetentionPolicy accepts
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653)  # fmt: skip
MAX_TAGS = 50
MAX_PAGE = 50  # a page of DescribeLogGroups or DescribeLogStreams
MAX_EVENTS = 10_000
PATTERN_ONLY = ("arn", "creationTime", "logGroupName")


def _violation(value: Any, member: str, constraint: str) -> ServiceError:
    return invalid(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: Member must {constraint}"
    )


def _check_group_name(name: str, member: str = "logGroupName") -> None:
    if len(name) > MAX_NAME:
        raise _violation(name, member, f"have length less than or equal to {MAX_NAME}")
    if not re.fullmatch(GROUP_PATTERN, name):
        raise _violation(name, member, f"satisfy regular expression pattern: {GROUP_PATTERN}")


def _check_stream_name(name: str) -> None:
    if len(name) > MAX_NAME:
        raise _violation(name, "logStreamName", f"have length less than or equal to {MAX_NAME}")
    if STREAM_FORBIDDEN.search(name):
        raise _violation(name, "logStreamName", "satisfy regular expression pattern: [^:*]*")


def _check_limit(limit: int | None, most: int) -> int:
    if limit is None:
        return most
    if limit > most:
        raise _violation(limit, "limit", f"have value less than or equal to {most}")
    return limit


#: CloudWatch Logs' pages: opaque offset tokens; a limit is at most the operation's most, and
#: the most when the call names none
PAGER = Pager(
    "logs",
    lambda token: invalid(INVALID_TOKEN),
    tokens=Tokens(write=offset_token, read=offset_of, bounded=False),
    size=lambda limit: _check_limit(limit, MAX_PAGE),
    sizes={"FilterLogEvents": lambda limit: _check_limit(limit, MAX_EVENTS)},
)


class LogsProvider(Provider):
    """Amazon CloudWatch Logs: groups, streams, events (see the module docstring)."""

    service: ClassVar[str] = "logs"
    #: task output is shipped into the streams of the regions that have log groups
    advancing: ClassVar[tuple[str, ...]] = (GROUP,)

    def advance(self, ctx: RequestContext) -> None:
        ship(ctx)

    # -- groups ----------------------------------------------------------------------------------

    def _group(
        self, ctx: RequestContext, name: str | None, identifier: str | None = None
    ) -> dict[str, Any]:
        """The group a call names by ``logGroupName`` or ``logGroupIdentifier`` (name or ARN)."""
        if name is not None and identifier is not None:
            raise invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        if name is None and identifier is None:
            raise invalid("Should provide either name or ARN of log group.")
        key = name if name is not None else group_name_of(ctx, identifier)
        record = ctx.records(GROUP).get(key)
        if record is None:
            raise missing_group()
        return record

    def create_log_group(
        self,
        ctx: RequestContext,
        log_group_name: str,
        kms_key_id: str | None = None,
        tags: dict[str, str] | None = None,
        log_group_class: str | None = None,
        **others: Any,
    ) -> None:
        _check_group_name(log_group_name)
        if tags is not None and len(tags) > MAX_TAGS:
            raise _violation(tags, "tags", f"have length less than or equal to {MAX_TAGS}")
        groups = ctx.records(GROUP)
        if log_group_name in groups:
            raise ServiceError(
                "ResourceAlreadyExistsException", "The specified log group already exists"
            )
        arn = ctx.arn("logs", f"log-group:{log_group_name}")
        record: dict[str, Any] = {
            "logGroupName": log_group_name,
            "creationTime": ms(ctx.now()),
            "metricFilterCount": 0,
            "arn": f"{arn}:*",
            "logGroupArn": arn,
            "storedBytes": 0,
            "logGroupClass": log_group_class or "STANDARD",
            "_tags": dict(tags or {}),
        }
        if kms_key_id:
            record["kmsKeyId"] = kms_key_id
        groups.put(log_group_name, record)

    def describe_log_groups(
        self,
        ctx: RequestContext,
        log_group_name_prefix: str | None = None,
        log_group_name_pattern: str | None = None,
        log_group_class: str | None = None,
        log_group_identifiers: list[str] | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        # the model's logGroupIdentifiers: names (or, read whole, ARNs) of this account's groups
        wanted = {group_name_of(ctx, i) for i in log_group_identifiers or ()}
        if log_group_name_prefix is not None and log_group_name_pattern is not None:
            raise invalid(
                "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters."
            )
        if log_group_name_prefix is not None:
            _check_group_name(log_group_name_prefix, "logGroupNamePrefix")
        groups = sorted(ctx.records(GROUP).list(), key=lambda g: g["logGroupName"])
        found = [
            g
            for g in groups
            if g["logGroupName"].startswith(log_group_name_prefix or "")
            and (log_group_name_pattern or "") in g["logGroupName"]
            and (log_group_class is None or g["logGroupClass"] == log_group_class)
            and (not wanted or g["logGroupName"] in wanted)
        ]

        def show(group: dict[str, Any]) -> dict[str, Any]:
            item = {k: v for k, v in group.items() if not k.startswith("_")}
            if log_group_name_pattern is not None:  # as AWS: only these three then
                return {k: item[k] for k in PATTERN_ONLY}
            item["storedBytes"] = self._stored_bytes(ctx, group["logGroupName"])
            return item

        return PAGER.page("DescribeLogGroups", found, paging, show=show)

    def _stored_bytes(self, ctx: RequestContext, group: str) -> int:
        total = 0
        for stream in ctx.records(STREAM).list():
            if stream["_group"] == group:
                total += stream.get("_offset") or sum(len(e[2]) for e in stream.get("_events", []))
        return total

    def delete_log_group(self, ctx: RequestContext, log_group_name: str) -> None:
        _check_group_name(log_group_name)
        self._group(ctx, log_group_name)
        streams = ctx.records(STREAM)
        for stream in streams.list():
            if stream["_group"] == log_group_name:
                streams.delete(stream_key(log_group_name, stream["logStreamName"]))
        ctx.records(GROUP).delete(log_group_name)

    def put_retention_policy(
        self, ctx: RequestContext, log_group_name: str, retention_in_days: int
    ) -> None:
        if retention_in_days not in RETENTION_DAYS:
            values = ", ".join(str(d) for d in RETENTION_DAYS)
            raise _violation(
                retention_in_days, "retentionInDays", f"satisfy enum value set: [{values}]"
            )
        group = self._group(ctx, log_group_name)
        group["retentionInDays"] = retention_in_days
        ctx.records(GROUP).put(log_group_name, group)

    def delete_retention_policy(self, ctx: RequestContext, log_group_name: str) -> None:
        group = self._group(ctx, log_group_name)
        group.pop("retentionInDays", None)
        ctx.records(GROUP).put(log_group_name, group)

    # -- tags ------------------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, resource_arn: str) -> dict[str, Any]:
        prefix = ctx.arn("logs", "log-group:")
        name = group_name_of(ctx, resource_arn) if resource_arn.startswith(prefix) else None
        record = ctx.records(GROUP).get(name) if name else None
        if record is None:
            raise ServiceError(
                "ResourceNotFoundException", "The specified resource does not exist."
            )
        return record

    def _retag(self, ctx: RequestContext, group: dict[str, Any], tags: dict[str, str]) -> None:
        merged = merge(group["_tags"], tags)
        if len(merged) > MAX_TAGS:
            raise ServiceError(
                "TooManyTagsException",
                f"A resource can have no more than {MAX_TAGS} tags.",
            )
        group["_tags"] = merged
        ctx.records(GROUP).put(group["logGroupName"], group)

    def tag_resource(self, ctx: RequestContext, resource_arn: str, tags: dict[str, str]) -> None:
        self._retag(ctx, self._tagged(ctx, resource_arn), tags)

    def untag_resource(self, ctx: RequestContext, resource_arn: str, tag_keys: list[str]) -> None:
        group = self._tagged(ctx, resource_arn)
        group["_tags"] = remove(group["_tags"], tag_keys)
        ctx.records(GROUP).put(group["logGroupName"], group)

    def list_tags_for_resource(self, ctx: RequestContext, resource_arn: str) -> dict[str, Any]:
        return {"tags": self._tagged(ctx, resource_arn)["_tags"]}

    def tag_log_group(self, ctx: RequestContext, log_group_name: str, tags: dict[str, str]) -> None:
        self._retag(ctx, self._group(ctx, log_group_name), tags)

    def list_tags_log_group(self, ctx: RequestContext, log_group_name: str) -> dict[str, Any]:
        return {"tags": self._group(ctx, log_group_name)["_tags"]}

    # -- streams ---------------------------------------------------------------------------------

    def _stream(self, ctx: RequestContext, group: str, stream: str) -> dict[str, Any]:
        record = ctx.records(STREAM).get(stream_key(group, stream))
        if record is None:
            raise missing_stream()
        return record

    def create_log_stream(
        self, ctx: RequestContext, log_group_name: str, log_stream_name: str
    ) -> None:
        _check_stream_name(log_stream_name)
        self._group(ctx, log_group_name)
        ship(ctx, log_group_name)  # a task's stream counts as existing
        key = stream_key(log_group_name, log_stream_name)
        streams = ctx.records(STREAM)
        if key in streams:
            raise ServiceError(
                "ResourceAlreadyExistsException", "The specified log stream already exists"
            )
        streams.put(
            key,
            {
                "logStreamName": log_stream_name,
                "creationTime": ms(ctx.now()),
                "arn": stream_arn(ctx, log_group_name, log_stream_name),
                "storedBytes": 0,
                "_group": log_group_name,
                "_events": [],
                "_sequence": 0,
            },
        )

    def delete_log_stream(
        self, ctx: RequestContext, log_group_name: str, log_stream_name: str
    ) -> None:
        self._group(ctx, log_group_name)
        self._stream(ctx, log_group_name, log_stream_name)
        ctx.records(STREAM).delete(stream_key(log_group_name, log_stream_name))

    def describe_log_streams(
        self,
        ctx: RequestContext,
        log_group_name: str | None = None,
        log_group_identifier: str | None = None,
        log_stream_name_prefix: str | None = None,
        order_by: str | None = None,
        descending: bool | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        order_by = order_by or "LogStreamName"
        if order_by not in ("LogStreamName", "LastEventTime"):
            raise _violation(
                order_by, "orderBy", "satisfy enum value set: [LogStreamName, LastEventTime]"
            )
        if order_by == "LastEventTime" and log_stream_name_prefix is not None:
            raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        PAGER.limit("DescribeLogStreams", paging)  # refused before the group is looked up
        group = self._group(ctx, log_group_name, log_group_identifier)["logGroupName"]
        ship(ctx, group)
        streams = [
            s
            for s in ctx.records(STREAM).list()
            if s["_group"] == group and s["logStreamName"].startswith(log_stream_name_prefix or "")
        ]
        if order_by == "LastEventTime":
            streams.sort(key=lambda s: (s.get("lastEventTimestamp", 0), s["logStreamName"]))
        else:
            streams.sort(key=lambda s: s["logStreamName"])
        if descending:
            streams.reverse()
        return PAGER.page(
            "DescribeLogStreams",
            streams,
            paging,
            show=lambda s: {k: v for k, v in s.items() if not k.startswith("_")},
        )

    # -- events ----------------------------------------------------------------------------------

    def get_log_events(
        self,
        ctx: RequestContext,
        log_stream_name: str,
        log_group_name: str | None = None,
        log_group_identifier: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        next_token: str | None = None,
        limit: int | None = None,
        start_from_head: bool | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        limit = _check_limit(limit, MAX_EVENTS)
        group = self._group(ctx, log_group_name, log_group_identifier)["logGroupName"]
        ship(ctx, group)
        stream = self._stream(ctx, group, log_stream_name)
        return page_events(
            events_of(stream),
            start_time=start_time,
            end_time=end_time,
            next_token=next_token,
            limit=limit,
            start_from_head=bool(start_from_head),
        )

    def put_log_events(
        self,
        ctx: RequestContext,
        log_group_name: str,
        log_stream_name: str,
        log_events: list[dict[str, Any]],
        sequence_token: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        self._group(ctx, log_group_name)
        stream = self._stream(ctx, log_group_name, log_stream_name)
        if "_task" in stream:
            raise invalid(
                f"The log stream {log_stream_name} is written by the bgkit local cloud's ECS "
                "task logs; put your events into a stream you made with CreateLogStream."
            )
        kept, rejected = accept_events(log_events, ms(ctx.now()))
        add_user_events(stream, kept)
        stream["_sequence"] = stream.get("_sequence", 0) + 1
        stream["uploadSequenceToken"] = f"{stream['_sequence']:056d}"
        ctx.records(STREAM).put(stream_key(log_group_name, log_stream_name), stream)
        result: dict[str, Any] = {"nextSequenceToken": stream["uploadSequenceToken"]}
        if rejected:
            result["rejectedLogEventsInfo"] = rejected
        return result

    def filter_log_events(
        self,
        ctx: RequestContext,
        log_group_name: str | None = None,
        log_group_identifier: str | None = None,
        log_stream_names: list[str] | None = None,
        log_stream_name_prefix: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        filter_pattern: str | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        if log_stream_names is not None and log_stream_name_prefix is not None:
            raise invalid(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters."
            )
        PAGER.limit("FilterLogEvents", paging)  # refused before the group is looked up
        group = self._group(ctx, log_group_name, log_group_identifier)["logGroupName"]
        ship(ctx, group)
        streams = [
            s
            for s in ctx.records(STREAM).list()
            if s["_group"] == group
            and (log_stream_names is None or s["logStreamName"] in log_stream_names)
            and s["logStreamName"].startswith(log_stream_name_prefix or "")
        ]
        found = matching_events(streams, start_time, end_time, filter_pattern)
        return {
            **PAGER.page("FilterLogEvents", found, paging, show=_event),
            "searchedLogStreams": [],
        }


def _event(found: tuple[int, str, int, int, str]) -> dict[str, Any]:
    """A ``FilteredLogEvent`` from what :func:`.streams.matching_events` found."""
    stamp, name, position, ingested, message = found
    return {
        "logStreamName": name,
        "timestamp": stamp,
        "message": message,
        "ingestionTime": ingested,
        "eventId": f"{stamp:020d}{position:016d}",
    }

"""CloudWatch Logs streams of the local cloud: task output shipped as the ``awslogs`` driver does,
streams a learner makes by hand, and reading their events.

Records, per region (``ctx.records(STREAM)``), keyed ``"<group>:<stream>"`` (a group name never
holds a colon), keep the members of botocore's ``LogStream`` shape plus private bookkeeping:

- ``_group`` — the log group's name;
- a **task stream** (``_task`` is the task's ARN): ``_path`` (the task's log file, the runtime's
  ``_log_path``), ``_offset`` (bytes of it shipped), ``_lines`` (raw lines shipped), ``_segments``
  (``[[first line index, timestamp ms], …]``: when each batch of lines was shipped), ``_done`` (the
  task stopped and its whole file was shipped);
- a **user stream** (CreateLogStream): ``_events`` (``[[timestamp, ingestionTime, message], …]``
  sorted by timestamp, at most :data:`MAX_USER_EVENTS`, the oldest dropped first).

How task output becomes events. The runtime appends each task's raw output, without times, to
``<state dir>/tasks/<task id>.log``. On AWS the ``awslogs`` driver stamps each line when the
container writes it and ships it within seconds. Here the logs provider "ships" a task's new
complete lines whenever it advances (:func:`ship`: after every API call and at least every
``dataplane.RECONCILE_INTERVAL`` wall seconds, a quarter of a second) and before it answers
``DescribeLogStreams``, ``GetLogEvents`` or ``FilterLogEvents``. Every line of a batch gets the
local clock's time of that shipping as both ``timestamp`` and ``ingestionTime``: so a line's
timestamp is at most a quarter of a wall second later than the moment it was written while the
local cloud runs — and, for lines written while it did not run, the time it next saw them. The
timestamps are stored (``_segments``), so they never move afterwards, and tokens and time filters
stay stable. A partial last line waits for its newline, or for the task to stop. Empty lines are
dropped, as Docker does.

As on AWS without ``awslogs-create-group``, a task writes to its stream only if its log group
existed when it started (its ``pullStoppedAt``, else ``startedAt``, else ``createdAt``): output of a
task started before its group was created — or whose group was deleted and made again — is lost.
"""

from __future__ import annotations

import base64
import binascii
import bisect
from pathlib import Path
from typing import Any

from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.models import TASK
from bgkit.local.services.logs.models import (
    GROUP,
    INVALID_TOKEN,
    STREAM,
    invalid,
    ms,
    stream_arn,
    stream_key,
)

#: the most events a user stream keeps (PutLogEvents); older ones are dropped
MAX_USER_EVENTS = 10_000
#: the most shipping batches a task stream remembers; past it old batches are merged pairwise
MAX_SEGMENTS = 4_000
#: PutLogEvents: events older than this (ms) or newer than the next are rejected, not stored
TOO_OLD_MS = 14 * 24 * 3600 * 1000
TOO_NEW_MS = 2 * 3600 * 1000
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000
#: digits of the number in a ``f/…`` or ``b/…`` GetLogEvents token, as AWS's tokens have
TOKEN_DIGITS = 56

#: one event: (timestamp ms, ingestionTime ms, message)
Event = tuple[int, int, str]


# --- shipping task output ------------------------------------------------------------------------


def _task_start_ms(task: dict[str, Any]) -> int:
    for key in ("pullStoppedAt", "startedAt", "createdAt"):
        if task.get(key) is not None:
            return ms(float(task[key]))
    return 0


def _new_task_stream(
    ctx: RequestContext, task: dict[str, Any], group: str, stream: str
) -> dict[str, Any]:
    return {
        "logStreamName": stream,
        "creationTime": _task_start_ms(task),
        "arn": stream_arn(ctx, group, stream),
        "storedBytes": 0,
        "_group": group,
        "_task": task["taskArn"],
        "_path": task["_log_path"],
        "_offset": 0,
        "_lines": 0,
        "_segments": [],
        "_done": False,
    }


def _merge_old_segments(segments: list[list[int]]) -> list[list[int]]:
    """Halve the resolution of the older half: each odd batch joins the one before it."""
    half = len(segments) // 2
    return [s for i, s in enumerate(segments[:half]) if i % 2 == 0] + segments[half:]


def _ship_file(record: dict[str, Any], now_ms: int, final: bool) -> bool:
    """Ship the new complete lines of a task's log file (all of it when ``final``); whether the
    record changed."""
    path = Path(record["_path"])
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            file.seek(record["_offset"])
            fresh = file.read(max(0, size - record["_offset"]))
    except FileNotFoundError:
        fresh = b""
    if not final:
        fresh = fresh[: fresh.rfind(b"\n") + 1]
    changed = False
    if fresh:
        lines = fresh.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        batch = [line.rstrip(b"\r") for line in lines]
        if any(batch):
            record["lastIngestionTime"] = now_ms
            record.setdefault("firstEventTimestamp", now_ms)
            record["lastEventTimestamp"] = now_ms
        record["_segments"].append([record["_lines"], now_ms])
        if len(record["_segments"]) > MAX_SEGMENTS:
            record["_segments"] = _merge_old_segments(record["_segments"])
        record["_lines"] += len(lines)
        record["_offset"] += len(fresh)
        changed = True
    if final and not record["_done"]:
        record["_done"] = changed = True
    return changed


def ship(ctx: RequestContext, group: str | None = None) -> None:
    """Ship new task output into the task streams of this region (of one group when named)."""
    groups = {g["logGroupName"]: g for g in ctx.records(GROUP).list()}
    if group is not None:
        groups = {group: groups[group]} if group in groups else {}
    if not groups:
        return
    streams = ctx.records(STREAM)
    now_ms = ms(ctx.now())
    for task in ctx.records(TASK).list():
        log = task.get("_log") or {}
        name, stream = log.get("group"), log.get("stream")
        if name not in groups or not stream or not task.get("_log_path"):
            continue
        key = stream_key(name, stream)
        record = streams.get(key)
        if record is None:
            if groups[name]["creationTime"] > _task_start_ms(task):
                continue  # the group did not exist when the task started: its output is lost
            record = _new_task_stream(ctx, task, name, stream)
            streams.put(key, record)
        if record.get("_task") != task["taskArn"] or record.get("_done"):
            continue
        if _ship_file(record, now_ms, final=task.get("lastStatus") == "STOPPED"):
            streams.put(key, record)


# --- reading events ------------------------------------------------------------------------------


def events_of(record: dict[str, Any]) -> list[Event]:
    """Every event of a stream, oldest first."""
    if "_task" not in record:
        return [(int(t), int(i), str(m)) for t, i, m in record.get("_events", [])]
    try:
        with Path(record["_path"]).open("rb") as file:
            shipped = file.read(record["_offset"])
    except FileNotFoundError:
        return []
    lines = shipped.split(b"\n")[: record["_lines"]]
    starts = [first for first, _ in record["_segments"]]
    events = []
    for index, raw in enumerate(lines):
        line = raw.rstrip(b"\r")
        if not line:
            continue
        at = record["_segments"][max(0, bisect.bisect_right(starts, index) - 1)][1]
        events.append((at, at, line.decode("utf-8", errors="replace")))
    return events


def add_user_events(record: dict[str, Any], events: list[Event]) -> None:
    """Store events put by PutLogEvents, kept sorted by timestamp and bounded."""
    stored = [tuple(e) for e in record.get("_events", [])] + events
    stored.sort(key=lambda e: e[0])  # stable: equal timestamps keep their order
    record["_events"] = [list(e) for e in stored[-MAX_USER_EVENTS:]]
    if record["_events"]:
        record["firstEventTimestamp"] = record["_events"][0][0]
        record["lastEventTimestamp"] = record["_events"][-1][0]
        record["lastIngestionTime"] = max(e[1] for e in record["_events"])


def accept_events(
    log_events: list[dict[str, Any]], now_ms: int
) -> tuple[list[Event], dict[str, int]]:
    """The events of a PutLogEvents batch to keep, and the ``rejectedLogEventsInfo``.

    Raises:
        ServiceError: ``InvalidParameterException`` for a batch out of chronological order or
            spanning more than 24 hours, as AWS refuses them.
    """
    times = [int(e["timestamp"]) for e in log_events]
    if times != sorted(times):
        raise invalid("Log events in a single PutLogEvents request must be in chronological order.")
    if times[-1] - times[0] > MAX_BATCH_SPAN_MS:
        raise invalid(
            "The batch of log events in a single PutLogEvents request cannot span more "
            "than 24 hours."
        )
    rejected: dict[str, int] = {}
    kept = []
    for index, event in enumerate(log_events):
        stamp = int(event["timestamp"])
        if stamp < now_ms - TOO_OLD_MS:
            rejected["tooOldLogEventEndIndex"] = index
        elif stamp > now_ms + TOO_NEW_MS:
            rejected.setdefault("tooNewLogEventStartIndex", index)
        else:
            kept.append((stamp, now_ms, str(event["message"])))
    return kept, rejected


def matching_events(
    streams: list[dict[str, Any]],
    start_time: int | None,
    end_time: int | None,
    pattern: str | None,
) -> list[tuple[int, str, int, int, str]]:
    """FilterLogEvents' search: ``(timestamp, stream, position, ingestionTime, message)`` of the
    events of ``streams`` in ``[start_time, end_time]`` whose message holds every plain-text term
    of ``pattern`` (double quotes around a term are dropped), by time then stream."""
    terms = [t.strip('"') for t in (pattern or "").split() if t.strip('"')]
    found = []
    for stream in streams:
        for position, (stamp, ingested, message) in enumerate(events_of(stream)):
            if start_time is not None and stamp < start_time:
                continue
            if end_time is not None and stamp > end_time:
                continue
            if all(term in message for term in terms):
                found.append((stamp, stream["logStreamName"], position, ingested, message))
    return sorted(found)


def _token(direction: str, position: int) -> str:
    return f"{direction}/{position:0{TOKEN_DIGITS}d}"


def _parse_token(token: str) -> tuple[str, int]:
    direction, _, number = token.partition("/")
    if direction not in ("f", "b") or not number.isdigit():
        raise invalid(INVALID_TOKEN)
    return direction, int(number)


def page_events(
    events: list[Event],
    *,
    start_time: int | None,
    end_time: int | None,
    next_token: str | None,
    limit: int,
    start_from_head: bool,
) -> dict[str, Any]:
    """One page of GetLogEvents.

    Positions count events of the whole stream, so they hold while it grows: ``f/N`` reads
    forward from event ``N``, ``b/N`` backward from just before ``N``. A page of events ``i…j``
    gives ``b/i`` and ``f/j+1``; an empty page gives back the token it was asked with, which is how
    AWS says "the end" (and how a reader polls a stream for new events).
    """
    wanted = [
        position
        for position, event in enumerate(events)
        if (start_time is None or event[0] >= start_time)
        and (end_time is None or event[0] < end_time)
    ]
    if next_token is not None:
        direction, position = _parse_token(next_token)
        position = min(position, len(events))
    else:
        direction, position = ("f", 0) if start_from_head else ("b", len(events))
    if direction == "f":
        chosen = [p for p in wanted if p >= position][:limit]
    else:
        chosen = [p for p in wanted if p < position][-limit:] if limit else []
    if chosen:
        first, after = chosen[0], chosen[-1] + 1
    else:
        first = after = position
    return {
        "events": [
            {"timestamp": events[p][0], "message": events[p][2], "ingestionTime": events[p][1]}
            for p in chosen
        ],
        "nextForwardToken": _token("f", after),
        "nextBackwardToken": _token("b", first),
    }


# --- opaque offset tokens of the listing operations ---------------------------------------------


def offset_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"bgkit:{offset}".encode()).decode()


def offset_of(token: str) -> int | None:
    """The offset an :func:`offset_token` holds, or ``None`` for a token it did not write."""
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, number = text.partition(":")
    if prefix != "bgkit" or not number.isdecimal():
        return None
    return int(number)

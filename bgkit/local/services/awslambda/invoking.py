"""Invoking a function: what ``Invoke`` checks and records, and shipping invocation logs.

``Invoke`` never runs anything: it checks the call as Lambda does (the function, its qualifier,
the payload's size and JSON, the account's concurrency) and writes a ``lambda-invocation`` record
in state ``Queued`` (:mod:`.models`). The data plane runs it as a process of its own
(:mod:`bgkit.local.dataplane.functions`); for ``RequestResponse`` the endpoint awaits that, for
``Event`` the call answers 202 at once. :func:`queue_invocation` is also what another service of
the local cloud uses to invoke a function asynchronously (CodeDeploy's and ECS's hooks), through
``ctx.call("lambda", "Invoke", caller=…, function_name=…, invocation_type="Event", payload=…)``,
whose result carries the invocation's request id under ``_request_id`` (not a member of the output
shape, so it never reaches the wire); ``models.invocation_outcome`` reads how it ended.

Logs: once an invocation has finished, the provider's ``advance`` puts its log into the function's
log group ``/aws/lambda/<name>`` (created when missing, as Lambda does with the basic execution
role), one stream an invocation (each runs in a fresh execution environment here), with CloudWatch
Logs' own ``PutLogEvents`` through ``ctx.call``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.awslambda.models import (
    AWAITED,
    CONCURRENCY,
    FINISHED,
    function_arn,
    function_name_of,
    invocations,
    require_function,
    stream_name,
)

__all__ = ["invoke", "queue_invocation", "ship_logs"]

LAMBDA = "lambda.amazonaws.com"
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 1024 * 1024
#: finished invocations kept in a region (older ones, once their logs are shipped, are dropped)
KEEP_FINISHED = 200
#: what an invocation snapshots of its function
SNAPSHOT = ("FunctionName", "FunctionArn", "Runtime", "Handler", "Timeout", "MemorySize", "Role")


def _payload(payload: bytes | None, limit: int) -> bytes:
    data = payload or b""
    if len(data) > limit:
        raise ServiceError(
            "RequestTooLargeException",
            f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
        )
    if data.strip():
        try:
            json.loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise ServiceError(
                "InvalidRequestContentException",
                f"Could not parse request body into json: Could not parse payload into json: "
                f"{error}",
            ) from None
    return data if data.strip() else b"{}"


def _busy(ctx: RequestContext) -> int:
    return sum(
        1
        for r in invocations(ctx).list()
        if r["state"] == "Running" or (r["state"] == "Queued" and r["type"] == "RequestResponse")
    )


def queue_invocation(
    ctx: RequestContext, function: dict[str, Any], kind: str, payload: bytes, log_type: str
) -> str:
    """Record one invocation of ``function``, ``Queued``; its request id."""
    request_id = ctx.ids.uuid("lambda-request")
    record = {key: function.get(key) for key in SNAPSHOT}
    record.update(
        {
            "request_id": request_id,
            "_code": function["_code"],
            "Environment": (function.get("Environment") or {}).get("Variables") or {},
            "payload": base64.b64encode(payload).decode("ascii"),
            "type": kind,
            "log_type": log_type,
            "caller": ctx.caller,
            "state": "Queued",
            "attempt": 1,
            "not_before": ctx.now(),
            "created": ctx.now(),
            "region": ctx.region,
            "account": ctx.account,
            "log": [],
            "shipped": False,
        }
    )
    invocations(ctx).put(request_id, record)
    return request_id


def invoke(
    ctx: RequestContext,
    function_name: str,
    invocation_type: str | None,
    log_type: str | None,
    payload: bytes | None,
    qualifier: str | None,
) -> dict[str, Any]:
    """``Invoke``: checked and recorded; for ``RequestResponse``, a result the endpoint awaits."""
    function = require_function(ctx, function_name)
    name = function["FunctionName"]
    qualifier = qualifier or function_name_of(function_name)[1]
    if qualifier not in (None, "$LATEST"):
        raise ServiceError(
            "ResourceNotFoundException",
            f"Function not found: {function_arn(ctx, name)}:{qualifier}",
        )
    kind = invocation_type or "RequestResponse"
    if kind not in ("RequestResponse", "Event", "DryRun"):
        raise ServiceError(
            "InvalidParameterValueException",
            f"Unsupported invocation type {kind}: use RequestResponse, Event or DryRun.",
        )
    data = _payload(payload, MAX_ASYNC_PAYLOAD if kind == "Event" else MAX_SYNC_PAYLOAD)
    if kind == "DryRun":
        return {"StatusCode": 204}
    if kind == "RequestResponse" and _busy(ctx) >= CONCURRENCY:
        raise ServiceError(
            "TooManyRequestsException",
            "Rate Exceeded.",
            status=429,
        )
    request_id = queue_invocation(
        ctx, function, kind, data, (log_type or "None") if kind == "RequestResponse" else "None"
    )
    if kind == "Event":
        return {"StatusCode": 202, "_request_id": request_id}
    return {"StatusCode": 200, "ExecutedVersion": "$LATEST", AWAITED: request_id}


def _log_call(ctx: RequestContext, operation: str, **params: Any) -> None:
    try:
        ctx.call("logs", operation, caller=LAMBDA, **params)
    except ServiceError as error:
        if error.code != "ResourceAlreadyExistsException":
            raise


def ship_logs(ctx: RequestContext) -> None:
    """Put the logs of finished invocations into their groups; drop the oldest finished ones."""
    records = invocations(ctx)
    finished = sorted(
        (r for r in records.list() if r["state"] in FINISHED), key=lambda r: r["created"]
    )
    for record in finished:
        if record["shipped"]:
            continue
        group = f"/aws/lambda/{record['FunctionName']}"
        stream = stream_name(record)
        events = [{"timestamp": int(at), "message": line} for at, line in record["log"] if line]
        _log_call(ctx, "CreateLogGroup", log_group_name=group)
        _log_call(ctx, "CreateLogStream", log_group_name=group, log_stream_name=stream)
        if events:
            ctx.call(
                "logs",
                "PutLogEvents",
                caller=LAMBDA,
                log_group_name=group,
                log_stream_name=stream,
                log_events=events,
            )
        record["shipped"] = True
        record["log"] = []  # CloudWatch Logs has it now; the record stays small
        records.put(record["request_id"], record)
    for record in finished[: max(0, len(finished) - KEEP_FINISHED)]:
        if record["shipped"]:
            records.delete(record["request_id"])

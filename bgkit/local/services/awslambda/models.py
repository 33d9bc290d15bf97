"""Lambda records: their kinds, keys and ARNs, finding a function, and an invocation's answer.

Records, per region:

- ``lambda-function``, keyed by the function's name: the ``FunctionConfiguration`` shape's members
  plus ``Tags``, ``_policy`` (the resource-based policy's statements, AddPermission) and ``_code``
  (the SHA-256 of its deployment package, the key of its ``lambda-code`` record);
- ``lambda-code``, keyed by a package's SHA-256: ``{"zip": base64 of the zip}``, shared by the
  functions whose code it is, deleted with the last of them;
- ``lambda-invocation``, keyed by the invocation's request id: one ``Invoke`` — what to run (a
  snapshot of the function: ``_code``, ``Handler``, ``Runtime``, ``Timeout``, ``MemorySize``,
  ``Environment``, ``Role``, ``FunctionArn``), the event (``payload``, base64), ``type``
  (``RequestResponse`` or ``Event``), ``log_type``, and its course (:data:`STATES`).

An invocation moves on by a transition table shared by the provider (which creates it) and the
data plane (which runs it, :mod:`bgkit.local.dataplane.functions`):

==============  =================================================================================
``state``       meaning
==============  =================================================================================
``Queued``      accepted; the data plane starts it once ``not_before`` (local clock) has passed
                and fewer than :data:`CONCURRENCY` invocations run
``Running``     its process runs (``pid``, ``pid_start``, ``started``, ``deadline`` in wall seconds)
``Succeeded``   the handler returned: ``result`` (base64 of the JSON it returned)
``Failed``      the handler raised, timed out or could not start: ``result`` is AWS's error
                payload, ``function_error`` ``Unhandled``; an ``Event`` invocation is queued
                again while it has retries left (:data:`ASYNC_RETRY_DELAYS`)
==============  =================================================================================

Invoking from another service (the hooks of CodeDeploy and ECS): call Lambda's own operation,
``ctx.call("lambda", "Invoke", caller="codedeploy.amazonaws.com", function_name=…,
invocation_type="Event", payload=json.dumps(event).encode())`` — the same checks as a user's
call, a 404 for a missing function — and keep ``result["_request_id"]``; on each ``advance``, read
:func:`invocation_outcome` (``None`` while it is unknown; ``state`` ``Queued``/``Running`` while it
runs; ``Succeeded`` with the function's return value as JSON text, which is what ECS's lifecycle
hooks read, or ``Failed`` with AWS's error payload). The function's ``Timeout`` is wall seconds;
a hook's own timeout (one hour) belongs to the calling engine, on the local clock.

A finished invocation keeps its log (``log``: ``[[local ms, line], …]`` with START, END and
REPORT) until the Lambda provider has shipped it to CloudWatch Logs (``shipped``), and the
base64 of its last 4 KB (``tail``, what ``X-Amz-Log-Result`` carries) for as long as it is kept.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.ids import parse_arn
from bgkit.local.provider import Records, RequestContext

__all__ = [
    "ASYNC_RETRY_DELAYS",
    "AWAITED",
    "CODE",
    "CONCURRENCY",
    "FINISHED",
    "FUNCTION",
    "INVOCATION",
    "LOG_TAIL_BYTES",
    "STATES",
    "code_records",
    "function_arn",
    "function_name_of",
    "functions",
    "invocation_outcome",
    "invocations",
    "invoke_result",
    "log_tail",
    "not_found",
    "require_function",
    "stream_name",
]

FUNCTION = "lambda-function"
CODE = "lambda-code"
INVOCATION = "lambda-invocation"
STATES = ("Queued", "Running", "Succeeded", "Failed")
FINISHED = ("Succeeded", "Failed")
#: the result key with which Invoke (RequestResponse) asks the endpoint to await the data plane
AWAITED = "_invocation"
#: concurrent executions of the account: AWS's quota for a new account is 10
CONCURRENCY = 10
#: local seconds before each retry of a failed asynchronous invocation (AWS: 2 retries, about
#: one and two minutes apart)
ASYNC_RETRY_DELAYS = (60.0, 120.0)
#: how much of the end of the log ``X-Amz-Log-Result`` carries
LOG_TAIL_BYTES = 4096


def functions(ctx: RequestContext) -> Records:
    """This region's function records, keyed by function name."""
    return ctx.records(FUNCTION)


def code_records(ctx: RequestContext) -> Records:
    """This region's deployment packages, keyed by SHA-256 (hex)."""
    return ctx.records(CODE)


def invocations(ctx: RequestContext) -> Records:
    """This region's invocation records, keyed by request id."""
    return ctx.records(INVOCATION)


def function_arn(ctx: RequestContext, name: str) -> str:
    """``arn:aws:lambda:<region>:<account>:function:<name>``."""
    return ctx.arn("lambda", f"function:{name}")


def function_name_of(identifier: str) -> tuple[str, str | None]:
    """A function's name and qualifier from a name, a partial ARN or an ARN.

    ``my-function``, ``123456789012:function:my-function`` and
    ``arn:aws:lambda:us-east-1:123456789012:function:my-function:$LATEST`` name the same
    function; the last with the qualifier ``$LATEST``.
    """
    parts = parse_arn(identifier)
    if parts is not None:
        resource = parts["resource"]
    elif ":function:" in identifier:
        resource = identifier.split(":", 1)[1]
    else:
        return identifier, None
    pieces = resource.split(":")
    if len(pieces) >= 2 and pieces[0] == "function":
        return pieces[1], pieces[2] if len(pieces) > 2 else None
    return identifier, None


def not_found(ctx: RequestContext, name: str) -> ServiceError:
    """Lambda's refusal of a function that does not exist (HTTP 404)."""
    return ServiceError(
        "ResourceNotFoundException", f"Function not found: {function_arn(ctx, name)}"
    )


def require_function(ctx: RequestContext, identifier: str) -> dict[str, Any]:
    """The function record named by ``identifier`` (name or ARN), or Lambda's 404."""
    name, _qualifier = function_name_of(identifier)
    record = functions(ctx).get(name)
    if record is None:
        raise not_found(ctx, name)
    return record


def stream_name(record: dict[str, Any]) -> str:
    """An invocation's log stream, ``2024/05/06/[$LATEST]<32 hex>``: one an invocation, as each
    runs in an execution environment of its own here."""
    day = datetime.datetime.fromtimestamp(record["created"], datetime.timezone.utc)
    return f"{day:%Y/%m/%d}/[$LATEST]{record['request_id'].replace('-', '')}"


def log_tail(record: dict[str, Any]) -> str:
    """The base64 of the last :data:`LOG_TAIL_BYTES` of an invocation's log, as
    ``X-Amz-Log-Result`` carries it."""
    text = "".join(f"{line}\n" for _at, line in record.get("log", [])).encode("utf-8")
    return base64.b64encode(text[-LOG_TAIL_BYTES:]).decode("ascii")


def invoke_result(record: dict[str, Any]) -> dict[str, Any]:
    """The ``Invoke`` output (RequestResponse) of a finished invocation record."""
    result: dict[str, Any] = {
        "StatusCode": 200,
        "ExecutedVersion": "$LATEST",
        "Payload": base64.b64decode(record.get("result") or ""),
    }
    if record.get("function_error"):
        result["FunctionError"] = record["function_error"]
    if record.get("log_type") == "Tail":
        result["LogResult"] = record.get("tail") or log_tail(record)
    return result


def invocation_outcome(ctx: RequestContext, request_id: str) -> dict[str, Any] | None:
    """How an invocation stands: ``{"state", "function_error", "result"}`` (the result is the
    function's answer as JSON text, or AWS's error payload), or ``None`` when unknown."""
    record = invocations(ctx).get(request_id)
    if record is None:
        return None
    result = base64.b64decode(record.get("result") or "").decode("utf-8", "replace")
    return {
        "state": record["state"],
        "function_error": record.get("function_error"),
        "result": result if record["state"] in FINISHED else None,
    }

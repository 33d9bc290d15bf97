"""The Python runtime of a local Lambda invocation: run as a script inside the function's process.

The data plane starts ``python lambda_runtime.py <invocation dir>`` in the function's code
directory (Lambda's ``/var/task``), with the environment Lambda sets. This script does what
Lambda's Python runtime interface does for one invocation: puts the code directory first on
``sys.path`` (and this script's folder off it, so the function imports nothing of bgkit), installs
the runtime's log handler (``[LEVEL]\\t<time>\\t<request id>\\t<message>``), imports the handler
module, calls ``handler(event, context)`` and writes the outcome to ``result.json`` in the
invocation directory: ``{"ok": true, "payload": <JSON text>}`` or ``{"ok": false, "payload":
<AWS's error payload>}`` — ``errorMessage``, ``errorType``, ``requestId``, ``stackTrace``, with
the runtime's own error types (``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``,
``Runtime.UserCodeSyntaxError``, ``Runtime.MarshalError``).

It imports only the standard library: it runs with the local interpreter, as the function does,
and anything it imported would be importable by the function.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any


class LambdaContext:
    """The ``context`` a handler gets, with the members Lambda's Python runtime gives."""

    def __init__(self, facts: dict[str, Any]) -> None:
        self.aws_request_id: str = facts["request_id"]
        self.function_name: str = facts["function_name"]
        self.function_version: str = "$LATEST"
        self.invoked_function_arn: str = facts["function_arn"]
        self.memory_limit_in_mb: int = int(facts["memory_size"])
        self.log_group_name: str = facts["log_group"]
        self.log_stream_name: str = facts["log_stream"]
        self.identity = None
        self.client_context = None
        self._deadline_ms: int = int(facts["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, self._deadline_ms - int(time.time() * 1000))


class _RequestIdFilter(logging.Filter):
    def __init__(self, request_id: str) -> None:
        super().__init__()
        self.request_id = request_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _install_logging(request_id: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter(request_id))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def _error(kind: str, message: str, request_id: str, stack: list[str]) -> dict[str, Any]:
    return {
        "errorMessage": message,
        "errorType": kind,
        "requestId": request_id,
        "stackTrace": stack,
    }


def _report(error: dict[str, Any], trace: str = "") -> None:
    """The runtime's log line for an error, as Lambda writes it."""
    print(f"[ERROR] {error['errorType']}: {error['errorMessage']}", flush=True)
    if trace:
        print(trace.rstrip("\n"), flush=True)


def _handler(spec: str, request_id: str) -> Any:
    """The handler function, or an error payload."""
    module_name, _, function_name = spec.rpartition(".")
    module_name = module_name.replace("/", ".")
    if not module_name or not function_name:
        return _error(
            "Runtime.MalformedHandlerName",
            f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)",
            request_id,
            [],
        )
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as error:
        name = Path(error.filename or "").name
        return _error(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {error.msg} ({name}, line {error.lineno})",
            request_id,
            [],
        )
    except ImportError as error:
        return _error(
            "Runtime.ImportModuleError",
            f"Unable to import module '{module_name}': {error}",
            request_id,
            [],
        )
    function = getattr(module, function_name, None)
    if function is None:
        return _error(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
            request_id,
            [],
        )
    return function


def run(invocation_dir: Path) -> dict[str, Any]:
    """One invocation; its outcome, as ``result.json`` holds it."""
    facts = json.loads((invocation_dir / "context.json").read_text())
    request_id = facts["request_id"]
    _install_logging(request_id)
    event = json.loads((invocation_dir / "event.json").read_bytes() or b"{}")
    handler = _handler(facts["handler"], request_id)
    if isinstance(handler, dict):
        _report(handler)
        return {"ok": False, "payload": handler}
    try:
        answer = handler(event, LambdaContext(facts))
    except Exception as error:
        frames = traceback.extract_tb(error.__traceback__)[1:]
        payload = _error(
            type(error).__name__, str(error), request_id, traceback.format_list(frames)
        )
        _report(payload, "Traceback (most recent call last):\n" + "".join(payload["stackTrace"]))
        return {"ok": False, "payload": payload}
    try:
        text = json.dumps(answer)
    except (TypeError, ValueError) as error:
        payload = _error(
            "Runtime.MarshalError", f"Unable to marshal response: {error}", request_id, []
        )
        _report(payload)
        return {"ok": False, "payload": payload}
    return {"ok": True, "payload": text}


def main() -> None:
    invocation_dir = Path(sys.argv[1])
    # The function's code directory comes first, and nothing of bgkit is importable.
    sys.path[0] = os.getcwd()
    outcome = run(invocation_dir)
    sys.stdout.flush()
    target = invocation_dir / "result.json"
    partial = invocation_dir / "result.json.partial"
    partial.write_text(json.dumps(outcome))
    partial.replace(target)


if __name__ == "__main__":
    main()

"""One Lambda invocation on this machine: its folder, its process's environment, its output.

What :mod:`.functions` needs to start and watch one invocation, apart from the component's
bookkeeping: the :class:`Run` it watches, the code unzipped once a package (:func:`unzip`, run off
the event loop), the ``context.json`` facts and the environment Lambda sets (:func:`facts`,
:func:`environment`), the output lines read as they come (:func:`read_output`), and a killed
process reaped (:func:`reap`).
"""

from __future__ import annotations

import contextlib
import datetime
import io
import shutil
import subprocess
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bgkit.local.dataplane.processes import TaskProcess
from bgkit.local.process import DUMMY_CREDENTIALS
from bgkit.local.services.awslambda.models import stream_name

__all__ = [
    "LAMBDA_DIR",
    "MAX_LOG_LINES",
    "RUNTIME",
    "Run",
    "environment",
    "facts",
    "iso",
    "ms",
    "peak_rss_kb",
    "read_output",
    "reap",
    "unzip",
]

RUNTIME = Path(__file__).with_name("lambda_runtime.py")
LAMBDA_DIR = "lambda"
#: the most log lines an invocation keeps (later lines are dropped)
MAX_LOG_LINES = 10_000


@dataclass
class Run:
    """One invocation's process, as the data plane watches it."""

    partition: str
    key: str
    directory: Path
    process: TaskProcess
    deadline: float
    started: float
    timeout: int
    lines: list[list[Any]] = field(default_factory=list)
    offset: int = 0
    max_rss_kb: int = 0


def ms(seconds: float) -> int:
    return int(seconds * 1000)


def iso(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def peak_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def unzip(package: bytes, target: Path) -> None:
    """Unzip a package into ``target`` once (into a fresh folder, then renamed)."""
    if target.is_dir():
        return
    partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.partial")
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        archive.extractall(partial)
    try:
        partial.rename(target)
    except OSError:  # another pass unzipped it first
        shutil.rmtree(partial, ignore_errors=True)


def facts(record: dict[str, Any], now_wall: float) -> dict[str, Any]:
    """What ``context.json`` tells the runtime of the invocation."""
    name = record["FunctionName"]
    return {
        "request_id": record["request_id"],
        "function_name": name,
        "function_arn": record["FunctionArn"],
        "memory_size": record["MemorySize"],
        "handler": record["Handler"],
        "log_group": f"/aws/lambda/{name}",
        "log_stream": stream_name(record),
        "deadline_ms": ms(now_wall + record["Timeout"]),
    }


def environment(
    record: dict[str, Any], facts: dict[str, Any], code_dir: Path, endpoint_url: str
) -> dict[str, str]:
    """The environment Lambda gives the function's process, with credentials and the local
    cloud's endpoint."""
    region = record["region"]
    env = {key: str(value) for key, value in (record.get("Environment") or {}).items()}
    env.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{record['Runtime']}",
            "AWS_LAMBDA_FUNCTION_NAME": record["FunctionName"],
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(record["MemorySize"]),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": facts["log_group"],
            "AWS_LAMBDA_LOG_STREAM_NAME": facts["log_stream"],
            "_HANDLER": record["Handler"],
            "LAMBDA_TASK_ROOT": str(code_dir),
            "LAMBDA_RUNTIME_DIR": str(RUNTIME.parent),
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
            "AWS_SESSION_TOKEN": "bgkit-local-session",
            "AWS_ENDPOINT_URL": endpoint_url,
        }
    )
    return env


def read_output(run: Run, now_ms: int, final: bool = False) -> None:
    """Add the new complete lines of the process's output (all of it when ``final``), stamped
    ``now_ms`` of the local clock."""
    try:
        with (run.directory / "output.log").open("rb") as file:
            file.seek(run.offset)
            fresh = file.read()
    except FileNotFoundError:
        return
    if not final:
        fresh = fresh[: fresh.rfind(b"\n") + 1]
    if not fresh:
        return
    run.offset += len(fresh)
    at = now_ms
    for line in fresh.decode("utf-8", "replace").splitlines():
        if len(run.lines) < MAX_LOG_LINES:
            run.lines.append([at, line.rstrip("\r")])


#: wall seconds :func:`reap` waits for a killed process to exit
REAP_TIMEOUT = 5.0


def reap(process: TaskProcess, timeout: float = REAP_TIMEOUT) -> None:
    """Wait for a killed child to exit, so that it is reaped (``SIGKILL`` ends it at once; a
    process in uninterruptible sleep past ``timeout`` is left to the system)."""
    assert process.popen is not None
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.popen.wait(timeout)

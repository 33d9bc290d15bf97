"""Managing the local cloud's background process: start, status, stop, reset.

Light on purpose: the ``bgkit`` command and :func:`bgkit.connect` use it to start or find the
local cloud without importing the local cloud itself (its server, aiohttp and the providers load
only in the process that serves). The background process writes ``local-cloud.json`` (pid,
port, …) in its state directory once it answers, and removes it when it stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import time
import urllib.request
from collections.abc import Collection
from pathlib import Path
from typing import Any

from bgkit.config import Settings
from bgkit.errors import LocalCloudError, NotRunningError, PortInUseError

STATE_FILE = "state.sqlite3"
PID_FILE = "local-cloud.json"
LOG_FILE = "local-cloud.log"
DUMMY_CREDENTIALS = {"aws_access_key_id": "bgkit", "aws_secret_access_key": "bgkit"}
#: the folder of the state directory that holds one log file a task (``<task id>.log``)
TASKS_DIR = "tasks"
#: where the endpoint tells about itself (no credentials needed; a page cannot read it cross-origin)
STATUS_PATH = "/_bgkit/status"


def prepare_state_dir(state_dir: Path) -> Path:
    """Create the state directory, private to the user (0700)."""
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(0o700)
    return state_dir


def port_in_use_message(port: int) -> str:
    return f"port {port} is in use — is another local cloud running? see `bgkit local status`"


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(avoid: Collection[int] = ()) -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now.

    Args:
        avoid: ports already promised to other processes that may not listen yet.
    """
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in avoid:
            return port
    raise OSError("no free TCP port on 127.0.0.1")


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a child of ours that exited is reaped, not counted)."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_status(settings: Settings) -> dict[str, Any] | None:
    """What the running local cloud of ``settings.state_dir`` says of itself, or ``None``."""
    pid_file = Path(settings.state_dir) / PID_FILE
    try:
        recorded = json.loads(pid_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if not pid_alive(recorded["pid"]):
        return None
    live = fetch_status(recorded["endpoint"])
    return live if live and live.get("pid") == recorded["pid"] else None


def fetch_status(endpoint: str, timeout: float = 2.0) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(endpoint + STATUS_PATH, timeout=timeout) as answer:
            return json.loads(answer.read())
    except (OSError, ValueError):
        return None


def start_background(settings: Settings, timeout: float = 30.0) -> dict[str, Any]:
    """Start the local cloud as its own background process; return its status once it answers.

    Raises:
        PortInUseError: the port is taken by something else.
        LocalCloudError: it did not answer within ``timeout`` (its log says why).
    """
    running = read_status(settings)
    if running is not None:
        return running
    if not port_is_free(settings.local_port):
        raise PortInUseError(port_in_use_message(settings.local_port))
    state_dir = prepare_state_dir(Path(settings.state_dir))
    log_path = state_dir / LOG_FILE
    # posix_spawn rather than Popen: the server outlives this process and is never waited for.
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        pid = os.posix_spawn(
            sys.executable,
            [sys.executable, "-m", "bgkit.local", *server_arguments(settings)],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log_fd, 1),
                (os.POSIX_SPAWN_DUP2, log_fd, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(log_fd)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise LocalCloudError(f"the local cloud exited as it started; see {log_path}")
        status = read_status(settings)
        if status is not None and status["pid"] == pid:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGTERM)
    raise LocalCloudError(f"the local cloud did not answer within {timeout:.0f} s; see {log_path}")


def server_arguments(settings: Settings) -> list[str]:
    return [
        "--port", str(settings.local_port),
        "--state-dir", str(settings.state_dir),
        "--listener-offset", str(settings.listener_offset),
        "--clock", str(settings.clock),
    ]  # fmt: skip


def stop_background(settings: Settings, timeout: float = 30.0) -> int:
    """Stop the background local cloud of ``settings.state_dir``; return the pid it had.

    Raises:
        NotRunningError: none runs there.
    """
    pid_file = Path(settings.state_dir) / PID_FILE
    try:
        pid = json.loads(pid_file.read_text())["pid"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        raise NotRunningError(f"no local cloud runs with state in {settings.state_dir}") from None
    if not pid_alive(pid):
        pid_file.unlink(missing_ok=True)
        raise NotRunningError(f"no local cloud runs with state in {settings.state_dir}")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return pid


def reset_state(settings: Settings) -> bool:
    """Stop the local cloud if it runs and delete its state; whether there was state."""
    with contextlib.suppress(NotRunningError):
        stop_background(settings)
    state_dir = Path(settings.state_dir)
    if not state_dir.exists():
        return False
    shutil.rmtree(state_dir)
    return True


def task_logs_dir(settings: Settings) -> Path:
    """Where the task processes of the local cloud of ``settings`` write their output."""
    return Path(settings.state_dir) / TASKS_DIR

"""Managing the local cloud's background process: start, status, stop, reset.

Light on purpose: the ``bgkit`` command and :func:`bgkit.connect` use it to start or find the
local cloud without importing the local cloud itself (its server, aiohttp and the providers load
only in the process that serves). The background process writes ``local-cloud.json`` (pid, its
start time, port, …) in its state directory once it answers, and removes it when it stops.

Only its own process and files are touched: a recorded pid is signalled only while it is still
that local cloud (:func:`is_local_cloud`: the same start time, a bgkit command line), ``reset``
deletes only the files a local cloud makes (:data:`MADE`) and says which others it left, and an
existing state directory keeps its mode (a new one is 0700, its files 0600). The task processes
a local cloud recorded (each tree known by its token, :mod:`bgkit.local.trees`) are ended by
``down`` and ``reset`` whatever happened before (:func:`end_orphans`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import sys
import time
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass, field
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
#: the files a local cloud makes in its state directory (glob patterns), all ``reset`` deletes
MADE = (
    STATE_FILE,
    f"{STATE_FILE}-wal",
    f"{STATE_FILE}-shm",
    f"{STATE_FILE}-journal",
    f"{STATE_FILE}.corrupt-*",
    PID_FILE,
    LOG_FILE,
    f"{TASKS_DIR}/*.log",
)
#: bytes a disk must have free for a local cloud to start on it (its database, its log)
MIN_FREE = 1024 * 1024
#: folders a local cloud makes and fills wholly (the Lambda data plane's functions, S3's objects),
#: deleted whole
MADE_TREES = ("lambda", "s3")


def prepare_state_dir(state_dir: Path) -> Path:
    """Create the state directory private to the user (0700); an existing one keeps its mode."""
    state_dir = Path(state_dir)
    if not state_dir.is_dir():
        state_dir.mkdir(parents=True, mode=0o700)
        state_dir.chmod(0o700)  # whatever the umask
    return state_dir


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, a file only the user may read (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
    path.chmod(0o600)


def proc_start_time(pid: int, *, zombie: bool = False) -> int | None:
    """When a live process started, in clock ticks since boot, from ``/proc/<pid>/stat``.

    Args:
        pid: the process id.
        zombie: give a zombie's start time too (it has exited but is not reaped yet).

    Returns:
        The start time, or ``None`` when no such process runs (or it is a zombie), or when the
        system has no ``/proc``.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # "pid (comm) state ppid …": comm may hold spaces and parentheses; the fields after the last
    # ")" are state (3rd field) … starttime (22nd).
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X") and not zombie:
        return None
    return int(fields[19])


def has_proc() -> bool:
    """Whether this system has Linux's ``/proc`` (start times and command lines)."""
    return Path("/proc/self/stat").exists()


def is_local_cloud(recorded: dict[str, Any]) -> bool:
    """Whether the pid of a pid file is still the local cloud that wrote it.

    Its start time must be the recorded one and its command line a bgkit one; without ``/proc``
    (macOS) a live pid is taken on trust.
    """
    pid = recorded.get("pid")
    if not isinstance(pid, int) or not pid_alive(pid):
        return False
    if not has_proc():
        return True
    if proc_start_time(pid) != recorded.get("proc_start"):
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(b"bgkit" in part for part in argv)


def pid_runs(pid: int, start: int | None) -> bool:
    """Whether ``pid`` is still the live process that started at ``start``.

    Args:
        pid: the process id.
        start: its start time as :func:`proc_start_time` gave it (``None`` without ``/proc``).
    """
    if has_proc():
        now = proc_start_time(pid)
        return now is not None and now == start
    return pid_alive(pid)


def end_orphans(settings: Settings) -> int:
    """End every task process (and its tree) the local cloud of ``settings.state_dir`` recorded
    and no local cloud holds any more: after it stopped, was killed or hung. Returns how many
    were still running."""
    from bgkit.local.store import recorded_processes  # sqlite3 only when stopping, not to start
    from bgkit.local.trees import end_trees

    return end_trees(recorded_processes(Path(settings.state_dir) / STATE_FILE))


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
    if not is_local_cloud(recorded):
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
    try:
        state_dir = prepare_state_dir(Path(settings.state_dir))
        if disk_full(state_dir):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        log_path = state_dir / LOG_FILE
        # posix_spawn rather than Popen: the server outlives this process, never waited for.
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as error:
        from bgkit.local.store import disk_full_message, is_disk_full

        if is_disk_full(error):
            raise LocalCloudError(disk_full_message(settings.state_dir)) from None
        raise
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
            said = last_words(log_path)
            if said is None and disk_full(state_dir):  # it could not even write its log
                from bgkit.local.store import disk_full_message

                said = disk_full_message(state_dir)
            raise LocalCloudError(
                f"the local cloud exited as it started: {said}" if said
                else f"the local cloud exited as it started; see {log_path}"
            )  # fmt: skip
        status = read_status(settings)
        if status is not None and status["pid"] == pid:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGTERM)
    raise LocalCloudError(f"the local cloud did not answer within {timeout:.0f} s; see {log_path}")


def disk_full(folder: Path) -> bool:
    """Whether the disk under ``folder`` has less than :data:`MIN_FREE` bytes left."""
    try:
        return shutil.disk_usage(folder).free < MIN_FREE
    except OSError:
        return False


def last_words(log_path: Path) -> str | None:
    """What a local cloud that could not start said last (``bgkit local cloud: …``, the one
    sentence of ``python -m bgkit.local``), or ``None``."""
    with contextlib.suppress(OSError):
        for line in reversed(log_path.read_text(errors="replace").splitlines()[-20:]):
            if line.startswith("bgkit local cloud: "):
                return line.removeprefix("bgkit local cloud: ")
    return None


def server_arguments(settings: Settings) -> list[str]:
    return [
        "--port", str(settings.local_port),
        "--state-dir", str(settings.state_dir),
        "--listener-offset", str(settings.listener_offset),
        "--clock", str(settings.clock),
        *([] if settings.local_default_vpc else ["--no-default-vpc"]),
    ]  # fmt: skip


def stop_background(settings: Settings, timeout: float = 30.0) -> int:
    """Stop the background local cloud of ``settings.state_dir``; return the pid it had.

    Whatever happened before (the local cloud killed with ``SIGKILL``, hung, or stopped
    already), the task processes it recorded go too, with everything they started
    (:func:`end_orphans`).

    Raises:
        NotRunningError: none runs there (a pid file naming a pid that is now another program
            is removed, and that program is left alone); the message says how many task
            processes a local cloud had left running, which were stopped.
    """
    state_dir = Path(settings.state_dir)
    pid_file = state_dir / PID_FILE
    try:
        recorded = json.loads(pid_file.read_text())
        pid = recorded["pid"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError):
        raise NotRunningError(_not_running(settings)) from None
    if not is_local_cloud(recorded):
        pid_file.unlink(missing_ok=True)
        if pid_alive(pid):
            raise NotRunningError(
                f"{_not_running(settings)}: its pid file named pid {pid}, which is now another "
                "program, not this local cloud; it was left alone"
            )
        raise NotRunningError(_not_running(settings))
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while is_local_cloud(recorded) and time.monotonic() < deadline:
        time.sleep(0.05)
    if is_local_cloud(recorded):
        os.kill(pid, signal.SIGKILL)
    while _not_reaped(pid, recorded.get("proc_start")) and time.monotonic() < deadline + 5:
        time.sleep(0.05)  # its parent (init, once `bgkit local up` has exited) reaps it
    pid_file.unlink(missing_ok=True)
    end_orphans(settings)  # what a hung local cloud, killed, could not stop
    return pid


def _not_running(settings: Settings) -> str:
    """ "No local cloud runs", after ending the task processes one left (:func:`end_orphans`)."""
    message = f"no local cloud runs with state in {settings.state_dir}"
    left = end_orphans(settings)
    if left:
        message += (
            f" (a local cloud stopped without them had left {left} task process"
            f"{'es' if left != 1 else ''} running: stopped now)"
        )
    return message


def _not_reaped(pid: int, start: int | None) -> bool:
    """Whether ``pid`` is still the process that started at ``start``, a zombie included."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # our child (a test's): reap it
    if has_proc():
        return proc_start_time(pid, zombie=True) == start
    return pid_alive(pid)


@dataclass
class Reset:
    """What :func:`reset_state` did.

    Attributes:
        deleted: whether there was state to delete.
        kept: what the state directory holds that the local cloud did not make (left there).
    """

    deleted: bool
    kept: list[Path] = field(default_factory=list)


def reset_state(settings: Settings) -> Reset:
    """Stop the local cloud if it runs and delete the files it made (:data:`MADE`), nothing else.

    The state directory goes too when nothing else is left in it.
    """
    with contextlib.suppress(NotRunningError):
        stop_background(settings)
    state_dir = Path(settings.state_dir)
    if not state_dir.is_dir():
        return Reset(False)
    made = [path for pattern in MADE for path in state_dir.glob(pattern) if path.is_file()]
    for path in made:
        path.unlink(missing_ok=True)
    for name in MADE_TREES:
        tree = state_dir / name
        if tree.is_dir() and not tree.is_symlink():
            shutil.rmtree(tree)
            made.append(tree)
    with contextlib.suppress(OSError):  # only when empty
        (state_dir / TASKS_DIR).rmdir()
    kept = sorted(state_dir.iterdir())
    if not kept:
        state_dir.rmdir()
    return Reset(bool(made), kept)


def task_logs_dir(settings: Settings) -> Path:
    """Where the task processes of the local cloud of ``settings`` write their output."""
    return Path(settings.state_dir) / TASKS_DIR

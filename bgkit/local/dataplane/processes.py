"""Task processes on this machine: start one, recognise it again, signal it, see it exit.

A :class:`TaskProcess` is one ECS task's container as a local process. The runtime
(:mod:`.runtime`) starts it in a process group of its own (``start_new_session``), so that
stopping the task reaches whatever the app itself started, and signals only that group and the
processes that hold the task's token (``BGKIT_PROCESS_TOKEN``, inherited by everything the task
starts, even what left its group) — never a process it did not start. :class:`Orphans` ends
what is left of a tree once no task holds it.

A process is known by its pid *and* its start time (field 22 of ``/proc/<pid>/stat``, in clock
ticks since boot): after the local cloud restarts, a recorded pid is the same process only when
both match, so a pid the system has since given to another program is never adopted nor
signalled. A zombie counts as exited. Without ``/proc`` (macOS), the start time is ``None`` and a
live pid is taken on trust.

Processes started by this local cloud are its children and are reaped (:meth:`Popen.poll`), which
gives their exit status; adopted ones — started by a local cloud that was killed — are polled by
pid, and their exit status is unknown.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bgkit.local.process import pid_runs, proc_start_time
from bgkit.local.trees import TOKEN_VARIABLE, holders, signal_tree

__all__ = [
    "Exit",
    "Orphans",
    "TaskProcess",
    "check_creatable",
    "log_disk_full",
    "pid_runs",
    "proc_start_time",
]

#: variables of this process a task keeps, as a container has its own PATH, locale and HOME
INHERITED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "HOME", "SYSTEMROOT")
#: bytes of room left below which the disk of the task logs counts as full
LOG_ROOM = 64 * 1024


def log_disk_full(folder: Path) -> str | None:
    """The one sentence a full disk under the task logs gets — what happens and what to do — or
    ``None`` while it has room (:data:`LOG_ROOM`) or cannot be looked at.

    A task's output goes straight to its log file, so on a full disk what it writes is lost (or
    its own write fails, and the app decides whether it goes on); the local cloud itself goes on.
    """
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if free >= LOG_ROOM:
        return None
    return (
        f"the disk that holds the task logs ({folder}) is full, so what tasks write to their logs "
        "is lost: free some space on it, or point BGKIT_STATE_DIR at a disk with room"
    )


def check_creatable(argv: Sequence[str], env: Mapping[str, str]) -> None:
    """Refuse what ``execve`` cannot take: NUL bytes, and variable names empty or with ``=``.

    Raises:
        ValueError: naming the argument or the variable.
    """
    for index, argument in enumerate(argv):
        if "\0" in argument:
            raise ValueError(f"argument {index} of the command holds a NUL byte")
    for name, value in env.items():
        if not name or "=" in name or "\0" in name:
            raise ValueError(
                f"environment variable name {name!r} is not valid: it must be non-empty and "
                "hold neither '=' nor a NUL byte"
            )
        if "\0" in value:
            raise ValueError(f"the value of environment variable {name!r} holds a NUL byte")


@dataclass(frozen=True)
class Exit:
    """How a task process ended.

    Attributes:
        code: its exit status as a container shows it (128 + the signal when a signal killed
            it, as Docker reports), or ``None`` when unknown (an adopted process).
    """

    code: int | None


@dataclass
class TaskProcess:
    """One task's process: started here (:meth:`spawn`) or adopted after a restart
    (:meth:`adopt`).

    Attributes:
        pid: its process id, also its process group id.
        start: its start time (:func:`proc_start_time`).
        host_port: the port of 127.0.0.1 it was told to listen on.
        log_path: the file its standard output and error are appended to.
        popen: the child object when this local cloud started it; ``None`` when adopted.
    """

    pid: int
    start: int | None
    host_port: int
    log_path: Path
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    exit: Exit | None = None
    token: str | None = None

    @classmethod
    def spawn(
        cls,
        argv: Sequence[str],
        env: Mapping[str, str],
        host_port: int,
        log_path: Path,
        cwd: Path,
        token: str | None = None,
    ) -> TaskProcess:
        """Start ``argv`` in a new session, its output appended to ``log_path``.

        Args:
            argv: the program and its arguments.
            env: the container's environment (``PORT`` and ``HOST`` included); :data:`INHERITED`
                variables of this process are added where the container does not set them.
            host_port: the port it is told to listen on.
            log_path: its log file, created 0600 when new.
            cwd: its working directory.
            token: given, the process is started with ``BGKIT_PROCESS_TOKEN=<token>``, which
                everything it starts inherits: signals then reach its whole tree, even what
                left its process group.

        Raises:
            OSError: the program cannot be started.
            ValueError: an argument or a variable cannot be given to a process (a NUL byte; a
                name that is empty or holds ``=``); the message says which.
        """
        check_creatable(argv, env)
        full_env = {name: os.environ[name] for name in INHERITED if name in os.environ}
        full_env.update(env)
        if token is not None:
            full_env[TOKEN_VARIABLE] = token
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            popen = subprocess.Popen(
                list(argv),
                env=full_env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log_fd,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        finally:
            os.close(log_fd)  # the child has its own copy
        start = proc_start_time(popen.pid)
        return cls(popen.pid, start, host_port, log_path, popen, token=token)

    @classmethod
    def adopt(
        cls, pid: int, start: int | None, host_port: int, log_path: Path, token: str | None = None
    ) -> TaskProcess:
        """A process a previous local cloud started, if it still runs.

        Raises:
            ProcessLookupError: ``pid`` no longer is that process.
        """
        if not pid_runs(pid, start):
            raise ProcessLookupError(pid)
        return cls(pid, start, host_port, log_path, token=token)

    @property
    def adopted(self) -> bool:
        """Whether a previous local cloud started it (so it is not our child)."""
        return self.popen is None

    def poll(self) -> Exit | None:
        """How it ended, or ``None`` while it runs; reaps a child that exited."""
        if self.exit is not None:
            return self.exit
        if self.popen is not None:
            code = self.popen.poll()
            if code is not None:
                self.exit = Exit(128 - code if code < 0 else code)
        elif not pid_runs(self.pid, self.start):
            self.exit = Exit(None)
        return self.exit

    def signal(self, signum: int) -> None:
        """Send ``signum`` to its process group and its whole tree (:attr:`token`), unless it
        has already ended."""
        if self.poll() is not None:
            return
        members = holders([self.token]).get(self.token, []) if self.token else []
        if not members:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signum)
            return
        signal_tree({"pid": self.pid, "start": self.start}, members, signum)

    def terminate(self) -> None:
        """Ask it to stop: ``SIGTERM`` to its group, as ECS does."""
        self.signal(signal.SIGTERM)

    def kill(self) -> None:
        """Make it stop: ``SIGKILL`` to its group."""
        self.signal(signal.SIGKILL)


@dataclass
class Orphan:
    """A recorded process tree no task holds any more, being ended.

    Attributes:
        process: its row as the store records it (``token``, ``pid``, ``start``, ``owner``).
        kill_at: when ``SIGKILL`` follows the ``SIGTERM`` (``time.monotonic``); ``None`` before
            the first signal.
    """

    process: dict[str, Any]
    kill_at: float | None = None


class Orphans:
    """Process trees to end: a task's descendants once the task's own process has exited (as a
    container's processes end with it), and trees recorded by a local cloud that can no longer
    stop them (killed, or hung) — ``SIGTERM``, then ``SIGKILL`` after a grace period.

    Args:
        grace: wall seconds between ``SIGTERM`` and ``SIGKILL``.
    """

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self._orphans: dict[str, Orphan] = {}

    def __len__(self) -> int:
        return len(self._orphans)

    def add(self, process: dict[str, Any], *, kill: bool = False) -> None:
        """End ``process``'s tree; at once with ``SIGKILL`` when ``kill``."""
        self._orphans[process["token"]] = Orphan(process, time.monotonic() if kill else None)

    def sweep(self) -> list[str]:
        """Signal what is left of each tree; returns the tokens of the trees now wholly gone."""
        if not self._orphans:
            return []
        found = holders(self._orphans)
        gone, now = [], time.monotonic()
        for token, orphan in list(self._orphans.items()):
            members = found.get(token, [])
            leader = pid_runs(orphan.process["pid"], orphan.process.get("start"))
            if not members and not leader:
                del self._orphans[token]
                gone.append(token)
            elif orphan.kill_at is None:
                signal_tree(orphan.process, members, signal.SIGTERM)
                orphan.kill_at = now + self.grace
            elif now >= orphan.kill_at:
                signal_tree(orphan.process, members, signal.SIGKILL)
        return gone

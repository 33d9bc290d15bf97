"""Task processes on this machine: start one, recognise it again, signal it, see it exit.

A :class:`TaskProcess` is one ECS task's container as a local process. The runtime
(:mod:`.runtime`) starts it in a process group of its own (``start_new_session``), so that
stopping the task reaches whatever the app itself started, and signals only that group — never a
process it did not start.

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
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bgkit.local.process import has_proc, pid_alive, proc_start_time

__all__ = ["Exit", "TaskProcess", "check_creatable", "pid_runs", "proc_start_time"]

#: variables of this process a task keeps, as a container has its own PATH, locale and HOME
INHERITED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "HOME", "SYSTEMROOT")


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

    @classmethod
    def spawn(
        cls,
        argv: Sequence[str],
        env: Mapping[str, str],
        host_port: int,
        log_path: Path,
        cwd: Path,
    ) -> TaskProcess:
        """Start ``argv`` in a new session, its output appended to ``log_path``.

        Args:
            argv: the program and its arguments.
            env: the container's environment (``PORT`` and ``HOST`` included); :data:`INHERITED`
                variables of this process are added where the container does not set them.
            host_port: the port it is told to listen on.
            log_path: its log file, created 0600 when new.
            cwd: its working directory.

        Raises:
            OSError: the program cannot be started.
            ValueError: an argument or a variable cannot be given to a process (a NUL byte; a
                name that is empty or holds ``=``); the message says which.
        """
        check_creatable(argv, env)
        full_env = {name: os.environ[name] for name in INHERITED if name in os.environ}
        full_env.update(env)
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
        return cls(popen.pid, proc_start_time(popen.pid), host_port, log_path, popen)

    @classmethod
    def adopt(cls, pid: int, start: int | None, host_port: int, log_path: Path) -> TaskProcess:
        """A process a previous local cloud started, if it still runs.

        Raises:
            ProcessLookupError: ``pid`` no longer is that process.
        """
        if not pid_runs(pid, start):
            raise ProcessLookupError(pid)
        return cls(pid, start, host_port, log_path)

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
        """Send ``signum`` to its process group, unless it has already ended."""
        if self.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def terminate(self) -> None:
        """Ask it to stop: ``SIGTERM`` to its group, as ECS does."""
        self.signal(signal.SIGTERM)

    def kill(self) -> None:
        """Make it stop: ``SIGKILL`` to its group."""
        self.signal(signal.SIGKILL)

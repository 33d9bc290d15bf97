"""Process trees: a task's process and everything it started, found and ended together.

Each task process is started with a token of its own in :data:`TOKEN_VARIABLE`, which every
process it starts inherits — even one that left the task's process group (``setsid``) or whose
parent exited; only a process started with an environment of its own loses it. The store records
each token with the process's pid and start time (:meth:`~bgkit.local.store.Store.add_process`),
so a tree is found from ``/proc`` (:func:`holders`) and ended (:func:`signal_tree`,
:func:`end_trees`) whatever became of the local cloud that started it. Only this user's
processes can be read; without ``/proc`` (macOS) only the process group is signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

from bgkit.local.process import has_proc, pid_runs

#: the variable each task process is started with (a token of its own, recorded in the store):
#: its descendants inherit it, so the whole tree of a task is found (:func:`holders`)
TOKEN_VARIABLE = "BGKIT_PROCESS_TOKEN"


def holders(tokens: Collection[str]) -> dict[str, list[tuple[int, int]]]:
    """The live processes whose environment holds ``BGKIT_PROCESS_TOKEN=<token>``.

    Every process a task started inherits the variable, even one that left the task's process
    group (``setsid``) or whose parent exited; only a process started with an environment of
    its own loses it. Only this user's processes can be read; without ``/proc``, none is found.

    Returns:
        For each token that some process holds: its processes as ``(pid, process group id)``.
    """
    wanted = {f"{TOKEN_VARIABLE}={token}".encode(): token for token in tokens}
    found: dict[str, list[tuple[int, int]]] = {}
    if not wanted or not has_proc():
        return found
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes()
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:  # gone meanwhile, or another user's
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] in ("Z", "X"):
            continue
        for entry in environ.split(b"\0"):
            token = wanted.get(entry)
            if token is not None:
                found.setdefault(token, []).append((int(name), int(fields[2])))
                break
    return found


def signal_tree(process: dict[str, Any], members: list[tuple[int, int]], signum: int) -> bool:
    """Send ``signum`` to a recorded process's group and to every process of its tree.

    The group is signalled while its leader is still the recorded process, or while a process
    of the tree is in it (so the group id was not given to another program); each process that
    holds the token (``members``, from :func:`holders`) is signalled by pid.

    Args:
        process: ``pid`` (the group id too) and ``start``, as :meth:`Store.add_process` recorded.
        members: the processes holding its token.
        signum: the signal.

    Returns:
        Whether something was left to signal.
    """
    pid = process["pid"]
    signalled = False
    if pid_runs(pid, process.get("start")) or any(group == pid for _, group in members):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signum)
            signalled = True
    for member, _ in members:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(member, signum)
            signalled = True
    return signalled


def end_trees(processes: list[dict[str, Any]], grace: float = 5.0) -> int:
    """Stop recorded processes and their trees: ``SIGTERM``, then ``SIGKILL`` after ``grace``
    seconds; returns how many of them still had something running."""

    def alive() -> list[tuple[dict[str, Any], list[tuple[int, int]]]]:
        found = holders([process["token"] for process in processes])
        return [
            (process, found.get(process["token"], []))
            for process in processes
            if found.get(process["token"]) or pid_runs(process["pid"], process.get("start"))
        ]

    running = alive()
    for process, members in running:
        signal_tree(process, members, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while (left := alive()) and time.monotonic() < deadline:
        time.sleep(0.05)
    for process, members in left:
        signal_tree(process, members, signal.SIGKILL)
    deadline = time.monotonic() + grace
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(running)

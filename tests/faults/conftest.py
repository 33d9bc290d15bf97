"""Fixtures of the load and fault tests: the walkthrough's world on the in-process local cloud,
steady load on listeners 80 and 8080, the listeners' weights over time, and a local cloud in a
process of its own that a test may kill (helpers in :mod:`faults_world` and :mod:`traffic`).

Every process a test starts is stopped by pid at its end: the load generator, the local cloud,
and the task processes of a local cloud that was killed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from faults_world import CLOCK, TESTS, RemoteCloud, Walkthrough, serve_walkthrough
from traffic import ListenerLog, Load

from bgkit.config import Settings
from bgkit.local.dataplane.processes import pid_runs, proc_start_time
from bgkit.local.process import free_port

ROOT_CONFTEST = TESTS / "conftest.py"


@pytest.fixture
def walkthrough(cloud: Any, client: Callable[..., Any]) -> Walkthrough:
    """The world on the in-process local cloud, its clock at :data:`CLOCK`."""
    cloud.clock.set_speed(CLOCK)
    return serve_walkthrough(cloud, client)


@pytest.fixture
def load(tmp_path: Path) -> Iterator[Callable[..., Load]]:
    """``load(ports, seconds=…)``: a started :class:`~traffic.Load`, killed at the end."""
    made: list[Load] = []

    def start(ports: dict[int, int], **options: Any) -> Load:
        made.append(Load(ports, tmp_path / f"load-{len(made)}.jsonl", **options).start())
        return made[-1]

    yield start
    for item in made:
        item.kill()


@pytest.fixture
def listener_log() -> Iterator[Callable[[Any, dict[int, str]], ListenerLog]]:
    """``listener_log(elbv2, {port: arn})``: a started :class:`~traffic.ListenerLog`."""
    made: list[ListenerLog] = []

    def start(elbv2: Any, listeners: dict[int, str]) -> ListenerLog:
        made.append(ListenerLog(elbv2, listeners).start())
        return made[-1]

    yield start
    for item in made:
        item.stop()


@pytest.fixture
def remote_cloud(tmp_path: Path) -> Iterator[RemoteCloud]:
    """A local cloud in its own process on a temporary state directory and free ports, clock at
    :data:`CLOCK`, not started yet. At the end it is stopped (SIGTERM: it stops its tasks), and
    task processes left by a kill are killed by pid."""
    root = importlib.util.spec_from_file_location("bgkit_tests_root", ROOT_CONFTEST)
    assert root is not None and root.loader is not None
    shared = importlib.util.module_from_spec(root)
    root.loader.exec_module(shared)
    settings = Settings.load(
        env={},
        local_port=free_port(),
        state_dir=tmp_path / "state",
        listener_offset=shared.free_listener_offset(),
        clock=CLOCK,
    )
    remote = RemoteCloud(settings)
    try:
        yield remote
    finally:
        tasks = remote.task_processes()
        for pid in remote.pids:
            if pid_runs(pid, proc_start_time(pid)):
                os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        for pid, start in tasks:
            if pid_runs(pid, start):
                os.killpg(pid, signal.SIGKILL)
        remote.store.close()

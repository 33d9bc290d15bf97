"""A task's whole process tree is the task's: it ends when the task stops, and a local cloud that
was killed or hung leaves none of it behind once `bgkit local down`, `reset` or the next start
has run — each in real processes.

On ECS a task's processes live in its container, and they all end when the task stops, whatever
they did (ECS Developer Guide, "Amazon ECS task lifecycle": a stopped task's containers are
stopped). Here a task's command forks a child that leaves the task's process group (``setsid``)
and a grandchild that ignores ``SIGTERM``; none may survive.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_runtime import PARTITION, change_task, put_task, python_container, wait_status

from bgkit.config import Settings
from bgkit.local.dataplane.processes import pid_runs, proc_start_time
from bgkit.local.process import free_port, stop_background
from bgkit.local.server import STATE_FILE, LocalCloud, start_background
from bgkit.local.store import Store

BGKIT = str(Path(sys.executable).parent / "bgkit")
DEADLINE = 20.0

#: a task that serves on PORT, with a child out of its group and a grandchild deaf to SIGTERM,
#: each printing its pid to the task's log
FORKING = """
import http.server, os, signal, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("grandchild", os.getpid(), flush=True)
        time.sleep(600)
        os._exit(0)
    print("child", os.getpid(), flush=True)
    time.sleep(600)
    os._exit(0)
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])),
                       http.server.SimpleHTTPRequestHandler).serve_forever()
"""

# every process a test saw, as (pid, start time): killed at its end if it still runs
_seen: set[tuple[int, int | None]] = set()


@pytest.fixture(autouse=True)
def reaper() -> Iterator[None]:
    yield
    while _seen:
        pid, start = _seen.pop()
        if pid_runs(pid, start):
            os.kill(pid, signal.SIGKILL)


def tree(store: Store, arn: str) -> list[tuple[int, int | None]]:
    """The task's process, its child and its grandchild, once its log names them."""
    record = wait_status(store, arn, "RUNNING")
    _seen.add((record["_pid"], record["_proc_start"]))
    deadline = time.monotonic() + DEADLINE
    while True:
        lines = Path(record["_log_path"]).read_text().split("\n")
        pids = [int(line.split()[1]) for line in lines if line.startswith(("child", "grand"))]
        if len(pids) == 2:
            break
        assert time.monotonic() < deadline, f"the task's children never showed: {lines}"
        time.sleep(0.05)
    found = [(record["_pid"], record["_proc_start"])] + [(p, proc_start_time(p)) for p in pids]
    _seen.update(found)
    assert all(pid_runs(pid, start) for pid, start in found)
    return found


def wait_all_gone(processes: list[tuple[int, int | None]], deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while alive := [pid for pid, start in processes if pid_runs(pid, start)]:
        assert time.monotonic() < end, f"processes {alive} still run"
        time.sleep(0.05)


def test_stopping_a_task_ends_its_whole_tree(cloud):
    arn = put_task(cloud.store, python_container(FORKING))
    processes = tree(cloud.store, arn)
    change_task(cloud.store, arn, desiredStatus="STOPPED")  # what StopTask asks
    wait_status(cloud.store, arn, "STOPPED")
    wait_all_gone(processes)
    deadline = time.monotonic() + DEADLINE
    while cloud.store.processes():  # nothing of it is left to track
        assert time.monotonic() < deadline, cloud.store.processes()
        time.sleep(0.05)


def test_a_task_whose_process_exits_takes_its_tree_with_it(cloud):
    arn = put_task(cloud.store, python_container(FORKING))
    processes = tree(cloud.store, arn)
    os.kill(processes[0][0], signal.SIGKILL)  # the essential container exits
    stopped = wait_status(cloud.store, arn, "STOPPED")
    assert stopped["stopCode"] == "EssentialContainerExited"
    wait_all_gone(processes)


def test_stopping_the_local_cloud_ends_every_tree(tmp_path):
    with LocalCloud(tmp_path / "state", port=0, listener_offset=0) as cloud:
        arn = put_task(cloud.store, python_container(FORKING))
        processes = tree(cloud.store, arn)
    wait_all_gone(processes)


@pytest.fixture
def background(tmp_path) -> Iterator[Callable[[], tuple[int, Settings]]]:
    """``start()`` runs a local cloud in its own process, as `bgkit local up` does."""
    pids: list[int] = []
    settings = Settings.load(env={}, local_port=free_port(), state_dir=tmp_path / "state")

    def start() -> tuple[int, Settings]:
        pids.append(start_background(settings)["pid"])
        return pids[-1], settings

    yield start
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def started_tree(settings: Settings) -> tuple[Store, str, list[tuple[int, int | None]]]:
    store = Store(Path(settings.state_dir) / STATE_FILE)
    arn = put_task(store, python_container(FORKING))
    return store, arn, tree(store, arn)


def killed(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


@pytest.mark.parametrize("command", ["down", "reset"])
def test_down_and_reset_end_the_trees_a_killed_local_cloud_left(background, command):
    cloud_pid, settings = background()
    store, _, processes = started_tree(settings)
    store.close()
    killed(cloud_pid)
    time.sleep(0.5)
    assert all(pid_runs(pid, start) for pid, start in processes)  # orphaned, all of them
    env = {**os.environ, "BGKIT_STATE_DIR": str(settings.state_dir),
           "BGKIT_LOCAL_PORT": str(settings.local_port)}  # fmt: skip
    result = subprocess.run(
        [BGKIT, "local", command], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    wait_all_gone(processes, deadline=2.0)  # ended by the command itself, before it returned
    if command == "down":
        assert "left 1 task process running: stopped now" in result.stdout


def test_down_ends_the_trees_of_a_hung_local_cloud(background):
    cloud_pid, settings = background()
    store, _, processes = started_tree(settings)
    store.close()
    os.kill(cloud_pid, signal.SIGSTOP)  # hung: it will not stop its tasks
    assert stop_background(settings, timeout=1.0) == cloud_pid  # SIGKILL after the timeout
    wait_all_gone(processes, deadline=2.0)


def test_the_next_start_reaps_a_tree_no_task_holds(background):
    cloud_pid, settings = background()
    store, arn, processes = started_tree(settings)
    killed(cloud_pid)
    with store.transaction():  # its task went while no local cloud ran
        store.delete(PARTITION, "task", arn)
    store.close()
    with LocalCloud(settings.state_dir, port=0, listener_offset=0) as cloud:
        assert cloud.store.processes()  # recorded until it is gone
        wait_all_gone(processes)
        deadline = time.monotonic() + DEADLINE
        while cloud.store.processes():
            assert time.monotonic() < deadline, cloud.store.processes()
            time.sleep(0.05)

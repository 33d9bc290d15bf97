"""One task that cannot start never stops the others: its start-up failure is its own.

AWS: a container the runtime cannot create stops with ``stopCode`` ``TaskFailedToStart`` and a
``stoppedReason`` starting ``CannotStartContainerError`` ("Stopped tasks error codes", Amazon ECS
Developer Guide); the other tasks of the cluster are not affected. A NUL byte cannot be passed to
``execve`` and ``=`` cannot be part of an environment variable's name (POSIX, Base Definitions
8.1), so such a container cannot be created.
"""

from __future__ import annotations

import asyncio
from typing import Any

from test_runtime import (  # noqa: F401  (reaper: the autouse fixture)
    NGINX,
    _started,
    change_task,
    put_task,
    python_container,
    reaper,
    wait_gone,
    wait_status,
)

from bgkit.local.dataplane import runtime
from bgkit.local.dataplane.processes import proc_start_time
from bgkit.local.server import LocalCloud


def on_loop(cloud: LocalCloud, coro: Any) -> Any:
    """Run ``coro`` on the local cloud's loop and wait for its result."""
    assert cloud._loop is not None
    return asyncio.run_coroutine_threadsafe(coro, cloud._loop).result(60)


def test_a_task_that_cannot_be_created_stops_alone_and_the_others_run(cloud):
    nul = put_task(cloud.store, python_container("print('a\x00b')"), 1)
    equals = put_task(cloud.store, {**NGINX, "environment": {"A=B": "1"}}, 2)
    nul_name = put_task(cloud.store, {**NGINX, "environment": {"A\x00": "1"}}, 3)
    good = put_task(cloud.store, NGINX, 4)
    for arn in (nul, equals, nul_name):
        record = wait_status(cloud.store, arn, "STOPPED")
        assert record["stopCode"] == "TaskFailedToStart"
        assert record["stoppedReason"].startswith("CannotStartContainerError:")
        assert record["containers"][0]["reason"] == record["stoppedReason"]
    running = wait_status(cloud.store, good, "RUNNING")
    # and a stop still stops (the pass that signals is not cut short)
    change_task(cloud.store, good, desiredStatus="STOPPED")
    wait_status(cloud.store, good, "STOPPED")
    wait_gone(running["_pid"], running["_proc_start"])


def test_one_pass_starts_a_bounded_batch_of_processes(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "LAUNCH_BATCH", 2)
    with LocalCloud(tmp_path / "state", port=0, listener_offset=0, dataplane=False) as cloud:
        arns = [
            put_task(cloud.store, python_container("import time; time.sleep(60)"), n)
            for n in range(1, 6)
        ]
        plane = runtime.RuntimeDataPlane()
        on_loop(cloud, plane.start(cloud))
        try:
            on_loop(cloud, plane.reconcile())
            assert len(plane.status()) == 2
            on_loop(cloud, plane.reconcile())
            assert len(plane.status()) == 4
            on_loop(cloud, plane.reconcile())
            assert {row["task_arn"] for row in plane.status()} == set(arns)
        finally:
            for row in plane.status():
                _started.add((row["pid"], proc_start_time(row["pid"])))
            on_loop(cloud, plane.stop())

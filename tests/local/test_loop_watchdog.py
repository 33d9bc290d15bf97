"""The watchdog inside the local cloud measures every stall of its event loop's own callbacks,
says where the loop was, and takes a busy machine's wait for a CPU out (the end-to-end run it
judges is ``tests/faults/test_loop_stalls.py``)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from waiting import wait_for

from bgkit.local.watchdog import THRESHOLD, run_queue_wait


def loop_status(cloud) -> dict:
    return cloud.status()["loop"]


def a_blocking_callback() -> None:
    time.sleep(0.3)  # what no callback of the local cloud may do


@pytest.mark.control_plane
def test_the_watchdog_sees_a_blocking_callback_and_where_it_was(cloud):
    assert loop_status(cloud)["worst_stall_ms"] < 300
    cloud._loop.call_soon_threadsafe(a_blocking_callback)
    wait_for("the stall seen", lambda: loop_status(cloud)["stalls_over_threshold"] >= 1)
    seen = loop_status(cloud)
    assert seen["worst_stall_ms"] >= 250
    assert any("a_blocking_callback" in frame for frame in seen["where"]), seen["where"]


@pytest.mark.control_plane
@pytest.mark.skipif(
    run_queue_wait(threading.get_native_id()) is None,
    reason="this system does not say how long a thread waits for a CPU (Linux's schedstat)",
)
def test_a_busy_machine_is_not_counted_as_a_stall(cloud):
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)
    ]  # more CPU-bound processes than this machine has cores, beside the loop
    try:
        time.sleep(2.0)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    seen = loop_status(cloud)
    assert seen["worst_stall_ms"] < THRESHOLD * 1000, "\n".join([str(seen), *seen["where"]])

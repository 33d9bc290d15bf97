"""The loop watchdog tells a long computation in C on the loop's own thread — a stall of the local
cloud — from one on another thread of the process, which holds the interpreter lock while the
loop waits idle for it (a test's thread, when the local cloud runs in a thread of the test
process): only the first counts (issue 20, "nothing else blocks the event loop for long"; the
second showed as stalls of 300 to 760 ms in the end-to-end tests while a test created boto3
clients, botocore's JSON models decoded in C).

The computation in C is a regular expression that backtracks: ``re`` never releases the
interpreter lock while it matches, so nothing else of the process runs meanwhile.
"""

from __future__ import annotations

import re
import time

import pytest
from waiting import wait_for

from bgkit.local.watchdog import THRESHOLD

#: how long one held computation must compute, in CPU seconds
HELD = 3 * THRESHOLD


def backtracking_size() -> int:
    """The size of a subject that keeps :func:`hold_the_lock` computing past :data:`HELD` here
    (CPU time, so that a busy machine makes it no shorter)."""
    size = 16
    while True:
        began = time.thread_time()
        hold_the_lock(size)
        if time.thread_time() - began >= HELD:
            return size
        size += 1


def hold_the_lock(size: int) -> None:
    re.match(r"(x+x+)+y", "x" * size)  # never matches, in exponential time, the lock held


@pytest.mark.control_plane
def test_a_computation_in_c_on_another_thread_is_not_a_stall_of_the_loop(cloud):
    size = backtracking_size()
    for _ in range(3):
        hold_the_lock(size)
        time.sleep(0.1)  # the loop catches up
    seen = cloud.status()["loop"]
    assert seen["worst_lag_ms"] >= THRESHOLD * 1000  # the loop did wait for the lock …
    assert seen["stalls_over_threshold"] == 0, seen  # … and was not stalled by its own work


@pytest.mark.control_plane
def test_a_computation_in_c_on_the_loop_is_a_stall(cloud):
    size = backtracking_size()
    cloud._loop.call_soon_threadsafe(hold_the_lock, size)
    seen = wait_for(
        "the stall seen",
        lambda: (s := cloud.status()["loop"])["stalls_over_threshold"] >= 1 and s,
    )
    assert seen["worst_stall_ms"] >= HELD * 1000 / 2, seen

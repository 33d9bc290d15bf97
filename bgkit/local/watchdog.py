"""The event-loop watchdog: how long the local cloud's own work ever kept its loop from running.

The local cloud serves every API call, listener and task from one asyncio loop, so a callback
that blocks (a slow query, a synchronous wait, a long computation) freezes all of it.
:class:`LoopWatchdog` measures that from inside: a task of the loop sleeps :data:`TICK` seconds
again and again and sees how late it wakes. Lateness has two causes, and only one is the local
cloud's: its thread may have been *runnable but waiting for a CPU* (a busy machine), which Linux
counts per thread in ``/proc/self/task/<tid>/schedstat`` (its second field, run-queue wait in
nanoseconds) and which is taken out; what is left — the loop's own callbacks computing, or
blocked in a system call — is a **stall**. Without ``schedstat`` (not Linux) the whole lateness
counts.

A thread beside the loop notes where the loop is (its stack) while a stall goes on, so the
worst stall past :data:`THRESHOLD` says where it happened. A lateness during which the loop was
never seen in one of its callbacks — only in its selector's ``select``, or nowhere, because the
interpreter lock was held all along, as a long computation in C holds it — counts for no more
than the CPU time the loop's own thread spent meanwhile: so a long computation in C on the loop
is a stall, while a wait for the lock that another thread of the process held (a test's, when
the local cloud runs in a thread of it: botocore decoding its JSON models) is not. A lateness
during which it was seen in a callback counts for no more than that CPU time and the time the
sampling thread could look at it meanwhile (it can look while the loop's thread waits in a
system call, not while another thread holds the lock), so a callback that blocks in a system
call is a stall and one kept waiting for the lock by another thread is not.
``bgkit local status`` and the ``loop`` member of the local cloud's status show the worst stall;
tests read it there.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

#: wall seconds the watchdog's task sleeps between two looks at the clock
TICK = 0.02
#: a stall longer than this (wall seconds) is counted, and where the loop was is noted
THRESHOLD = 0.1
#: wall seconds between two looks of the sampling thread at the loop
SAMPLE = 0.01
#: stack frames kept of where the loop was during a stall
FRAMES = 16


def run_queue_wait(native_id: int) -> float | None:
    """Seconds the thread ``native_id`` of this process has spent runnable, waiting for a CPU
    (``schedstat``), or ``None`` when the system does not say."""
    try:
        fields = Path(f"/proc/self/task/{native_id}/schedstat").read_text().split()
        return int(fields[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


class LoopWatchdog:
    """Measures the stalls of the asyncio loop it is started on (see the module docstring).

    Attributes:
        worst: the longest stall seen, in wall seconds.
        worst_lag: the longest lateness seen, busy machine included, in wall seconds.
        stalls: how many stalls passed :data:`THRESHOLD`.
        where: the loop's stack (``file:line in function``, innermost last) during the worst
            stall that passed :data:`THRESHOLD`, or empty.
    """

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_lag = 0.0
        self.stalls = 0
        self.where: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._sampler: threading.Thread | None = None
        self._stopped = threading.Event()
        self._loop_thread = 0
        self._last_tick = time.monotonic()
        self._seen: list[str] = []
        self._in_callback = False
        #: when the sampling thread first and last saw the loop in a callback, this tick
        self._looks: tuple[float, float] | None = None

    def start(self) -> None:
        """Start watching the running loop (call from one of its coroutines)."""
        self._loop_thread = threading.get_ident()
        self._stopped.clear()
        self._last_tick = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._tick(threading.get_native_id()))
        self._sampler = threading.Thread(
            target=self._sample, name="bgkit-loop-watchdog", daemon=True
        )
        self._sampler.start()

    async def stop(self) -> None:
        self._stopped.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._sampler is not None:
            self._sampler.join(timeout=1.0)
            self._sampler = None

    def status(self) -> dict[str, Any]:
        """The worst stall and lateness in milliseconds, how many stalls passed the threshold,
        and where the loop was during the worst of them."""
        return {
            "worst_stall_ms": round(self.worst * 1000, 1),
            "worst_lag_ms": round(self.worst_lag * 1000, 1),
            "stalls_over_threshold": self.stalls,
            "threshold_ms": THRESHOLD * 1000,
            "where": list(self.where),
        }

    async def _tick(self, native_id: int) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before, waited, cpu = loop.time(), run_queue_wait(native_id), time.thread_time()
            await asyncio.sleep(TICK)
            lag = max(0.0, loop.time() - before - TICK)
            after, cpu = run_queue_wait(native_id), time.thread_time() - cpu
            busy = after - waited if after is not None and waited is not None else 0.0
            self._note(lag, max(0.0, lag - busy), cpu)

    def _note(self, lag: float, stall: float, cpu: float | None = None) -> None:
        """One tick's lateness and stall, and the CPU time the loop's thread spent in it."""
        self._last_tick = time.monotonic()
        seen, self._seen = self._seen, []
        in_callback, self._in_callback = self._in_callback, False
        looks, self._looks = self._looks, None
        self.worst_lag = max(self.worst_lag, lag)
        if not in_callback:  # never seen in its own work: only what its thread computed counts
            if cpu is not None:
                stall = min(stall, cpu)
            elif seen:  # seen waiting in select all along
                stall = 0.0
        elif cpu is not None:  # and what it waited for in system calls, seen by the looks
            seen_for = looks[1] - looks[0] + SAMPLE if looks else 0.0
            stall = min(stall, cpu + THRESHOLD / 2 + TICK + seen_for)
        if stall > THRESHOLD:
            self.stalls += 1
            if stall > self.worst and seen and in_callback:
                self.where = seen
        self.worst = max(self.worst, stall)

    def _sample(self) -> None:
        """Beside the loop: note its stack, again and again, while a tick is half
        :data:`THRESHOLD` late (the last note is the one kept)."""
        while not self._stopped.wait(SAMPLE):
            if time.monotonic() - self._last_tick < THRESHOLD / 2 + TICK:
                continue
            frame = sys._current_frames().get(self._loop_thread)
            if frame is None:
                continue
            idle = frame.f_code.co_name == "select" and frame.f_code.co_filename.endswith(
                "selectors.py"
            )
            if idle and self._in_callback:
                continue  # keep where its own work was seen
            self._in_callback = self._in_callback or not idle
            if not idle:
                now = time.monotonic()
                self._looks = (self._looks[0] if self._looks else now, now)
            self._seen = [
                f"{Path(entry.filename).name}:{entry.lineno} in {entry.name}"
                for entry in traceback.extract_stack(frame)[-FRAMES:]
            ]

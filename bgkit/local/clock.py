"""The local cloud's one clock.

Local time runs ``speed`` times as fast as the wall clock (``BGKIT_CLOCK``; 60 makes a minute pass
each second) and tests can move it forward by hand with :meth:`Clock.advance`. The clock keeps its
anchor in the store, so after a restart local time goes on from where it was — time that passed
while the local cloud was down counts too, at the same speed, as it would on AWS.

Times are epoch seconds (``float``), the form AWS's JSON protocols put on the wire.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bgkit.local.store import Store

ANCHOR = "clock"


class Clock:
    """Local time: ``local_anchor + (wall - wall_anchor) * speed``.

    Args:
        store: where the anchor survives restarts; ``None`` keeps it in memory.
        speed: how many local seconds pass in one wall second (> 0).
        wall: the wall clock, injectable for tests.
    """

    def __init__(
        self, store: Store | None = None, speed: float = 1.0, wall: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._wall = wall
        self._lock = threading.Lock()
        now_wall = wall()
        saved = store.get_meta(ANCHOR) if store is not None else None
        if saved is None:
            local = now_wall
        else:
            local = saved["local"] + (now_wall - saved["wall"]) * saved["speed"]
        self._anchor(local, now_wall, _positive(speed))

    def _anchor(self, local: float, wall: float, speed: float) -> None:
        # One assignment, so that a reader on another thread never sees half an anchor.
        self._state = (local, wall, speed)
        if self._store is not None:
            self._store.set_meta(ANCHOR, {"local": local, "wall": wall, "speed": speed})

    @property
    def speed(self) -> float:
        """How many local seconds pass in one wall second."""
        return self._state[2]

    def now(self) -> float:
        """Local time, in epoch seconds."""
        local, wall, speed = self._state
        return local + (self._wall() - wall) * speed

    def advance(self, seconds: float) -> float:
        """Move local time forward by ``seconds`` at once; returns the new local time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            local = self.now() + seconds
            self._anchor(local, self._wall(), self.speed)
        return local

    def set_speed(self, speed: float) -> None:
        with self._lock:
            self._anchor(self.now(), self._wall(), _positive(speed))

    def wall_seconds(self, local_seconds: float) -> float:
        """How long ``local_seconds`` of local time take on the wall clock."""
        return local_seconds / self.speed


def _positive(speed: float) -> float:
    if speed <= 0:
        raise ValueError(f"the clock speed must be positive, not {speed}")
    return float(speed)

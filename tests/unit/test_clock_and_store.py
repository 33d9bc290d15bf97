"""The local cloud's clock and store: time that survives restarts, and all-or-nothing calls."""

from __future__ import annotations

import re

import pytest

from bgkit.local.clock import Clock
from bgkit.local.ids import Ids
from bgkit.local.store import Store


class Wall:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_local_time_runs_at_the_clock_speed():
    wall = Wall()
    clock = Clock(speed=60, wall=wall)
    start = clock.now()
    wall.now += 2
    assert clock.now() == pytest.approx(start + 120)
    assert clock.wall_seconds(60) == pytest.approx(1)


def test_advance_moves_local_time_at_once_and_only_forward():
    wall = Wall()
    clock = Clock(wall=wall)
    start = clock.now()
    assert clock.advance(300) == pytest.approx(start + 300)
    wall.now += 1
    assert clock.now() == pytest.approx(start + 301)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)


def test_a_restart_resumes_local_time_including_the_time_it_was_down(tmp_path):
    wall = Wall()
    store = Store(tmp_path / "state.sqlite3")
    clock = Clock(store, speed=60, wall=wall)
    clock.advance(1000)
    before = clock.now()
    store.close()
    wall.now += 5  # down for 5 wall seconds at 60x: 300 local seconds pass
    again = Clock(Store(tmp_path / "state.sqlite3"), speed=60, wall=wall)
    assert again.now() == pytest.approx(before + 300)


def test_changing_the_speed_keeps_local_time_continuous():
    wall = Wall()
    clock = Clock(speed=1, wall=wall)
    wall.now += 10
    at = clock.now()
    clock.set_speed(100)
    assert clock.now() == pytest.approx(at)
    wall.now += 1
    assert clock.now() == pytest.approx(at + 100)
    with pytest.raises(ValueError):
        clock.set_speed(0)


def test_a_transaction_that_raises_changes_nothing_ids_included():
    store = Store()
    ids = Ids(store)
    with store.transaction():
        first = ids.hex("vpc", 17)
    with pytest.raises(RuntimeError), store.transaction():
        store.put("p", "role", "half", {"RoleName": "half"})
        ids.hex("vpc", 17)
        raise RuntimeError("refused")
    assert store.get("p", "role", "half") is None
    with store.transaction():
        second = ids.hex("vpc", 17)
    assert second != first
    fresh = Store()
    assert Ids(fresh).hex("vpc", 17) == first  # the same id a fresh state draws first
    fresh.close()


def test_records_keep_creation_order_across_updates(tmp_path):
    store = Store(tmp_path / "state.sqlite3")
    for name in ("a", "b", "c"):
        store.put("p", "kind", name, {"name": name, "version": 1})
    store.put("p", "kind", "a", {"name": "a", "version": 2})
    assert [r["name"] for r in store.list("p", "kind")] == ["a", "b", "c"]
    assert store.get("p", "kind", "a")["version"] == 2
    assert store.delete("p", "kind", "b") is True
    assert store.delete("p", "kind", "b") is False
    store.close()
    reopened = Store(tmp_path / "state.sqlite3")
    assert [r["name"] for r in reopened.list("p", "kind")] == ["a", "c"]
    reopened.close()


def test_ids_have_aws_formats():
    ids = Ids(Store())
    assert len(ids.hex("sg", 17)) == 17 and set(ids.hex("sg", 17)) <= set("0123456789abcdef")
    assert re.fullmatch(r"[A-Z0-9]{9}", ids.upper("deployment", 9))
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        ids.uuid("application"),
    )

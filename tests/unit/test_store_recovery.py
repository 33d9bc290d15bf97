"""A state database that is not sound SQLite is moved aside, never reused, and said so once."""

from __future__ import annotations

import logging

import pytest

from bgkit.local.store import Store


@pytest.mark.parametrize(
    "garbage",
    [b"this is not a database" * 100, b"SQLite format 3\x00" + b"\xff" * 4080],
    ids=["text", "broken-header"],
)
def test_a_corrupt_database_is_moved_aside_and_the_store_starts_empty(tmp_path, caplog, garbage):
    path = tmp_path / "state.sqlite3"
    path.write_bytes(garbage)
    with caplog.at_level(logging.WARNING, logger="bgkit.local.store"):
        store = Store(path)
    try:
        assert store.moved_aside is not None
        assert store.moved_aside.name.startswith("state.sqlite3.corrupt-")
        assert store.moved_aside.read_bytes() == garbage  # kept as it was, for the user
        assert store.list(None, "role") == []
        store.put("p", "role", "k", {"a": 1})
        assert store.get("p", "role", "k") == {"a": 1}
    finally:
        store.close()
    [record] = caplog.records
    assert "could not be read" in record.getMessage()
    assert str(store.moved_aside) in record.getMessage()
    assert "bgkit local reset" in record.getMessage()


def test_a_sound_database_is_reused(tmp_path):
    path = tmp_path / "state.sqlite3"
    first = Store(path)
    first.put("p", "role", "k", {"a": 1})
    first.close()
    again = Store(path)
    try:
        assert again.moved_aside is None
        assert again.get("p", "role", "k") == {"a": 1}
    finally:
        again.close()

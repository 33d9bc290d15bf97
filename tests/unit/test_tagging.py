"""The one tag merge: by key, new values win, in each service's shape and order."""

from __future__ import annotations

from bgkit.local.tagging import merge, remove


def tags(*pairs: str, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: pair.split("=")[0], value: pair.split("=")[1]} for pair in pairs]


def test_a_key_given_again_takes_the_new_value_and_keeps_its_place():
    assert merge(tags("a=1", "b=2"), tags("c=3", "a=9")) == tags("a=9", "b=2", "c=3")


def test_merge_changes_neither_argument():
    current, new = tags("a=1"), tags("a=2")
    merged = merge(current, new)
    merged[0]["Value"] = "changed"
    assert current == tags("a=1") and new == tags("a=2")


def test_ecs_tags_are_keyed_by_key():
    current = tags("a=1", key="key", value="value")
    new = tags("a=2", "b=3", key="key", value="value")
    assert merge(current, new, key="key") == tags("a=2", "b=3", key="key", value="value")


def test_maps_merge_the_same_way():
    current = {"a": "1", "b": "2"}
    assert merge(current, {"c": "3", "a": "9"}) == {"a": "9", "b": "2", "c": "3"}
    assert list(merge(current, {"c": "3", "a": "9"})) == ["a", "b", "c"]
    assert current == {"a": "1", "b": "2"}


def test_folded_keys_are_one_key_and_to_end_moves_a_key_given_again():
    merged = merge(tags("team=a", "x=1"), tags("Team=b"), fold=str.lower, to_end=True)
    assert merged == tags("x=1", "Team=b")
    assert merge(tags("team=a", "x=1"), tags("Team=b"), fold=str.lower) == tags("Team=b", "x=1")


def test_remove_takes_keys_away_and_ignores_keys_not_there():
    assert remove(tags("a=1", "b=2", "c=3"), ["a", "c", "z"]) == tags("b=2")
    assert remove({"a": "1", "b": "2"}, ["b"]) == {"a": "1"}
    assert remove(tags("a=1", key="key", value="value"), ["a"], key="key") == []
    assert remove(tags("Team=a", "x=1"), ["TEAM"], fold=str.lower) == tags("x=1")

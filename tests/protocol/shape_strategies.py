"""Hypothesis strategies drawn from botocore's shapes: params an SDK could send, and their mutants.

:func:`params` draws values that keep every constraint of an input shape (required members,
lengths, ranges, enums), with strings often taken from a pool of names and ARNs that exist, so
that a request reaches past "not found". :func:`mutate` then breaks one thing the way a careless
caller or an SDK that does not validate would: a required member left out, a length, range or
enum broken. :func:`mutate_json` and :func:`mutate_form` break the wire form itself (a value of
the wrong JSON type, garbage in a form field), as no SDK would but any HTTP client can.

Values stay small (a few list items, a few optional members, strings up to 24 characters past a
minimum) so that hundreds of requests a second are drawn; the shape walk stops at :data:`DEPTH`.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

from botocore.model import Shape
from hypothesis import strategies as st

#: how deep nested structures are drawn (deeper, only required members)
DEPTH = 5
#: the most items of a list or map drawn, and optional members of a structure
ITEMS = 2
OPTIONAL = 4
TEXT = 24
#: what a mutation may put in place of a value at the wire (any JSON type, and worse)
WIRE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.just("\x00"),
    st.just({"nested": [[[[[[[[[[[]]]]]]]]]]]}),
)
FORM_VALUES = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", "-1", "1e309", "NaN", "true", "x" * 300, "\x00", "%ZZ", "9" * 30]),
)


def params(shape: Shape | None, pool: Sequence[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``shape`` that keep all its constraints.

    Args:
        shape: the shape (``None``: an operation without input, ``{}``).
        pool: strings worth trying (existing names, ARNs, ids).
        depth: how deep the walk is (the caller passes 0).
    """
    if shape is None:
        return st.just({})
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if shape.is_document_type:
            return st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)
        required = {name: params(shape.members[name], pool, depth + 1)
                    for name in shape.required_members}  # fmt: skip
        optional = {}
        if depth < DEPTH:
            optional = {
                name: params(member, pool, depth + 1)
                for name, member in shape.members.items()
                if name not in required and member.serialization.get("location") != "uri"
            }
        return _structure(required, optional)
    if kind == "list":
        low, high = _bounds(meta, ITEMS)
        if depth >= DEPTH and low == 0:
            return st.just([])
        return st.lists(params(shape.member, pool, depth + 1), min_size=low, max_size=high)
    if kind == "map":
        low, high = _bounds(meta, ITEMS)
        keys = params(shape.key, pool, depth + 1)
        return st.dictionaries(keys, params(shape.value, pool, depth + 1), min_size=low,
                               max_size=high)  # fmt: skip
    return _scalar(shape, pool)


def _structure(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[Any]:
    if len(optional) <= OPTIONAL:
        return st.fixed_dictionaries(required, optional=optional)

    @st.composite
    def some(draw: Any) -> dict[str, Any]:
        chosen = draw(st.lists(st.sampled_from(sorted(optional)), max_size=OPTIONAL, unique=True))
        return draw(st.fixed_dictionaries({**required, **{n: optional[n] for n in chosen}}))

    return some()


def _bounds(meta: dict[str, Any], most: int) -> tuple[int, int]:
    low = int(meta.get("min", 0))
    high = max(low, min(int(meta.get("max", low + most)), low + most))
    return low, high


def _scalar(shape: Shape, pool: Sequence[str]) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "string":
        if meta.get("enum"):
            return st.sampled_from(meta["enum"])
        low, high = _bounds(meta, TEXT)
        fits = [text for text in pool if low <= len(text) <= int(meta.get("max", 10**9))]
        text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=low,
                       max_size=high)  # fmt: skip
        return st.one_of(st.sampled_from(fits), text) if fits else text
    if kind in ("integer", "long", "short", "byte"):
        low = int(meta.get("min", -(2**31)))
        high = int(meta.get("max", 2**31 - 1))
        return st.integers(min_value=low, max_value=high)
    if kind in ("float", "double"):
        return st.floats(
            min_value=meta.get("min"), max_value=meta.get("max"), allow_nan=False,
            allow_infinity=False,
        )  # fmt: skip
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes(
            min_value=datetime.datetime(1971, 1, 1), max_value=datetime.datetime(2100, 1, 1),
            timezones=st.just(datetime.timezone.utc),
        )  # fmt: skip
    if kind == "blob":
        low, high = _bounds(meta, 16)
        return st.binary(min_size=low, max_size=high)
    return st.none()


# --- mutants -------------------------------------------------------------------------------


def mutation_points(shape: Shape, value: Any, path: tuple[Any, ...] = ()) -> list[tuple]:
    """Every ``(path, shape, kind)`` where a mutation can break a constraint of ``value``."""
    points: list[tuple] = []
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not shape.is_document_type:
        for name in shape.required_members:
            member = shape.members[name]
            if name in value and member.serialization.get("location") != "uri":
                points.append(((*path, name), member, "drop"))
        for name, item in value.items():
            points += mutation_points(shape.members[name], item, (*path, name))
        return points
    meta = shape.metadata
    if kind in ("string", "list", "blob") and "max" in meta and meta["max"] < 5000:
        points.append((path, shape, "too_long"))
    if kind in ("string", "list", "map", "blob") and meta.get("min", 0) > 0:
        points.append((path, shape, "too_short"))
    if kind == "string" and meta.get("enum"):
        points.append((path, shape, "not_in_enum"))
    if kind in ("integer", "long") and ("min" in meta or "max" in meta):
        points.append((path, shape, "out_of_range"))
    if kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            points += mutation_points(shape.member, item, (*path, index))
    return points


def mutate(value: Any, point: tuple) -> Any:
    """``value`` with the constraint at ``point`` (from :func:`mutation_points`) broken."""
    path, shape, kind = point
    if not path:
        return value
    parent = value
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if kind == "drop":
        del parent[last]
    else:
        parent[last] = _broken(shape, kind, parent[last])
    return value


def _broken(shape: Shape, kind: str, current: Any) -> Any:
    meta = shape.metadata
    if kind == "not_in_enum":
        return "NOT_" + "_".join(meta["enum"])[:40]
    if kind == "out_of_range":
        return int(meta["max"]) + 1 if "max" in meta else int(meta["min"]) - 1
    size = int(meta["max"]) + 1 if kind == "too_long" else int(meta["min"]) - 1
    if shape.type_name == "string":
        return ("a" * size) if not shape.metadata.get("enum") else current
    if shape.type_name == "blob":
        return b"a" * size
    if shape.type_name == "list":
        item = current[0] if current else None
        return [item] * size if item is not None else []
    return dict(list(current.items())[: max(size, 0)])


def mutate_json(document: Any, choice: int, replacement: Any) -> Any:
    """The JSON document with its ``choice``-th node (depth first) replaced by ``replacement``."""
    nodes = list(_nodes(document, ()))
    path = nodes[choice % len(nodes)]
    if not path:
        return replacement
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = replacement
    return document


def _nodes(value: Any, path: tuple[Any, ...]) -> Any:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*path, index))


def mutate_form(fields: list[tuple[str, str]], choice: int, replacement: str) -> str:
    """A form body with its ``choice``-th field's value replaced (or, past the last, a field
    dropped)."""
    from urllib.parse import urlencode

    fields = list(fields)
    if fields:
        index = choice % (len(fields) + 1)
        if index == len(fields):
            del fields[choice % len(fields)]
        elif fields[index][0] not in ("Action", "Version"):
            fields[index] = (fields[index][0], replacement)
    return urlencode(fields)


def json_text(document: Any) -> str:
    """JSON as a client writes it (large integers whole)."""
    return json.dumps(document)

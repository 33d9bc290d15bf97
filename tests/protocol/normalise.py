"""One comparable form for values of a shape, whichever side wrote them.

The compliance cases spell timestamps as epoch seconds, blobs as text and special floats as
``"NaN"``; parsers give ``datetime``, ``bytes`` and ``float('nan')``. :func:`normalise` maps both to
epoch seconds, bytes and ``repr(float)``, and drops ``None`` members, so ``==`` compares meaning.
"""

from __future__ import annotations

import datetime
from typing import Any

from botocore.model import Shape


def normalise(shape: Shape | None, value: Any) -> Any:
    """``value`` of ``shape`` in a form that compares equal when it means the same."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return value
        return {
            name: normalise(shape.members.get(name), item)
            for name, item in value.items()
            if item is not None
        }
    if kind == "list":
        return [normalise(shape.member, item) for item in value]
    if kind == "map":
        return {key: normalise(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        if isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=datetime.timezone.utc)
            return round(value.timestamp(), 6)
        return round(float(value), 6)
    if kind == "blob":
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if kind in ("float", "double"):
        return repr(float(value))
    return value

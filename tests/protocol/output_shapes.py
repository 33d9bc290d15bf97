"""A response checked against its output shape: required members present, no unknown members,
every value of its shape's type (and of its enum, when the shape has one).

botocore's parser reads only the members a shape lists and never asks for a required one, so an
answer missing a required member, or a provider writing a member under a name the shape does not
have (which the serialiser then leaves out), passes every client silently. This check does not::

    from protocol.output_shapes import output_problems

    assert output_problems(operation.output_shape, result) == []
"""

from __future__ import annotations

import datetime
from typing import Any

from botocore.model import Shape

__all__ = ["output_problems"]

#: Python types a value of each scalar shape type may have (as a provider returns it, or as
#: botocore's parser gives it back: timestamps as datetimes or epoch seconds, blobs as bytes)
SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (datetime.datetime, int, float),
    "blob": (bytes, bytearray, str),
}


def output_problems(shape: Shape | None, value: Any, where: str = "") -> list[str]:
    """What is wrong with ``value`` as a value of ``shape``, one line a problem (none: ``[]``).

    Args:
        shape: an operation's output shape (or any shape inside it); ``None`` for an operation
            without output, whose answer must then be empty.
        value: the answer, as a provider returns it or as botocore parses it.
        where: the path of ``value`` in the answer, for the messages.
    """
    if shape is None:
        extra = set(value or ()) - {"ResponseMetadata"}
        return [f"{where or 'answer'}: the operation has no output"] if extra else []
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, value, where)
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: a list expected, not {type(value).__name__}"]
        problems: list[str] = []
        for n, item in enumerate(value):
            problems += output_problems(shape.member, item, f"{where}[{n}]")
        return problems
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: a map expected, not {type(value).__name__}"]
        problems = []
        for key, item in value.items():
            problems += output_problems(shape.key, key, f"{where}.<key>")
            problems += output_problems(shape.value, item, f"{where}[{key!r}]")
        return problems
    return _scalar(shape, value, where)


def _structure(shape: Any, value: Any, where: str) -> list[str]:
    if shape.is_document_type:
        return []
    if not isinstance(value, dict):
        return [f"{where or 'answer'}: a structure expected, not {type(value).__name__}"]
    problems = []
    # members bound to the HTTP envelope (status code, headers) and the parser's own metadata
    # are no part of the body
    unknown = sorted(set(value) - set(shape.members) - {"ResponseMetadata"})
    problems += [f"{where}.{name}: no member of {shape.name}" for name in unknown]
    if not shape.is_tagged_union:
        missing = [n for n in shape.required_members if value.get(n) is None]
        problems += [f"{where}.{name}: required by {shape.name}, missing" for name in missing]
    for name, member in shape.members.items():
        if value.get(name) is not None:
            problems += output_problems(member, value[name], f"{where}.{name}")
    return problems


def _scalar(shape: Shape, value: Any, where: str) -> list[str]:
    allowed = SCALARS.get(shape.type_name, (object,))
    if shape.type_name in ("integer", "long", "float", "double") and isinstance(value, bool):
        return [f"{where}: a {shape.type_name} expected, not a boolean"]
    if not isinstance(value, allowed):
        return [f"{where}: a {shape.type_name} expected, not {type(value).__name__} {value!r}"]
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        return [f"{where}: {value!r} is no value of {shape.name} ({', '.join(enum)})"]
    return []

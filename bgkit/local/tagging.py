"""Tags added to and taken from a resource: the one tag merge of the local cloud's services.

Each service keeps a resource's tags in the shape its API carries them: a list of ``{Key,
Value}`` (EC2, ELBv2, CodeDeploy, IAM), a list of ``{key, value}`` (ECS), or a map from key to
value (CloudWatch Logs). :func:`merge` and :func:`remove` take any of them and answer in the same
shape. What a service allows — how many tags, which keys and values — and how it words a refusal
stay with the service: it checks the tags it is sent, and the merged tags, itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, overload

__all__ = ["merge", "remove"]

T = TypeVar("T")


def _same(key: str) -> str:
    return key


def _merged(
    current: Iterable[T],
    new: Iterable[T],
    key_of: Callable[[T], str],
    fold: Callable[[str], str],
    to_end: bool,
) -> list[T]:
    merged = {fold(key_of(item)): item for item in current}
    for item in new:
        name = fold(key_of(item))
        if to_end:
            merged.pop(name, None)
        merged[name] = item
    return list(merged.values())


@overload
def merge(
    current: Mapping[str, str],
    new: Mapping[str, str],
    *,
    key: str = ...,
    fold: Callable[[str], str] | None = ...,
    to_end: bool = ...,
) -> dict[str, str]: ...


@overload
def merge(
    current: Iterable[Mapping[str, Any]],
    new: Iterable[Mapping[str, Any]],
    *,
    key: str = ...,
    fold: Callable[[str], str] | None = ...,
    to_end: bool = ...,
) -> list[dict[str, Any]]: ...


def merge(
    current: Any,
    new: Any,
    *,
    key: str = "Key",
    fold: Callable[[str], str] | None = None,
    to_end: bool = False,
) -> Any:
    """A resource's tags after adding ``new``: by key, a key given again takes its new value.

    A key given again keeps its place, and keys not there yet follow in the order given; neither
    argument is changed.

    Args:
        current: the tags the resource has: a list of tags, or a map.
        new: the tags to add, in the same shape.
        key: the member of a listed tag that holds its key (``Key``; ECS: ``key``).
        fold: keys equal once folded are one key (IAM: ``str.lower``); the new spelling wins.
        to_end: a key given again leaves its place and follows the others (IAM's order).
    """
    fold = fold or _same
    if isinstance(current, Mapping):
        pairs = _merged(current.items(), dict(new).items(), lambda pair: pair[0], fold, to_end)
        return dict(pairs)
    return [dict(tag) for tag in _merged(current, new, lambda tag: tag[key], fold, to_end)]


@overload
def remove(
    tags: Mapping[str, str],
    keys: Iterable[str],
    *,
    key: str = ...,
    fold: Callable[[str], str] | None = ...,
) -> dict[str, str]: ...


@overload
def remove(
    tags: Iterable[Mapping[str, Any]],
    keys: Iterable[str],
    *,
    key: str = ...,
    fold: Callable[[str], str] | None = ...,
) -> list[dict[str, Any]]: ...


def remove(
    tags: Any,
    keys: Iterable[str],
    *,
    key: str = "Key",
    fold: Callable[[str], str] | None = None,
) -> Any:
    """``tags`` without the tags of ``keys`` (a key the resource does not have is no error).

    Args:
        tags: the tags the resource has: a list of tags, or a map.
        keys: the keys to take away.
        key: the member of a listed tag that holds its key (``Key``; ECS: ``key``).
        fold: keys equal once folded are one key (IAM: ``str.lower``).
    """
    fold = fold or _same
    gone = {fold(name) for name in keys}
    if isinstance(tags, Mapping):
        return {name: value for name, value in tags.items() if fold(name) not in gone}
    return [dict(tag) for tag in tags if fold(tag[key]) not in gone]

"""IAM's checks of request members, its pager and its tag checks, shared by its operations.

The checks answer as IAM does: ``ValidationError`` with the model's constraint for a name, a path
or a session duration out of bounds, ``InvalidInput`` for an ARN that is not one. :data:`PAGER`
cuts a list into ``Marker`` pages (:mod:`bgkit.local.paging`); :func:`merge_tags` adds tags
(:mod:`bgkit.local.tagging`) with IAM's quotas and messages.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.paging import Pager, Tokens
from bgkit.local.tagging import merge

__all__ = [
    "MAX_ATTACHED",
    "MAX_INLINE_BYTES",
    "MAX_MANAGED_BYTES",
    "PAGER",
    "POLICY_PATH",
    "ROLE_PATH",
    "check_arn",
    "check_name",
    "check_path",
    "check_session_duration",
    "invalid",
    "merge_tags",
]

ROLE_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)
ROLE_PATH = re.compile(r"/|/[\u0021-\u007E]+/")
POLICY_PATH = re.compile(r"((/[A-Za-z0-9.,+@=_-]+)*)/")
TAG = re.compile(r"[\w\s.:/=+\-@]*")

MAX_ATTACHED = 10  # managed policies per role (IAM's default quota)
MAX_TAGS = 50
MAX_INLINE_BYTES = 10240  # all inline policies of a role together
MAX_MANAGED_BYTES = 6144
DEFAULT_MAX_ITEMS = 100


def invalid(value: Any, member: str, constraint: str) -> ServiceError:
    return ServiceError(
        "ValidationError",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}",
    )


def check_name(value: str, member: str, max_len: int) -> None:
    if len(value) > max_len:
        raise invalid(value, member, f"Member must have length less than or equal to {max_len}")
    if not ROLE_NAME.fullmatch(value):
        raise invalid(
            value, member, f"Member must satisfy regular expression pattern: {ROLE_NAME.pattern}"
        )


def check_path(value: str, pattern: re.Pattern[str]) -> None:
    if len(value) > 512:
        raise invalid(value, "path", "Member must have length less than or equal to 512")
    if not pattern.fullmatch(value):
        raise invalid(
            value, "path", f"Member must satisfy regular expression pattern: {pattern.pattern}"
        )


def check_session_duration(value: int | None) -> None:
    if value is not None and not 3600 <= value <= 43200:
        bound = "greater than or equal to 3600" if value < 3600 else "less than or equal to 43200"
        raise invalid(value, "maxSessionDuration", f"Member must have value {bound}")


def check_arn(arn: str) -> None:
    if not arn.startswith("arn:") or len(arn.split(":", 5)) != 6:
        raise ServiceError("InvalidInput", f"ARN {arn} is not valid.")


def merge_tags(current: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    """A role's or policy's tags after adding ``new``, checked as IAM checks them (a key already
    there, in any case, takes the new value and moves to the end)."""
    if len(new) > MAX_TAGS:
        raise invalid(new, "tags", f"Member must have length less than or equal to {MAX_TAGS}")
    keys = [t["Key"].lower() for t in new]
    if len(keys) != len(set(keys)):
        raise ServiceError(
            "InvalidInput",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        )
    for tag in new:
        for member, value, limit in (("key", tag["Key"], 128), ("value", tag["Value"], 256)):
            if len(value) > limit:
                raise invalid(
                    value,
                    f"tags.{member}",
                    f"Member must have length less than or equal to {limit}",
                )
            if not TAG.fullmatch(value):
                raise invalid(
                    value, f"tags.{member}",
                    r"Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*",
                )  # fmt: skip
    merged = merge(current, new, fold=str.lower, to_end=True)
    if len(merged) > MAX_TAGS:
        raise ServiceError("LimitExceeded", f"Cannot exceed quota for TagsPerRole: {MAX_TAGS}.")
    return merged


def _write_marker(offset: int) -> str:
    return base64.b64encode(f"bgkit:{offset}".encode()).decode()


def _read_marker(marker: str) -> int | None:
    try:
        return int(base64.b64decode(marker.encode(), validate=True).decode().split(":")[1])
    except (ValueError, IndexError):
        return None


#: IAM's pages: opaque base64 markers, 100 items unless ``MaxItems`` says, a marker past the end
#: an empty last page
PAGER = Pager(
    "iam",
    lambda marker: ServiceError(
        "ValidationError", f"Invalid Marker: {marker}; pass the Marker of the last page."
    ),
    tokens=Tokens(write=_write_marker, read=_read_marker, bounded=False),
    size=lambda asked: asked or DEFAULT_MAX_ITEMS,
)

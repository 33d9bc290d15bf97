"""What an S3 request asks beyond its members: its key, conditions, byte range and tag header.

``If-Match`` / ``If-None-Match`` compare ETags (``PreconditionFailed`` 412, ``NotModified``
304); a put's ``If-None-Match: *`` refuses to replace an object; ``Range: bytes=a-b`` (or
``a-``, ``-n``) picks bytes, one outside the object is ``InvalidRange`` (416) and one S3 cannot
read is ignored, as S3 does; ``x-amz-tagging`` is URL-encoded ``k=v&…``. Sources: the
*GetObject* and *PutObject* references, RFC 9110's range requests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from botocore import xform_name

from bgkit.local.provider import RequestContext
from bgkit.local.services.s3 import buckets as rules
from bgkit.local.services.s3.errors import S3Error
from bgkit.local.services.s3.models import objects as records

__all__ = [
    "byte_range",
    "check_absent",
    "check_conditions",
    "check_key",
    "checksum_param",
    "snake",
    "tag_header",
]


def checksum_param(algorithm: str) -> str:
    """The provider parameter of an algorithm's checksum: ``checksum_crc32`` …"""
    return f"checksum_{algorithm.lower()}"


def snake(name: str) -> str:
    """A member's provider parameter: ``CacheControl`` → ``cache_control``."""
    return xform_name(name)


def check_key(key: str) -> None:
    if not key:
        raise S3Error("InvalidArgument", "An object key must not be empty.")
    if len(key.encode("utf-8")) > 1024:
        raise S3Error("KeyTooLongError", "Your key is too long", 400, {"Size": str(len(key))})


def tag_header(tagging: str | None) -> list[dict[str, str]]:
    """The tags of ``x-amz-tagging`` (``k1=v1&k2=v2``, URL-encoded)."""
    if not tagging:
        return []
    pairs = parse_qsl(tagging, keep_blank_values=True)
    return rules.check_tags([{"Key": k, "Value": v} for k, v in pairs], rules.OBJECT_TAGS)


def check_absent(ctx: RequestContext, bucket: dict[str, Any], key: str, if_none_match: str) -> None:
    if if_none_match != "*":
        raise S3Error(
            "NotImplemented", "A header you provided implies functionality that is not "
            "implemented: If-None-Match takes '*' on a put.", 501, {"Header": "If-None-Match"},
        )  # fmt: skip
    latest = records(ctx, bucket["Name"]).get(key)
    if latest is not None and not latest["versions"][0]["DeleteMarker"]:
        raise S3Error(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
            {"Condition": "If-None-Match"},
        )


def check_conditions(version: dict[str, Any], params: dict[str, Any]) -> None:
    """``If-Match`` and ``If-None-Match`` of a get or head, by ETag."""
    if_match, if_none_match = params.get("if_match"), params.get("if_none_match")
    etag = version["ETag"]
    if if_match is not None and if_match not in ("*", etag, etag.strip('"')):
        raise S3Error(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
            {"Condition": "If-Match"},
        )
    if if_none_match is not None and if_none_match in ("*", etag, etag.strip('"')):
        raise S3Error("NotModified", "Not Modified", 304)


def byte_range(text: str, size: int) -> tuple[int, int]:
    """The first and last byte of a ``Range: bytes=…`` header, or ``InvalidRange``."""
    unit, _, spec = text.partition("=")
    first, _, last = spec.partition("-")
    try:
        if unit.strip() != "bytes" or "," in spec:
            raise ValueError
        if first == "":
            start, end = max(size - int(last), 0), size - 1
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
    except ValueError:
        return 0, size - 1  # S3 ignores a Range it cannot read
    if start >= size or start > end:
        raise S3Error(
            "InvalidRange",
            "The requested range is not satisfiable",
            416,
            {"RangeRequested": text, "ActualObjectSize": str(size)},
        )
    return start, end

"""Buckets: their names, where they live (``LocationConstraint``), and their tag sets.

Name rules (S3's *Bucket naming rules*): 3 to 63 characters of lower-case letters, digits, dots
and hyphens, beginning and ending with a letter or digit, no two adjacent dots, not an IP
address, none of the reserved prefixes (``xn--``, ``sthree-``, ``amzn-s3-demo-``) and suffixes
(``-s3alias``, ``--ol-s3``, ``.mrap``, ``--x-s3``, ``--table-s3``); anything else is
``InvalidBucketName``.

Location (the *CreateBucket* reference and its errors): a bucket is made in the region the
request is signed for. In ``us-east-1`` no ``LocationConstraint`` is given (giving
``us-east-1`` is ``InvalidLocationConstraint``); in any other region the constraint must name
that region (none, or another, is ``IllegalLocationConstraintException``). Creating a bucket you
already own is ``BucketAlreadyOwnedByYou`` (409), except in ``us-east-1``, which answers 200 for
legacy compatibility. ``GetBucketLocation`` answers no constraint for ``us-east-1``.

Tags (*PutBucketTagging*, *PutObjectTagging*): at most 50 on a bucket and 10 on an object, keys
of 1 to 128 characters and values of up to 256, unique keys, none beginning with ``aws:``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from bgkit.local.services.s3.errors import S3Error

__all__ = [
    "check_bucket_name",
    "check_location",
    "check_tags",
    "region_of",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
#: the legacy constraints that stand for a region
_LEGACY = {"EU": "eu-west-1"}
BUCKET_TAGS = 50
OBJECT_TAGS = 10


def check_bucket_name(name: str) -> None:
    """Refuse a bucket name S3 does not allow (``InvalidBucketName``)."""
    allowed = (
        bool(_NAME.match(name))
        and ".." not in name
        and not name.startswith(_PREFIXES)
        and not name.endswith(_SUFFIXES)
        and not _is_ip(name)
    )
    if not allowed:
        raise S3Error(
            "InvalidBucketName",
            "The specified bucket is not valid. A bucket name has 3 to 63 lower-case letters, "
            "digits, dots and hyphens, and begins and ends with a letter or digit.",
            400,
            {"BucketName": name},
        )


def _is_ip(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def check_location(region: str, configuration: dict[str, Any] | None) -> str:
    """The region a new bucket lives in, from the request's region and its configuration.

    Raises:
        S3Error: ``InvalidLocationConstraint`` or ``IllegalLocationConstraintException``.
    """
    constraint = (configuration or {}).get("LocationConstraint")
    if region == "us-east-1":
        if constraint in (None, ""):
            return region
        if constraint == "us-east-1":
            raise S3Error(
                "InvalidLocationConstraint",
                "The specified location-constraint is not valid: us-east-1 takes none; leave "
                "CreateBucketConfiguration out.",
                400,
                {"LocationConstraint": constraint},
            )
        raise _illegal(constraint, region)
    if constraint in (None, ""):
        raise S3Error(
            "IllegalLocationConstraintException",
            "The unspecified location constraint is incompatible for the region specific "
            f"endpoint this request was sent to. Pass CreateBucketConfiguration="
            f"{{'LocationConstraint': '{region}'}}.",
        )
    if _LEGACY.get(constraint, constraint) != region:
        raise _illegal(constraint, region)
    return region


def _illegal(constraint: str, region: str) -> S3Error:
    return S3Error(
        "IllegalLocationConstraintException",
        f"The {constraint} location constraint is incompatible for the region specific endpoint "
        f"this request was sent to ({region}); send the request to {constraint}, or pass "
        f"LocationConstraint '{region}'.",
    )


def region_of(bucket: dict[str, Any]) -> str | None:
    """The ``LocationConstraint`` ``GetBucketLocation`` answers: none for ``us-east-1``."""
    return None if bucket["Region"] == "us-east-1" else bucket["Region"]


def check_tags(tags: list[dict[str, Any]], limit: int) -> list[dict[str, str]]:
    """A tag set as S3 keeps it (``[{Key, Value}]``), or S3's refusal of it."""
    if len(tags) > limit:
        kind = "bucket" if limit == BUCKET_TAGS else "object"
        raise S3Error(
            "BadRequest" if limit == BUCKET_TAGS else "InvalidTag",
            f"Object tags cannot be greater than {limit}"
            if limit == OBJECT_TAGS
            else f"Bucket tag count cannot be greater than {limit}",
            400,
            {"TagCount": str(len(tags))} if kind == "object" else None,
        )
    seen = set()
    kept = []
    for tag in tags:
        key, value = tag.get("Key", ""), tag.get("Value", "")
        if not 1 <= len(key) <= 128:
            raise _invalid_tag("The TagKey you have provided is invalid", key)
        if len(value) > 256:
            raise _invalid_tag("The TagValue you have provided is invalid", key)
        if key.startswith("aws:"):
            raise _invalid_tag("Your TagKey cannot be prefixed with aws:", key)
        if key in seen:
            raise _invalid_tag("Cannot provide multiple Tags with the same key", key)
        seen.add(key)
        kept.append({"Key": key, "Value": value})
    return kept


def _invalid_tag(message: str, key: str) -> S3Error:
    return S3Error("InvalidTag", message, 400, {"TagKey": key})

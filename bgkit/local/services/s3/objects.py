"""Objects and their versions: what a put adds, what a delete takes, what a get answers.

Versioning (S3's *Using versioning* guide): in a bucket whose versioning was never enabled, or is
``Suspended``, a put replaces the object's ``null`` version; with versioning ``Enabled`` it adds a
version of its own id. A delete without a version id removes the object outright in an
unversioned bucket, and otherwise adds a delete marker (of a new id when ``Enabled``, ``null``,
replacing the ``null`` version, when ``Suspended``), which hides the object: a get of its key is
``NoSuchKey`` with ``x-amz-delete-marker: true``, a get of the marker's version id
``MethodNotAllowed``. A delete with a version id removes that version for good; when it was the
latest, the next one shows again.

A version's bytes are held by :mod:`.storage` (one file a content); a version going lets its file
go once no version holds it.
"""

from __future__ import annotations

import re
import string
from typing import Any

from bgkit.local.provider import RequestContext
from bgkit.local.services.s3 import storage
from bgkit.local.services.s3.errors import (
    S3Error,
    invalid_argument,
    no_such_bucket,
    no_such_key,
    no_such_version,
)
from bgkit.local.services.s3.models import (
    NULL_VERSION,
    buckets,
    find_version,
    objects,
)

__all__ = [
    "add_version",
    "delete_object",
    "object_view",
    "require_bucket",
    "require_version",
    "versioned",
]

_VERSION_ALPHABET = string.ascii_letters + string.digits + "._"
_VERSION_ID = re.compile(r"^(null|[A-Za-z0-9._]{32})$")
#: the object headers a put keeps and a get gives back, by member name
CONTENT_MEMBERS = (
    "ContentType",
    "ContentEncoding",
    "ContentDisposition",
    "ContentLanguage",
    "CacheControl",
    "Expires",
    "WebsiteRedirectLocation",
)


def require_bucket(ctx: RequestContext, name: str) -> dict[str, Any]:
    """The bucket record, or S3's ``NoSuchBucket``."""
    record = buckets(ctx).get(name)
    if record is None:
        raise no_such_bucket(name)
    return record


def versioned(bucket: dict[str, Any]) -> bool:
    """Whether versioning was ever set on the bucket (its answers then carry version ids)."""
    return bucket.get("Versioning") is not None


def check_version_id(version_id: str) -> None:
    if not _VERSION_ID.match(version_id):
        raise invalid_argument("Invalid version id specified", "versionId", version_id)


def require_version(
    ctx: RequestContext, bucket: dict[str, Any], key: str, version_id: str | None
) -> dict[str, Any]:
    """The version a get or head reads: the latest, or ``version_id``'s.

    Raises:
        S3Error: ``NoSuchKey`` (the key has no version, or its latest is a delete marker: then
            with ``x-amz-delete-marker``), ``NoSuchVersion``, ``MethodNotAllowed`` (the version
            asked for is a delete marker), ``InvalidArgument`` (a malformed version id).
    """
    if version_id is not None:
        check_version_id(version_id)
    version = find_version(ctx, bucket["Name"], key, version_id)
    if version is None:
        if version_id is not None:
            raise no_such_version(key, version_id)
        raise no_such_key(key)
    if version["DeleteMarker"]:
        headers = {"x-amz-delete-marker": "true"}
        if versioned(bucket):
            headers["x-amz-version-id"] = version["VersionId"]
        if version_id is None:
            raise no_such_key(key, headers)
        raise S3Error(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource: the version is a "
            "delete marker.",
            405,
            {"Method": "GET", "ResourceType": "DeleteMarker"},
            {**headers, "Allow": "DELETE"},
        )
    return version


def _new_version_id(ctx: RequestContext, bucket: dict[str, Any]) -> str:
    if bucket.get("Versioning") == "Enabled":
        return ctx.ids.draw("s3-version", _VERSION_ALPHABET, 32)
    return NULL_VERSION


def add_version(
    ctx: RequestContext, bucket: dict[str, Any], key: str, version: dict[str, Any]
) -> dict[str, Any]:
    """Make ``version`` (an object's, or a delete marker) the latest of ``key``; return it with
    its ``VersionId``. A ``null`` version replaces the one before it."""
    records = objects(ctx, bucket["Name"])
    record = records.get(key) or {"Key": key, "versions": []}
    version["VersionId"] = _new_version_id(ctx, bucket)
    if version["VersionId"] == NULL_VERSION:
        for old in [v for v in record["versions"] if v["VersionId"] == NULL_VERSION]:
            _forget(ctx, old)
            record["versions"].remove(old)
    record["versions"].insert(0, version)
    records.put(key, record)
    return version


def _forget(ctx: RequestContext, version: dict[str, Any]) -> None:
    if not version["DeleteMarker"]:
        storage.release(ctx, version["Blob"])


def delete_object(
    ctx: RequestContext, bucket: dict[str, Any], key: str, version_id: str | None
) -> dict[str, Any]:
    """Delete ``key`` (or one version of it) as ``DeleteObject`` does; the answer's members
    (``DeleteMarker``, ``VersionId``)."""
    records = objects(ctx, bucket["Name"])
    if version_id is not None:
        check_version_id(version_id)
        record = records.get(key)
        found = next(
            (v for v in (record or {"versions": []})["versions"] if v["VersionId"] == version_id),
            None,
        )
        if found is None:
            return {"VersionId": version_id}
        assert record is not None
        _forget(ctx, found)
        record["versions"].remove(found)
        _keep(records, key, record)
        answer: dict[str, Any] = {"VersionId": version_id}
        if found["DeleteMarker"]:
            answer["DeleteMarker"] = True
        return answer
    if not versioned(bucket):
        record = records.get(key)
        if record is not None:
            for version in record["versions"]:
                _forget(ctx, version)
            records.delete(key)
        return {}
    marker = add_version(
        ctx, bucket, key, {"DeleteMarker": True, "LastModified": round(ctx.now(), 3)}
    )
    return {"DeleteMarker": True, "VersionId": marker["VersionId"]}


def _keep(records: Any, key: str, record: dict[str, Any]) -> None:
    if record["versions"]:
        records.put(key, record)
    else:
        records.delete(key)


def object_view(
    bucket: dict[str, Any], version: dict[str, Any], checksum_mode: str | None
) -> dict[str, Any]:
    """The header members ``GetObject`` and ``HeadObject`` answer for a version."""
    view: dict[str, Any] = {
        "AcceptRanges": "bytes",
        "LastModified": version["LastModified"],
        "ContentLength": version["Size"],
        "ETag": version["ETag"],
        "Metadata": version.get("Metadata") or None,
    }
    for name in CONTENT_MEMBERS:
        if version.get(name) is not None:
            view[name] = version[name]
    if versioned(bucket):
        view["VersionId"] = version["VersionId"]
    if version.get("Tags"):
        view["TagCount"] = len(version["Tags"])
    if version.get("StorageClass", "STANDARD") != "STANDARD":
        view["StorageClass"] = version["StorageClass"]
    if checksum_mode == "ENABLED":
        for algorithm, value in (version.get("Checksum") or {}).items():
            view[f"Checksum{algorithm}"] = value
            view["ChecksumType"] = "FULL_OBJECT"
    return view

"""Listing a bucket: ``ListObjectsV2`` and ``ListObjectVersions``.

Keys are listed in UTF-8 binary order. ``Prefix`` keeps the keys that begin with it;
``Delimiter`` rolls the keys that hold it after the prefix into one ``CommonPrefixes`` entry each
(counted once against ``MaxKeys``, default and most 1,000). ``ListObjectsV2`` pages by an opaque
``ContinuationToken`` (here the base64 of the last key or prefix given) or starts after
``StartAfter``; ``ListObjectVersions`` by ``KeyMarker`` and ``VersionIdMarker``, versions newest
first within a key. With ``EncodingType=url`` (which botocore asks for by default, and decodes)
keys, prefixes, delimiters and markers are URL-encoded in the answer.

Sources: the *ListObjectsV2* and *ListObjectVersions* API references.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from bgkit.local.provider import RequestContext
from bgkit.local.services.s3.errors import invalid_argument
from bgkit.local.services.s3.models import objects

__all__ = ["OWNER", "list_objects_v2", "list_versions"]

MAX_KEYS = 1000
#: the owner of every bucket and object: the local cloud's one account
OWNER = {
    "DisplayName": "bgkit",
    "ID": "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
}


def _entries(
    ctx: RequestContext, bucket: str, prefix: str, delimiter: str | None
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """``(key, record)`` for each key, or ``(common prefix, None)`` once each, in key order."""
    records = sorted(
        (r for r in objects(ctx, bucket).list() if r["Key"].startswith(prefix)),
        key=lambda r: r["Key"].encode("utf-8"),
    )
    last_prefix = None
    for record in records:
        key = record["Key"]
        if delimiter:
            at = key.find(delimiter, len(prefix))
            if at >= 0:
                common = key[: at + len(delimiter)]
                if common != last_prefix:
                    last_prefix = common
                    yield common, None
                continue
        yield key, record


def _encoder(encoding_type: str | None) -> Any:
    if encoding_type is None:
        return lambda text: text
    if encoding_type != "url":
        raise invalid_argument("Invalid Encoding Method specified in Request", "encoding-type",
                               encoding_type)  # fmt: skip
    return lambda text: None if text is None else quote(text, safe="/~")


def _max_keys(max_keys: int | None) -> int:
    if max_keys is None:
        return MAX_KEYS
    if max_keys < 0:
        raise invalid_argument("maxKeys should be non-negative", "max-keys", str(max_keys))
    return min(max_keys, MAX_KEYS)


def _time(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)


def list_objects_v2(ctx: RequestContext, bucket: str, params: dict[str, Any]) -> dict[str, Any]:
    """The ``ListObjectsV2`` answer for ``params`` (its members, snake_case)."""
    encode = _encoder(params.get("encoding_type"))
    prefix = params.get("prefix") or ""
    delimiter = params.get("delimiter") or None
    limit = _max_keys(params.get("max_keys"))
    token = params.get("continuation_token")
    after = params.get("start_after") or ""
    if token is not None:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode("utf-8")
        except (binascii.Error, ValueError):
            raise invalid_argument(
                "The continuation token provided is incorrect", "continuation-token", token
            ) from None
    contents, prefixes = [], []
    truncated, last = False, None
    for name, record in _entries(ctx, bucket, prefix, delimiter):
        if name.encode("utf-8") <= after.encode("utf-8"):
            continue
        if len(contents) + len(prefixes) >= limit:
            truncated = True
            break
        last = name
        if record is None:
            prefixes.append({"Prefix": encode(name)})
            continue
        latest = record["versions"][0]
        if latest["DeleteMarker"]:
            continue
        item = {
            "Key": encode(name),
            "LastModified": _time(latest["LastModified"]),
            "ETag": latest["ETag"],
            "Size": latest["Size"],
            "StorageClass": latest.get("StorageClass", "STANDARD"),
        }
        if latest.get("Checksum"):
            item["ChecksumAlgorithm"] = list(latest["Checksum"])
            item["ChecksumType"] = "FULL_OBJECT"
        if params.get("fetch_owner"):
            item["Owner"] = OWNER
        contents.append(item)
    result: dict[str, Any] = {
        "IsTruncated": truncated,
        "Contents": contents or None,
        "CommonPrefixes": prefixes or None,
        "Name": bucket,
        "Prefix": encode(prefix),
        "Delimiter": encode(delimiter) if delimiter else None,
        "MaxKeys": limit,
        "EncodingType": params.get("encoding_type"),
        "KeyCount": len(contents) + len(prefixes),
        "ContinuationToken": token,
        "StartAfter": encode(params["start_after"]) if params.get("start_after") else None,
    }
    if truncated and last is not None:
        result["NextContinuationToken"] = base64.urlsafe_b64encode(last.encode()).decode()
    return result


def list_versions(ctx: RequestContext, bucket: str, params: dict[str, Any]) -> dict[str, Any]:
    """The ``ListObjectVersions`` answer for ``params`` (its members, snake_case)."""
    encode = _encoder(params.get("encoding_type"))
    prefix = params.get("prefix") or ""
    delimiter = params.get("delimiter") or None
    limit = _max_keys(params.get("max_keys"))
    key_marker = params.get("key_marker") or ""
    version_marker = params.get("version_id_marker")
    if version_marker and not key_marker:
        raise invalid_argument(
            "A version-id marker cannot be specified without a key marker.",
            "version-id-marker",
            version_marker,
        )
    versions, markers, prefixes = [], [], []
    truncated = False
    next_key = next_version = None
    count = 0
    for name, record in _entries(ctx, bucket, prefix, delimiter):
        encoded = name.encode("utf-8")
        if key_marker and (
            encoded < key_marker.encode("utf-8")
            or (encoded == key_marker.encode("utf-8") and not version_marker)
        ):
            continue
        if record is None:
            if count >= limit:
                truncated = True
                break
            prefixes.append({"Prefix": encode(name)})
            next_key, next_version, count = name, None, count + 1
            continue
        entries = record["versions"]
        if key_marker and name == key_marker and version_marker:
            ids = [v["VersionId"] for v in entries]
            entries = entries[ids.index(version_marker) + 1 :] if version_marker in ids else []
        for version in entries:
            if count >= limit:
                truncated = True
                break
            item = {
                "Key": encode(name),
                "VersionId": version["VersionId"],
                "IsLatest": version is record["versions"][0],
                "LastModified": _time(version["LastModified"]),
                "Owner": OWNER,
            }
            if version["DeleteMarker"]:
                markers.append(item)
            else:
                item.update(ETag=version["ETag"], Size=version["Size"],
                            StorageClass=version.get("StorageClass", "STANDARD"))  # fmt: skip
                if version.get("Checksum"):
                    item["ChecksumAlgorithm"] = list(version["Checksum"])
                    item["ChecksumType"] = "FULL_OBJECT"
                versions.append(item)
            next_key, next_version, count = name, version["VersionId"], count + 1
        if truncated:
            break
    result: dict[str, Any] = {
        "IsTruncated": truncated,
        "KeyMarker": encode(key_marker),
        "VersionIdMarker": version_marker,
        "Versions": versions or None,
        "DeleteMarkers": markers or None,
        "Name": bucket,
        "Prefix": encode(prefix),
        "Delimiter": encode(delimiter) if delimiter else None,
        "MaxKeys": limit,
        "CommonPrefixes": prefixes or None,
        "EncodingType": params.get("encoding_type"),
    }
    if truncated:
        result["NextKeyMarker"] = encode(next_key)
        result["NextVersionIdMarker"] = next_version
    return result

"""S3 records: their kinds, keys and ARNs, and the finders other services call.

S3 bucket names are global, so every record lives in the account's global partition (a bucket
keeps its ``Region``):

- ``s3-bucket``, keyed by the bucket's name: ``Name``, ``CreationDate`` (epoch seconds),
  ``Region``, ``Versioning`` (``None`` until set, then ``Enabled`` or ``Suspended``), ``Tags``
  (a ``[{Key, Value}]`` list, or ``None`` when the bucket has no tag set);
- ``s3-object:<bucket>``, keyed by the object's key: ``{"Key", "versions"}``, the versions newest
  first. A version is ``VersionId`` (``"null"`` when versioning was never enabled or is
  suspended), ``LastModified`` (epoch seconds), ``DeleteMarker``, and for an object ``ETag``
  (the MD5, quoted), ``Size``, ``Blob`` (the SHA-256 naming its file), ``ContentType``,
  ``Metadata``, ``Checksum`` (``{"CRC32": base64}`` or empty), ``Tags``, ``StorageClass`` and
  the content headers it was put with (``CacheControl`` …);
- ``s3-blob``, keyed by a SHA-256: ``{"refs": versions holding it, "size"}``; its file is
  ``<state dir>/s3/blobs/<first two hex digits>/<sha256>`` (:func:`blob_path`);
- ``s3-garbage``, keyed by a SHA-256 whose last version went: its file is deleted after the call
  that let it go has committed (:meth:`S3Provider.advance`).

Another service reads an object with :func:`object_version` and writes one through S3's own
operation, ``ctx.call("s3", "PutObject", caller="codepipeline.amazonaws.com", bucket=…, key=…,
body=b"…")`` (``body`` bytes or a binary file), which answers ``ETag`` and ``VersionId``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bgkit.local.provider import Records, RequestContext

__all__ = [
    "BLOB",
    "BUCKET",
    "GARBAGE",
    "NULL_VERSION",
    "TREE",
    "blob_path",
    "blobs",
    "bucket_arn",
    "buckets",
    "find_bucket",
    "object_arn",
    "object_kind",
    "object_version",
    "objects",
    "read_blob",
    "state_tree",
]

BUCKET = "s3-bucket"
BLOB = "s3-blob"
GARBAGE = "s3-garbage"
#: the folder of the state directory that holds S3's objects
TREE = "s3"
#: the version id of an object put while versioning was off or suspended
NULL_VERSION = "null"


def buckets(ctx: RequestContext) -> Records:
    """The account's buckets, keyed by name."""
    return ctx.records(BUCKET, global_=True)


def object_kind(bucket: str) -> str:
    """The kind of the object records of ``bucket``."""
    return f"s3-object:{bucket}"


def objects(ctx: RequestContext, bucket: str) -> Records:
    """The object records of ``bucket``, keyed by object key."""
    return ctx.records(object_kind(bucket), global_=True)


def blobs(ctx: RequestContext) -> Records:
    """The account's object files, keyed by SHA-256: how many versions hold each."""
    return ctx.records(BLOB, global_=True)


def bucket_arn(ctx: RequestContext, name: str) -> str:
    """``arn:aws:s3:::<bucket>`` in the call's partition (an S3 ARN names no region or account)."""
    return f"arn:{ctx.partition}:s3:::{name}"


def object_arn(ctx: RequestContext, bucket: str, key: str) -> str:
    """``arn:aws:s3:::<bucket>/<key>`` in the call's partition."""
    return f"arn:{ctx.partition}:s3:::{bucket}/{key}"


def state_tree(ctx: RequestContext) -> Path:
    """``<state dir>/s3``, where the objects' files live.

    Raises:
        RuntimeError: the store keeps no state directory (an in-memory store).
    """
    if ctx.store.path is None:
        raise RuntimeError("S3 keeps its objects in the state directory; this store has none")
    return Path(ctx.store.path).parent / TREE


def blob_path(ctx: RequestContext, sha256: str) -> Path:
    """The file of the object content whose SHA-256 (hex) is ``sha256``."""
    return state_tree(ctx) / "blobs" / sha256[:2] / sha256


def read_blob(ctx: RequestContext, sha256: str) -> bytes:
    """The bytes of an object content."""
    return blob_path(ctx, sha256).read_bytes()


def find_bucket(ctx: RequestContext, name: str) -> dict[str, Any] | None:
    """The bucket record named ``name``, or ``None``."""
    return buckets(ctx).get(name)


def find_version(
    ctx: RequestContext, bucket: str, key: str, version_id: str | None = None
) -> dict[str, Any] | None:
    """A version record (a delete marker included) of ``bucket``/``key``: the latest, or the one
    ``version_id`` names; ``None`` when there is none. It carries ``Key`` too."""
    record = objects(ctx, bucket).get(key)
    if record is None or not record["versions"]:
        return None
    if version_id is None:
        version = record["versions"][0]
    else:
        version = next((v for v in record["versions"] if v["VersionId"] == version_id), None)
        if version is None:
            return None
    return {**version, "Key": key}


def object_version(
    ctx: RequestContext, bucket: str, key: str, version_id: str | None = None
) -> tuple[dict[str, Any], bytes] | None:
    """An object's record and bytes, as ``GetObject`` would give them.

    Args:
        ctx: the calling service's context.
        bucket: the bucket's name.
        key: the object's key.
        version_id: a version; the latest when ``None``.

    Returns:
        The version's record (``Key``, ``VersionId``, ``ETag``, ``Size``, ``LastModified``,
        ``ContentType``, ``Metadata``, ``Checksum``, ``Tags`` …) and its bytes read from the
        state directory; ``None`` when the bucket, the key or the version does not exist or is a
        delete marker.
    """
    if find_bucket(ctx, bucket) is None:
        return None
    version = find_version(ctx, bucket, key, version_id)
    if version is None or version["DeleteMarker"]:
        return None
    return version, read_blob(ctx, version["Blob"])

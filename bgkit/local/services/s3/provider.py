"""Amazon S3 on the local cloud: buckets, versioning, objects on disk, tags.

Operations: ``CreateBucket``, ``HeadBucket``, ``ListBuckets``, ``GetBucketLocation``,
``DeleteBucket``; ``PutBucketVersioning``, ``GetBucketVersioning``; ``PutObject``,
``GetObject`` (``Range``, ``ChecksumMode``), ``HeadObject``, ``ListObjects``, ``ListObjectsV2``,
``ListObjectVersions``, ``DeleteObject``, ``DeleteObjects``; ``PutBucketTagging``,
``GetBucketTagging``, ``DeleteBucketTagging``, ``PutObjectTagging``, ``GetObjectTagging``,
``DeleteObjectTagging``. Every refusal is S3's code, status and message (:mod:`.errors`), and
leaves the state as it was: an object's bytes reach their file only once every check passed.

Where the rules live: bucket names, locations and tag sets in :mod:`.buckets`; versions and
delete markers in :mod:`.objects`; listings in :mod:`.listing`; conditions, ranges and the
tag header in :mod:`.requests`; bytes on disk in
:mod:`.storage`; the records in :mod:`.models`. Requests may name a bucket of any region (the
local cloud answers them all rather than redirecting). Multipart uploads, copies, ACLs, policies
and presigned URLs are not served.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bgkit.errors import ServiceError
from bgkit.local.checksums import ALGORITHMS, check_digests
from bgkit.local.provider import Provider, RequestContext
from bgkit.local.services.s3 import buckets as rules
from bgkit.local.services.s3 import listing, objects, requests, storage
from bgkit.local.services.s3.errors import S3Error
from bgkit.local.services.s3.models import GARBAGE, bucket_arn, buckets, read_blob
from bgkit.local.services.s3.models import objects as records

__all__ = ["S3Provider"]


class S3Provider(Provider):
    """Amazon S3 (see the module docstring)."""

    service: ClassVar[str] = "s3"
    advancing: ClassVar[tuple[str, ...]] = (GARBAGE,)

    def advance(self, ctx: RequestContext) -> None:
        storage.sweep(ctx)

    # -- buckets -------------------------------------------------------------------------------

    def create_bucket(
        self,
        ctx: RequestContext,
        bucket: str,
        create_bucket_configuration: dict[str, Any] | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        rules.check_bucket_name(bucket)
        region = rules.check_location(ctx.region, create_bucket_configuration)
        existing = buckets(ctx).get(bucket)
        if existing is not None:
            if ctx.region == "us-east-1" and existing["Region"] == "us-east-1":
                return {"Location": f"/{bucket}", "BucketArn": bucket_arn(ctx, bucket)}
            raise S3Error(
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already "
                "own it.",
                409,
                {"BucketName": bucket},
            )
        buckets(ctx).put(
            bucket,
            {
                "Name": bucket,
                "CreationDate": round(ctx.now(), 3),
                "Region": region,
                "Versioning": None,
                "Tags": None,
            },
        )
        location = f"/{bucket}" if region == "us-east-1" else f"http://{bucket}.s3.localhost/"
        return {"Location": location, "BucketArn": bucket_arn(ctx, bucket)}

    def head_bucket(self, ctx: RequestContext, bucket: str, **others: Any) -> dict[str, Any]:
        record = objects.require_bucket(ctx, bucket)
        return {
            "BucketArn": bucket_arn(ctx, bucket),
            "BucketRegion": record["Region"],
            "AccessPointAlias": False,
        }

    def list_buckets(
        self,
        ctx: RequestContext,
        prefix: str | None = None,
        bucket_region: str | None = None,
        max_buckets: int | None = None,
        continuation_token: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        found = sorted(buckets(ctx).list(), key=lambda b: b["Name"])
        found = [
            b
            for b in found
            if b["Name"].startswith(prefix or "")
            and (bucket_region is None or b["Region"] == bucket_region)
            and (continuation_token is None or b["Name"] > continuation_token)
        ]
        limit = max_buckets or 10000
        page = found[:limit]
        result: dict[str, Any] = {
            "Buckets": [
                {
                    "Name": b["Name"],
                    "CreationDate": b["CreationDate"],
                    "BucketRegion": b["Region"],
                    "BucketArn": bucket_arn(ctx, b["Name"]),
                }
                for b in page
            ],
            "Owner": listing.OWNER,
            "Prefix": prefix,
        }
        if len(found) > limit:
            result["ContinuationToken"] = page[-1]["Name"]
        return result

    def get_bucket_location(self, ctx: RequestContext, bucket: str, **others: Any) -> Any:
        return {"LocationConstraint": rules.region_of(objects.require_bucket(ctx, bucket))}

    def delete_bucket(self, ctx: RequestContext, bucket: str, **others: Any) -> None:
        record = objects.require_bucket(ctx, bucket)
        if records(ctx, bucket).list():
            more = (
                " You must delete all versions in the bucket." if objects.versioned(record) else ""
            )
            raise S3Error(
                "BucketNotEmpty",
                f"The bucket you tried to delete is not empty.{more}",
                409,
                {"BucketName": bucket},
            )
        buckets(ctx).delete(bucket)

    # -- versioning ----------------------------------------------------------------------------

    def put_bucket_versioning(
        self,
        ctx: RequestContext,
        bucket: str,
        versioning_configuration: dict[str, Any],
        **others: Any,
    ) -> None:
        record = objects.require_bucket(ctx, bucket)
        status = versioning_configuration.get("Status")
        if status not in ("Enabled", "Suspended"):
            raise S3Error(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our "
                "published schema: VersioningConfiguration's Status is Enabled or Suspended.",
            )
        if status == "Suspended" and record["Versioning"] is None:
            return  # suspending versioning that was never on changes nothing
        record["Versioning"] = status
        buckets(ctx).put(bucket, record)

    def get_bucket_versioning(
        self, ctx: RequestContext, bucket: str, **others: Any
    ) -> dict[str, Any]:
        return {"Status": objects.require_bucket(ctx, bucket)["Versioning"]}

    # -- objects -------------------------------------------------------------------------------

    def put_object(
        self,
        ctx: RequestContext,
        bucket: str,
        key: str,
        body: Any = None,
        content_md5: str | None = None,
        checksum_algorithm: str | None = None,
        metadata: dict[str, str] | None = None,
        tagging: str | None = None,
        storage_class: str | None = None,
        if_none_match: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        """Store an object; ``body`` is bytes or a binary file (another service's call)."""
        record = objects.require_bucket(ctx, bucket)
        requests.check_key(key)
        given = [a for a in ALGORITHMS if others.get(requests.checksum_param(a)) is not None]
        if len(given) > 1:
            raise S3Error(
                "InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum "
                "Types are not allowed.",
            )  # fmt: skip
        if checksum_algorithm is not None and not given:
            raise S3Error(
                "InvalidRequest",
                f"x-amz-sdk-checksum-algorithm specified, but no corresponding "
                f"x-amz-checksum-{checksum_algorithm.lower()} or x-amz-trailer headers were found.",
            )
        tags = requests.tag_header(tagging)
        if if_none_match is not None:
            requests.check_absent(ctx, record, key, if_none_match)
        algorithm = given[0] if given else None
        pending = storage.receive(ctx, body, algorithm)
        try:
            checksum = others.get(requests.checksum_param(algorithm or ""))
            check_digests(pending.digests, content_md5, checksum)
        except ServiceError:
            pending.discard()
            raise
        sha = pending.keep(ctx)
        digests = pending.digests
        storage.hold(ctx, sha, digests.size)
        version = {
            "DeleteMarker": False,
            "LastModified": round(ctx.now(), 3),
            "ETag": digests.etag,
            "Size": digests.size,
            "Blob": sha,
            "Metadata": dict(metadata or {}),
            "Checksum": {algorithm: digests.checksum} if algorithm else {},
            "Tags": tags,
            "StorageClass": storage_class or "STANDARD",
            "ContentType": others.get("content_type") or "binary/octet-stream",
        }
        for name in objects.CONTENT_MEMBERS[1:]:
            value = others.get(requests.snake(name))
            if value is not None:
                version[name] = value
        version = objects.add_version(ctx, record, key, version)
        result: dict[str, Any] = {"ETag": digests.etag, "Size": digests.size}
        if objects.versioned(record):
            result["VersionId"] = version["VersionId"]
        if algorithm:
            result[f"Checksum{algorithm}"] = digests.checksum
            result["ChecksumType"] = "FULL_OBJECT"
        return result

    def get_object(
        self,
        ctx: RequestContext,
        bucket: str,
        key: str,
        version_id: str | None = None,
        range: str | None = None,
        checksum_mode: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        record, version = self._conditional_version(ctx, bucket, key, version_id, others)
        data = read_blob(ctx, version["Blob"])
        if range is None:
            result = objects.object_view(record, version, checksum_mode)
            result["Body"] = data
        else:
            start, end = requests.byte_range(range, len(data))
            result = objects.object_view(record, version, None)
            result.update(
                Body=data[start : end + 1],
                ContentLength=end + 1 - start,
                ContentRange=f"bytes {start}-{end}/{len(data)}",
            )
        for name in objects.CONTENT_MEMBERS[:-1]:
            override = others.get(f"response_{requests.snake(name)}")
            if override is not None:
                result[name] = override
        return result

    def head_object(
        self,
        ctx: RequestContext,
        bucket: str,
        key: str,
        version_id: str | None = None,
        checksum_mode: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        record, version = self._conditional_version(ctx, bucket, key, version_id, others)
        return objects.object_view(record, version, checksum_mode)

    @staticmethod
    def _conditional_version(
        ctx: RequestContext,
        bucket: str,
        key: str,
        version_id: str | None,
        conditions: dict[str, Any],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The bucket and the version that ``GetObject`` and ``HeadObject`` read, once the
        request's ``If-*`` conditions hold."""
        record = objects.require_bucket(ctx, bucket)
        version = objects.require_version(ctx, record, key, version_id)
        requests.check_conditions(version, conditions)
        return record, version

    def list_objects_v2(self, ctx: RequestContext, bucket: str, **params: Any) -> dict[str, Any]:
        objects.require_bucket(ctx, bucket)
        return listing.list_objects_v2(ctx, bucket, params)

    def list_objects(
        self,
        ctx: RequestContext,
        bucket: str,
        marker: str | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """Version 1 of the listing (boto3's ``bucket.objects.all()``): ``Marker`` is the key to
        start after; ``NextMarker`` is given with a ``Delimiter`` only, as S3 does."""
        objects.require_bucket(ctx, bucket)
        page = listing.list_objects_v2(ctx, bucket, {**params, "start_after": marker})
        result = {
            name: page.get(name)
            for name in ("IsTruncated", "Contents", "CommonPrefixes", "Name", "Prefix",
                         "Delimiter", "MaxKeys", "EncodingType")
        }  # fmt: skip
        result["Marker"] = page.get("StartAfter") or ""
        if page["IsTruncated"] and params.get("delimiter"):
            last = [*(o["Key"] for o in page.get("Contents") or []),
                    *(p["Prefix"] for p in page.get("CommonPrefixes") or [])]  # fmt: skip
            result["NextMarker"] = max(last)
        return result

    def list_object_versions(
        self, ctx: RequestContext, bucket: str, **params: Any
    ) -> dict[str, Any]:
        objects.require_bucket(ctx, bucket)
        return listing.list_versions(ctx, bucket, params)

    def delete_object(
        self,
        ctx: RequestContext,
        bucket: str,
        key: str,
        version_id: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        record = objects.require_bucket(ctx, bucket)
        return objects.delete_object(ctx, record, key, version_id)

    def delete_objects(
        self, ctx: RequestContext, bucket: str, delete: dict[str, Any], **others: Any
    ) -> dict[str, Any]:
        record = objects.require_bucket(ctx, bucket)
        items = delete.get("Objects") or []
        if len(items) > 1000:
            raise S3Error(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our "
                "published schema: a Delete names at most 1,000 objects.",
            )
        deleted, errors = [], []
        for item in items:
            key, version_id = item.get("Key", ""), item.get("VersionId")
            try:
                answer = objects.delete_object(ctx, record, key, version_id)
            except S3Error as error:
                errors.append(
                    {"Key": key, "VersionId": version_id, "Code": error.code,
                     "Message": error.message}
                )  # fmt: skip
                continue
            entry: dict[str, Any] = {"Key": key}
            if version_id is not None:
                entry["VersionId"] = version_id
                if answer.get("DeleteMarker"):
                    entry["DeleteMarker"] = True
                    entry["DeleteMarkerVersionId"] = version_id
            elif answer.get("DeleteMarker"):
                entry["DeleteMarker"] = True
                entry["DeleteMarkerVersionId"] = answer["VersionId"]
            deleted.append(entry)
        return {
            "Deleted": None if delete.get("Quiet") else (deleted or None),
            "Errors": errors or None,
        }

    # -- tags ----------------------------------------------------------------------------------

    def put_bucket_tagging(
        self, ctx: RequestContext, bucket: str, tagging: dict[str, Any], **others: Any
    ) -> None:
        record = objects.require_bucket(ctx, bucket)
        record["Tags"] = rules.check_tags(tagging.get("TagSet") or [], rules.BUCKET_TAGS)
        buckets(ctx).put(bucket, record)

    def get_bucket_tagging(self, ctx: RequestContext, bucket: str, **others: Any) -> dict[str, Any]:
        record = objects.require_bucket(ctx, bucket)
        if not record.get("Tags"):
            raise S3Error("NoSuchTagSet", "The TagSet does not exist", 404, {"BucketName": bucket})
        return {"TagSet": record["Tags"]}

    def delete_bucket_tagging(self, ctx: RequestContext, bucket: str, **others: Any) -> None:
        record = objects.require_bucket(ctx, bucket)
        record["Tags"] = None
        buckets(ctx).put(bucket, record)

    def put_object_tagging(
        self,
        ctx: RequestContext,
        bucket: str,
        key: str,
        tagging: dict[str, Any],
        version_id: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        tags = rules.check_tags(tagging.get("TagSet") or [], rules.OBJECT_TAGS)
        return self._retag(ctx, bucket, key, version_id, tags)

    def get_object_tagging(
        self,
        ctx: RequestContext,
        bucket: str,
        key: str,
        version_id: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        record = objects.require_bucket(ctx, bucket)
        version = objects.require_version(ctx, record, key, version_id)
        result: dict[str, Any] = {"TagSet": version.get("Tags") or []}
        if objects.versioned(record):
            result["VersionId"] = version["VersionId"]
        return result

    def delete_object_tagging(
        self,
        ctx: RequestContext,
        bucket: str,
        key: str,
        version_id: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        return self._retag(ctx, bucket, key, version_id, [])

    def _retag(
        self,
        ctx: RequestContext,
        bucket: str,
        key: str,
        version_id: str | None,
        tags: list[dict[str, str]],
    ) -> dict[str, Any]:
        record = objects.require_bucket(ctx, bucket)
        version = objects.require_version(ctx, record, key, version_id)
        stored = records(ctx, bucket).get(key)
        assert stored is not None
        for item in stored["versions"]:
            if item["VersionId"] == version["VersionId"]:
                item["Tags"] = tags
        records(ctx, bucket).put(key, stored)
        return {"VersionId": version["VersionId"]} if objects.versioned(record) else {}

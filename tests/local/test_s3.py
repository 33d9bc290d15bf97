"""S3 through boto3: buckets, versioning, objects on disk, tags, and S3's refusals.

Sources: the Amazon S3 API reference (CreateBucket and its LocationConstraint errors,
HeadBucket, DeleteBucket, PutObject, GetObject, HeadObject, ListObjectsV2, ListObjectVersions,
DeleteObject(s), Put/GetBucketVersioning, the tagging operations), S3's *Error responses* list
(codes, statuses, messages) and the *Using versioning* guide (null versions, delete markers).
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bgkit.local.server import LocalCloud

pytestmark = pytest.mark.control_plane

BUCKET = "bgkit-artifacts"


@pytest.fixture
def s3(client: Any) -> Any:
    return client("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


def refused(call: Any) -> tuple[str, int, dict[str, Any]]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]


def blob_files(cloud: LocalCloud) -> list[Path]:
    return sorted(p for p in (cloud.state_dir / "s3" / "blobs").rglob("*") if p.is_file())


# -- buckets ---------------------------------------------------------------------------------


def test_create_bucket_in_us_east_1_takes_no_location(s3: Any) -> None:
    made = s3.create_bucket(Bucket=BUCKET)

    assert made["Location"] == f"/{BUCKET}"
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] is None
    assert s3.head_bucket(Bucket=BUCKET)["BucketRegion"] == "us-east-1"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [BUCKET]


def test_create_bucket_us_east_1_constraint_is_invalid(s3: Any) -> None:
    code, status, _ = refused(
        lambda: s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-east-1"}
        )
    )
    assert (code, status) == ("InvalidLocationConstraint", 400)
    assert s3.list_buckets()["Buckets"] == []


def test_create_bucket_in_another_region_needs_its_constraint(client: Any) -> None:
    eu = client("s3", region="eu-west-1")

    code, status, _ = refused(lambda: eu.create_bucket(Bucket=BUCKET))
    assert (code, status) == ("IllegalLocationConstraintException", 400)
    code, _, _ = refused(
        lambda: eu.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
        )
    )
    assert code == "IllegalLocationConstraintException"

    eu.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == "eu-west-1"


def test_create_bucket_you_own_again(client: Any, s3: Any, bucket: str) -> None:
    s3.create_bucket(Bucket=bucket)  # us-east-1 answers 200, for legacy compatibility
    eu = client("s3", region="eu-west-1")
    eu_west = {"LocationConstraint": "eu-west-1"}
    eu.create_bucket(Bucket="bgkit-eu", CreateBucketConfiguration=eu_west)

    code, status, error = refused(
        lambda: eu.create_bucket(
            Bucket="bgkit-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
    )
    assert (code, status, error["BucketName"]) == ("BucketAlreadyOwnedByYou", 409, "bgkit-eu")


@pytest.mark.parametrize("name", ["ab", "Upper-case", "has_underscore", "192.168.1.1", "a..b"])
def test_create_bucket_invalid_name(s3: Any, name: str) -> None:
    with pytest.raises(Exception) as caught:  # botocore refuses some names itself
        s3.create_bucket(Bucket=name)
    if isinstance(caught.value, ClientError):
        assert caught.value.response["Error"]["Code"] == "InvalidBucketName"
    assert s3.list_buckets()["Buckets"] == []


def test_head_bucket_missing_is_404_without_body(s3: Any) -> None:
    code, status, _ = refused(lambda: s3.head_bucket(Bucket="bgkit-none"))
    assert (code, status) == ("404", 404)


def test_delete_bucket_not_empty_then_empty(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")

    code, status, error = refused(lambda: s3.delete_bucket(Bucket=bucket))
    assert (code, status, error["BucketName"]) == ("BucketNotEmpty", 409, bucket)

    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)
    code, _, error = refused(lambda: s3.get_bucket_versioning(Bucket=bucket))
    assert (code, error["Message"], error["BucketName"]) == (
        "NoSuchBucket", "The specified bucket does not exist", bucket,
    )  # fmt: skip


# -- objects ---------------------------------------------------------------------------------


def test_put_get_head_object(cloud: LocalCloud, s3: Any, bucket: str) -> None:
    body = b"taskdef and appspec\n" * 100
    put = s3.put_object(
        Bucket=bucket, Key="source/app.zip", Body=body, ContentType="application/zip",
        Metadata={"Revision": "2"}, Tagging="stage=source",
    )  # fmt: skip

    etag = f'"{hashlib.md5(body).hexdigest()}"'
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    assert (put["ETag"], put["ChecksumCRC32"], put["Size"]) == (etag, crc, len(body))
    assert "VersionId" not in put
    got = s3.get_object(Bucket=bucket, Key="source/app.zip")
    assert got["Body"].read() == body  # botocore checks the CRC32 it is answered
    assert (got["ETag"], got["ContentType"], got["Metadata"], got["TagCount"]) == (
        etag, "application/zip", {"revision": "2"}, 1,
    )  # fmt: skip
    head = s3.head_object(Bucket=bucket, Key="source/app.zip")
    assert (head["ContentLength"], head["ETag"]) == (len(body), etag)
    assert [p.read_bytes() for p in blob_files(cloud)] == [body]


def test_get_object_range(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")

    part = s3.get_object(Bucket=bucket, Key="k", Range="bytes=2-4")

    assert part["Body"].read() == b"234"
    assert (part["ContentRange"], part["ResponseMetadata"]["HTTPStatusCode"]) == (
        "bytes 2-4/10", 206,
    )  # fmt: skip
    code, status, _ = refused(lambda: s3.get_object(Bucket=bucket, Key="k", Range="bytes=20-"))
    assert (code, status) == ("InvalidRange", 416)


def test_get_object_missing(s3: Any, bucket: str) -> None:
    code, status, error = refused(lambda: s3.get_object(Bucket=bucket, Key="nope"))
    assert (code, status, error["Key"]) == ("NoSuchKey", 404, "nope")
    code, status, _ = refused(lambda: s3.head_object(Bucket=bucket, Key="nope"))
    assert (code, status) == ("404", 404)
    code, _, error = refused(lambda: s3.get_object(Bucket="bgkit-none", Key="k"))
    assert (code, error["BucketName"]) == ("NoSuchBucket", "bgkit-none")


def test_put_object_content_md5_mismatch_leaves_nothing(
    cloud: LocalCloud, s3: Any, bucket: str
) -> None:
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()

    code, status, _ = refused(
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentMD5=wrong)
    )

    assert (code, status) == ("BadDigest", 400)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    assert blob_files(cloud) == []


def test_put_object_checksum_mismatch(s3: Any, bucket: str) -> None:
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()

    code, _, error = refused(
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"data", ChecksumSHA256=wrong)
    )

    assert code == "BadDigest"
    assert error["Message"] == "The SHA256 you specified did not match the calculated checksum."


def test_same_bytes_share_one_file_until_the_last_goes(
    cloud: LocalCloud, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"same")
    s3.put_object(Bucket=bucket, Key="b", Body=b"same")
    assert len(blob_files(cloud)) == 1

    s3.delete_object(Bucket=bucket, Key="a")
    cloud.advance()
    assert len(blob_files(cloud)) == 1
    s3.delete_object(Bucket=bucket, Key="b")
    cloud.advance()
    assert blob_files(cloud) == []


def test_list_objects_v2_prefix_delimiter_pages(s3: Any, bucket: str) -> None:
    for key in ["a/1", "a/2", "b/ü 1", "c"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")

    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in top["Contents"]] == ["c"]
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={
        "PageSize": 1})  # fmt: skip
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == [
        "a/1", "a/2", "b/ü 1", "c",
    ]  # fmt: skip
    assert s3.list_objects_v2(Bucket=bucket, Prefix="b/")["KeyCount"] == 1


def test_list_objects_version_1_pages_by_marker(s3: Any, bucket: str) -> None:
    for key in ["a", "b", "c"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")

    first = s3.list_objects(Bucket=bucket, MaxKeys=2)
    rest = s3.list_objects(Bucket=bucket, Marker=first["Contents"][-1]["Key"])

    assert ([o["Key"] for o in first["Contents"]], first["IsTruncated"]) == (["a", "b"], True)
    assert ([o["Key"] for o in rest["Contents"]], rest["IsTruncated"]) == (["c"], False)
    assert "NextMarker" not in first  # given with a Delimiter only


# -- versioning ------------------------------------------------------------------------------


def test_versions_and_delete_markers(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"null version")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]

    assert s3.get_object(Bucket=bucket, Key="k", VersionId=first)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == (
        b"null version"
    )
    marker = s3.delete_object(Bucket=bucket, Key="k")
    assert marker["DeleteMarker"] is True
    response = refused(lambda: s3.get_object(Bucket=bucket, Key="k"))
    assert response[:2] == ("NoSuchKey", 404)
    code, status, _ = refused(
        lambda: s3.get_object(Bucket=bucket, Key="k", VersionId=marker["VersionId"])
    )
    assert (code, status) == ("MethodNotAllowed", 405)

    listed = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [
        (second, False), (first, False), ("null", False),
    ]  # fmt: skip
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [
        (marker["VersionId"], True)
    ]
    s3.delete_object(Bucket=bucket, Key="k", VersionId=marker["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def test_suspended_versioning_writes_null_versions(s3: Any, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"kept")["VersionId"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})

    assert s3.put_object(Bucket=bucket, Key="k", Body=b"a")["VersionId"] == "null"
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"b")["VersionId"] == "null"

    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [v["VersionId"] for v in versions] == ["null", kept]


def test_get_object_version_malformed_or_missing(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")

    code, status, error = refused(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId="x"))
    assert (code, status, error["ArgumentName"]) == ("InvalidArgument", 400, "versionId")
    missing = "A" * 32
    code, status, _ = refused(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId=missing))
    assert (code, status) == ("NoSuchVersion", 404)


def test_delete_objects(s3: Any, bucket: str) -> None:
    for key in ("a", "b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")

    answer = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "never"}]}
    )

    assert sorted(d["Key"] for d in answer["Deleted"]) == ["a", "b", "never"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


# -- tags ------------------------------------------------------------------------------------


def test_bucket_tagging(s3: Any, bucket: str) -> None:
    code, status, _ = refused(lambda: s3.get_bucket_tagging(Bucket=bucket))
    assert (code, status) == ("NoSuchTagSet", 404)

    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "a"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "a"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    assert refused(lambda: s3.get_bucket_tagging(Bucket=bucket))[0] == "NoSuchTagSet"


def test_object_tagging_limits(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    eleven = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]

    code, status, _ = refused(
        lambda: s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": eleven})
    )
    assert (code, status) == ("InvalidTag", 400)
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []

    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": eleven[:2]})
    assert len(s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]) == 2
    s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []

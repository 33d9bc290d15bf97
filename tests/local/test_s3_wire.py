"""S3 on the wire: virtual-hosted requests, aws-chunked uploads, HEAD answers, another service's
writes and reads.

Sources: S3's *Virtual hosting of buckets* (``<bucket>.<endpoint host>``), its *Checking object
integrity* guide and botocore's ``httpchecksum.py`` (a CRC32 in an ``aws-chunked`` trailer over
HTTPS; ``x-amz-decoded-content-length``), the *HeadObject* reference (errors have no body).
"""

from __future__ import annotations

import http.client
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import boto3
import pytest
from botocore.config import Config
from protocol.roundtrip import botocore_request, service_model

from bgkit.config import Settings
from bgkit.errors import ServiceError
from bgkit.local.process import reset_state
from bgkit.local.server import LocalCloud
from bgkit.local.services.s3.models import find_bucket, object_version

pytestmark = pytest.mark.control_plane

BUCKET = "bgkit-artifacts"
SIGNED = "AWS4-HMAC-SHA256 Credential=bgkit/20240506/us-east-1/s3/aws4_request, Signature=0"


def send(cloud: LocalCloud, method: str, path: str, headers: dict[str, str], body: bytes = b""):
    connection = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Authorization": SIGNED, **headers})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def s3(client: Any) -> Any:
    made = client("s3")
    made.create_bucket(Bucket=BUCKET)
    return made


def test_virtual_hosted_client(cloud: LocalCloud, s3: Any) -> None:
    """A client that puts the bucket in the Host (``<bucket>.localhost``) is served the same."""
    session = boto3.session.Session(aws_access_key_id="bgkit", aws_secret_access_key="bgkit")
    client = session.client(
        "s3", region_name="us-east-1", endpoint_url=f"http://localhost:{cloud.port}",
        config=Config(s3={"addressing_style": "virtual"}),
    )  # fmt: skip
    seen = []

    def to_loopback(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        seen.append(parts.netloc)
        request.headers["Host"] = parts.netloc  # *.localhost does not resolve here: connect
        request.url = request.url.replace(parts.netloc, f"127.0.0.1:{cloud.port}", 1)

    client.meta.events.register("before-send", to_loopback)
    client.put_object(Bucket=BUCKET, Key="via/host.txt", Body=b"virtual")

    assert seen == [f"{BUCKET}.localhost:{cloud.port}"]
    assert s3.get_object(Bucket=BUCKET, Key="via/host.txt")["Body"].read() == b"virtual"
    assert [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["via/host.txt"]


@pytest.mark.parametrize(
    ("host", "status"),
    [
        (f"{BUCKET}.s3.us-east-1.localhost", 200),
        (f"{BUCKET}.localhost", 200),
        ("s3.localhost", 200),  # an endpoint named so: path-style
        (f"{BUCKET}.s3.amazonaws.com", 403),  # not loopback: refused before anything is read
        (f"{BUCKET}.localhost.example.com", 403),
    ],
)
def test_virtual_hosts_stay_on_loopback(cloud: LocalCloud, s3: Any, host: str, status: int) -> None:
    path = f"/{BUCKET}?list-type=2" if host == "s3.localhost" else "/?list-type=2"

    answered, _, body = send(cloud, "GET", path, {"Host": f"{host}:{cloud.port}"})

    assert answered == status
    if status == 200:
        assert f"<Name>{BUCKET}</Name>".encode() in body


def test_aws_chunked_upload_with_a_crc32_trailer(cloud: LocalCloud, s3: Any) -> None:
    operation = service_model("s3").operation_model("PutObject")
    body = b"chunked " * 5000
    request = botocore_request(
        operation, {"Bucket": BUCKET, "Key": "chunked.bin", "Body": body}, checksums=True,
        endpoint="https://127.0.0.1",
    )  # fmt: skip
    assert "aws-chunked" in request.headers["content-encoding"]
    headers = {k: v for k, v in request.headers.items() if k not in ("transfer-encoding",)}

    status, answered, _ = send(cloud, "PUT", request.path, headers, request.body)

    assert status == 200
    assert answered["x-amz-checksum-crc32"]
    got = s3.get_object(Bucket=BUCKET, Key="chunked.bin")
    assert got["Body"].read() == body
    assert "ContentEncoding" not in got


def test_aws_chunked_upload_with_a_wrong_trailer_is_refused(cloud: LocalCloud, s3: Any) -> None:
    chunked = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": "5",
        "x-amz-trailer": "x-amz-checksum-crc32",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    }

    status, _, body = send(cloud, "PUT", f"/{BUCKET}/k", headers, chunked)

    assert status == 400
    assert b"<Code>BadDigest</Code>" in body
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_error_xml_names_the_bucket_and_request(cloud: LocalCloud, s3: Any) -> None:
    status, headers, body = send(cloud, "GET", "/bgkit-none?" + urlencode({"list-type": 2}), {})

    assert status == 404
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket')
    assert b"<BucketName>bgkit-none</BucketName>" in body
    assert f"<RequestId>{headers['x-amz-request-id']}</RequestId>".encode() in body


def test_head_object_answers_headers_only(cloud: LocalCloud, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"12345")

    status, headers, body = send(cloud, "HEAD", f"/{BUCKET}/k", {})
    assert (status, headers["Content-Length"], body) == (200, "5", b"")
    status, _, body = send(cloud, "HEAD", f"/{BUCKET}/missing", {})
    assert (status, body) == (404, b"")


def test_another_service_writes_and_reads_through_the_interface(cloud: LocalCloud, s3: Any) -> None:
    ctx = cloud.context("codepipeline", "PutJobSuccessResult", "us-east-1")
    with cloud.store.transaction():
        written = ctx.call(
            "s3", "PutObject", caller="codepipeline.amazonaws.com",
            bucket=BUCKET, key="artifacts/out.zip", body=b"artifact",
        )  # fmt: skip

    assert written["ETag"] == s3.head_object(Bucket=BUCKET, Key="artifacts/out.zip")["ETag"]
    assert find_bucket(ctx, BUCKET)["Name"] == BUCKET
    record, data = object_version(ctx, BUCKET, "artifacts/out.zip")
    assert (data, record["ETag"], record["Size"]) == (b"artifact", written["ETag"], 8)
    assert object_version(ctx, BUCKET, "missing") is None
    assert object_version(ctx, "bgkit-none", "artifacts/out.zip") is None


def test_a_refused_call_by_another_service_changes_nothing(cloud: LocalCloud) -> None:
    ctx = cloud.context("codepipeline", "PutJobSuccessResult", "us-east-1")
    with pytest.raises(ServiceError) as refused, cloud.store.transaction():
        ctx.call("s3", "PutObject", caller="codepipeline.amazonaws.com", bucket="bgkit-none",
                 key="k", body=b"x")  # fmt: skip

    assert refused.value.code == "NoSuchBucket"
    assert not (cloud.state_dir / "s3" / "blobs").exists()


def test_reset_deletes_the_objects_files(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with LocalCloud(state, port=0, dataplane=False) as cloud:
        made = cloud.client("s3")
        made.create_bucket(Bucket=BUCKET)
        made.put_object(Bucket=BUCKET, Key="k", Body=b"kept on disk")
    assert [p.read_bytes() for p in (state / "s3" / "blobs").rglob("*") if p.is_file()] == [
        b"kept on disk"
    ]

    reset_state(Settings(state_dir=state))

    assert not state.exists()

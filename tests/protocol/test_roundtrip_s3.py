"""The botocore round trip over every S3 operation the local cloud serves (``rest-xml``).

As for the other services (:mod:`.roundtrip`), with what an S3 client adds: the request carries
the checksum botocore computes (a ``x-amz-checksum-crc32`` header over HTTP; over HTTPS an
``aws-chunked`` body whose trailer holds it), which our parser checks, so the caller's own
checksum members are left out of the example params. S3 keeps metadata keys in lower case (HTTP
headers have no case), so those are compared so. ``GetBucketLocation``'s answer is read by the
handler botocore's S3 client reads it with (the region is the root element's text).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from botocore import xform_name
from botocore.awsrequest import HeadersDict
from botocore.handlers import parse_get_bucket_location
from botocore.model import OperationModel

from bgkit.errors import ServiceError
from bgkit.local.api.protocol import parse_request, serialize_result
from bgkit.local.api.restxml import decode_aws_chunked
from bgkit.local.checksums import ALGORITHMS
from bgkit.local.services.s3.provider import S3Provider

from .normalise import normalise
from .roundtrip import (
    ExampleValues,
    assert_response_roundtrip,
    botocore_request,
    service_model,
)

OPERATIONS = [
    name for name in service_model("s3").operation_names if hasattr(S3Provider, xform_name(name))
]
#: members a caller may set that a client computes over the body
COMPUTED = {"ContentMD5", *(f"Checksum{a}" for a in ALGORITHMS), "ChecksumSHA512", "ChecksumMD5",
            "ChecksumXXHASH64", "ChecksumXXHASH3", "ChecksumXXHASH128"}  # fmt: skip


def _operation(name: str) -> OperationModel:
    return service_model("s3").operation_model(name)


def _params(operation: OperationModel) -> dict[str, Any]:
    params = ExampleValues(locations=True).value(operation.input_shape, operation.name) or {}
    params = {name: value for name, value in params.items() if name not in COMPUTED}
    if "ChecksumAlgorithm" in params:
        params["ChecksumAlgorithm"] = "CRC32"
    if "ContentLength" in params:
        params["ContentLength"] = len(params.get("Body", b""))
    return params


def _comparable(operation: OperationModel, params: dict[str, Any]) -> Any:
    shown = {name: value for name, value in params.items() if name not in COMPUTED}
    for name, member in operation.input_shape.members.items():
        if member.serialization.get("location") == "headers" and name in shown:
            shown[name] = {key.lower(): value for key, value in shown[name].items()}
    return normalise(operation.input_shape, shown)


def test_every_operation_of_the_provider_is_in_the_model() -> None:
    served = {name for name in dir(S3Provider) if not name.startswith("_")} - {
        "advance", "advancing", "service",
    }  # fmt: skip
    assert served == {xform_name(name) for name in OPERATIONS}


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:4599", "https://127.0.0.1:4599"])
@pytest.mark.parametrize("name", OPERATIONS)
def test_request(name: str, endpoint: str) -> None:
    operation = _operation(name)
    params = _params(operation)

    request = botocore_request(operation, params, checksums=True, endpoint=endpoint)
    parsed_operation, parsed = parse_request(operation.service_model, request)

    assert parsed_operation.name == name
    assert _comparable(operation, parsed) == _comparable(operation, params)
    if operation.http_checksum.get("requestAlgorithmMember"):  # a header, or a trailer
        assert "x-amz-checksum-crc32" in decode_aws_chunked(request).headers


@pytest.mark.parametrize(
    "name", [n for n in OPERATIONS if n != "GetBucketLocation" and _operation(n).output_shape]
)
def test_response(name: str) -> None:
    operation = _operation(name)
    result = ExampleValues(locations=True).value(operation.output_shape, name) or {}
    result.pop("ContentRange", None)  # a part of an object is answered 206 (tests/local)
    assert_response_roundtrip(operation, result)


@pytest.mark.parametrize("region", ["eu-west-1", None])
def test_get_bucket_location_is_read_by_the_s3_clients_handler(region: str | None) -> None:
    operation = _operation("GetBucketLocation")
    response = serialize_result(operation, {"LocationConstraint": region}, "req-1")

    class Raw:
        raw = io.BytesIO(response.body)
        content = response.body
        headers = HeadersDict(response.headers)

    parsed: dict[str, Any] = {}
    parse_get_bucket_location(parsed, Raw())

    assert parsed["LocationConstraint"] == region


def test_a_checksum_that_does_not_match_is_refused() -> None:
    operation = _operation("PutBucketTagging")
    params = {"Bucket": "b", "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}
    request = botocore_request(operation, params, checksums=True)
    request.body = request.body.replace(b"<Value>v", b"<Value>w")

    with pytest.raises(ServiceError) as refused:
        parse_request(operation.service_model, request)

    assert refused.value.code == "BadDigest"


def test_an_operation_that_requires_a_checksum_is_refused_without_one() -> None:
    operation = _operation("DeleteObjects")
    params = {"Bucket": "b", "Delete": {"Objects": [{"Key": "k"}]}}
    request = botocore_request(operation, params)

    with pytest.raises(ServiceError) as refused:
        parse_request(operation.service_model, request)

    assert (refused.value.code, refused.value.message) == (
        "InvalidRequest",
        "Missing required header for this request: Content-MD5 OR x-amz-checksum-*",
    )

"""The smithy-rpc-v2-cbor protocol's own behaviours beyond AWS's compliance cases: what a CBOR
request may carry and how it is refused, and how values are written.

Sources: Smithy's "RPC v2 CBOR protocol" specification (requests are POSTs to
``/service/<Service>/operation/<Operation>`` with ``smithy-protocol: rpc-v2-cbor``, must not carry
``X-Amz-Target``; floats never in half precision; timestamps tag 1 in epoch seconds to the
millisecond; ``undefined`` reads as null) and RFC 8949 (CBOR itself).
"""

from __future__ import annotations

import datetime
import gzip
import json
import math
import struct
from pathlib import Path
from typing import Any

import cbor2
import pytest
from botocore.model import ServiceModel
from botocore.parsers import create_parser

from bgkit.errors import ServiceError
from bgkit.local.api.protocol import HttpRequest, parse_request, serialize_error, serialize_result
from bgkit.local.api.rpcv2cbor import decode, encode

from .roundtrip import service_model

CBOR = "smithy-rpc-v2-cbor"
VECTORS = Path(__file__).parent / "vectors"
UTC = datetime.timezone.utc


def _request(
    operation: str, body: bytes, service: str = "codedeploy", **headers: str
) -> HttpRequest:
    prefix = service_model(service).metadata["targetPrefix"]
    return HttpRequest(
        "POST",
        f"/service/{prefix}/operation/{operation}",
        {},
        {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor", **headers},
        body,
    )


def _parse(request: HttpRequest, service: str = "codedeploy") -> tuple[str, dict[str, Any]]:
    operation, params = parse_request(service_model(service), request, CBOR)
    return operation.name, params


def _refusal(request: HttpRequest, service: str = "codedeploy") -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        _parse(request, service)
    return raised.value


# --- requests read -----------------------------------------------------------------------------


def test_a_request_is_read_with_its_operation_from_the_path() -> None:
    body = cbor2.dumps({"applicationName": "web", "computePlatform": "ECS"})

    assert _parse(_request("CreateApplication", body)) == (
        "CreateApplication",
        {"applicationName": "web", "computePlatform": "ECS"},
    )


def test_indefinite_lengths_half_floats_and_tag_one_are_read() -> None:
    body = (
        b"\xbf"  # a map of indefinite length
        + b"\x7f\x65Start\x64Time\xff"  # "StartTime" as a text string of indefinite length
        + b"\xc1\xfb" + struct.pack(">d", 1700000000.5)  # tag 1, a double
        + cbor2.dumps("EndTime") + b"\xc1\xf9\x3c\x00"  # tag 1, a half-precision 1.0
        + cbor2.dumps("Period") + b"\x18\x3c"  # 60 in two bytes
        + cbor2.dumps("Dimensions") + b"\x9f" + cbor2.dumps({"Name": "a", "Value": "b"}) + b"\xff"
        + b"\xff"
    )  # fmt: skip
    _, params = _parse(_request("GetMetricStatistics", body, "cloudwatch"), "cloudwatch")

    assert params == {
        "StartTime": datetime.datetime.fromtimestamp(1700000000.5, UTC),
        "EndTime": datetime.datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),
        "Period": 60,
        "Dimensions": [{"Name": "a", "Value": "b"}],
    }


def test_undefined_reads_as_absent() -> None:
    body = (
        b"\xa2" + cbor2.dumps("applicationName") + cbor2.dumps("web")
        + cbor2.dumps("computePlatform") + b"\xf7"  # undefined
    )  # fmt: skip

    assert _parse(_request("CreateApplication", body))[1] == {"applicationName": "web"}


def test_an_empty_body_is_no_params_and_a_gzip_body_is_read() -> None:
    assert _parse(_request("ListApplications", b""))[1] == {}
    body = gzip.compress(cbor2.dumps({"nextToken": "t"}))
    request = _request("ListApplications", body, **{"content-encoding": "gzip"})
    assert _parse(request)[1] == {"nextToken": "t"}


def test_the_service_segment_may_be_namespaced() -> None:
    request = _request("ListApplications", b"")
    request.path = "/v1/service/com.amazonaws.codedeploy.CodeDeploy_20141006/operation/"
    request.path += "ListApplications"
    assert _parse(request) == ("ListApplications", {})


# --- requests refused --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (cbor2.dumps({"nextToken": "t"}) + b"\x00", "1 bytes follow"),
        (b"\xa1\x69nextToken", "premature end"),
        (cbor2.dumps(cbor2.CBORTag(35, "a+")), "tag other than 1"),
        (cbor2.dumps(cbor2.CBORTag(28, {})), "tag other than 1"),
        (cbor2.dumps(cbor2.CBORTag(4711, 1)), "tag other than 1"),
        (b"\xa2\x69nextToken\x61a\x69nextToken\x61b", "Duplicate"),
        (b"\x81" * 100 + b"\x00", "depth"),
    ],
    ids=["trailing", "truncated", "regex-tag", "shared-value", "unknown-tag", "dup", "deep"],
)
def test_a_body_that_is_not_one_acceptable_cbor_item_is_refused(body: bytes, says: str) -> None:
    error = _refusal(_request("ListApplications", body))

    assert error.code == "SerializationException"
    assert "not valid CBOR" in error.message
    assert says.lower() in error.message.lower()


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ([1, 2], "must be a CBOR map"),
        ({"nextToken": 5}, "nextToken"),
        ({"nextToken": b"t"}, "nextToken"),
        ({1: "t"}, "map key must be a text string"),
    ],
)
def test_values_of_the_wrong_cbor_type_are_refused_naming_the_member(
    document: Any, says: str
) -> None:
    error = _refusal(_request("ListApplications", cbor2.dumps(document)))

    assert error.code == "SerializationException"
    assert says in error.message


@pytest.mark.parametrize(
    ("member", "value"),
    [("Period", "60"), ("StartTime", "2024-01-01T00:00:00Z"), ("Period", 1.5)],
)
def test_cbor_scalars_are_typed_no_text_stands_for_a_number_or_a_timestamp(
    member: str, value: Any
) -> None:
    body = cbor2.dumps({member: value})
    error = _refusal(_request("GetMetricStatistics", body, "cloudwatch"), "cloudwatch")

    assert error.code == "SerializationException"
    assert member in error.message


def test_a_blob_must_be_a_byte_string() -> None:
    # none of CloudWatch's, CodeDeploy's or CodePipeline's inputs has a blob: the compliance
    # cases' SimpleScalarProperties has one
    suites = json.loads((VECTORS / "input" / "smithy-rpc-v2-cbor.json").read_text())
    suite = next(s for s in suites if s["cases"][0]["given"]["name"] == "SimpleScalarProperties")
    given = suite["cases"][0]["given"]
    model = ServiceModel(
        {"metadata": suite["metadata"], "shapes": suite["shapes"], "operations": {"Op": given}},
        service_name="compliance",
    )
    request = HttpRequest(
        "POST",
        "/service/RpcV2Protocol/operation/Op",
        {},
        {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"},
        cbor2.dumps({"blobValue": "Zm9v"}),
    )
    with pytest.raises(ServiceError) as raised:
        parse_request(model, request)

    assert raised.value.code == "SerializationException"
    assert "blobValue" in raised.value.message
    assert "a byte string" in raised.value.message
    request.body = cbor2.dumps({"blobValue": b"foo"})
    assert parse_request(model, request)[1] == {"blobValue": b"foo"}


def test_an_x_amz_target_header_is_refused() -> None:
    request = _request("ListApplications", b"", **{"x-amz-target": "CodeDeploy_20141006.X"})
    error = _refusal(request)

    assert error.code == "SerializationException"
    assert "x-amz-target" in error.message


def test_a_request_without_the_smithy_protocol_header_is_refused() -> None:
    request = _request("ListApplications", b"")
    del request.headers["smithy-protocol"]
    error = _refusal(request)

    assert error.code == "UnknownOperationException"
    assert "smithy-protocol: rpc-v2-cbor" in error.message


def test_another_service_or_method_or_an_unknown_operation_is_refused() -> None:
    other = _request("ListApplications", b"")
    other.path = "/service/Logs_20140328/operation/ListApplications"
    assert _refusal(other).status == 404
    get = _request("ListApplications", b"")
    get.method = "GET"
    assert _refusal(get).status == 405
    assert _refusal(_request("DoTheThing", b"")).code == "UnknownOperationException"


def test_a_body_not_sent_as_cbor_is_refused_with_a_415() -> None:
    request = _request("ListApplications", b"{}", **{"content-type": "application/json"})
    error = _refusal(request)

    assert (error.code, error.status) == ("UnsupportedMediaTypeException", 415)
    assert "application/cbor" in error.message


# --- values written ----------------------------------------------------------------------------


def test_floats_are_single_where_exact_never_half_and_double_otherwise() -> None:
    assert encode(1.5) == b"\xfa\x3f\xc0\x00\x00"
    assert encode(0.1) == b"\xfb" + bytes.fromhex("3fb999999999999a")
    assert encode(math.inf) == b"\xfa\x7f\x80\x00\x00"
    assert encode(-math.inf) == b"\xfa\xff\x80\x00\x00"
    assert encode(math.nan) == b"\xfa\x7f\xc0\x00\x00"
    assert encode(1e300) == b"\xfb" + bytes.fromhex("7e37e43c8800759c")
    assert math.isnan(decode(encode(math.nan)))


def test_timestamps_are_tag_one_epoch_seconds_to_the_millisecond() -> None:
    operation = service_model("cloudwatch").operation_model("DescribeAlarmHistory")
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    whole = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    result = {"AlarmHistoryItems": [{"AlarmName": "a", "Timestamp": moment}, {"Timestamp": whole}]}
    response = serialize_result(operation, result, "rid", CBOR)
    items = cbor2.loads(response.body, tag_hook=lambda _d, tag: tag)["AlarmHistoryItems"]

    assert response.headers["Content-Type"] == "application/cbor"
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert items[0]["Timestamp"] == datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    assert response.body.count(b"\xc1\x1a") == 1  # the whole second as an integer


def test_an_operation_without_output_answers_no_body_and_no_content_type() -> None:
    operation = service_model("codedeploy").operation_model("DeleteApplication")
    response = serialize_result(operation, None, "rid", CBOR)

    assert (response.status, response.body) == (200, b"")
    assert "Content-Type" not in response.headers
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"


def test_an_error_is_a_cbor_map_of_type_and_message_botocore_reads() -> None:
    model = service_model("codedeploy", CBOR)
    error = ServiceError("ApplicationDoesNotExistException", "No application found for name: x")
    response = serialize_error(service_model("codedeploy"), error, "rid", protocol=CBOR)
    parsed = create_parser(CBOR).parse(
        {"status_code": response.status, "headers": response.headers, "body": response.body},
        model.operation_model("GetApplication").output_shape,
    )

    assert cbor2.loads(response.body) == {
        "__type": "ApplicationDoesNotExistException",
        "message": "No application found for name: x",
    }
    assert "x-amzn-ErrorType" not in response.headers  # the specification: SHOULD NOT
    assert parsed["Error"] == {
        "Code": "ApplicationDoesNotExistException",
        "Message": "No application found for name: x",
    }

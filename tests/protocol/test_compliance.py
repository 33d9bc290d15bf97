"""AWS's protocol compliance cases (``vectors/``) run against bgkit's protocol layer.

Input cases: the HTTP request an SDK sends (``serialized``) must parse into what its caller
passed (``params``). Output cases: given ``result``, our response must be read back by botocore's
own parser as ``result``; for error cases, botocore must read the same code, message and status,
and the response must carry the protocol's headers the case shows (``smithy-protocol``, a
query-compatible service's ``x-amzn-query-error``). ``smithy-rpc-v2-cbor`` bodies are base64 in
the cases, as in botocore's own runner.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.awsrequest import HeadersDict
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser

from bgkit.errors import ServiceError
from bgkit.local.api.protocol import HttpRequest, parse_request, serialize_error, serialize_result

from .normalise import normalise

VECTORS = Path(__file__).parent / "vectors"
#: the case files of each direction (named after their protocol, as in botocore's repository)
INPUT_FILES = (
    "json",
    "query",
    "ec2",
    "rest-json",
    "rest-xml",
    "smithy-rpc-v2-cbor",
    "smithy-rpc-v2-cbor-query-compatible",
    "smithy-rpc-v2-cbor-non-query-compatible",
    "json_1_0-query-compatible",
)
FILES = {
    "input": INPUT_FILES,
    # botocore's output file of the non-query-compatible RPC v2 service holds no case
    "output": tuple(f for f in INPUT_FILES if f != "smithy-rpc-v2-cbor-non-query-compatible"),
}
#: response headers of a case that our response must carry as the case shows them
CHECKED_HEADERS = ("smithy-protocol", "x-amzn-query-error")
CBOR = "smithy-rpc-v2-cbor"

_COMPRESSION = "request compression is a client feature; the case gives no body to parse"
_TOKEN = "the client fills an absent idempotency token; a server sees it as sent"
_PRECEDENCE = (
    "a client drops a query map's key that a named member takes; a server sees the named value "
    "only, and gives a query map every parameter (Smithy's httpQueryParams on a server)"
)
_MEDIA_TYPE = (
    "Smithy's mediaType header is the base64 of the text itself; botocore's jsonvalue header, "
    "which the local cloud reads and writes as botocore does, is the base64 of its JSON"
)
_EMPTY = "an empty map or list travels as nothing at all; a server reads it as absent"
_HEADER_LIST = (
    "botocore's parser splits a header list at every comma, so it cannot read a quoted item "
    "holding one, nor a list of HTTP dates (our parser reads both: the input cases pass)"
)
#: Cases that test what only a client does, or that a server cannot observe.
SKIPS = {
    "SDKAppliedContentEncoding_awsJson1_1": _COMPRESSION,
    "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsJson1_1": _COMPRESSION,
    "SDKAppliedContentEncoding_awsQuery": _COMPRESSION,
    "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsQuery": _COMPRESSION,
    "SDKAppliedContentEncoding_ec2Query": _COMPRESSION,
    "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_ec2Query": _COMPRESSION,
    "QueryProtocolIdempotencyTokenAutoFill": _TOKEN,
    "Ec2ProtocolIdempotencyTokenAutoFill": _TOKEN,
    "QueryEmptyQueryMaps": "an empty map travels as nothing at all; a server reads it as absent",
    "SDKAppliedContentEncoding_restJson1": _COMPRESSION,
    "SDKAppendedGzipAfterProvidedEncoding_restJson1": _COMPRESSION,
    "RestJsonQueryIdempotencyTokenAutoFill": _TOKEN,
    "RestJsonHostWithPath": "a custom endpoint's path is the client's; a server is not behind it",
    "RestJsonQueryParamsStringListMap": _PRECEDENCE,
    "RestJsonQueryPrecedence": _PRECEDENCE,
    "MediaTypeHeaderInputBase64": _MEDIA_TYPE,
    "MediaTypeHeaderOutputBase64": _MEDIA_TYPE,
    "RestJsonHttpPrefixHeadersAreNotPresent": _EMPTY,
    "RestJsonOmitsEmptyListQueryValues": _EMPTY,
    "RestJsonHttpPayloadTraitsWithNoBlobBody": "botocore reads an absent blob payload as b''",
    "RestJsonHttpPayloadWithUnsetUnion": "botocore refuses a union payload with no member set",
    "HttpPrefixHeadersResponse": (
        "a map of every header (prefix '') also takes the response's own headers (its content "
        "type and request id), and botocore reads them all into it"
    ),
    "Ec2EmptyQueryLists": "an empty ec2 list travels as nothing; a server reads it as absent",
    "SDKAppliedContentEncoding_restXml": _COMPRESSION,
    "SDKAppendedGzipAfterProvidedEncoding_restXml": _COMPRESSION,
    "QueryIdempotencyTokenAutoFill": _TOKEN,
    "HttpPrefixHeadersAreNotPresent": _EMPTY,
    "HttpPayloadTraitsWithNoBlobBody": "botocore reads an absent blob payload as b''",
    "RestXmlHttpPayloadWithUnsetUnion": "botocore refuses a union payload with no member set",
    **dict.fromkeys(
        (
            "AllQueryStringTypes",
            "RestXmlQueryStringEscaping",
            "RestXmlSupportsNaNFloatQueryValues",
            "RestXmlSupportsInfinityFloatQueryValues",
            "RestXmlSupportsNegativeInfinityFloatQueryValues",
            "RestXmlZeroAndFalseQueryValues",
            "RestXmlQueryParamsStringListMap",
            "RestXmlQueryPrecedence",
        ),
        _PRECEDENCE + " (the rest-xml cases, older, leave the map out of what was passed)",
    ),
}

#: Output cases botocore's own parser cannot read back (their input twins run).
OUTPUT_SKIPS = {
    "RestJsonInputAndOutputWithQuotedStringHeaders": _HEADER_LIST,
    "RestJsonInputAndOutputWithTimestampHeaders": _HEADER_LIST,
    "InputAndOutputWithTimestampHeaders": _HEADER_LIST,
}

_QUERY_STATUS = (
    "the case's error shape has a query status of 402 (awsQueryError's httpResponseCode, which "
    "botocore's model keeps as httpStatusCode) and no httpError, so the case answers JSON and "
    "CBOR with 400; a botocore model cannot tell the two apart, and the local cloud answers "
    "every protocol with the model's status (CloudWatch's models give both the same)"
)
#: Output cases whose status the local cloud takes from botocore's model instead (code, message
#: and headers are still compared), and why.
STATUS_FROM_THE_MODEL = {
    "QueryCompatibleAwsJson10CustomCodeError": 402,
    "QueryCompatibleRpcV2CborCustomCodeError": 402,
}

_SHARED_ITEM = (
    "both flattened lists name their member 'item', and botocore's parser reads a flattened "
    "list by its member's name, so it cannot tell them apart (no model of ours has flattened lists)"
)
#: Members left out of an output case (on both sides), and why; the rest of the case is compared.
UNREADABLE_MEMBERS = {
    "QueryXmlLists": ({"flattenedList", "flattenedList2"}, _SHARED_ITEM),
    "Ec2XmlLists": ({"flattenedList", "flattenedList2"}, _SHARED_ITEM),
    "XmlLists": (
        {"flattenedList", "flattenedList2", "flattenedStructureList"},
        "three flattened lists name their member 'item' (S3's models have no such lists)",
    ),
}


def _cases(direction: str) -> list[Any]:
    params = []
    for name in FILES[direction]:
        suites = json.loads((VECTORS / direction / f"{name}.json").read_text())
        for suite in suites:
            protocol = suite["metadata"]["protocol"]
            for case in suite["cases"]:
                reason = SKIPS.get(case["id"])
                if direction == "output":
                    reason = reason or OUTPUT_SKIPS.get(case["id"])
                marks = [pytest.mark.skip(reason=reason)] if reason else []
                params.append(
                    pytest.param(protocol, suite, case, id=f"{protocol}-{case['id']}", marks=marks)
                )
    return params


def _operation(suite: dict[str, Any], case: dict[str, Any]) -> OperationModel:
    given = case["given"]
    description = {
        "metadata": suite["metadata"],
        "shapes": suite["shapes"],
        "operations": {given["name"]: given},
    }
    model = ServiceModel(description, service_name="compliance")
    return model.operation_model(given["name"])


def _request(protocol: str, serialized: dict[str, Any]) -> HttpRequest:
    uri = urlsplit(serialized.get("uri", "/"))
    body = serialized.get("body") or ""
    return HttpRequest(
        method=serialized.get("method", "POST"),
        path=uri.path,
        query=parse_qs(uri.query, keep_blank_values=True),
        headers={key.lower(): value for key, value in serialized.get("headers", {}).items()},
        body=base64.b64decode(body) if protocol == CBOR else body.encode("utf-8"),
    )


@pytest.mark.parametrize(("protocol", "suite", "case"), _cases("input"))
def test_input(protocol: str, suite: dict[str, Any], case: dict[str, Any]) -> None:
    operation = _operation(suite, case)
    assert operation.service_model.resolved_protocol == protocol

    request = _request(protocol, case["serialized"])
    parsed_operation, params = parse_request(operation.service_model, request)

    assert parsed_operation.name == operation.name
    shape = operation.input_shape
    assert normalise(shape, params) == normalise(shape, case["params"])


@pytest.mark.parametrize(("protocol", "suite", "case"), _cases("output"))
def test_output(protocol: str, suite: dict[str, Any], case: dict[str, Any]) -> None:
    operation = _operation(suite, case)
    if "errorCode" in case:
        error = ServiceError(case["errorCode"], case.get("errorMessage", ""))
        response = serialize_error(operation.service_model, error, "req-1", operation)
    else:
        dropped, _reason = UNREADABLE_MEMBERS.get(case["id"], (set(), ""))
        result = {name: value for name, value in case["result"].items() if name not in dropped}
        response = serialize_result(operation, result, "req-1")

    parsed = create_parser(protocol).parse(
        {
            "status_code": response.status,
            "headers": HeadersDict(response.headers),
            "body": response.body,
        },
        operation.output_shape,
    )

    status = STATUS_FROM_THE_MODEL.get(case["id"], case["response"]["status_code"])
    assert response.status == status
    headers = {key.lower(): value for key, value in response.headers.items()}
    for name, value in case["response"].get("headers", {}).items():
        if name.lower() in CHECKED_HEADERS:
            assert headers.get(name.lower()) == value, name
    if "errorCode" in case and operation.service_model.is_query_compatible:
        assert ("x-amzn-query-error" in headers) == (
            "x-amzn-query-error" in {name.lower() for name in case["response"].get("headers", {})}
        )
    metadata = parsed.pop("ResponseMetadata", None)
    # botocore's RPC v2 parser reads no metadata for an operation without output (nor a body)
    if operation.output_shape is not None or protocol != CBOR or "errorCode" in case:
        assert metadata["RequestId"] == "req-1"
    if "errorCode" in case:
        # ServiceError carries a code and a message; modeled error members beyond the message
        # (ComplexError's TopLevel/Nested) are not written, and not compared.
        assert parsed["Error"]["Code"] == case["errorCode"]
        assert (parsed["Error"].get("Message") or "") == case.get("errorMessage", "")
    else:
        shape = operation.output_shape
        assert normalise(shape, parsed) == normalise(shape, result)

"""The botocore round trip: what boto3 writes we read; what we write boto3 reads.

For one operation of a real service model:

- a request built by **botocore's own serializer** from example params must parse, with
  :func:`~bgkit.local.api.protocol.parse_request`, into the same params;
- a response written by :func:`~bgkit.local.api.protocol.serialize_result` from an example result
  must be read by **botocore's own parser** as the same data.

The example values come from :class:`ExampleValues`, which walks a shape and makes a value of
every kind (strings with characters that need escaping, numbers within the model's bounds,
booleans both ways, timestamps, blobs, lists, maps, nested and recursive structures, unions,
documents). Provider tests reuse :func:`assert_roundtrip` over the operations they implement::

    from protocol.roundtrip import assert_roundtrip

    @pytest.mark.parametrize("operation", IamProvider.operations())
    def test_protocol_roundtrip(operation):
        assert_roundtrip("iam", operation)
"""

from __future__ import annotations

import datetime
import functools
import io
import itertools
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.session
from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.config import Config
from botocore.httpchecksum import apply_request_checksum, resolve_request_checksum_algorithm
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer

from bgkit.local.api.protocol import (
    HttpRequest,
    parse_request,
    protocol_of,
    serialize_result,
)

from .normalise import normalise
from .output_shapes import output_problems

__all__ = [
    "ExampleValues",
    "assert_request_roundtrip",
    "assert_response_roundtrip",
    "assert_roundtrip",
    "botocore_request",
    "service_model",
]

ENDPOINT = "http://127.0.0.1:4599"
_CONTAINERS = ("structure", "list", "map")
MOMENT = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def service_model(service_name: str) -> ServiceModel:
    """botocore's model of ``service_name`` (``"iam"``, ``"ecs"`` …), loaded once."""
    return _session().get_service_model(service_name)


class ExampleValues:
    """Deterministic example values for a shape, valid for botocore's parameter validation.

    Args:
        max_depth: how deep structures nest before only required members are filled in.
        locations: fill in members bound to the URI, the query and headers too (``rest-json``);
            the other protocols have none a caller sets.
    """

    def __init__(self, max_depth: int = 8, *, locations: bool = False) -> None:
        self.max_depth = max_depth
        self.locations = locations
        self._counter = itertools.count()

    def value(self, shape: Shape, name: str = "value", depth: int = 0) -> Any:
        """A value of ``shape``; ``name`` flavours strings, ``depth`` bounds recursion."""
        handler = getattr(self, f"_{shape.type_name}", None)
        if handler is None:
            raise NotImplementedError(f"no example for shapes of type {shape.type_name}")
        return handler(shape, name, depth)

    def _structure(self, shape: Any, name: str, depth: int) -> Any:
        if shape.is_document_type:
            return {"document": [1, "two", {"three": True}]}
        names = list(shape.members)
        if shape.is_tagged_union:
            names = names[next(self._counter) % len(names) :][:1]
        elif depth >= self.max_depth:
            # Deep down, only what is required, or one scalar so the structure is not empty.
            scalars = [n for n in names if shape.members[n].type_name not in _CONTAINERS]
            names = [n for n in names if n in shape.required_members] or scalars[:1]
        result = {}
        for member_name in names:
            member = shape.members[member_name]
            location = member.serialization.get("location")
            if member.serialization.get("eventstream") or (location and not self.locations):
                continue
            if location == "statusCode":
                result[member_name] = 202  # a status a response can carry
                continue
            item = self.value(member, member_name, depth + 1)
            if item is not None:
                result[member_name] = item
        return result or None

    def _list(self, shape: Any, name: str, depth: int) -> list[Any] | None:
        if depth >= self.max_depth + 2:
            return None
        count = _within(2, shape.metadata)
        items = [self.value(shape.member, f"{name}{i}", depth + 1) for i in range(count)]
        items = [item for item in items if item is not None]
        return items or None

    def _map(self, shape: Any, name: str, depth: int) -> dict[Any, Any] | None:
        if depth >= self.max_depth + 2:
            return None
        keys = [self.value(shape.key, f"{name}Key{i}", depth + 1) for i in range(2)]
        entries = {key: self.value(shape.value, f"{name}Value", depth + 1) for key in keys}
        entries = {key: item for key, item in entries.items() if item is not None}
        return entries or None

    def _string(self, shape: Shape, name: str, depth: int) -> str:
        enum = shape.metadata.get("enum")
        if enum:
            return enum[next(self._counter) % len(enum)]
        if shape.serialization.get("hostLabel"):
            text = name
        else:
            text = f"{name} &=+/ ü{next(self._counter)}"
        low, high = shape.metadata.get("min", 0), shape.metadata.get("max")
        text = text.ljust(low, "x")
        return text[:high] if high else text

    def _integer(self, shape: Shape, name: str, depth: int) -> int:
        return _within(7, shape.metadata)

    _long = _integer

    def _float(self, shape: Shape, name: str, depth: int) -> float:
        return float(_within(2.5, shape.metadata))

    _double = _float

    def _boolean(self, shape: Shape, name: str, depth: int) -> bool:
        return next(self._counter) % 2 == 0

    def _timestamp(self, shape: Shape, name: str, depth: int) -> datetime.datetime:
        return MOMENT + datetime.timedelta(seconds=next(self._counter))

    def _blob(self, shape: Shape, name: str, depth: int) -> bytes:
        return b"bgkit\x00\xffblob" + name.encode()


def _within(preferred: Any, metadata: dict[str, Any]) -> Any:
    """``preferred``, moved inside the model's ``min``/``max`` bounds."""
    low, high = metadata.get("min"), metadata.get("max")
    if low is not None and preferred < low:
        preferred = low
    if high is not None and preferred > high:
        preferred = high
    return preferred


def botocore_request(
    operation: OperationModel,
    params: dict[str, Any],
    *,
    checksums: bool = False,
    endpoint: str = ENDPOINT,
) -> HttpRequest:
    """The HTTP request boto3 sends for ``params``, built by botocore's serializer.

    Args:
        operation: the operation called.
        params: what the caller passed.
        checksums: add the request checksum a client adds (botocore's ``httpchecksum``: a
            ``x-amz-checksum-crc32`` header, or over ``https`` an ``aws-chunked`` body with
            the checksum in its trailer).
        endpoint: the endpoint the request is for.
    """
    protocol = protocol_of(operation.service_model)
    request_dict = create_serializer(protocol).serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=endpoint)
    if checksums:
        request_dict.setdefault("context", {}).setdefault(
            "client_config", Config(request_checksum_calculation="when_supported")
        )
        resolve_request_checksum_algorithm(request_dict, operation, params)
        apply_request_checksum(request_dict)
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if hasattr(body, "read"):
        body = body.read()
    return HttpRequest(
        method=prepared.method,
        path=url.path,
        query=parse_qs(url.query, keep_blank_values=True),
        headers={key.lower(): value for key, value in prepared.headers.items()},
        body=body.encode("utf-8") if isinstance(body, str) else body,
    )


def assert_request_roundtrip(operation: OperationModel, params: dict[str, Any]) -> None:
    """botocore serialises ``params``; our parser must give them back."""
    request = botocore_request(operation, params)
    parsed_operation, parsed = parse_request(operation.service_model, request)
    assert parsed_operation.name == operation.name
    shape = operation.input_shape
    assert normalise(shape, parsed) == normalise(shape, params)


def assert_response_roundtrip(operation: OperationModel, result: dict[str, Any]) -> None:
    """We serialise ``result``; botocore's parser must give it back."""
    response = serialize_result(operation, result, "bgkit-request-id")
    bound = [
        name
        for name, member in (operation.output_shape.members.items() if result else [])
        if member.serialization.get("location") == "statusCode" and name in result
    ]
    assert response.status == (
        result[bound[0]] if bound else operation.http.get("responseCode", 200)
    )
    parsed = create_parser(protocol_of(operation.service_model)).parse(
        {
            "status_code": response.status,
            "headers": HeadersDict(response.headers),
            # botocore's endpoint hands a blob payload over as a stream, unread
            "body": (
                StreamingBody(io.BytesIO(response.body), len(response.body))
                if operation.has_streaming_output
                else response.body
            ),
        },
        operation.output_shape,
    )
    assert parsed.pop("ResponseMetadata")["RequestId"] == "bgkit-request-id"
    for name, value in parsed.items():
        if isinstance(value, StreamingBody):
            parsed[name] = value.read()
    shape = operation.output_shape
    assert output_problems(shape, result) == [], "the answer does not fit its output shape"
    assert normalise(shape, parsed) == normalise(shape, result)
    assert output_problems(shape, parsed) == [], "botocore read back what its shape does not hold"


def assert_roundtrip(service_name: str, operation_name: str) -> None:
    """Both directions of the botocore round trip for one operation of a real service model."""
    operation = service_model(service_name).operation_model(operation_name)
    examples = ExampleValues(locations=protocol_of(operation.service_model).startswith("rest-"))
    params = {}
    if operation.input_shape is not None:
        params = examples.value(operation.input_shape, operation_name) or {}
    assert_request_roundtrip(operation, params)
    result = {}
    if operation.output_shape is not None:
        result = examples.value(operation.output_shape, operation_name) or {}
    assert_response_roundtrip(operation, result)

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

A service whose model lists several protocols (CloudWatch: ``smithy-rpc-v2-cbor``, ``json``,
``query``) is served in each, so its round trip runs in each: ``protocol=`` makes the client side
speak that one, through a real botocore :class:`~botocore.loaders.Loader` over a copy of the model
whose ``protocols`` list holds that one entry (:func:`speaking`), as a client that picks it does,
while the server side keeps the model as it is and must recognise the protocol from the request
alone (:func:`~bgkit.local.api.protocol.request_protocol`) and answer in it::

    from protocol.roundtrip import assert_roundtrip, served_protocols

    @pytest.mark.parametrize("protocol", served_protocols("cloudwatch"))
    @pytest.mark.parametrize("operation", ["PutMetricData", "DescribeAlarms"])
    def test_protocol_roundtrip(operation, protocol):
        assert_roundtrip("cloudwatch", operation, protocol)

A boto3 client of a live local cloud that speaks one protocol::

    from protocol.roundtrip import speaking

    session = boto3.session.Session(botocore_session=speaking("cloudwatch", "query"))
    cloudwatch = session.client("cloudwatch", endpoint_url=cloud.endpoint_url, ...)
"""

from __future__ import annotations

import atexit
import copy
import datetime
import functools
import io
import itertools
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.session
from botocore.awsrequest import (
    AWSResponse,
    HeadersDict,
    create_request_object,
    prepare_request_dict,
)
from botocore.config import Config
from botocore.httpchecksum import apply_request_checksum, resolve_request_checksum_algorithm
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer

from bgkit.errors import ServiceError
from bgkit.local.api.protocol import (
    HttpRequest,
    parse_request,
    protocol_of,
    request_protocol,
    serialize_error,
    serialize_result,
    validate_params,
)
from bgkit.local.api.protocol import served_protocols as _served_protocols

from .normalise import normalise
from .output_shapes import output_problems

__all__ = [
    "ExampleValues",
    "answer_in_process",
    "assert_request_roundtrip",
    "assert_response_roundtrip",
    "assert_roundtrip",
    "botocore_request",
    "served_protocols",
    "service_model",
    "speaking",
]

ENDPOINT = "http://127.0.0.1:4599"
_CONTAINERS = ("structure", "list", "map")
MOMENT = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def service_model(service_name: str, protocol: str | None = None) -> ServiceModel:
    """botocore's model of ``service_name`` (``"iam"``, ``"ecs"`` …), loaded once; with
    ``protocol``, the model a client that speaks that protocol has (:func:`speaking`)."""
    if protocol is not None:
        return speaking(service_name, protocol).get_service_model(service_name)
    return _session().get_service_model(service_name)


def served_protocols(service_name: str) -> tuple[str, ...]:
    """Every protocol the local cloud serves ``service_name`` in (those its model lists)."""
    return _served_protocols(service_model(service_name))


@functools.cache
def _models_directory() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="bgkit-models-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


@functools.cache
def speaking(service_name: str, protocol: str) -> botocore.session.Session:
    """A botocore session whose model of ``service_name`` offers ``protocol`` alone.

    The session's data path holds a copy of botocore's ``service-2`` model of the service with
    ``metadata.protocols`` (and ``protocol``) set to ``[protocol]``; botocore's own
    :class:`~botocore.loaders.Loader` finds it before the installed one and everything else
    (endpoint rules, paginators, waiters) where it always does. Clients of the session build
    their requests, and read their responses, in that protocol.

    Raises:
        ValueError: the model does not list ``protocol``.
    """
    real = service_model(service_name)
    if protocol not in (real.metadata.get("protocols") or [real.protocol]):
        raise ValueError(f"{service_name} does not offer {protocol}")
    loader = _session().get_component("data_loader")
    description = copy.deepcopy(
        loader.load_service_model(service_name, "service-2", real.api_version)
    )
    description["metadata"]["protocol"] = protocol
    description["metadata"]["protocols"] = [protocol]
    folder = _models_directory() / protocol / service_name / real.api_version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "service-2.json").write_text(json.dumps(description))
    session = botocore.session.get_session()
    session.set_config_variable("data_path", str(_models_directory() / protocol))
    assert session.get_service_model(service_name).resolved_protocol == protocol
    return session


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


def assert_request_roundtrip(
    operation: OperationModel, params: dict[str, Any], served: ServiceModel | None = None
) -> None:
    """botocore serialises ``params``; our parser must give them back.

    Args:
        operation: the operation as the client's model has it.
        params: what the caller passes.
        served: the model the local cloud serves (all the service's protocols), when the client
            speaks one of several: the request must be recognised as the client's protocol.
    """
    request = botocore_request(operation, params)
    served = served or operation.service_model
    protocol = request_protocol(served, request)
    assert protocol == protocol_of(operation.service_model)
    parsed_operation, parsed = parse_request(served, request, protocol)
    assert parsed_operation.name == operation.name
    shape = operation.input_shape
    assert normalise(shape, parsed) == normalise(shape, params)


def assert_response_roundtrip(
    operation: OperationModel, result: dict[str, Any], served: ServiceModel | None = None
) -> None:
    """We serialise ``result`` in the client's protocol; botocore's parser must give it back.

    Args:
        operation: the operation as the client's model has it.
        result: what the provider answers.
        served: the model the local cloud serves, when the client speaks one of several.
    """
    protocol = protocol_of(operation.service_model)
    answered = (served or operation.service_model).operation_model(operation.name)
    response = serialize_result(answered, result, "bgkit-request-id", protocol)
    bound = [
        name
        for name, member in (operation.output_shape.members.items() if result else [])
        if member.serialization.get("location") == "statusCode" and name in result
    ]
    assert response.status == (
        result[bound[0]] if bound else operation.http.get("responseCode", 200)
    )
    parsed = create_parser(protocol).parse(
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
    metadata = parsed.pop("ResponseMetadata", None)
    if operation.output_shape is None and protocol == "smithy-rpc-v2-cbor":
        # botocore's RPC v2 parser reads no metadata for an operation without output
        assert response.headers["x-amzn-RequestId"] == "bgkit-request-id"
    else:
        assert metadata["RequestId"] == "bgkit-request-id"
    for name, value in parsed.items():
        if isinstance(value, StreamingBody):
            parsed[name] = value.read()
    shape = operation.output_shape
    assert output_problems(shape, result) == [], "the answer does not fit its output shape"
    assert normalise(shape, parsed) == normalise(shape, result)
    assert output_problems(shape, parsed) == [], "botocore read back what its shape does not hold"


def assert_roundtrip(service_name: str, operation_name: str, protocol: str | None = None) -> None:
    """Both directions of the botocore round trip for one operation of a real service model.

    Args:
        service_name: botocore's name of the service.
        operation_name: the operation.
        protocol: the protocol the client speaks (one the model lists); by default the one
            boto3 resolves.
    """
    served = service_model(service_name)
    operation = service_model(service_name, protocol).operation_model(operation_name)
    examples = ExampleValues(locations=protocol_of(operation.service_model).startswith("rest-"))
    params = {}
    if operation.input_shape is not None:
        params = examples.value(operation.input_shape, operation_name) or {}
    assert_request_roundtrip(operation, params, served)
    result = {}
    if operation.output_shape is not None:
        result = examples.value(operation.output_shape, operation_name) or {}
    assert_response_roundtrip(operation, result, served)


class _Raw:
    """A response body as botocore's endpoint reads it from urllib3."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def answer_in_process(client: Any, answer: Callable[[str, dict[str, Any]], Any]) -> Any:
    """``client`` (a real boto3 client) with its requests answered in this process by the
    protocol layer as the gateway answers them: the protocol read from the request among those
    the service's full model lists, the params validated, ``answer(operation, params)`` (or the
    :class:`ServiceError` it raises) written in the request's protocol. No socket is opened."""
    served = service_model(client.meta.service_model.service_name)

    def send(request: Any, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        body = request.body or b""
        http = HttpRequest(
            method=request.method,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers={key.lower(): _text(value) for key, value in request.headers.items()},
            body=body.encode() if isinstance(body, str) else body,
        )
        protocol = request_protocol(served, http)
        assert protocol == protocol_of(client.meta.service_model)
        try:
            operation, params = parse_request(served, http, protocol)
            validate_params(operation, params)
            result = answer(operation.name, params)
            response = serialize_result(operation, result, "rid", protocol)
        except ServiceError as error:
            response = serialize_error(served, error, "rid", protocol=protocol)
        return AWSResponse(request.url, response.status, response.headers, _Raw(response.body))

    client.meta.events.register("before-send", send)
    return client


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value

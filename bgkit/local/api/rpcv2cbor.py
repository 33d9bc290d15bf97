"""The ``smithy-rpc-v2-cbor`` protocol: requests and responses whose bodies are CBOR.

Smithy's "RPC v2 CBOR protocol" specification, as botocore's ``RpcV2CBORSerializer`` and
``RpcV2CBORParser`` speak it:

* a request is ``POST {prefix}/service/<Service>/operation/<Operation>`` (the service is the
  model's ``targetPrefix``, or a namespaced ``<namespace>.<targetPrefix>``), with
  ``smithy-protocol: rpc-v2-cbor``; its body, when it has one, is a CBOR map of the input
  shape's members sent as ``Content-Type: application/cbor``. It must not carry
  ``X-Amz-Target`` (the specification asks servers to refuse that);
* a response is a CBOR map of the output shape's members (none for an operation without
  output), ``Content-Type: application/cbor`` and ``smithy-protocol: rpc-v2-cbor``; an error
  is a map of ``__type`` and ``message``, its status the error shape's (else 400, 500 for a
  fault), with the query code in ``x-amzn-query-error`` for a query-compatible service
  (:func:`bgkit.local.api.serializers.error_type`);
* values: blobs are byte strings, timestamps tag 1 (epoch seconds, to the millisecond),
  floats are floats (NaN and infinities included), written in single precision when that
  loses nothing and never in half precision, integers in their shortest form.

The CBOR codec is ``cbor2``'s. It reads definite and indefinite lengths and every float width;
of CBOR's tags a request may carry only tag 1 (a timestamp): the tags ``cbor2`` would turn into
other Python objects (shared values that can make a cycle, regular expressions, MIME messages,
sets …) are refused, as are bytes after the top-level item, duplicate keys, maps keyed by
anything but text and nesting deeper than :data:`~bgkit.local.api.parsers.MAX_DEPTH`.
CBOR's ``undefined`` reads as an absent value.
"""

from __future__ import annotations

import datetime
import io
import math
import struct
from typing import Any, NoReturn

import cbor2
from botocore.model import OperationModel, ServiceModel, Shape

from bgkit.errors import ServiceError
from bgkit.local.api.negotiation import RPC_V2_PATH
from bgkit.local.api.parsers import MAX_DEPTH, JsonRequestParser
from bgkit.local.api.serializers import Headers, JsonResponseSerializer, error_type
from bgkit.local.api.timestamps import parse_timestamp, to_datetime
from bgkit.local.api.wire import HttpRequest

__all__ = ["CONTENT_TYPE", "RpcV2CborRequestParser", "RpcV2CborResponseSerializer"]

CONTENT_TYPE = "application/cbor"
SMITHY_PROTOCOL = "rpc-v2-cbor"
#: the tags ``cbor2`` decodes into Python objects of its own; a request may use only tag 1
_DECODED_TAGS = (0, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261)
_MORE_DECODED_TAGS = (1004, 55799)


class _Refused(Exception):
    """A CBOR item a request may not carry."""


def _refuser(tag: int) -> Any:
    def refuse(*_: Any) -> NoReturn:
        raise _Refused(tag)

    return refuse


def _refuse_unknown_tag(tag: Any, *_: Any) -> NoReturn:
    raise _Refused(getattr(tag, "tag", "?"))


def decode(body: bytes) -> Any:
    """The one CBOR data item of ``body``, with ``undefined`` read as ``None``.

    Raises:
        ValueError: ``body`` is not one well-formed CBOR item a request may carry.
    """
    stream = io.BytesIO(body)
    decoder = cbor2.CBORDecoder(
        stream,
        tag_hook=_refuse_unknown_tag,
        semantic_decoders={tag: _refuser(tag) for tag in _DECODED_TAGS + _MORE_DECODED_TAGS},
        max_depth=MAX_DEPTH,
        allow_duplicate_keys=False,
        strict_hashable_types=True,
    )
    try:
        item = decoder.decode()
    except (cbor2.CBORError, _Refused, RecursionError) as error:
        refused = error if isinstance(error, _Refused) else error.__cause__ or error.__context__
        if isinstance(refused, _Refused):
            message = f"it carries tag {refused}, and a tag other than 1 (an epoch timestamp)"
            raise ValueError(message + " is not part of the protocol") from None
        raise ValueError(str(error) or type(error).__name__) from None
    if stream.tell() != len(body):
        raise ValueError(f"{len(body) - stream.tell()} bytes follow the top-level item")
    return _defined(item)


def _defined(item: Any) -> Any:
    """``item`` with CBOR's ``undefined`` as ``None`` (the decoder bounded its depth)."""
    if item is cbor2.undefined:
        return None
    if isinstance(item, dict):
        return {key: _defined(value) for key, value in item.items()}
    if isinstance(item, list):
        return [_defined(value) for value in item]
    return item


class RpcV2CborRequestParser(JsonRequestParser):
    """Reads a ``smithy-rpc-v2-cbor`` request: the operation from the path, params from CBOR.

    The walk over the input shape is the ``json`` parser's; what differs is how the operation is
    named and how scalars arrive (typed by CBOR itself: no numbers as text, no base64).
    """

    VALIDATION_CODE = "SerializationException"
    UNKNOWN_OPERATION_CODE = "UnknownOperationException"

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        operation = self._operation(self._operation_name(request))
        body = self._body(request)
        if body:
            content_type = request.headers.get("content-type", "")
            if content_type.split(";")[0].strip().lower() != CONTENT_TYPE:
                raise ServiceError(
                    "UnsupportedMediaTypeException",
                    f"A Smithy RPC v2 CBOR request body is sent as Content-Type: "
                    f"{CONTENT_TYPE}, not {content_type or 'no Content-Type'!r}.",
                    status=415,
                )
            try:
                document = decode(body)
            except ValueError as error:
                raise ServiceError(
                    self.VALIDATION_CODE, f"The request body is not valid CBOR: {error}."
                ) from None
        else:
            document = {}
        if not isinstance(document, dict):
            raise ServiceError(self.VALIDATION_CODE, "The request body must be a CBOR map.")
        shape = operation.input_shape
        params = self._parse_structure(shape, document, "") if shape is not None else {}
        return operation, params

    def _operation_name(self, request: HttpRequest) -> str:
        found = RPC_V2_PATH.search(request.path)
        prefix = self.service_model.metadata.get("targetPrefix", "")
        expected = f"/service/{prefix}/operation/<Operation>"
        if request.method.upper() != "POST":
            raise ServiceError(
                self.UNKNOWN_OPERATION_CODE,
                f"A Smithy RPC v2 CBOR request is a POST to {expected}, not a {request.method}.",
                status=405,
            )
        service = found["service"] if found else ""
        if found is None or not (service == prefix or service.endswith("." + prefix)):
            raise ServiceError(
                self.UNKNOWN_OPERATION_CODE,
                f"The path {request.path!r} names no operation of {prefix}; POST to {expected}.",
                status=404,
            )
        protocol = request.headers.get("smithy-protocol")
        if protocol != SMITHY_PROTOCOL:
            raise ServiceError(
                self.UNKNOWN_OPERATION_CODE,
                f"A Smithy RPC v2 CBOR request carries the header smithy-protocol: "
                f"{SMITHY_PROTOCOL} (this one has {protocol!r}).",
            )
        for header in ("x-amz-target", "x-amzn-target"):
            if header in request.headers:
                raise ServiceError(
                    self.VALIDATION_CODE,
                    f"A Smithy RPC v2 CBOR request must not carry an {header} header; the "
                    "path names the operation.",
                )
        return found["operation"]

    def _parse_structure(self, shape: Any, value: Any, path: str) -> Any:
        if isinstance(value, dict) and not all(isinstance(key, str) for key in value):
            raise self._invalid(path or "the body", _shown(value), "a map keyed by text")
        return super()._parse_structure(shape, value, path)

    def _parse_map(self, shape: Any, value: Any, path: str) -> dict[str, Any]:
        if isinstance(value, dict) and not all(isinstance(key, str) for key in value):
            raise self._invalid(path, _shown(value), "a map keyed by text")
        return super()._parse_map(shape, value, path)

    def _scalar(self, shape: Shape, value: Any, path: str) -> Any:
        kind = shape.type_name
        if kind == "timestamp":
            if isinstance(value, datetime.datetime):
                return to_datetime(value).astimezone(datetime.timezone.utc)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                try:
                    return parse_timestamp(value)
                except (ValueError, OverflowError, OSError):
                    pass
            raise self._invalid(path, _shown(value), "a timestamp (tag 1, epoch seconds)")
        if kind == "blob":
            if isinstance(value, (bytes, bytearray)):
                return bytes(value)
            raise self._invalid(path, _shown(value), "a byte string")
        if isinstance(value, (str, bytes)) and kind not in ("string", "character"):
            raise self._invalid(path, _shown(value), f"a CBOR {_CBOR_KINDS.get(kind, kind)}")
        return super()._scalar(shape, value, path)


_CBOR_KINDS = {
    "integer": "integer",
    "long": "integer",
    "short": "integer",
    "byte": "integer",
    "float": "float",
    "double": "float",
    "boolean": "true or false",
}


def _shown(value: Any) -> Any:
    """``value`` as an error message may show it (bytes and timestamps as text)."""
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


class RpcV2CborResponseSerializer(JsonResponseSerializer):
    """Writes ``smithy-rpc-v2-cbor`` results and errors (the ``json`` walk, CBOR values)."""

    def __init__(self, service_model: ServiceModel | None = None) -> None:
        super().__init__("1.0", service_model)
        self.content_type = CONTENT_TYPE

    @classmethod
    def for_service(cls, service_model: ServiceModel) -> RpcV2CborResponseSerializer:
        return cls(service_model)

    def serialize_result(
        self, operation: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> tuple[Headers, bytes]:
        headers = self._headers(request_id)
        shape = operation.output_shape
        if shape is None:
            # no output: no body and no Content-Type (the specification, *Responses*)
            del headers["Content-Type"]
            return headers, b""
        return headers, encode(self._serialize(shape, result or {}))

    def serialize_error(self, error: ServiceError, request_id: str) -> tuple[Headers, bytes]:
        kind, extra = error_type(self.service_model, error)
        body = encode({"__type": kind, "message": error.message})
        return {**self._headers(request_id), **extra}, body

    def _headers(self, request_id: str) -> Headers:
        return {**super()._headers(request_id), "smithy-protocol": SMITHY_PROTOCOL}

    def _serialize_timestamp(self, shape: Shape, value: Any) -> cbor2.CBORTag:
        seconds = to_datetime(value).timestamp()
        millis = round(seconds * 1000)
        return cbor2.CBORTag(1, millis // 1000 if millis % 1000 == 0 else millis / 1000)

    def _serialize_blob(self, shape: Shape, value: Any) -> bytes:
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)

    def _serialize_float(self, shape: Shape, value: Any) -> float:
        return float(value)

    _serialize_double = _serialize_float


def encode(document: Any) -> bytes:
    """``document`` as CBOR, floats in single precision where that is exact, else double."""
    return cbor2.dumps(document, encoders={float: _encode_float})


def _encode_float(encoder: Any, value: float) -> None:
    if math.isnan(value):
        encoder.write(b"\xfa\x7f\xc0\x00\x00")
        return
    try:
        single = struct.pack(">f", value)
    except OverflowError:  # beyond single precision's range
        single = b""
    if single and struct.unpack(">f", single)[0] == value:
        encoder.write(b"\xfa" + single)
    else:
        encoder.write(b"\xfb" + struct.pack(">d", value))

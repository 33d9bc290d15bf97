"""Request parsers: an HTTP request of the ``json``, ``query`` or ``ec2`` protocol into params.

Each parser walks the operation's input shape (never anything service-specific) and dispatches on
the shape's type, ``_parse_<type>``. What it returns is what a boto3 caller passed: a dict keyed by
the input shape's member names, nested the same way, with timestamps as aware ``datetime`` (UTC),
blobs as ``bytes`` and numbers as ``int``/``float``. Params the input shape does not know are
ignored, as AWS does; values of the wrong type are refused with the protocol's validation code.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import zlib
from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import parse_qs

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from bgkit.errors import ServiceError, UnknownOperationError
from bgkit.local.api.timestamps import parse_timestamp
from bgkit.local.api.wire import HttpRequest

__all__ = ["Ec2RequestParser", "JsonRequestParser", "QueryRequestParser", "RequestParser"]

_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
#: the most bytes a body unzips to (the endpoint's own limit on a body)
MAX_BODY = 16 * 2**20
#: how deep a JSON body may nest (AWS's input shapes nest a dozen levels at most)
MAX_DEPTH = 64


class RequestParser:
    """What the three parsers share: finding the operation and refusing bad values."""

    #: the error code AWS answers for a value of the wrong type
    VALIDATION_CODE: ClassVar[str]
    #: the error code of an operation the model does not know
    UNKNOWN_OPERATION_CODE: ClassVar[str]

    def __init__(self, service_model: ServiceModel) -> None:
        self.service_model = service_model

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        """The operation a request calls and its params."""
        raise NotImplementedError

    def _operation(self, name: str) -> OperationModel:
        if name not in self.service_model.operation_names:
            raise UnknownOperationError(
                self.UNKNOWN_OPERATION_CODE, self.service_model.service_name, name
            )
        return self.service_model.operation_model(name)

    def _invalid(self, path: str, value: Any, expected: str) -> ServiceError:
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        return ServiceError(
            self.VALIDATION_CODE,
            f"Invalid value {shown!r} for parameter {path}: expected {expected}.",
        )

    def _body(self, request: HttpRequest) -> bytes:
        """The body, unzipped when the client compressed it (``Content-Encoding: gzip``, as
        botocore sends an operation with the ``requestcompression`` trait), up to
        :data:`MAX_BODY` bytes unzipped."""
        body = request.body or b""
        if "gzip" in request.headers.get("content-encoding", "").lower() and body:
            body = self._gunzip(body)
        return body

    def _gunzip(self, body: bytes) -> bytes:
        unzip = zlib.decompressobj(wbits=31)  # 16 + 15: a gzip member
        try:
            plain = unzip.decompress(body, MAX_BODY)
            if unzip.unconsumed_tail or len(plain) > MAX_BODY - 1:
                raise ServiceError(
                    self.VALIDATION_CODE,
                    f"The gzip body unzips to more than {MAX_BODY // 2**20} MiB; send less.",
                )
            plain += unzip.flush()
        except zlib.error:
            raise ServiceError(
                self.VALIDATION_CODE, "The body says Content-Encoding: gzip but is not gzip."
            ) from None
        if not unzip.eof:
            raise ServiceError(self.VALIDATION_CODE, "The gzip body ends before its end.")
        return plain

    def _json(self, body: bytes) -> Any:
        """The JSON document of ``body``; one nested deeper than :data:`MAX_DEPTH` is refused
        (no AWS input shape nests so deep), never followed until the stack runs out."""
        try:
            document = json.loads(body)
        except RecursionError:
            document = None
            deep = True
        except (ValueError, UnicodeDecodeError) as error:
            raise ServiceError(
                self.VALIDATION_CODE, f"The request body is not valid JSON: {error}"
            ) from None
        else:
            deep = _depth(document) > MAX_DEPTH
        if deep:
            raise ServiceError(
                self.VALIDATION_CODE,
                f"The request body nests JSON more than {MAX_DEPTH} levels deep.",
            )
        return document

    def _scalar(self, shape: Shape, value: Any, path: str) -> Any:
        """A scalar of ``shape`` from ``value`` as JSON or a form field carries it."""
        kind = shape.type_name
        if kind in ("string", "character"):
            if not isinstance(value, str):
                raise self._invalid(path, value, "a string")
            return value
        if kind in ("integer", "long", "short", "byte"):
            return self._integer(value, path)
        if kind in ("float", "double"):
            return self._float(value, path)
        if kind == "boolean":
            return self._boolean(value, path)
        if kind == "blob":
            return self._blob(value, path)
        if kind == "timestamp":
            try:
                return parse_timestamp(value)
            except (ValueError, OverflowError, OSError):
                raise self._invalid(path, value, "a timestamp") from None
        raise self._invalid(path, value, f"a value of type {kind}")

    def _integer(self, value: Any, path: str) -> int:
        if isinstance(value, bool):
            raise self._invalid(path, value, "an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise self._invalid(path, value, "an integer")

    def _float(self, value: Any, path: str) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            if value in _SPECIAL_FLOATS:
                return _SPECIAL_FLOATS[value]
            try:
                return float(value)
            except ValueError:
                pass
        raise self._invalid(path, value, "a number")

    def _boolean(self, value: Any, path: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self._invalid(path, value, "true or false")

    def _blob(self, value: Any, path: str) -> bytes:
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                pass
        raise self._invalid(path, value, "base64-encoded binary data")


class JsonRequestParser(RequestParser):
    """The ``json`` protocol: ``X-Amz-Target`` names the operation, the body is JSON."""

    VALIDATION_CODE = "SerializationException"
    UNKNOWN_OPERATION_CODE = "UnknownOperationException"

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        target = request.headers.get("x-amz-target", "")
        prefix, _, name = target.rpartition(".")
        expected_prefix = self.service_model.metadata.get("targetPrefix")
        if not name or (expected_prefix and prefix != expected_prefix):
            raise ServiceError(
                self.UNKNOWN_OPERATION_CODE,
                f"The X-Amz-Target header {target!r} does not name an operation of "
                f"{expected_prefix}; send '{expected_prefix}.<Operation>'.",
            )
        operation = self._operation(name)
        document = self._json(self._body(request) or b"{}")
        if not isinstance(document, dict):
            raise ServiceError(self.VALIDATION_CODE, "The request body must be a JSON object.")
        shape = operation.input_shape
        params = self._parse_structure(shape, document, "") if shape is not None else {}
        return operation, params

    def _parse(self, shape: Shape, value: Any, path: str) -> Any:
        handler = getattr(self, f"_parse_{shape.type_name}", None)
        if handler is None:
            return self._scalar(shape, value, path)
        return handler(shape, value, path)

    def _parse_structure(self, shape: StructureShape, value: Any, path: str) -> Any:
        if shape.is_document_type:
            return value
        if not isinstance(value, dict):
            raise self._invalid(path or "the body", value, "an object")
        parsed = {}
        for name, member in shape.members.items():
            item = value.get(member.serialization.get("name", name))
            if item is not None:
                parsed[name] = self._parse(member, item, _join(path, name))
        return parsed

    def _parse_list(self, shape: Any, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self._invalid(path, value, "a list")
        return [
            None if item is None else self._parse(shape.member, item, f"{path}[{index}]")
            for index, item in enumerate(value)
        ]

    def _parse_map(self, shape: Any, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self._invalid(path, value, "a map")
        return {
            key: None if item is None else self._parse(shape.value, item, f"{path}[{key!r}]")
            for key, item in value.items()
        }


class QueryRequestParser(RequestParser):
    """The ``query`` protocol: form fields ``Action``, ``Version`` and flattened params."""

    VALIDATION_CODE = "ValidationError"
    UNKNOWN_OPERATION_CODE = "InvalidAction"
    #: whether an empty list travels as ``Name=`` (query) or not at all (ec2)
    EMPTY_LIST_MARKER = True

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        form = self._form(request)
        action = form.get("Action")
        if not action:
            raise ServiceError("MissingAction", "The request names no Action; add Action=<Op>.")
        operation = self._operation(action)
        shape = operation.input_shape
        params = self._parse_structure(shape, form, "") if shape is not None else None
        return operation, params or {}

    def _form(self, request: HttpRequest) -> dict[str, str]:
        """Query-string fields, then form-body fields (the body wins)."""
        form = {key: values[0] for key, values in request.query.items() if values}
        body = self._body(request)
        if body:
            try:
                fields = parse_qs(
                    body.decode("utf-8"), keep_blank_values=True, strict_parsing=False
                )
            except UnicodeDecodeError:
                raise ServiceError(
                    self.VALIDATION_CODE, "The request body is not UTF-8 form data."
                ) from None
            form.update({key: values[0] for key, values in fields.items()})
        return form

    def _name(self, shape: Shape, default: str) -> str:
        """The wire name of a member, a list member or a map key/value."""
        return shape.serialization.get("name", default)

    def _parse(self, shape: Shape, form: dict[str, str], key: str) -> Any:
        handler = getattr(self, f"_parse_{shape.type_name}", None)
        if handler is not None:
            return handler(shape, form, key)
        raw = form.get(key)
        return None if raw is None else self._scalar(shape, raw, key)

    def _parse_structure(self, shape: StructureShape, form: dict[str, str], prefix: str) -> Any:
        if prefix and not any(field.startswith(prefix + ".") for field in form):
            return None
        parsed = {}
        for name, member in shape.members.items():
            for wire_name in self._member_names(member, name):
                value = self._parse(member, form, _join(prefix, wire_name))
                if value is not None:
                    parsed[name] = value
                    break
        return parsed or None

    def _member_names(self, member: Shape, name: str) -> list[str]:
        """The names a structure member may travel under."""
        return [self._name(member, name)]

    def _list_prefixes(self, shape: Any, key: str) -> list[str]:
        """Where the items of a list may travel: ``<prefix>.N``."""
        if not shape.serialization.get("flattened"):
            return [f"{key}.{shape.member.serialization.get('name', 'member')}"]
        if "name" in shape.member.serialization:
            # botocore renames a flattened list by its member's name; Smithy keeps the key.
            parent, _, _ = key.rpartition(".")
            return [_join(parent, shape.member.serialization["name"]), key]
        return [key]

    def _parse_list(self, shape: Any, form: dict[str, str], key: str) -> list[Any] | None:
        if self.EMPTY_LIST_MARKER and form.get(key) == "":
            return []
        for prefix in self._list_prefixes(shape, key):
            indices = _indices(form, prefix)
            if indices:
                return [self._parse(shape.member, form, f"{prefix}.{i}") for i in indices]
        return None

    def _parse_map(self, shape: Any, form: dict[str, str], key: str) -> dict[str, Any] | None:
        prefix = key if shape.serialization.get("flattened") else f"{key}.entry"
        key_name = self._name(shape.key, "key")
        value_name = self._name(shape.value, "value")
        parsed = {}
        for i in _indices(form, prefix):
            map_key = self._parse(shape.key, form, f"{prefix}.{i}.{key_name}")
            if map_key is not None:
                parsed[map_key] = self._parse(shape.value, form, f"{prefix}.{i}.{value_name}")
        return parsed or None


class Ec2RequestParser(QueryRequestParser):
    """The ``ec2`` protocol: query, with ``Name.N`` lists and capitalised wire names."""

    VALIDATION_CODE = "InvalidParameterValue"
    EMPTY_LIST_MARKER = False

    def _name(self, shape: Shape, default: str) -> str:
        if "queryName" in shape.serialization:
            return shape.serialization["queryName"]
        name = shape.serialization.get("name")
        return name[0].upper() + name[1:] if name else default

    def _member_names(self, member: Shape, name: str) -> list[str]:
        # botocore sends a member without queryName/locationName under its own name; Smithy
        # (and EC2 itself) capitalise it. Accept both.
        wire_name = self._name(member, name)
        capitalised = wire_name[0].upper() + wire_name[1:]
        return [wire_name] if capitalised == wire_name else [wire_name, capitalised]

    def _list_prefixes(self, shape: Any, key: str) -> list[str]:
        return [key]


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _depth(document: Any) -> int:
    """How deeply ``document`` nests (a scalar: 0), walked without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            items: Iterable[Any] = value.values()
        elif isinstance(value, list):
            items = value
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((item, level + 1) for item in items)
    return deepest


def _indices(form: Iterable[str], prefix: str) -> list[int]:
    """The positions ``N`` of fields ``<prefix>.N`` or ``<prefix>.N.…``, in order."""
    pattern = re.compile(re.escape(prefix) + r"\.(\d+)(?:\.|$)")
    found = {int(match.group(1)) for field in form if (match := pattern.match(field))}
    return sorted(found)

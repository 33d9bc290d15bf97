"""The ``rest-json`` protocol (Lambda): members bound to the URI, the query, headers, the body.

A request names its operation by method and URI (:mod:`.routes`); each input member travels where
its ``location`` trait says — a URI label (``uri``), a query parameter (``querystring``, a map of
them taking the parameters no other member names), a header (``header``, or ``headers`` for a map
of prefixed headers) — and the rest in a JSON body, unless the input shape names a ``payload``
member, which is the whole body (raw bytes for a blob, text for a string, JSON for a structure).
A response is written the same way by the output shape: its status is the member bound to
``statusCode``, else the operation's ``responseCode``; header members become headers; the payload
member or the JSON of the body members is the body. Timestamps default to epoch seconds in the
body, ISO 8601 in the query and HTTP dates in headers; a ``jsonvalue`` header carries base64 JSON.

Errors carry ``x-amzn-ErrorType`` and a JSON body with the message, and ``Type`` ``User`` or
``Service`` as Lambda writes it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from typing import Any, ClassVar

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from bgkit.errors import ServiceError, UnknownOperationError
from bgkit.local.api.parsers import JsonRequestParser
from bgkit.local.api.routes import Routes
from bgkit.local.api.serializers import (
    Headers,
    JsonResponseSerializer,
    encode_blob,
    format_float,
    member_value,
)
from bgkit.local.api.timestamps import format_timestamp
from bgkit.local.api.wire import HttpRequest

__all__ = ["RestJsonRequestParser", "RestJsonResponseSerializer"]

#: a header value's items: a quoted string (with ``\"`` escapes) or text up to the next comma
_HEADER_ITEM = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*?))\s*(?:,|$)')


@functools.lru_cache(maxsize=64)
def _routes(service_model: ServiceModel) -> Routes:
    """The routes of a model, compiled once (the server's models are loaded once a process)."""
    return Routes(service_model)


def split_header(shape: Shape, value: str) -> list[str]:
    """The items of a list travelling in one header (quoted items may hold commas; an HTTP
    date holds one itself)."""
    if not value.strip():
        return []
    if shape.member.type_name == "timestamp" and "GMT" in value:
        parts = [part.strip() for part in value.split(",")]
        return [f"{parts[i]}, {parts[i + 1]}" for i in range(0, len(parts) - 1, 2)]
    items = []
    for match in _HEADER_ITEM.finditer(value):
        quoted, plain = match.group(1), match.group(2)
        if quoted is not None:
            items.append(re.sub(r"\\(.)", r"\1", quoted))
        elif plain or match.group(0).strip(", \t"):
            items.append(plain)
        if match.end() >= len(value):
            break
    return items


class RestJsonRequestParser(JsonRequestParser):
    """The ``rest-json`` protocol's requests (see the module docstring)."""

    UNKNOWN_OPERATION_CODE = "UnknownOperationException"

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        found = _routes(self.service_model).find(
            request.method, request.path, request.query, request.headers
        )
        if found is None:
            raise UnknownOperationError(
                self.UNKNOWN_OPERATION_CODE,
                self.service_model.service_name,
                f"{request.method} {request.path}",
            )
        name, labels = found
        operation = self.service_model.operation_model(name)
        shape = operation.input_shape
        if shape is None:
            return operation, {}
        params: dict[str, Any] = {}
        body_members = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            value: Any = None
            if location == "uri":
                if wire in labels:
                    value = self._text(member, labels[wire], name)
            elif location == "querystring":
                value = self._query(member, request.query, wire, name)
            elif location == "header":
                raw = request.headers.get(wire.lower())
                if raw is not None:
                    value = self._header(member, raw, name)
            elif location == "headers":
                prefix = wire.lower()
                found_headers = {
                    key[len(prefix) :]: item
                    for key, item in request.headers.items()
                    if key.startswith(prefix)
                }
                value = found_headers or None
            elif location == "statusCode":
                continue
            else:
                body_members[name] = member
                continue
            if value is not None:
                params[name] = value
        params.update(self._body_params(shape, body_members, request))
        return operation, params

    # -- the body --------------------------------------------------------------------------

    def _body_params(
        self, shape: StructureShape, members: dict[str, Shape], request: HttpRequest
    ) -> dict[str, Any]:
        body = self._body(request)
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            if member.type_name == "blob":
                return {payload: body} if body else {}
            if member.type_name == "string":
                return {payload: body.decode("utf-8")} if body else {}
            document = self._document(body) if body.strip() else None
            if not document:  # botocore writes ``{}`` for an absent structure payload
                return {}
            return {payload: self._parse(member, document, payload)}
        if not members or not body.strip():
            return {}
        document = self._document(body)
        if not isinstance(document, dict):
            raise ServiceError(self.VALIDATION_CODE, "The request body must be a JSON object.")
        parsed = {}
        for name, member in members.items():
            item = document.get(member.serialization.get("name", name))
            if item is not None:
                parsed[name] = self._parse(member, item, name)
        return parsed

    def _document(self, body: bytes) -> Any:
        return self._json(body)

    # -- values outside the body ----------------------------------------------------------------

    def _text(self, shape: Shape, raw: str, path: str) -> Any:
        """A scalar from the text of a label, a query parameter or a header (a timestamp in any
        of the forms AWS writes there: epoch seconds, ISO 8601, an HTTP date)."""
        if shape.type_name in ("string", "character"):
            return raw
        return self._scalar(shape, raw, path)

    def _query(
        self,
        shape: Shape,
        query: dict[str, list[str]],
        wire: str,
        path: str,
    ) -> Any:
        if shape.type_name == "map":
            # A map bound to the query takes every parameter, named members' included, as
            # Smithy's httpQueryParams does on a server.
            entries: dict[str, Any] = {}
            for key, values in query.items():
                if shape.value.type_name == "list":
                    entries[key] = [self._text(shape.value.member, v, path) for v in values]
                else:
                    entries[key] = self._text(shape.value, values[0], path)
            return entries or None
        values = query.get(wire)
        if values is None:
            return None
        if shape.type_name == "list":
            return [self._text(shape.member, v, f"{path}[{i}]") for i, v in enumerate(values)]
        return self._text(shape, values[0], path)

    def _header(self, shape: Shape, raw: str, path: str) -> Any:
        if shape.type_name == "list":
            return [
                self._text(shape.member, item, f"{path}[{i}]")
                for i, item in enumerate(split_header(shape, raw))
            ]
        if shape.type_name == "string" and shape.serialization.get("jsonvalue"):
            try:
                text = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise self._invalid(path, raw, "base64-encoded JSON") from None
            return self._json(text)
        return self._text(shape, raw.strip() if shape.type_name != "string" else raw, path)


#: The Content-Type of a raw (``blob`` or ``string``) payload.
_RAW_TYPES = {"blob": "application/octet-stream", "string": "text/plain"}


class RestJsonResponseSerializer(JsonResponseSerializer):
    """The ``rest-json`` protocol's responses and errors (see the module docstring)."""

    HEADER_TIMESTAMP: ClassVar[str] = "rfc822"

    def __init__(self) -> None:
        super().__init__("1.1")
        self.content_type = "application/json"

    @classmethod
    def for_service(cls, service_model: ServiceModel) -> RestJsonResponseSerializer:
        return cls()

    def result_status(self, operation: OperationModel, result: dict[str, Any] | None) -> int:
        shape = operation.output_shape
        if shape is not None and result:
            for name, member in shape.members.items():
                if member.serialization.get("location") == "statusCode":
                    value = member_value(result, name)
                    if value is not None:
                        return int(value)
        return int(operation.http.get("responseCode", 200))

    def serialize_result(
        self, operation: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> tuple[Headers, bytes]:
        headers = self._headers(request_id)
        shape = operation.output_shape
        result = result or {}
        if shape is None:
            return headers, b""
        body_members = self._write_headers(shape, result, headers)
        payload = shape.serialization.get("payload")
        if payload is not None:
            value = member_value(result, payload)
            member = shape.members[payload]
            if value is None:
                return headers, b""
            raw = self._raw_payload(member, value)
            if raw is not None:
                headers["Content-Type"] = _RAW_TYPES[member.type_name]
                return headers, raw
            return headers, json.dumps(self._serialize(member, value)).encode("utf-8")
        document = {}
        for name, member in body_members.items():
            value = member_value(result, name)
            if value is not None:
                document[member.serialization.get("name", name)] = self._serialize(member, value)
        return headers, json.dumps(document).encode("utf-8")

    @staticmethod
    def _raw_payload(member: Shape, value: Any) -> bytes | None:
        """The bytes of a ``blob`` or ``string`` payload as sent; None for any other type."""
        if member.type_name == "blob":
            return value.encode("utf-8") if isinstance(value, str) else bytes(value)
        if member.type_name == "string":
            return str(value).encode("utf-8")
        return None

    def serialize_error(self, error: ServiceError, request_id: str) -> tuple[Headers, bytes]:
        headers = self._headers(request_id)
        headers["x-amzn-ErrorType"] = error.code
        kind = "User" if error.sender_fault else "Service"
        body = json.dumps({"Type": kind, "message": error.message}).encode("utf-8")
        return headers, body

    def _write_headers(
        self, shape: StructureShape, result: dict[str, Any], headers: Headers
    ) -> dict[str, Shape]:
        """Write the members bound to headers; return the others (the body's), by name."""
        body_members = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            value = member_value(result, name)
            if location in ("header", "headers", "statusCode"):
                if value is not None:
                    self._write_header(member, name, value, headers)
            else:
                body_members[name] = member
        return body_members

    def _write_header(self, shape: Shape, name: str, value: Any, headers: Headers) -> None:
        location = shape.serialization.get("location")
        if location == "statusCode":
            return
        wire = shape.serialization.get("name", name)
        if location == "headers":
            for key, item in value.items():
                headers[f"{wire}{key}"] = str(item)
            return
        if shape.type_name == "list":
            items = [self._header_text(shape.member, item) for item in value]
            quoted = [
                f'"{item.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                if shape.member.type_name == "string" and ("," in item or '"' in item)
                else item
                for item in items
            ]
            headers[wire] = ", ".join(quoted)
            return
        headers[wire] = self._header_text(shape, value)

    def _header_text(self, shape: Shape, value: Any) -> str:
        kind = shape.type_name
        if kind == "string" and shape.serialization.get("jsonvalue"):
            return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()
        if kind == "timestamp":
            form = shape.serialization.get("timestampFormat") or self.HEADER_TIMESTAMP
            return str(format_timestamp(value, form))
        if kind == "boolean":
            return "true" if value else "false"
        if kind in ("float", "double"):
            return str(format_float(value))
        if kind == "blob":
            return encode_blob(value)
        if kind in ("integer", "long", "short", "byte"):
            return str(int(value))
        return str(value)

"""The ``rest-xml`` protocol (S3): ``rest-json``'s bindings, with XML bodies.

Members bound to the URI, the query and headers travel as in ``rest-json`` (the binding
machinery is :mod:`.restjson`'s); the body is XML: a structure ``payload`` member is one element
named by its ``locationName``, else the body members are the children of the root. Lists are
wrapped (``<Tags><member>…``, or the member's ``locationName``) or ``flattened`` (repeated
elements); maps are ``<entry><key/><value/></entry>``; ``xmlAttribute`` members are attributes;
timestamps are ISO 8601 in the body. A blob payload (``PutObject``'s ``Body``) is the raw body,
never unzipped (``Content-Encoding`` is the object's metadata there).

What S3 adds on the wire, which every SDK relies on:

- ``aws-chunked`` bodies (``Content-Encoding: aws-chunked``, signed or unsigned chunks, trailing
  headers named by ``x-amz-trailer``: botocore sends a CRC32 trailer so over HTTPS) are decoded
  before anything is read, and their trailers become headers (:func:`decode_aws_chunked`);
- an XML body is checked against ``Content-MD5`` and any ``x-amz-checksum-<algorithm>`` header,
  and an operation whose model requires a checksum (``httpChecksum.requestChecksumRequired``:
  ``DeleteObjects``, ``PutBucketTagging`` …) is refused without one; a streamed blob payload is
  checked by its service while it is written to disk;
- virtual-hosted requests (``<bucket>.localhost``, ``<bucket>.s3.<region>.localhost``) are read as
  the path-style request they stand for (:func:`path_style`).

Responses carry ``x-amz-request-id`` and ``x-amz-id-2``; errors are S3's ``<Error><Code>…
<Message>…`` with the error's ``details`` (``BucketName``, ``Key`` …) as elements, then
``<RequestId>`` and ``<HostId>``, and the error's ``headers`` (a delete marker's).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from typing import Any, ClassVar
from xml.etree import ElementTree

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from bgkit.errors import ServiceError
from bgkit.local.api.restjson import RestJsonRequestParser, RestJsonResponseSerializer
from bgkit.local.api.serializers import Headers, QueryResponseSerializer, member_value
from bgkit.local.api.wire import HttpRequest
from bgkit.local.checksums import ALGORITHMS, Digests, check_digests, header_of

__all__ = [
    "RestXmlRequestParser",
    "RestXmlResponseSerializer",
    "decode_aws_chunked",
    "path_style",
]

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
#: the root element of S3's responses (Smithy's ``xmlName`` traits, which botocore's model
#: drops; botocore reads any root); other operations' is ``<Operation>Result``
ROOTS = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketTagging": "Tagging",
    "GetObjectTagging": "Tagging",
    "GetBucketLocation": "LocationConstraint",
}
S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
#: a virtual-hosted request's Host: ``<bucket>[.s3[.<region>]].localhost[:port]``
_VIRTUAL_HOST = re.compile(
    r"^(?P<bucket>.+?)(?:\.s3(?:[.-](?P<region>[a-z0-9-]+))?)?\.localhost(?::\d+)?$"
)


def path_style(request: HttpRequest) -> HttpRequest:
    """The path-style request a virtual-hosted one stands for (else ``request`` itself).

    ``Host: photos.localhost:4599`` with path ``/a/b.png`` is ``/photos/a/b.png``; so is
    ``photos.s3.us-east-1.localhost``. ``s3.localhost`` or ``s3.<region>.localhost`` (an endpoint
    named so) and loopback addresses name no bucket. The gateway only ever sees loopback hosts.
    """
    host = request.headers.get("host", "").strip().lower()
    match = _VIRTUAL_HOST.match(host)
    if match is not None and not re.match(r"^s3(?:[.-][a-z0-9-]+)?\.localhost(?::\d+)?$", host):
        request = replace(request, path="/" + match["bucket"] + (request.path or "/"))
    if request.path.count("/") == 2 and request.path.endswith("/"):
        request = replace(request, path=request.path[:-1])  # ``/<bucket>/`` names the bucket
    return request


def decode_aws_chunked(request: HttpRequest) -> HttpRequest:
    """``request`` with its ``aws-chunked`` body decoded and its trailers moved to headers.

    Raises:
        ServiceError: ``IncompleteBody`` when the chunks are malformed or their length is not
            ``x-amz-decoded-content-length``.
    """
    encodings = [e.strip() for e in request.headers.get("content-encoding", "").split(",")]
    if "aws-chunked" not in encodings:
        return request
    body, trailers = _dechunk(request.body)
    headers = dict(request.headers)
    kept = [e for e in encodings if e and e != "aws-chunked"]
    if kept:
        headers["content-encoding"] = ", ".join(kept)
    else:
        headers.pop("content-encoding", None)
    declared = headers.get("x-amz-decoded-content-length")
    if declared is not None and declared.strip() != str(len(body)):
        raise _incomplete(f"the chunks hold {len(body)} bytes, not the {declared} declared")
    headers["content-length"] = str(len(body))  # the object's length, as S3 reads it
    for name, value in trailers.items():
        if name != "x-amz-trailer-signature":
            headers[name] = value
    return replace(request, body=body, headers=headers)


def _incomplete(detail: str) -> ServiceError:
    return ServiceError(
        "IncompleteBody",
        f"You did not provide the number of bytes specified by the Content-Length HTTP header: "
        f"{detail}.",
    )


def _dechunk(raw: bytes) -> tuple[bytes, dict[str, str]]:
    data = bytearray()
    position = 0
    while True:
        end = raw.find(b"\r\n", position)
        if end < 0:
            raise _incomplete("an aws-chunked body ended before its last chunk")
        size_text = raw[position:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _incomplete(f"an aws-chunked chunk size is not hex: {size_text[:20]!r}") from None
        position = end + 2
        if size == 0:
            break
        if raw[position + size : position + size + 2] != b"\r\n":
            raise _incomplete("an aws-chunked chunk is shorter than its size")
        data += raw[position : position + size]
        position += size + 2
    trailers = {}
    for line in raw[position:].decode("utf-8", "replace").split("\r\n"):
        if line.strip():
            name, _, value = line.partition(":")
            trailers[name.strip().lower()] = value.strip()
    return bytes(data), trailers


def verify_body(operation: OperationModel, headers: dict[str, str], body: bytes) -> None:
    """Check ``body`` against ``Content-MD5`` and ``x-amz-checksum-*`` headers, and that an
    operation that requires a checksum carries one.

    Raises:
        ServiceError: ``InvalidDigest``, ``BadDigest`` or ``InvalidRequest``, as S3 answers.
    """
    given = [a for a in ALGORITHMS if header_of(a) in headers]
    md5 = headers.get("content-md5")
    if not given and md5 is None:
        if operation.http_checksum.get("requestChecksumRequired"):
            raise ServiceError(
                "InvalidRequest",
                "Missing required header for this request: Content-MD5 OR x-amz-checksum-*",
            )
        return
    for algorithm in given or [None]:
        digests = Digests(algorithm)
        digests.update(body)
        check_digests(digests, md5, algorithm and headers[header_of(algorithm)])
        md5 = None


def _local(tag: str) -> str:
    """An element or attribute name without its namespace (``{uri}Key`` → ``Key``)."""
    return tag.rsplit("}", 1)[-1]


class RestXmlRequestParser(RestJsonRequestParser):
    """The ``rest-xml`` protocol's requests (see the module docstring)."""

    VALIDATION_CODE = "InvalidArgument"
    UNKNOWN_OPERATION_CODE = "NotImplemented"

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        request = decode_aws_chunked(request)
        operation, params = super().parse(request)
        shape = operation.input_shape
        payload = shape.serialization.get("payload") if shape is not None else None
        streamed = payload is not None and shape.members[payload].type_name == "blob"
        if not streamed:
            verify_body(operation, request.headers, request.body or b"")
        return operation, params

    def _body(self, request: HttpRequest) -> bytes:
        return request.body or b""

    def _body_params(
        self, shape: StructureShape, members: dict[str, Shape], request: HttpRequest
    ) -> dict[str, Any]:
        payload = shape.serialization.get("payload")
        body = request.body or b""
        if payload is not None:
            member = shape.members[payload]
            if member.type_name == "blob":
                return {payload: body} if body else {}
            if member.type_name == "string":
                return {payload: body.decode("utf-8")} if body else {}
            root = self._document(body)
            if root is None:
                return {}
            return {payload: self._parse_xml(member, root, payload)}
        if not members:
            return {}
        root = self._document(body)
        if root is None:
            return {}
        return self._members(members, root, "")

    def _document(self, body: bytes) -> ElementTree.Element | None:
        if not body.strip():
            return None
        if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
            raise self._malformed()
        try:
            return ElementTree.fromstring(body)
        except ElementTree.ParseError:
            raise self._malformed() from None

    def _malformed(self) -> ServiceError:
        return ServiceError(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our "
            "published schema.",
        )

    def _members(
        self, members: dict[str, Shape], element: ElementTree.Element, path: str
    ) -> dict[str, Any]:
        children: dict[str, list[ElementTree.Element]] = {}
        for child in element:
            children.setdefault(_local(child.tag), []).append(child)
        attributes = {_local(name): value for name, value in element.attrib.items()}
        parsed: dict[str, Any] = {}
        for name, member in members.items():
            wire = member.serialization.get("name", name)
            where = f"{path}.{name}" if path else name
            if member.serialization.get("xmlAttribute"):
                value = attributes.get(wire.rsplit(":", 1)[-1])
                if value is not None:
                    parsed[name] = self._text(member, value, where)
                continue
            if member.type_name in ("list", "map") and member.serialization.get("flattened"):
                names = [wire]
                inner = (member.member if member.type_name == "list" else member).serialization
                if "name" in inner and inner["name"] != wire:
                    names.append(inner["name"])
                found = [c for n in names for c in children.get(n, [])]
                if found:
                    parsed[name] = self._flattened(member, found, where)
                continue
            # botocore names a member by its target's locationName when the member has none;
            # Smithy by the member: either is read
            nodes = children.get(wire) or children.get(name)
            if nodes:
                parsed[name] = self._parse_xml(member, nodes[0], where)
        return parsed

    def _flattened(self, shape: Any, nodes: list[ElementTree.Element], path: str) -> Any:
        if shape.type_name == "list":
            return [self._parse_xml(shape.member, n, f"{path}[{i}]") for i, n in enumerate(nodes)]
        return dict(self._entry(shape, node, path) for node in nodes)

    def _entry(self, shape: Any, node: ElementTree.Element, path: str) -> tuple[Any, Any]:
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        key_node = next((c for c in node if _local(c.tag) == key_name), None)
        value_node = next((c for c in node if _local(c.tag) == value_name), None)
        key = self._parse_xml(shape.key, key_node, path) if key_node is not None else ""
        value = (
            self._parse_xml(shape.value, value_node, f"{path}[{key!r}]")
            if (value_node is not None)
            else None
        )
        return key, value

    def _parse_xml(self, shape: Shape, element: ElementTree.Element, path: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self._members(dict(shape.members), element, path)
        if kind == "list":
            return [
                self._parse_xml(shape.member, child, f"{path}[{i}]")
                for i, child in enumerate(element)
            ]
        if kind == "map":
            return dict(self._entry(shape, child, path) for child in element)
        text = element.text or ""
        if kind not in ("string", "character"):
            text = text.strip()
        return self._text(shape, text, path)


#: where a response member travels outside the body (a ``querystring`` member of an output is
#: in the body: a response has no query)
_OUTSIDE_BODY = ("header", "headers", "statusCode")


def _namespace_uri(trait: Any) -> str | None:
    """The URI of an ``xmlNamespace`` trait (``{"uri", "prefix"}``, or the URI alone)."""
    if isinstance(trait, dict):
        return trait.get("uri")
    return trait or None


class _XmlWriter(QueryResponseSerializer):
    """The query serialiser's XML walk, with ``xmlAttribute`` members as attributes."""

    def _serialize_members(
        self, shape: StructureShape, value: Any, element: ElementTree.Element
    ) -> None:
        for name, member in shape.members.items():
            item = member_value(value, name)
            if item is None or member.serialization.get("location") in _OUTSIDE_BODY:
                continue
            tag = member.serialization.get("name", name)
            if member.serialization.get("xmlAttribute"):
                element.set(tag, self._attribute(member, item))
                continue
            if member.type_name == "list" and member.serialization.get("flattened"):
                tag = member.member.serialization.get("name", tag)
            self._serialize(member, item, element, tag)

    def _attribute(self, shape: Shape, value: Any) -> str:
        if shape.type_name == "boolean":
            return "true" if value else "false"
        if shape.type_name == "timestamp":
            return str(self._timestamp(shape, value))
        return str(value)


class RestXmlResponseSerializer(RestJsonResponseSerializer):
    """The ``rest-xml`` protocol's responses and errors (see the module docstring)."""

    TIMESTAMP_FORMAT: ClassVar[str] = "iso8601"

    def __init__(self, namespace: str | None = None) -> None:
        super().__init__()
        self.content_type = "application/xml"
        self.namespace = namespace
        self._xml = _XmlWriter(namespace)

    @classmethod
    def for_service(cls, service_model: ServiceModel) -> RestXmlResponseSerializer:
        namespace = S3_NAMESPACE if service_model.service_name == "s3" else None
        return cls(_namespace_uri(service_model.metadata.get("xmlNamespace")) or namespace)

    def result_status(self, operation: OperationModel, result: dict[str, Any] | None) -> int:
        """206 for a part of a streamed payload (a ``Content-Range`` member is set), as HTTP
        answers a range request; else as ``rest-json``."""
        shape = operation.output_shape
        if shape is not None and result and operation.has_streaming_output:
            for name, member in shape.members.items():
                ranged = member.serialization.get("name", "").lower() == "content-range"
                if ranged and member_value(result, name) is not None:
                    return 206
        return super().result_status(operation, result)

    def _headers(self, request_id: str) -> Headers:
        headers = super()._headers(request_id)
        headers["x-amz-request-id"] = request_id
        headers["x-amz-id-2"] = _host_id(request_id)
        return headers

    def serialize_result(
        self, operation: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> tuple[Headers, bytes]:
        headers = self._headers(request_id)
        shape = operation.output_shape
        result = result or {}
        if shape is None:
            del headers["Content-Type"]
            return headers, b""
        typed = any(m.serialization.get("name") == "Content-Type" for m in shape.members.values())
        if typed:
            del headers["Content-Type"]  # the object's own, when it has one
        body_members = self._write_headers(shape, result, headers)
        payload = shape.serialization.get("payload")
        if payload is not None:
            value = member_value(result, payload)
            member = shape.members[payload]
            if value is None:
                return headers, b""
            raw = self._raw_payload(member, value)
            if raw is not None:
                return headers, raw
            tag = member.serialization.get("name", payload)
            return headers, self._document(member, value, tag)
        root_name = ROOTS.get(operation.name, f"{operation.name}Result")
        body = [(n, m) for n, m in body_members.items()]
        if len(body) == 1 and body[0][1].serialization.get("name", body[0][0]) == root_name:
            # one member that is the root itself (GetBucketLocation's <LocationConstraint>),
            # written even empty, as S3 does
            root = self._root(root_name, None)
            value = member_value(result, body[0][0])
            root.text = None if value is None else str(value)
            return headers, _encode(root)
        if not any(member_value(result, n) is not None for n, _ in body):
            return headers, b""
        root = self._root(root_name, None)
        self._xml._serialize_members(shape, result, root)
        return headers, _encode(root)

    def _document(self, shape: Shape, value: Any, tag: str) -> bytes:
        holder = ElementTree.Element("holder")
        self._xml._serialize(shape, value, holder, tag)
        root = holder[0]
        namespace = shape.serialization.get("xmlNamespace")
        if namespace:
            prefix = namespace.get("prefix") if isinstance(namespace, dict) else None
            root.set(f"xmlns:{prefix}" if prefix else "xmlns", _namespace_uri(namespace) or "")
        elif self.namespace and shape.type_name == "structure":
            root.set("xmlns", self.namespace)
        return _encode(root)

    def _root(self, tag: str, namespace: str | None) -> ElementTree.Element:
        uri = namespace or self.namespace
        return ElementTree.Element(tag, {"xmlns": uri} if uri else {})

    def serialize_error(self, error: ServiceError, request_id: str) -> tuple[Headers, bytes]:
        headers = self._headers(request_id)
        for name, value in (getattr(error, "headers", None) or {}).items():
            headers[name] = value
        root = ElementTree.Element("Error")
        for tag, text in (
            ("Code", error.code),
            ("Message", error.message),
            *(getattr(error, "details", None) or {}).items(),
            ("RequestId", request_id),
            ("HostId", _host_id(request_id)),
        ):
            ElementTree.SubElement(root, tag).text = str(text)
        return headers, _encode(root)


def _host_id(request_id: str) -> str:
    """An ``x-amz-id-2``: S3's extended request id (base64, derived from the request id)."""
    return base64.b64encode(hashlib.sha256(request_id.encode()).digest() * 2).decode("ascii")


def _encode(root: ElementTree.Element) -> bytes:
    """The document, with carriage returns escaped (an XML reader turns a raw ``\r\n`` into
    ``\n``; ElementTree leaves ``\r`` raw in text)."""
    text = ElementTree.tostring(root, encoding="unicode").replace("\r", "&#13;")
    return _DECLARATION + text.encode("utf-8")

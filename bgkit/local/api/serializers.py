"""Response serialisers: a provider's result, or an error, into the body of a protocol.

A result is a plain dict keyed by the output shape's member names (``botocore.xform_name`` keys
are accepted too); members absent or ``None`` are left out. Each serialiser walks the output shape
and dispatches on the shape's type, ``_serialize_<type>``: JSON for ``json``, XML for ``query``
(inside the operation's ``resultWrapper``) and for ``ec2`` (members at the root). Nothing here
knows a service. XML lists and maps are written as botocore's parser reads them (a flattened list
by its member's name); ``xmlAttribute`` and member ``xmlNamespace`` traits, which none of the
seven services' output shapes use, are not written. Errors carry a code and a message only.

A service that moved from ``query`` to JSON or CBOR keeps its query error codes
(``awsQueryCompatible``, CloudWatch): its JSON and CBOR errors name the error shape in ``__type``
and the query code in the ``x-amzn-query-error`` header (``InvalidParameterValue;Sender``), which
botocore reads as the error's code (:func:`error_type`; AWS's compliance cases
``QueryCompatibleAwsJson10CustomCodeError`` and ``QueryCompatibleRpcV2CborCustomCodeError``).
"""

from __future__ import annotations

import base64
import json
import math
import re
from typing import Any, ClassVar
from xml.etree import ElementTree

from botocore import xform_name
from botocore.model import NoShapeFoundError, OperationModel, ServiceModel, Shape, StructureShape

from bgkit.errors import ServiceError
from bgkit.local.api.timestamps import format_timestamp

__all__ = [
    "Ec2ResponseSerializer",
    "JsonResponseSerializer",
    "QueryResponseSerializer",
    "ResponseSerializer",
    "error_shape",
    "error_type",
]

Headers = dict[str, str]
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
#: characters outside XML 1.0's ``Char`` production (W3C XML 1.0, section 2.2)
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def member_value(data: dict[str, Any], name: str) -> Any:
    """The value of member ``name`` in ``data``, by its model name or its ``xform_name``."""
    value = data.get(name)
    if value is None:
        value = data.get(xform_name(name))
    return value


#: a structure shape's members as the serialisers walk them, worked out once a shape (the
#: models are loaded once a process, so their shapes are few and live as long as it does)
_MEMBERS: dict[Shape, tuple[tuple[str, str, Shape, str, str], ...]] = {}


def members(shape: StructureShape) -> tuple[tuple[str, str, Shape, str, str], ...]:
    """``(name, xform_name(name), member, JSON name, XML tag)`` of each member, in order: the
    XML tag of a flattened list is its member's name."""
    found = _MEMBERS.get(shape)
    if found is None:
        found = _MEMBERS[shape] = tuple(
            (name, xform_name(name), member, member.serialization.get("name", name), tag)
            for name, member in shape.members.items()
            for tag in (_xml_tag(name, member),)
        )
    return found


#: (serialiser class, shape type) → its ``_serialize_<type>`` function, ``None`` when it has none
_HANDLERS: dict[tuple[type, str], Any] = {}


def handler(cls: type, type_name: str) -> Any:
    """The ``_serialize_<type_name>`` function of a serialiser class (``None`` when it has none),
    looked up once a class and type."""
    key = (cls, type_name)
    found = _HANDLERS.get(key, _HANDLERS)
    if found is _HANDLERS:
        found = _HANDLERS[key] = getattr(cls, f"_serialize_{type_name}", None)
    return found


def _xml_tag(name: str, member: Shape) -> str:
    tag = member.serialization.get("name", name)
    if member.type_name == "list" and member.serialization.get("flattened"):
        tag = member.member.serialization.get("name", tag)
    return tag


def format_float(value: Any) -> float | str:
    """A float, or AWS's spelling of the values JSON and XML cannot write."""
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def encode_blob(value: Any) -> str:
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return base64.b64encode(data).decode("ascii")


def error_shape(service_model: ServiceModel, code: str) -> Shape | None:
    """The exception shape of ``service_model`` named ``code``, else the one whose ``error.code``
    trait is ``code`` (CloudWatch's ``ResourceNotFound`` is the code of two shapes, one of them
    named so)."""
    try:
        shape = service_model.shape_for(code)
    except NoShapeFoundError:
        shape = None
    if shape is not None and shape.metadata.get("exception"):
        return shape
    return service_model.shape_for_error_code(code)


def error_type(
    service_model: ServiceModel | None, error: ServiceError
) -> tuple[str, dict[str, str]]:
    """What a JSON or CBOR error names in ``__type``, and the headers that go with it.

    For most services ``__type`` is the error's code. A query-compatible service names the error
    shape there and, when the shape has a query code of its own, sends it in
    ``x-amzn-query-error`` as ``<code>;Sender`` (or ``;Receiver`` for a server fault).
    """
    if service_model is None or not service_model.is_query_compatible:
        return error.code, {}
    shape = error_shape(service_model, error.code)
    if shape is None:
        return error.code, {}
    trait = shape.metadata.get("error") or {}
    if not trait.get("code"):
        return shape.name, {}
    sender = trait.get("senderFault", error.sender_fault)
    fault = "Sender" if sender else "Receiver"
    return shape.name, {"x-amzn-query-error": f"{trait['code']};{fault}"}


class ResponseSerializer:
    """What the serialisers share: the protocol's timestamp format and content type.

    A serialiser is made for a service with :meth:`for_service`, or directly from its envelope's
    parameters (JSON version, XML namespace) for an error answered before any service is known.
    """

    content_type: str
    TIMESTAMP_FORMAT: ClassVar[str]

    @classmethod
    def for_service(cls, service_model: ServiceModel) -> ResponseSerializer:
        """The serialiser of ``service_model``'s responses (its JSON version, its XML namespace)."""
        raise NotImplementedError

    def serialize_result(
        self, operation: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> tuple[Headers, bytes]:
        raise NotImplementedError

    def serialize_error(self, error: ServiceError, request_id: str) -> tuple[Headers, bytes]:
        raise NotImplementedError

    def result_status(self, operation: OperationModel, result: dict[str, Any] | None) -> int:
        """The HTTP status of a result: 200 but where the protocol binds one (``rest-json``)."""
        return 200

    def _timestamp(self, shape: Shape, value: Any) -> str | int | float:
        return format_timestamp(
            value, shape.serialization.get("timestampFormat") or self.TIMESTAMP_FORMAT
        )

    def _headers(self, request_id: str) -> Headers:
        return {"Content-Type": self.content_type, "x-amzn-RequestId": request_id}


class JsonResponseSerializer(ResponseSerializer):
    """The ``json`` protocol: a JSON object by the output shape, epoch-second timestamps."""

    TIMESTAMP_FORMAT = "unixTimestamp"

    def __init__(self, json_version: str, service_model: ServiceModel | None = None) -> None:
        self.content_type = f"application/x-amz-json-{json_version}"
        #: the service answering, when known (its query-compatible error codes)
        self.service_model = service_model

    @classmethod
    def for_service(cls, service_model: ServiceModel) -> JsonResponseSerializer:
        return cls(service_model.metadata.get("jsonVersion", "1.0"), service_model)

    def serialize_result(
        self, operation: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> tuple[Headers, bytes]:
        shape = operation.output_shape
        document = self._serialize(shape, result or {}) if shape is not None else {}
        return self._headers(request_id), json.dumps(document).encode("utf-8")

    def serialize_error(self, error: ServiceError, request_id: str) -> tuple[Headers, bytes]:
        kind, extra = error_type(self.service_model, error)
        headers = {**self._headers(request_id), "x-amzn-ErrorType": kind, **extra}
        body = json.dumps({"__type": kind, "message": error.message}).encode("utf-8")
        return headers, body

    def _serialize(self, shape: Shape, value: Any) -> Any:
        write = handler(type(self), shape.type_name)
        return value if write is None else write(self, shape, value)

    def _serialize_structure(self, shape: StructureShape, value: Any) -> Any:
        if shape.is_document_type:
            return value
        document = {}
        cls = type(self)
        for name, snake, member, wire, _ in members(shape):
            item = value.get(name)
            if item is None:
                item = value.get(snake)
            if item is not None:  # _serialize, inlined: the hottest loop of every answer
                write = handler(cls, member.type_name)
                document[wire] = item if write is None else write(self, member, item)
        return document

    def _serialize_list(self, shape: Any, value: Any) -> list[Any]:
        member = shape.member
        write = handler(type(self), member.type_name)
        if write is None:
            return list(value)
        return [None if item is None else write(self, member, item) for item in value]

    def _serialize_map(self, shape: Any, value: Any) -> dict[str, Any]:
        return {
            str(key): None if item is None else self._serialize(shape.value, item)
            for key, item in value.items()
        }

    def _serialize_timestamp(self, shape: Shape, value: Any) -> Any:
        return self._timestamp(shape, value)

    def _serialize_blob(self, shape: Shape, value: Any) -> str:
        return encode_blob(value)

    def _serialize_float(self, shape: Shape, value: Any) -> float | str:
        return format_float(value)

    _serialize_double = _serialize_float

    def _serialize_integer(self, shape: Shape, value: Any) -> int:
        return int(value)

    _serialize_long = _serialize_integer

    def _serialize_boolean(self, shape: Shape, value: Any) -> bool:
        return bool(value)


class QueryResponseSerializer(ResponseSerializer):
    """The ``query`` protocol: ``<OpResponse><OpResult>…</OpResult><ResponseMetadata>``."""

    content_type = "text/xml"
    TIMESTAMP_FORMAT = "iso8601"
    #: the element of a non-flattened list's items when the model names none
    LIST_ITEM = "member"

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace

    @classmethod
    def for_service(cls, service_model: ServiceModel) -> QueryResponseSerializer:
        return cls(service_model.metadata.get("xmlNamespace"))

    def serialize_result(
        self, operation: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> tuple[Headers, bytes]:
        root = self._root(f"{operation.name}Response")
        shape = operation.output_shape
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper")
            parent = ElementTree.SubElement(root, wrapper) if wrapper else root
            self._serialize_members(shape, result or {}, parent)
        self._add_request_id(root, request_id)
        return self._headers(request_id), self._encode(root)

    def serialize_error(self, error: ServiceError, request_id: str) -> tuple[Headers, bytes]:
        root = self._root("ErrorResponse")
        element = ElementTree.SubElement(root, "Error")
        _text(element, "Type", "Sender" if error.sender_fault else "Receiver")
        _text(element, "Code", error.code)
        _text(element, "Message", error.message)
        _text(root, "RequestId", request_id)
        return self._headers(request_id), self._encode(root)

    def _root(self, tag: str) -> ElementTree.Element:
        attributes = {"xmlns": self.namespace} if self.namespace else {}
        return ElementTree.Element(tag, attributes)

    def _add_request_id(self, root: ElementTree.Element, request_id: str) -> None:
        metadata = ElementTree.SubElement(root, "ResponseMetadata")
        _text(metadata, "RequestId", request_id)

    @staticmethod
    def _encode(root: ElementTree.Element) -> bytes:
        return _XML_DECLARATION + ElementTree.tostring(root, encoding="unicode").encode("utf-8")

    def _serialize(self, shape: Shape, value: Any, parent: ElementTree.Element, tag: str) -> None:
        write = handler(type(self), shape.type_name)
        if write is not None:
            write(self, shape, value, parent, tag)
        else:
            _text(parent, tag, str(value))

    def _serialize_members(
        self, shape: StructureShape, value: Any, element: ElementTree.Element
    ) -> None:
        for name, snake, member, _, tag in members(shape):
            item = value.get(name)
            if item is None:
                item = value.get(snake)
            if item is not None:
                self._serialize(member, item, element, tag)

    def _serialize_structure(
        self, shape: StructureShape, value: Any, parent: ElementTree.Element, tag: str
    ) -> None:
        self._serialize_members(shape, value, ElementTree.SubElement(parent, tag))

    def _serialize_list(
        self, shape: Any, value: Any, parent: ElementTree.Element, tag: str
    ) -> None:
        if shape.serialization.get("flattened"):
            container, item_tag = parent, tag
        else:
            container = ElementTree.SubElement(parent, tag)
            item_tag = shape.member.serialization.get("name", self.LIST_ITEM)
        for item in value:
            if item is not None:
                self._serialize(shape.member, item, container, item_tag)

    def _serialize_map(self, shape: Any, value: Any, parent: ElementTree.Element, tag: str) -> None:
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        flattened = shape.serialization.get("flattened")
        container = parent if flattened else ElementTree.SubElement(parent, tag)
        for key, item in value.items():
            entry = ElementTree.SubElement(container, tag if flattened else "entry")
            self._serialize(shape.key, key, entry, key_tag)
            if item is not None:
                self._serialize(shape.value, item, entry, value_tag)

    def _serialize_timestamp(
        self, shape: Shape, value: Any, parent: ElementTree.Element, tag: str
    ) -> None:
        _text(parent, tag, str(self._timestamp(shape, value)))

    def _serialize_blob(
        self, shape: Shape, value: Any, parent: ElementTree.Element, tag: str
    ) -> None:
        _text(parent, tag, encode_blob(value))

    def _serialize_boolean(
        self, shape: Shape, value: Any, parent: ElementTree.Element, tag: str
    ) -> None:
        _text(parent, tag, "true" if value else "false")

    def _serialize_float(
        self, shape: Shape, value: Any, parent: ElementTree.Element, tag: str
    ) -> None:
        _text(parent, tag, str(format_float(value)))

    _serialize_double = _serialize_float

    def _serialize_integer(
        self, shape: Shape, value: Any, parent: ElementTree.Element, tag: str
    ) -> None:
        _text(parent, tag, str(int(value)))

    _serialize_long = _serialize_integer


class Ec2ResponseSerializer(QueryResponseSerializer):
    """The ``ec2`` protocol: ``<OpResponse><requestId/>…members…</OpResponse>``, ``<item>``s."""

    content_type = "text/xml;charset=UTF-8"
    LIST_ITEM = "item"

    def serialize_result(
        self, operation: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> tuple[Headers, bytes]:
        root = self._root(f"{operation.name}Response")
        _text(root, "requestId", request_id)
        if operation.output_shape is not None:
            self._serialize_members(operation.output_shape, result or {}, root)
        return self._headers(request_id), self._encode(root)

    def serialize_error(self, error: ServiceError, request_id: str) -> tuple[Headers, bytes]:
        root = ElementTree.Element("Response")
        element = ElementTree.SubElement(ElementTree.SubElement(root, "Errors"), "Error")
        _text(element, "Code", error.code)
        _text(element, "Message", error.message)
        _text(root, "RequestID", request_id)
        return self._headers(request_id), self._encode(root)


def _text(parent: ElementTree.Element, tag: str, text: str) -> ElementTree.Element:
    """A child element holding ``text``; a character XML 1.0 cannot carry at all (a control
    character, a lone surrogate, U+FFFE/U+FFFF: not even as a reference) becomes U+FFFD, so
    that every client's XML parser reads the document."""
    element = ElementTree.SubElement(parent, tag)
    element.text = _NOT_XML.sub("\ufffd", text)
    return element

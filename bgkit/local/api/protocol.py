"""The protocol layer: AWS wire requests in, AWS wire responses and errors out.

Driven only by botocore's service models, it speaks the six protocols of the local cloud —
``json`` (ECS, CodeDeploy, CloudWatch Logs), ``query`` (IAM, STS, ELBv2), ``ec2``,
``rest-json`` (Lambda, :mod:`bgkit.local.api.restjson`), ``rest-xml`` (S3,
:mod:`bgkit.local.api.restxml`) and ``smithy-rpc-v2-cbor`` (:mod:`bgkit.local.api.rpcv2cbor`)
— and knows no service. The gateway
hands it an :class:`HttpRequest` and gets back the operation and its params
(:func:`parse_request`); after the provider has answered, it turns the result or the
:class:`~bgkit.errors.ServiceError` into an :class:`HttpResponse` (:func:`serialize_result`,
:func:`serialize_error`).

A service is served in every protocol of ours its model lists (CloudWatch: CBOR, JSON and
query; CodeDeploy and CodePipeline: CBOR and JSON): :func:`request_protocol` tells which one a
request speaks (:mod:`bgkit.local.api.negotiation`), and the gateway parses and answers it in
that one, errors included. Without a protocol given, each function speaks the one boto3
resolves (``ServiceModel.resolved_protocol``, :func:`protocol_of`). An error answered before the
service is known (an unsigned request) is written in the envelope of the protocol the request
looks like (:func:`serialize_error_without_service`).

Checking params against the input shape's constraints lives in
:mod:`bgkit.local.api.validation` (:func:`validate_params`); parsing in
:mod:`bgkit.local.api.parsers`, writing in :mod:`bgkit.local.api.serializers`,
``rest-json`` (which builds on both) in :mod:`bgkit.local.api.restjson`, ``rest-xml`` (which
builds on it) in :mod:`bgkit.local.api.restxml`, ``smithy-rpc-v2-cbor`` (which builds on the
``json`` parser and serialiser) in :mod:`bgkit.local.api.rpcv2cbor`, which protocol a request
speaks in :mod:`bgkit.local.api.negotiation`; they build on the leaf modules
:mod:`bgkit.local.api.wire` (the HTTP values), :mod:`bgkit.local.api.timestamps` and
:mod:`bgkit.local.api.routes` (operations by method and URI), so imports go one way: leaves ←
parsers, serialisers, negotiation ← rest-json ← rest-xml, rpc-v2-cbor ← this module ← the
gateway.
"""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel

from bgkit.errors import ServiceError
from bgkit.local.api.negotiation import RPC_V2_CBOR, spoken
from bgkit.local.api.parsers import (
    Ec2RequestParser,
    JsonRequestParser,
    QueryRequestParser,
    RequestParser,
)
from bgkit.local.api.restjson import RestJsonRequestParser, RestJsonResponseSerializer
from bgkit.local.api.restxml import RestXmlRequestParser, RestXmlResponseSerializer
from bgkit.local.api.rpcv2cbor import RpcV2CborRequestParser, RpcV2CborResponseSerializer
from bgkit.local.api.serializers import (
    Ec2ResponseSerializer,
    JsonResponseSerializer,
    QueryResponseSerializer,
    ResponseSerializer,
    error_shape,
)
from bgkit.local.api.validation import validate
from bgkit.local.api.wire import HttpRequest, HttpResponse

__all__ = [
    "PROTOCOLS",
    "HttpRequest",
    "HttpResponse",
    "error_status",
    "parse_request",
    "protocol_of",
    "request_protocol",
    "serialize_error",
    "serialize_error_without_service",
    "serialize_result",
    "unknown_operation_code",
    "validate_params",
]

_PARSERS: dict[str, type[RequestParser]] = {
    "json": JsonRequestParser,
    "query": QueryRequestParser,
    "ec2": Ec2RequestParser,
    "rest-json": RestJsonRequestParser,
    "rest-xml": RestXmlRequestParser,
    RPC_V2_CBOR: RpcV2CborRequestParser,
}
_SERIALIZERS: dict[str, type[ResponseSerializer]] = {
    "json": JsonResponseSerializer,
    "query": QueryResponseSerializer,
    "ec2": Ec2ResponseSerializer,
    "rest-json": RestJsonResponseSerializer,
    "rest-xml": RestXmlResponseSerializer,
    RPC_V2_CBOR: RpcV2CborResponseSerializer,
}
#: the wire protocols the local cloud speaks
PROTOCOLS = tuple(_PARSERS)
#: the JSON version of an error answered before the service is known: that of every JSON service
#: the local cloud serves (ECS, CodeDeploy, CloudWatch Logs)
UNKNOWN_SERVICE_JSON_VERSION = "1.1"


def protocol_of(service_model: ServiceModel) -> str:
    """The wire protocol boto3 uses for ``service_model``, one of :data:`PROTOCOLS`.

    Raises:
        ValueError: when the model offers none of them.
    """
    resolved = service_model.resolved_protocol
    if resolved in _PARSERS:
        return resolved
    offered = service_model.metadata.get("protocols") or [service_model.protocol]
    for protocol in offered:
        if protocol in _PARSERS:
            return protocol
    raise ValueError(
        f"{service_model.service_name} speaks {offered}; the local cloud speaks {PROTOCOLS}"
    )


def served_protocols(service_model: ServiceModel) -> tuple[str, ...]:
    """Every protocol of :data:`PROTOCOLS` the model lists, in the model's order."""
    offered = service_model.metadata.get("protocols") or [service_model.protocol]
    return tuple(protocol for protocol in offered if protocol in _PARSERS)


def request_protocol(service_model: ServiceModel, request: HttpRequest) -> str:
    """The protocol of the service's in which ``request`` is written, and answered.

    It is the one the request speaks (:func:`bgkit.local.api.negotiation.spoken`) when the
    service offers it, else the service's own (:func:`protocol_of`), whose parser then refuses
    what it cannot read.
    """
    protocol = spoken(request)
    if protocol is not None and protocol in served_protocols(service_model):
        return protocol
    return protocol_of(service_model)


def parse_request(
    service_model: ServiceModel, request: HttpRequest, protocol: str | None = None
) -> tuple[OperationModel, dict[str, Any]]:
    """The operation ``request`` calls and its params, as a boto3 caller passed them.

    Args:
        service_model: botocore's model of the service the request is for.
        request: the request as received.
        protocol: the protocol to read it in (:func:`request_protocol`); by default the one
            boto3 resolves for the service.

    Returns:
        The operation model and the params, keyed by the input shape's member names (nested
        structures too); timestamps are aware UTC ``datetime``, blobs ``bytes``.

    Raises:
        UnknownOperationError: the operation is not in the model.
        ServiceError: the request cannot be read (``MissingAction``, ``SerializationException``,
            ``ValidationError``, ``InvalidParameterValue``).
    """
    parser = _PARSERS[protocol or protocol_of(service_model)](service_model)
    return parser.parse(request)


def validate_params(operation_model: OperationModel, params: dict[str, Any]) -> None:
    """Refuse ``params`` as the service does when they break the input shape's constraints
    (required members, lengths, ranges, enums: :mod:`bgkit.local.api.validation`).

    Raises:
        ServiceError: the service's own validation error (``ValidationError``,
            ``MissingParameter``, ``InvalidParameterException``, CodeDeploy's
            ``ApplicationNameRequiredException`` …), HTTP 400.
    """
    validate(operation_model, params)


def serialize_result(
    operation_model: OperationModel,
    result: dict[str, Any] | None,
    request_id: str,
    protocol: str | None = None,
) -> HttpResponse:
    """The response carrying ``result``, written by the operation's output shape: HTTP 200, or
    the status the model binds (``rest-json``: a ``statusCode`` member, else ``responseCode``).

    Args:
        operation_model: the operation answered.
        result: values keyed by the output shape's member names (or their ``xform_name``);
            ``None`` or absent members are left out. Timestamps may be ``datetime`` or epoch
            seconds.
        request_id: the id the response carries.
        protocol: the protocol to write it in; by default the one boto3 resolves.
    """
    serializer = _serializer(operation_model.service_model, protocol)
    headers, body = serializer.serialize_result(operation_model, result, request_id)
    return HttpResponse(serializer.result_status(operation_model, result), headers, body)


def serialize_error(
    service_model: ServiceModel,
    error: ServiceError,
    request_id: str,
    operation_model: OperationModel | None = None,
    protocol: str | None = None,
) -> HttpResponse:
    """The error response AWS gives for ``error``, in the service's protocol.

    Args:
        service_model: the service answering.
        error: the code (as on the wire), message, status and fault of the error.
        request_id: the id the response carries.
        operation_model: the operation, when the request got that far (unused by the
            protocols, accepted so the gateway need not care).
        protocol: the protocol to write it in (the request's); by default the one boto3
            resolves.
    """
    del operation_model
    headers, body = _serializer(service_model, protocol).serialize_error(error, request_id)
    return HttpResponse(error_status(service_model, error), headers, body)


def serialize_error_without_service(
    request: HttpRequest, error: ServiceError, request_id: str
) -> HttpResponse:
    """The error response for a request whose service is not known (it is not signed).

    It is written in the envelope of the protocol the request looks like: ``smithy-rpc-v2-cbor``
    for a CBOR request, ``json`` when it names its operation in ``X-Amz-Target`` (JSON
    :data:`UNKNOWN_SERVICE_JSON_VERSION`), else ``query`` (no XML namespace).

    Args:
        request: the request refused.
        error: the code, message and status of the error (400, or 500 for a fault, if none).
        request_id: the id the response carries.
    """
    serializer: ResponseSerializer
    if spoken(request) == RPC_V2_CBOR:
        serializer = RpcV2CborResponseSerializer()
    elif request.headers.get("x-amz-target"):
        serializer = JsonResponseSerializer(UNKNOWN_SERVICE_JSON_VERSION)
    else:
        serializer = QueryResponseSerializer()
    headers, body = serializer.serialize_error(error, request_id)
    return HttpResponse(error_status(None, error), headers, body)


def unknown_operation_code(service_model: ServiceModel, protocol: str | None = None) -> str:
    """The error code with which the service's protocol (or ``protocol``) refuses an operation
    it does not know."""
    return _PARSERS[protocol or protocol_of(service_model)].UNKNOWN_OPERATION_CODE


def error_status(service_model: ServiceModel | None, error: ServiceError) -> int:
    """The HTTP status of ``error``: its own, else its error shape's (when the service is known),
    else 400 (500 for faults)."""
    if error.status is not None:
        return error.status
    if service_model is None:
        return 400 if error.sender_fault else 500
    shape = error_shape(service_model, error.code)
    if shape is not None:
        trait = shape.metadata.get("error") or {}
        if trait.get("httpStatusCode"):
            return int(trait["httpStatusCode"])
        # botocore keeps no public attribute for the ``fault`` trait (server-side errors).
        if shape._shape_model.get("fault"):
            return 500
    return 400 if error.sender_fault else 500


def _serializer(service_model: ServiceModel, protocol: str | None = None) -> ResponseSerializer:
    return _SERIALIZERS[protocol or protocol_of(service_model)].for_service(service_model)

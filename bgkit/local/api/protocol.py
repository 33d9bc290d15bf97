"""The protocol layer: AWS wire requests in, AWS wire responses and errors out.

Driven only by botocore's service models, it speaks the five protocols of the local cloud —
``json`` (ECS, CodeDeploy, CloudWatch Logs), ``query`` (IAM, STS, ELBv2), ``ec2``,
``rest-json`` (Lambda, :mod:`bgkit.local.api.restjson`) and ``rest-xml`` (S3,
:mod:`bgkit.local.api.restxml`) — and knows no service. The gateway
hands it an :class:`HttpRequest` and gets back the operation and its params
(:func:`parse_request`); after the provider has answered, it turns the result or the
:class:`~bgkit.errors.ServiceError` into an :class:`HttpResponse` (:func:`serialize_result`,
:func:`serialize_error`).

The protocol of a service is the one boto3 resolves (``ServiceModel.resolved_protocol``): for a
model that lists several (CodeDeploy also offers ``smithy-rpc-v2-cbor``) it is the first of ours
that the model offers. An error answered before the service is known (an unsigned request) is
written in the envelope of the protocol the request looks like
(:func:`serialize_error_without_service`).

Checking params against the input shape's constraints lives in
:mod:`bgkit.local.api.validation` (:func:`validate_params`); parsing in
:mod:`bgkit.local.api.parsers`, writing in :mod:`bgkit.local.api.serializers`,
``rest-json`` (which builds on both) in :mod:`bgkit.local.api.restjson`, ``rest-xml`` (which
builds on it) in :mod:`bgkit.local.api.restxml`; they build on the leaf
modules :mod:`bgkit.local.api.wire` (the HTTP values), :mod:`bgkit.local.api.timestamps` and
:mod:`bgkit.local.api.routes` (operations by method and URI), so imports go one way: leaves ←
parsers, serialisers ← rest-json ← rest-xml ← this module ← the gateway.
"""

from __future__ import annotations

from typing import Any

from botocore.model import NoShapeFoundError, OperationModel, ServiceModel, Shape

from bgkit.errors import ServiceError
from bgkit.local.api.parsers import (
    Ec2RequestParser,
    JsonRequestParser,
    QueryRequestParser,
    RequestParser,
)
from bgkit.local.api.restjson import RestJsonRequestParser, RestJsonResponseSerializer
from bgkit.local.api.restxml import RestXmlRequestParser, RestXmlResponseSerializer
from bgkit.local.api.serializers import (
    Ec2ResponseSerializer,
    JsonResponseSerializer,
    QueryResponseSerializer,
    ResponseSerializer,
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
}
_SERIALIZERS: dict[str, type[ResponseSerializer]] = {
    "json": JsonResponseSerializer,
    "query": QueryResponseSerializer,
    "ec2": Ec2ResponseSerializer,
    "rest-json": RestJsonResponseSerializer,
    "rest-xml": RestXmlResponseSerializer,
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


def parse_request(
    service_model: ServiceModel, request: HttpRequest
) -> tuple[OperationModel, dict[str, Any]]:
    """The operation ``request`` calls and its params, as a boto3 caller passed them.

    Args:
        service_model: botocore's model of the service the request is for.
        request: the request as received.

    Returns:
        The operation model and the params, keyed by the input shape's member names (nested
        structures too); timestamps are aware UTC ``datetime``, blobs ``bytes``.

    Raises:
        UnknownOperationError: the operation is not in the model.
        ServiceError: the request cannot be read (``MissingAction``, ``SerializationException``,
            ``ValidationError``, ``InvalidParameterValue``).
    """
    parser = _PARSERS[protocol_of(service_model)](service_model)
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
    operation_model: OperationModel, result: dict[str, Any] | None, request_id: str
) -> HttpResponse:
    """The response carrying ``result``, written by the operation's output shape: HTTP 200, or
    the status the model binds (``rest-json``: a ``statusCode`` member, else ``responseCode``).

    Args:
        operation_model: the operation answered.
        result: values keyed by the output shape's member names (or their ``xform_name``);
            ``None`` or absent members are left out. Timestamps may be ``datetime`` or epoch
            seconds.
        request_id: the id the response carries.
    """
    serializer = _serializer(operation_model.service_model)
    headers, body = serializer.serialize_result(operation_model, result, request_id)
    return HttpResponse(serializer.result_status(operation_model, result), headers, body)


def serialize_error(
    service_model: ServiceModel,
    error: ServiceError,
    request_id: str,
    operation_model: OperationModel | None = None,
) -> HttpResponse:
    """The error response AWS gives for ``error``, in the service's protocol.

    Args:
        service_model: the service answering.
        error: the code (as on the wire), message, status and fault of the error.
        request_id: the id the response carries.
        operation_model: the operation, when the request got that far (unused by the four
            protocols, accepted so the gateway need not care).
    """
    del operation_model
    headers, body = _serializer(service_model).serialize_error(error, request_id)
    return HttpResponse(error_status(service_model, error), headers, body)


def serialize_error_without_service(
    request: HttpRequest, error: ServiceError, request_id: str
) -> HttpResponse:
    """The error response for a request whose service is not known (it is not signed).

    It is written in the envelope of the protocol the request looks like: ``json`` when it names
    its operation in ``X-Amz-Target`` (JSON :data:`UNKNOWN_SERVICE_JSON_VERSION`), else ``query``
    (no XML namespace).

    Args:
        request: the request refused.
        error: the code, message and status of the error (400, or 500 for a fault, if none).
        request_id: the id the response carries.
    """
    serializer: ResponseSerializer
    if request.headers.get("x-amz-target"):
        serializer = JsonResponseSerializer(UNKNOWN_SERVICE_JSON_VERSION)
    else:
        serializer = QueryResponseSerializer()
    headers, body = serializer.serialize_error(error, request_id)
    return HttpResponse(error_status(None, error), headers, body)


def unknown_operation_code(service_model: ServiceModel) -> str:
    """The error code with which the service's protocol refuses an operation it does not know."""
    return _PARSERS[protocol_of(service_model)].UNKNOWN_OPERATION_CODE


def error_status(service_model: ServiceModel | None, error: ServiceError) -> int:
    """The HTTP status of ``error``: its own, else its error shape's (when the service is known),
    else 400 (500 for faults)."""
    if error.status is not None:
        return error.status
    if service_model is None:
        return 400 if error.sender_fault else 500
    shape = _error_shape(service_model, error.code)
    if shape is not None:
        trait = shape.metadata.get("error") or {}
        if trait.get("httpStatusCode"):
            return int(trait["httpStatusCode"])
        # botocore keeps no public attribute for the ``fault`` trait (server-side errors).
        if shape._shape_model.get("fault"):
            return 500
    return 400 if error.sender_fault else 500


def _serializer(service_model: ServiceModel) -> ResponseSerializer:
    return _SERIALIZERS[protocol_of(service_model)].for_service(service_model)


def _error_shape(service_model: ServiceModel, code: str) -> Shape | None:
    """The exception shape whose ``error.code`` trait, or name, is ``code``."""
    shape = service_model.shape_for_error_code(code)
    if shape is not None:
        return shape
    try:
        shape = service_model.shape_for(code)
    except NoShapeFoundError:
        return None
    return shape if shape.metadata.get("exception") else None

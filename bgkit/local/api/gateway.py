"""The local cloud's HTTP endpoint: who may call, which service and operation, dispatch, errors.

A request is answered only when it looks like an SDK's and not like a web page's: its ``Host`` is a
loopback name or address (no DNS rebinding), it carries no ``Origin`` (browsers send one on every
cross-origin POST, SDKs never do), it is not a CORS preflight (never granted), and it is signed with
SigV4 in the ``Authorization`` header — a header a page cannot send cross-origin without a
preflight. The signature itself is not verified: the local cloud has one account and takes any
credentials, like a local Docker daemon whose socket you can reach.

The service comes from the credential scope's signing name, the region from its region, the
operation from the protocol layer; the provider method ``xform_name(Operation)`` answers inside one
store transaction, so a refusal leaves the state as it was.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import traceback
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from botocore import xform_name
from botocore.model import ServiceModel

from bgkit.errors import ServiceError, UnknownOperationError
from bgkit.local.api.protocol import (
    HttpRequest,
    HttpResponse,
    parse_request,
    serialize_error,
    serialize_result,
)
from bgkit.local.process import STATUS_PATH
from bgkit.local.provider import Provider, RequestContext

log = logging.getLogger("bgkit.local")

#: SigV4 signing name → botocore service name
SIGNING_NAMES = {
    "iam": "iam",
    "sts": "sts",
    "ec2": "ec2",
    "elasticloadbalancing": "elbv2",
    "ecs": "ecs",
    "codedeploy": "codedeploy",
    "logs": "logs",
}
ELBV2_VERSION = "2015-12-01"
CREDENTIAL = re.compile(
    r"Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request"
)


def is_loopback_host(host: str) -> bool:
    """Whether a ``Host`` header names this machine's loopback (with or without a port)."""
    host = host.strip().lower()
    if host.startswith("["):
        name = host[1 : host.find("]")] if "]" in host else host
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _refuse(reason: str) -> web.Response:
    return web.Response(status=403, text=f"refused by the bgkit local cloud: {reason}\n")


class Gateway:
    """Turns HTTP requests into provider calls.

    Args:
        models: botocore service name → its :class:`ServiceModel` (a cached loader).
        providers: botocore service name → the provider that answers it.
        context: makes the :class:`RequestContext` of a call from (service, operation, region).
        status: what ``GET /_bgkit/status`` answers (a small JSON-able dict).
        after_change: called after every call that succeeded (the data plane reconciles).
    """

    def __init__(
        self,
        models: Callable[[str], ServiceModel],
        providers: Mapping[str, Provider],
        context: Callable[[str, str, str], RequestContext],
        status: Callable[[], dict[str, Any]],
        after_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.models = models
        self.providers = providers
        self.context = context
        self.status = status
        self.after_change = after_change

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not is_loopback_host(request.headers.get("Host", "")):
            return _refuse("the Host header must name a loopback address (127.0.0.1, localhost)")
        if request.method == "OPTIONS":
            return _refuse("cross-origin requests are never allowed")
        if "Origin" in request.headers:
            return _refuse("requests from web pages (with an Origin header) are not allowed")
        if request.method == "GET" and request.path == STATUS_PATH:
            return web.json_response(self.status())
        body = await request.read()
        http = HttpRequest(
            method=request.method,
            path=request.path,
            query=parse_qs(request.query_string, keep_blank_values=True),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        return _to_aiohttp(self.dispatch(http))

    def dispatch(self, http: HttpRequest) -> HttpResponse:
        """Answer one request (no transport involved: tests may call this directly)."""
        request_id = str(uuid.uuid4())
        scope = CREDENTIAL.search(http.headers.get("authorization", ""))
        if scope is None:
            return self._unauthenticated(http, request_id)
        service_name = SIGNING_NAMES.get(scope["service"])
        if service_name == "elbv2" and _query_value(http, "Version") not in (None, ELBV2_VERSION):
            service_name = None
        if service_name is None:
            return _plain_error(
                400,
                f"the bgkit local cloud does not implement the service signed as "
                f"{scope['service']!r}; it answers {', '.join(sorted(SIGNING_NAMES))}",
            )
        model = self.models(service_name)
        operation = None
        try:
            operation, params = parse_request(model, http)
            provider = self.providers.get(service_name)
            method = getattr(provider, xform_name(operation.name), None)
            if method is None:
                raise UnknownOperationError(
                    _unknown_code(model), model.signing_name or service_name, operation.name
                )
            ctx = self.context(service_name, operation.name, scope["region"])
            kwargs = {xform_name(name): value for name, value in params.items()}
            with ctx.store.transaction():
                result = method(ctx, **kwargs)
        except ServiceError as error:
            return serialize_error(model, error, request_id, operation)
        except Exception:
            log.error("internal failure in %s\n%s", service_name, traceback.format_exc())
            error = ServiceError(
                "InternalFailure",
                "the bgkit local cloud failed on this request (a bug of ours: its log has the "
                "traceback)",
                status=500,
                sender_fault=False,
            )
            return serialize_error(model, error, request_id, operation)
        self.after_change()
        return serialize_result(operation, result, request_id)

    def _unauthenticated(self, http: HttpRequest, request_id: str) -> HttpResponse:
        """AWS's answer to an unsigned request, in the envelope of the protocol it looks like."""
        target = http.headers.get("x-amz-target")
        if target:
            body = (
                '{"__type":"MissingAuthenticationTokenException",'
                '"message":"Missing Authentication Token"}'
            )
            return HttpResponse(
                403,
                {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id},
                body.encode(),
            )
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code>"
            "<Message>Request is missing Authentication Token</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return HttpResponse(403, {"Content-Type": "text/xml"}, body.encode())


def _unknown_code(model: ServiceModel) -> str:
    return "UnknownOperationException" if model.resolved_protocol == "json" else "InvalidAction"


def _query_value(http: HttpRequest, name: str) -> str | None:
    values = http.query.get(name)
    if values:
        return values[0]
    if http.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        values = parse_qs(http.body.decode("utf-8", "replace"), keep_blank_values=True).get(name)
        if values:
            return values[0]
    return None


def _plain_error(status: int, message: str) -> HttpResponse:
    return HttpResponse(status, {"Content-Type": "text/plain"}, (message + "\n").encode())


def _to_aiohttp(response: HttpResponse) -> web.Response:
    return web.Response(status=response.status, headers=response.headers, body=response.body)

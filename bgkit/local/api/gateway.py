"""The local cloud's HTTP endpoint: who may call, which service and operation, dispatch, errors.

A request is answered only when it looks like an SDK's and not like a web page's: its ``Host`` is a
loopback name or address (no DNS rebinding), it carries no ``Origin`` (browsers send one on every
cross-origin POST, SDKs never do), it is not a CORS preflight (never granted), and it is signed with
SigV4 in the ``Authorization`` header — a header a page cannot send cross-origin without a
preflight. The signature itself is not verified: the local cloud has one account and takes any
credentials, like a local Docker daemon whose socket you can reach.

The service comes from the credential scope's signing name (botocore's ``signingName`` of a served
service's model, else its ``endpointPrefix``, as botocore signs), the region from its region, the
protocol from the request itself among those the service's model lists (a CloudWatch request may
come in CBOR, JSON or query, and is answered in the one it came in, errors included), the
operation from the protocol layer, which also refuses params that break the input shape's
constraints as the service does (a required member absent, a length, range or enum broken)
before any provider sees them; the provider method ``xform_name(Operation)`` answers inside one
store transaction, so a refusal leaves the state as it was. Every AWS error, the gateway's own
included (an unsigned request, an operation not implemented, a bug of ours), is written by the
protocol layer; only the refusals that are not AWS's (a web page's request, a service not served)
are plain text.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from botocore import xform_name
from botocore.model import OperationModel, ServiceModel

from bgkit.errors import ServiceError, UnknownOperationError
from bgkit.local.api.negotiation import RPC_V2_CBOR, spoken
from bgkit.local.api.protocol import (
    HttpRequest,
    HttpResponse,
    parse_request,
    request_protocol,
    serialize_error,
    serialize_error_without_service,
    serialize_result,
    unknown_operation_code,
    validate_params,
)
from bgkit.local.api.restxml import path_style
from bgkit.local.process import STATUS_PATH
from bgkit.local.provider import Provider, RequestContext

log = logging.getLogger("bgkit.local")

#: served services whose signing name another AWS service shares (ELBv2 signs as
#: ``elasticloadbalancing``, like the classic ELB, which the local cloud does not serve): a request
#: is theirs only when its ``Version``, if it sends one, is their model's API version
SHARED_SIGNING_NAME = frozenset({"elbv2"})
#: served services whose clients may name the resource in the Host (S3's virtual-hosted
#: ``<bucket>.localhost``): the request is read as the path-style one it stands for
VIRTUAL_HOSTED = frozenset({"s3"})
#: the content codings aiohttp's server decodes before a handler reads the body
_UNZIPPED_BY_AIOHTTP = frozenset({"gzip", "deflate", "br", "zstd"})
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
        request_id: makes the id of each response (``x-amzn-RequestId``, ``<RequestId>`` …).
        after_change: called after every call that succeeded (the data plane reconciles: time
            may have passed since its last pass, and a read must see what it made due).
        complete: awaited with (service, operation, result) after a call that succeeded and
            before its answer is written: the data plane finishes what the call started (a
            Lambda ``RequestResponse`` invocation) without blocking the loop. A
            :class:`ServiceError` it raises is the call's answer.
        authorize: called with (context, the signing access key id, params) inside the call's
            transaction before the provider: the caller's identity (IAM users' keys); a
            :class:`ServiceError` it raises refuses the call.
    """

    def __init__(
        self,
        models: Callable[[str], ServiceModel],
        providers: Mapping[str, Provider],
        context: Callable[[str, str, str], RequestContext],
        status: Callable[[], dict[str, Any]],
        request_id: Callable[[], str],
        after_change: Callable[[], None] = lambda: None,
        complete: Callable[[str, str, dict[str, Any]], Awaitable[dict[str, Any]]] | None = None,
        authorize: Callable[[RequestContext, str, dict[str, Any]], None] = lambda *_: None,
    ) -> None:
        self.models = models
        self.providers = providers
        self.context = context
        self.status = status
        self.request_id = request_id
        self.after_change = after_change
        self.complete = complete
        self.authorize = authorize

    @functools.cached_property
    def signing_names(self) -> dict[str, str]:
        """SigV4 signing name → botocore name of the served service signed so (read on first use:
        the models load when the first request comes, not when the local cloud starts)."""
        return {self.models(name).signing_name: name for name in self.providers}

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
        # aiohttp's server has already unzipped a gzip or deflate body (within the app's
        # client_max_size); the protocol layer must not unzip it again
        headers = {k.lower(): v for k, v in request.headers.items()}
        if headers.get("content-encoding", "").strip().lower() in _UNZIPPED_BY_AIOHTTP:
            del headers["content-encoding"]
        http = HttpRequest(
            method=request.method,
            path=request.rel_url.raw_path,  # still percent-encoded: rest-json labels need it
            query=parse_qs(request.query_string, keep_blank_values=True),
            headers=headers,
            body=body,
        )
        answer = self._call(http)
        if isinstance(answer, _Answered) and self.complete is not None:
            answer = await self._completed(answer)
        response = answer if isinstance(answer, HttpResponse) else answer.response()
        return _to_aiohttp(response, head=request.method == "HEAD")

    def dispatch(self, http: HttpRequest) -> HttpResponse:
        """Answer one request (no transport involved: tests may call this directly; nothing
        the call starts is awaited)."""
        answer = self._call(http)
        return answer if isinstance(answer, HttpResponse) else answer.response()

    async def _completed(self, answer: _Answered) -> HttpResponse:
        assert self.complete is not None
        try:
            result = await self.complete(answer.service, answer.operation.name, answer.result or {})
        except ServiceError as error:
            return serialize_error(
                answer.model, error, answer.request_id, answer.operation, answer.protocol
            )
        except Exception:
            log.error("internal failure completing %s\n%s", answer.service, traceback.format_exc())
            return serialize_error(
                answer.model, _internal_failure(), answer.request_id, protocol=answer.protocol
            )
        return serialize_result(answer.operation, result, answer.request_id, answer.protocol)

    def _call(self, http: HttpRequest) -> HttpResponse | _Answered:
        request_id = self.request_id()
        scope = CREDENTIAL.search(http.headers.get("authorization", ""))
        if scope is None:
            scope = self._unsigned(http)
        if scope is None:
            return _unauthenticated(http, request_id)
        service_name = self.signing_names.get(scope["service"])
        model = self.models(service_name) if service_name is not None else None
        if model is None or (
            service_name in SHARED_SIGNING_NAME
            and _query_value(http, "Version") not in (None, model.api_version)
        ):
            return _plain_error(
                400,
                f"the bgkit local cloud does not implement the service signed as "
                f"{scope['service']!r}; it answers {', '.join(sorted(self.signing_names))}",
            )
        operation = None
        if service_name in VIRTUAL_HOSTED:
            http = path_style(http)
        protocol = request_protocol(model, http)
        try:
            operation, params = parse_request(model, http, protocol)
            provider = self.providers.get(service_name)
            method = getattr(provider, xform_name(operation.name), None)
            if method is None:
                code = unknown_operation_code(model, protocol)
                raise UnknownOperationError(code, scope["service"], operation.name)
            validate_params(operation, params)
            ctx = self.context(service_name, operation.name, scope["region"])
            kwargs = {xform_name(name): value for name, value in params.items()}
            with ctx.store.transaction():
                self.authorize(ctx, scope["key"], params)
                result = method(ctx, **kwargs)
        except ServiceError as error:
            return serialize_error(model, error, request_id, operation, protocol)
        except Exception:
            log.error("internal failure in %s\n%s", service_name, traceback.format_exc())
            return serialize_error(model, _internal_failure(), request_id, operation, protocol)
        self.after_change()
        return _Answered(model, service_name, operation, result, request_id, protocol)

    def _unsigned(self, http: HttpRequest) -> dict[str, str] | None:
        """The scope of an unsigned request to an operation AWS answers unsigned (``authtype``
        ``none`` in its model: STS's ``AssumeRoleWithWebIdentity`` and ``AssumeRoleWithSAML``,
        whose token is the only credential), as if signed in us-east-1 by no key; ``None`` for
        any other unsigned request."""
        action, version = _query_value(http, "Action"), _query_value(http, "Version")
        if action is None or version is None:
            return None
        for name in self.providers:
            model = self.models(name)
            if (
                model.protocol == "query"
                and model.api_version == version
                and action in model.operation_names
                and model.operation_model(action).auth_type == "none"
            ):
                return {"service": model.signing_name, "region": "us-east-1", "key": ""}
        return None


@dataclass
class _Answered:
    """A call that succeeded, before its answer is written."""

    model: ServiceModel
    service: str
    operation: OperationModel
    result: dict[str, Any] | None
    request_id: str
    #: the protocol the request came in, and its answer goes out in
    protocol: str

    def response(self) -> HttpResponse:
        return serialize_result(self.operation, self.result, self.request_id, self.protocol)


def _internal_failure() -> ServiceError:
    return ServiceError(
        "InternalFailure",
        "the bgkit local cloud failed on this request (a bug of ours: its log has the traceback)",
        status=500,
        sender_fault=False,
    )


def _unauthenticated(http: HttpRequest, request_id: str) -> HttpResponse:
    """AWS's answer to an unsigned request, in the envelope of the protocol it looks like."""
    if http.headers.get("x-amz-target") or spoken(http) == RPC_V2_CBOR:
        code, message = "MissingAuthenticationTokenException", "Missing Authentication Token"
    else:
        code, message = "MissingAuthenticationToken", "Request is missing Authentication Token"
    error = ServiceError(code, message, status=403)
    return serialize_error_without_service(http, error, request_id)


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


def _to_aiohttp(response: HttpResponse, head: bool = False) -> web.StreamResponse:
    """The response to send; an answer to ``HEAD`` (or a 304) has headers only, its
    ``Content-Length`` the one the answer gives (S3's ``HeadObject``: the object's size)."""
    if head or response.status == 304:
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        answer = web.StreamResponse(status=response.status, headers=headers)
        length = response.headers.get("Content-Length")
        if head and length is not None:
            answer.content_length = int(length)
        return answer
    return web.Response(status=response.status, headers=response.headers, body=response.body)

"""The reverse proxying of one request to a target, as an ALB does it.

:class:`Proxy` holds a connection pool of its own for each target address (one
``aiohttp.ClientSession``) and forwards a request through it: end-to-end headers plus ALB's
``X-Forwarded-*`` and ``X-Amzn-Trace-Id``, the request body streamed, a small response read whole
and a large one streamed. When it cannot, it answers ALB's own pages (:func:`error_page`): ``502``
when the target refuses or breaks the response, ``504`` when it does not answer within the idle
timeout; once a streamed response has begun, a broken target cuts the client's connection, as
ALB does. Which target a request goes to is :mod:`.balancer`'s choice and :mod:`.alb`'s call.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from bgkit.local.dataplane.balancer import Address, Target

#: ALB's default idle timeout (``idle_timeout.timeout_seconds``), in wall seconds
IDLE_TIMEOUT = 60.0
#: ALB gives up connecting to a target after 10 s
CONNECT_TIMEOUT = 10.0
#: responses up to this size are read whole and sent at once; larger ones are streamed
SMALL_BODY = 64 * 1024
CHUNK = 64 * 1024
#: the ``Server`` header of the answers ALB gives itself
SERVER = "awselb/2.0"
HOP_BY_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade",
    }
)  # fmt: skip
SKIP_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
#: marks a response the load balancer gave itself (``ELB_ANSWER in response``: the ALB's metrics)
ELB_ANSWER = web.ResponseKey("bgkit.elb_answer", bool)


def error_page(status: int) -> web.Response:
    """ALB's own answer when it cannot reach a target (its HTML page and ``Server`` header)."""
    title = f"{status} {REASONS[status]}"
    body = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    response = web.Response(
        status=status,
        reason=REASONS[status],
        text=body,
        content_type="text/html",
        headers={"Server": SERVER},
    )
    response[ELB_ANSWER] = True
    return response


def hop_by_hop(headers: Any) -> frozenset[str]:
    """The hop-by-hop header names of a message, those its ``Connection`` header names too."""
    named = headers.getall("Connection", ())
    if not named:
        return HOP_BY_HOP
    return HOP_BY_HOP.union(t.strip().lower() for value in named for t in value.split(","))


def forwarded_headers(request: web.BaseRequest, port: int) -> CIMultiDict[str]:
    """The request's end-to-end headers plus ALB's ``X-Forwarded-*`` and ``X-Amzn-Trace-Id``."""
    drop = hop_by_hop(request.headers)
    headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in drop)
    remote = request.remote or ""
    previous = headers.get("X-Forwarded-For")
    headers["X-Forwarded-For"] = f"{previous}, {remote}" if previous else remote
    headers["X-Forwarded-Proto"] = "http"
    headers["X-Forwarded-Port"] = str(port)
    if "Root=" not in headers.get("X-Amzn-Trace-Id", ""):
        headers["X-Amzn-Trace-Id"] = f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"
    return headers


@dataclass(eq=False)
class Pool:
    """The pooled connections to one target address, and the requests in flight on them."""

    session: aiohttp.ClientSession
    in_flight: int = 0


class Proxy:
    """Forwards requests to targets over one connection pool a target address."""

    def __init__(self) -> None:
        self._pools: dict[Address, Pool] = {}

    async def forward(
        self, request: web.BaseRequest, target: Target, port: int, idle_timeout: float
    ) -> web.StreamResponse:
        """The target's answer to ``request``, or ALB's page when there is none.

        The request counts in flight on ``target`` from before this coroutine first awaits, so
        a caller that chose the target without ``await`` counts it in the same step.

        Args:
            request: the request as the listener received it.
            target: the target chosen, with a local address.
            port: the listener's port (``X-Forwarded-Port``).
            idle_timeout: wall seconds the target may stay silent before the answer is ``504``.
        """
        assert target.address is not None
        pool = self._acquire(target)
        try:
            return await _proxy(request, port, target.address, pool.session, idle_timeout)
        finally:
            pool.in_flight -= 1
            target.in_flight -= 1

    async def prune(self, live: set[Address | None]) -> None:
        """Close the pools of addresses not in ``live``, once no request is in flight on them."""
        for address, pool in list(self._pools.items()):
            if address not in live and pool.in_flight == 0:
                del self._pools[address]
                await pool.session.close()

    async def close(self) -> None:
        """Close every pool."""
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            await pool.session.close()

    def _acquire(self, target: Target) -> Pool:
        assert target.address is not None
        pool = self._pools.get(target.address)
        if pool is None:
            pool = Pool(
                aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=256),
                    cookie_jar=aiohttp.DummyCookieJar(),
                    auto_decompress=False,
                    skip_auto_headers=SKIP_AUTO_HEADERS,
                )
            )
            self._pools[target.address] = pool
        pool.in_flight += 1
        target.in_flight += 1
        return pool


async def _proxy(
    request: web.BaseRequest,
    port: int,
    address: Address,
    session: aiohttp.ClientSession,
    idle_timeout: float,
) -> web.StreamResponse:
    url = URL(f"http://{address[0]}:{address[1]}{request.raw_path}", encoded=True)
    try:
        upstream = await session.request(
            request.method,
            url,
            headers=forwarded_headers(request, port),
            data=request.content.iter_chunked(CHUNK) if request.body_exists else None,
            allow_redirects=False,
            timeout=_client_timeout(idle_timeout),
        )
    except asyncio.TimeoutError:
        return error_page(504)
    except (aiohttp.ClientError, OSError):
        return error_page(502)
    async with upstream:
        drop = hop_by_hop(upstream.headers)
        headers = CIMultiDict((k, v) for k, v in upstream.headers.items() if k.lower() not in drop)
        length = upstream.content_length
        if request.method != "HEAD" and length is not None and length <= SMALL_BODY:
            try:
                body = await upstream.read()
            except asyncio.TimeoutError:
                return error_page(504)
            except (aiohttp.ClientError, OSError):
                return error_page(502)
            headers.popall("Content-Length", None)
            return web.Response(
                status=upstream.status, reason=upstream.reason, body=body, headers=headers
            )
        response = web.StreamResponse(
            status=upstream.status, reason=upstream.reason, headers=headers
        )
        await response.prepare(request)
        try:
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
            # Too late for an error page: cut the client's connection as ALB does.
            if request.transport is not None:
                request.transport.abort()
            return response
        await response.write_eof()
        return response


@functools.lru_cache(maxsize=64)
def _client_timeout(idle: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT, sock_read=idle)

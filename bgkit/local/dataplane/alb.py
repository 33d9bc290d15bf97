"""ALB listeners as real HTTP reverse proxies on loopback, reconciled with the store.

:class:`AlbDataPlane` serves each listener of an active load balancer on
``127.0.0.1:(listener_offset + Port)`` and routes every request as an ALB does (see
:mod:`.balancer`): rules by priority, then target groups by weight, then a healthy target round
robin, failing open when none is healthy. It proxies to the target over a connection pool of its
own (one ``aiohttp.ClientSession`` per target address), streaming both bodies, and answers ALB's
own pages when it cannot: ``503`` without a target, ``502`` when the target refuses or breaks the
response, ``504`` when it does not answer within the load balancer's idle timeout.

Each reconciliation reads the store, builds a new routing table and assigns it in one step; the
whole choice of a request — listener, rule, group, target, and counting it in flight on that
target — happens without ``await``, so switching an action under load loses no request and a
request in flight always finishes on the target it started on. Targets being deregistered
(draining) take no new request; their records go after the deregistration delay on the local
clock (the ELBv2 provider's advance). Health checks and their records are :mod:`.health`'s.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from bgkit.local.dataplane import Component
from bgkit.local.dataplane.balancer import (
    Address,
    FixedResponse,
    Forward,
    ListenerRoute,
    PortRoute,
    Redirect,
    RequestView,
    Router,
    Target,
    is_loopback,
)
from bgkit.local.dataplane.health import KIND as HEALTH
from bgkit.local.dataplane.health import HealthChecker, health_record, reset, seed

if TYPE_CHECKING:
    from bgkit.local.server import LocalCloud

log = logging.getLogger("bgkit.local.alb")

#: ALB's default idle timeout (``idle_timeout.timeout_seconds``), in wall seconds
IDLE_TIMEOUT = 60.0
#: ALB gives up connecting to a target after 10 s
CONNECT_TIMEOUT = 10.0
#: responses up to this size are read whole and sent at once; larger ones are streamed
SMALL_BODY = 64 * 1024
CHUNK = 64 * 1024
HOP_BY_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade",
    }
)  # fmt: skip
SKIP_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


def error_page(status: int) -> web.Response:
    """ALB's own answer when it cannot reach a target (its HTML page and ``Server`` header)."""
    title = f"{status} {REASONS[status]}"
    body = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    return web.Response(
        status=status,
        reason=REASONS[status],
        text=body,
        content_type="text/html",
        headers={"Server": "awselb/2.0"},
    )


def hop_by_hop(headers: Any) -> set[str]:
    """The hop-by-hop header names of a message, those its ``Connection`` header names too."""
    names = set(HOP_BY_HOP)
    for value in headers.getall("Connection", ()):
        names.update(token.strip().lower() for token in value.split(","))
    return names


@dataclass(eq=False)
class Pool:
    """The pooled connections to one target address, and the requests in flight on them."""

    session: aiohttp.ClientSession
    in_flight: int = 0


@dataclass
class Server:
    """A listener's server on one host port."""

    runner: web.ServerRunner
    site: web.TCPSite


class AlbDataPlane(Component):
    """Listeners of active load balancers as reverse proxies, health checks, draining.

    Args:
        idle_timeout: seconds (wall) a target may stay silent before the listener answers
            ``504``; ``None`` uses the load balancer's ``idle_timeout.timeout_seconds``
            attribute when it has one, else ALB's default of 60.
        shutdown_timeout: seconds a stopped listener gives its requests in flight to finish.
    """

    name = "listeners"

    def __init__(self, idle_timeout: float | None = None, shutdown_timeout: float = 10.0) -> None:
        self.idle_timeout = idle_timeout
        self.shutdown_timeout = shutdown_timeout
        self._cloud: LocalCloud | None = None
        self._router = Router()
        self._routes: dict[int, PortRoute] = {}
        self._targets: dict[str, Target] = {}
        self._pools: dict[Address, Pool] = {}
        self._servers: dict[int, Server] = {}
        self._errors: dict[int, str] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._listeners: list[dict[str, Any]] = []
        self._idle: dict[str, float] = {}
        self._health: HealthChecker | None = None
        self._lock = asyncio.Lock()

    # -- the Component contract ----------------------------------------------------------------

    async def start(self, cloud: LocalCloud) -> None:
        self._cloud = cloud
        self._health = HealthChecker(
            cloud.clock, cloud.store, lambda t, port: self._resolve(t.id, port, t.partition)
        )
        await self._health.start()

    async def reconcile(self) -> None:
        async with self._lock:  # one pass at a time: passes start and stop servers
            await self._reconcile()

    async def _reconcile(self) -> None:
        cloud = self._cloud
        if cloud is None:
            return
        store, now = cloud.store, cloud.clock.now()
        self._update_targets()
        self._router.update_groups(store.list(None, "target-group"), self._targets)
        load_balancers = store.list(None, "load-balancer")
        routes, listeners, used = self._router.build(
            now,
            cloud.listener_offset,
            load_balancers,
            store.list(None, "listener"),
            store.list(None, "rule"),
        )
        self._idle = {
            lb["LoadBalancerArn"]: float(
                (lb.get("_attributes") or {}).get("idle_timeout.timeout_seconds", IDLE_TIMEOUT)
            )
            for lb in load_balancers
        }
        self._routes, self._listeners = routes, listeners  # the atomic switch
        self._watch_health(used)
        await self._prune_pools()
        await self._sync_servers()

    async def stop(self) -> None:
        if self._health is not None:
            await self._health.stop()
        self._routes = {}
        for port in list(self._servers):
            await self._stop_server(port)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            await pool.session.close()
        await asyncio.sleep(0.01)  # closed transports close their sockets on the next turns

    def status(self) -> list[dict[str, Any]]:
        """Each listener of an active load balancer: its port, local URL, and whether it serves.

        Returns:
            One dict a listener: ``listener_arn``, ``load_balancer_arn``, ``port``,
            ``host_port``, ``url``, ``serving`` and ``error`` (why it does not serve, or None).
        """
        offset = self._cloud.listener_offset if self._cloud else 0
        rows = []
        for listener in self._listeners:
            host_port = offset + int(listener["Port"])
            rows.append(
                {
                    "listener_arn": listener["ListenerArn"],
                    "load_balancer_arn": listener["LoadBalancerArn"],
                    "port": int(listener["Port"]),
                    "host_port": host_port,
                    "url": f"http://127.0.0.1:{host_port}",
                    "serving": host_port in self._servers,
                    "error": self._errors.get(host_port),
                }
            )
        return rows

    # -- reconciling -------------------------------------------------------------------------

    def _resolve(self, target_id: str, port: int, partition: str) -> Address | None:
        """Where a target answers on ``port`` on this machine, or None: never a remote address."""
        if is_loopback(target_id):
            return (target_id, port)
        assert self._cloud is not None
        endpoint = self._cloud.store.get(partition, "task-endpoint", f"{target_id}|{port}")
        if endpoint and is_loopback(endpoint.get("Host")):
            return (endpoint["Host"], int(endpoint["Port"]))
        return None

    def _update_targets(self) -> None:
        """One :class:`Target` a registration, reused across passes (health, in flight)."""
        assert self._cloud is not None
        store = self._cloud.store
        targets: dict[str, Target] = {}
        for partition in store.partitions("target"):
            for record in store.list(partition, "target"):
                key = f"{record['TargetGroupArn']}|{record['Id']}|{record['Port']}"
                target = self._targets.get(key)
                if target is None:
                    target = Target(
                        key, record["TargetGroupArn"], record["Id"], int(record["Port"]), partition
                    )
                    seed(target, store.get(partition, HEALTH, key))
                draining = record.get("_deregistered_at") is not None
                if target.draining and not draining:  # registered again while draining
                    reset(target)
                target.draining = draining
                target.address = self._resolve(target.id, target.port, partition)
                targets[key] = target
        self._targets = targets

    def _watch_health(self, used: set[str]) -> None:
        """Check the targets of groups in use; keep their records, drop the others'."""
        assert self._cloud is not None and self._health is not None
        store = self._cloud.store
        checked = []
        wanted: set[str] = set()
        for arn in used:
            group = self._router.groups.get(arn)
            if group is None:
                continue
            for target in group.targets:
                checked.append((target, group.record))
                wanted.add(target.key)
        self._health.watch(checked)
        kept = {key for key, t in self._targets.items() if t.draining}
        gone = []
        for partition in store.partitions(HEALTH):
            for record in store.list(partition, HEALTH):
                key = f"{record['TargetGroupArn']}|{record['Id']}|{record['Port']}"
                if key in wanted:
                    wanted.discard(key)
                elif key not in kept:
                    gone.append((partition, key))
        if not gone and not wanted:
            return
        with store.transaction():
            for partition, key in gone:
                store.delete(partition, HEALTH, key)
                target = self._targets.get(key)
                if target is not None:  # not in use now: initial again when used again
                    reset(target)
            for key in wanted:  # in use and without a record yet: initial
                target = self._targets[key]
                store.put(target.partition, HEALTH, key, health_record(target))

    async def _prune_pools(self) -> None:
        """Close the pools of addresses no target takes requests at, once idle."""
        live = {t.address for t in self._targets.values() if not t.draining}
        for address, pool in list(self._pools.items()):
            if address not in live and pool.in_flight == 0:
                del self._pools[address]
                await pool.session.close()

    async def _sync_servers(self) -> None:
        for port in list(self._servers):
            if port not in self._routes:
                await self._stop_server(port)
        for port in self._routes:
            if port not in self._servers:
                await self._start_server(port)
        for port in list(self._errors):
            if port not in self._routes:
                del self._errors[port]

    async def _start_server(self, port: int) -> None:
        server = web.Server(
            functools.partial(self._handle, port), access_log=None, keepalive_timeout=75.0
        )
        runner = web.ServerRunner(server, shutdown_timeout=self.shutdown_timeout)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            reason = (
                f"port {port} is in use by another program"
                if error.errno == errno.EADDRINUSE
                else f"cannot listen on port {port}: {error.strerror or error}"
            )
            if self._errors.get(port) != reason:
                log.error(
                    "listener on 127.0.0.1:%d not served: %s; free the port or choose another "
                    "listener offset (BGKIT_LISTENER_OFFSET)", port, reason,
                )  # fmt: skip
            self._errors[port] = reason
            return
        self._errors.pop(port, None)
        self._servers[port] = Server(runner, site)
        log.info("listener serving on http://127.0.0.1:%d", port)

    async def _stop_server(self, port: int) -> None:
        """Stop accepting at once; let requests in flight finish in the background (bounded)."""
        server = self._servers.pop(port)
        await server.site.stop()
        task = asyncio.create_task(server.runner.cleanup())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        log.info("listener on http://127.0.0.1:%d stopped", port)

    # -- serving a request -------------------------------------------------------------------

    async def _handle(self, port: int, request: web.BaseRequest) -> web.StreamResponse:
        # Everything up to _acquire() is synchronous: the routing table seen is one whole table.
        routes = self._routes.get(port)
        if routes is None:
            return error_page(503)
        listener = routes.listener_for(request.host)
        action = listener.action_for(
            RequestView(request.method, request.path, request.host, request.headers, request.query)
        )
        if isinstance(action, FixedResponse):
            return web.Response(
                status=action.status,
                text=action.body,
                content_type=action.content_type,
                headers={"Server": "awselb/2.0"},
            )
        if isinstance(action, Redirect):
            offset = self._cloud.listener_offset if self._cloud is not None else 0
            status, location = action.location(request.host, request.path, request.query_string,
                                               listener.port, offset)  # fmt: skip
            return web.Response(
                status=status, headers={"Location": location, "Server": "awselb/2.0"}
            )
        group = action.pick() if isinstance(action, Forward) else None
        target = group.choose() if group is not None else None
        if target is None:
            return error_page(503)
        if target.address is None:  # no local address: ALB's connect timeout, without the wait
            return error_page(504)
        pool = self._acquire(target)
        try:
            return await self._proxy(request, listener, target.address, pool.session)
        finally:
            pool.in_flight -= 1
            target.in_flight -= 1

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

    def _timeout(self, listener: ListenerRoute) -> aiohttp.ClientTimeout:
        idle = self.idle_timeout
        if idle is None:
            idle = self._idle.get(listener.lb_arn, IDLE_TIMEOUT)
        return _client_timeout(idle)

    async def _proxy(
        self,
        request: web.BaseRequest,
        listener: ListenerRoute,
        address: Address,
        session: aiohttp.ClientSession,
    ) -> web.StreamResponse:
        url = URL(f"http://{address[0]}:{address[1]}{request.raw_path}", encoded=True)
        try:
            upstream = await session.request(
                request.method,
                url,
                headers=forwarded_headers(request, listener.port),
                data=request.content.iter_chunked(CHUNK) if request.body_exists else None,
                allow_redirects=False,
                timeout=self._timeout(listener),
            )
        except asyncio.TimeoutError:
            return error_page(504)
        except (aiohttp.ClientError, OSError):
            return error_page(502)
        async with upstream:
            drop = hop_by_hop(upstream.headers)
            headers = CIMultiDict(
                (k, v) for k, v in upstream.headers.items() if k.lower() not in drop
            )
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

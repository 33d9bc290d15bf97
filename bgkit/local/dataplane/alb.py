"""ALB listeners as real HTTP servers on loopback, reconciled with the store.

:class:`AlbDataPlane` serves each listener of an active load balancer on
``127.0.0.1:(listener_offset + Port)`` and routes every request as an ALB does (see
:mod:`.balancer`): rules by priority, then target groups by weight, then a healthy target round
robin, failing open when none is healthy. A fixed response or a redirect it answers itself; a
request forwarded to a target goes through :mod:`.proxy` (connection pools, streaming, ALB's
``502``/``504`` pages); without a target it answers ALB's ``503``.

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
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bgkit.local.dataplane import Component, Host
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
from bgkit.local.dataplane.metrics import AlbMetrics
from bgkit.local.dataplane.proxy import ELB_ANSWER, IDLE_TIMEOUT, SERVER, Proxy, error_page
from bgkit.local.dataplane.runtime import ENDPOINT
from bgkit.local.ports import ephemeral_ports, port_holder
from bgkit.local.services.elbv2.models import LISTENER, LOAD_BALANCER, RULE, TARGET, TARGET_GROUP

log = logging.getLogger("bgkit.local.alb")
LAST_PORT = 65535


@dataclass
class Server:
    """A listener's server on one host port."""

    runner: web.ServerRunner
    site: web.TCPSite


def unbindable(port: int, error: OSError) -> str:
    """Why a listener cannot listen on host ``port`` and what to do, in one sentence; it is
    tried again at every pass, so it serves once the port is free."""
    ephemeral = ephemeral_ports()
    if error.errno != errno.EADDRINUSE:
        return (
            f"cannot listen on port {port}: {error.strerror or error}; choose another listener "
            "offset (BGKIT_LISTENER_OFFSET)"
        )
    if port_holder(port) == "listening":
        return (
            f"port {port} is in use by another program listening on it; stop it or choose "
            "another listener offset (BGKIT_LISTENER_OFFSET)"
        )
    where = (
        f"it lies in this machine's ephemeral port range {ephemeral.start}–{ephemeral.stop - 1}, "
        "where any outgoing connection may take it as its source port and keep it up to 60 s "
        "after closing"
        if port in ephemeral
        else "a connection of this machine uses it as its local port"
    )
    return (
        f"port {port} is held by a connection, not by a server ({where}); it is served as soon "
        f"as it is free — choose a listener offset that keeps listener ports below "
        f"{ephemeral.start} (BGKIT_LISTENER_OFFSET, default 10000)"
    )


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
        self._host: Host | None = None
        self._router = Router()
        self._routes: dict[int, PortRoute] = {}
        self._targets: dict[str, Target] = {}
        self._proxy = Proxy()
        self._servers: dict[int, Server] = {}
        self._errors: dict[int, str] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._listeners: list[dict[str, Any]] = []
        self._idle_timeouts: dict[str, float] = {}
        self._health: HealthChecker | None = None
        self._lock = asyncio.Lock()
        #: the ALB's metrics, counted a request at a time and flushed by each pass
        self.metrics = AlbMetrics()

    # -- the Component contract ----------------------------------------------------------------

    async def start(self, host: Host) -> None:
        self._host = host
        self._health = HealthChecker(
            host.clock, host.store, lambda t, port: self._resolve(t.id, port, t.partition)
        )
        await self._health.start()

    async def reconcile(self) -> None:
        async with self._lock:  # one pass at a time: passes start and stop servers
            await self._reconcile()

    async def _reconcile(self) -> None:
        host = self._host
        if host is None:
            return
        store, now = host.store, host.clock.now()
        self._update_targets()
        self._router.update_groups(store.list(None, TARGET_GROUP), self._targets)
        load_balancers = store.list(None, LOAD_BALANCER)
        routes, listeners, used = self._router.build(
            now,
            host.listener_offset,
            load_balancers,
            store.list(None, LISTENER),
            store.list(None, RULE),
        )
        self._idle_timeouts = {
            lb["LoadBalancerArn"]: float(
                (lb.get("_attributes") or {}).get("idle_timeout.timeout_seconds", IDLE_TIMEOUT)
            )
            for lb in load_balancers
        }
        self._routes, self._listeners = routes, listeners  # the atomic switch
        self._watch_health(used)
        # the pools of addresses no target takes requests at go, once idle
        await self._proxy.prune({t.address for t in self._targets.values() if not t.draining})
        await self._sync_servers()
        self.metrics.flush(store, host.clock.now())

    async def stop(self) -> None:
        if self._health is not None:
            await self._health.stop()
        self._routes = {}
        for port in list(self._servers):
            await self._stop_server(port)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        await self._proxy.close()
        await asyncio.sleep(0.01)  # closed transports close their sockets on the next turns

    def status(self) -> list[dict[str, Any]]:
        """Each listener of an active load balancer: its port, local URL, and whether it serves.

        Returns:
            One dict a listener: ``listener_arn``, ``load_balancer_arn``, ``port``,
            ``host_port``, ``url``, ``serving``, ``error`` (why it does not serve, or None) and
            ``ephemeral`` (whether its host port lies in the ephemeral port range, where any
            outgoing connection may take it: :mod:`bgkit.local.ports`).
        """
        offset = self._host.listener_offset if self._host else 0
        ephemeral = ephemeral_ports()
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
                    "ephemeral": host_port in ephemeral,
                }
            )
        return rows

    # -- reconciling -------------------------------------------------------------------------

    def _resolve(self, target_id: str, port: int, partition: str) -> Address | None:
        """Where a target answers on ``port`` on this machine, or None: never a remote address."""
        if is_loopback(target_id):
            return (target_id, port)
        assert self._host is not None
        endpoint = self._host.store.get(partition, ENDPOINT, f"{target_id}|{port}")
        if endpoint and is_loopback(endpoint.get("Host")):
            return (endpoint["Host"], int(endpoint["Port"]))
        return None

    def _update_targets(self) -> None:
        """One :class:`Target` a registration, reused across passes (health, in flight)."""
        assert self._host is not None
        store = self._host.store
        targets: dict[str, Target] = {}
        for partition in store.partitions(TARGET):
            for record in store.list(partition, TARGET):
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
        assert self._host is not None and self._health is not None
        store = self._host.store
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

    async def _sync_servers(self) -> None:
        for port in list(self._servers):
            if port not in self._routes:
                await self._stop_server(port)
        for port in self._routes:
            if port not in self._servers:
                try:
                    await self._start_server(port)
                except Exception as error:  # one listener's failure never stops the others
                    log.exception("starting the listener on host port %d failed", port)
                    self._errors[port] = f"cannot listen on port {port}: {error}"
        for port in list(self._errors):
            if port not in self._routes:
                del self._errors[port]

    async def _start_server(self, port: int) -> None:
        if not 0 < port <= LAST_PORT:
            reason = (
                f"host port {port} (listener offset + port) is past the last TCP port "
                f"{LAST_PORT}; choose a smaller listener offset (BGKIT_LISTENER_OFFSET)"
            )
            if self._errors.get(port) != reason:
                log.error("listener not served: %s", reason)
            self._errors[port] = reason
            return
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
            reason = unbindable(port, error)
            if self._errors.get(port) != reason:
                log.error("listener on 127.0.0.1:%d not served: %s", port, reason)
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
        # Everything up to the proxy counting the request in flight (before its first await) is
        # synchronous: the routing table seen is one whole table.
        routes = self._routes.get(port)
        if routes is None:
            return error_page(503)
        listener = routes.listener_for(request.host)
        action = (
            listener.action_for(RequestView(request.method, request.path, request.host,
                                            request.headers, request.query,
                                            request.remote or ""))
            if listener.rules
            else listener.default
        )  # fmt: skip
        if isinstance(action, FixedResponse):
            return web.Response(
                status=action.status,
                text=action.body,
                content_type=action.content_type,
                headers={"Server": SERVER},
            )
        if isinstance(action, Redirect):
            offset = self._host.listener_offset if self._host is not None else 0
            status, location = action.location(request.host, request.path, request.query_string,
                                               listener.port, offset)  # fmt: skip
            return web.Response(status=status, headers={"Location": location, "Server": SERVER})
        group = action.pick() if isinstance(action, Forward) else None
        target = group.choose() if group is not None else None
        if target is None:
            self.metrics.elb_answer(self._now(), listener.lb_arn, 503)
            return error_page(503)
        started = time.monotonic()
        if target.address is None:  # no local address: ALB's connect timeout, without the wait
            response: web.StreamResponse = error_page(504)
        else:
            response = await self._proxy.forward(
                request, target, listener.port, self._idle(listener)
            )
        self.metrics.request(self._now(), listener.lb_arn, target.group_arn, response.status,
                             ELB_ANSWER in response, time.monotonic() - started)  # fmt: skip
        return response

    def _now(self) -> float:
        return self._host.clock.now() if self._host is not None else time.time()

    def _idle(self, listener: ListenerRoute) -> float:
        """The idle timeout of the listener's load balancer (or the one given), wall seconds."""
        if self.idle_timeout is not None:
            return self.idle_timeout
        return self._idle_timeouts.get(listener.lb_arn, IDLE_TIMEOUT)

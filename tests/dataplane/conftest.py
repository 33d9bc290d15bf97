"""Fixtures of the ALB data plane tests: test backends (small aiohttp servers answering their own
name), and an ``Elb`` helper of plain boto3 calls with the waits a test needs (provisioning, one
reconciliation). The ``cloud`` fixture (tests/conftest.py) gives free listener host ports."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bgkit.local.dataplane.alb import AlbDataPlane
from bgkit.local.server import LocalCloud
from bgkit.local.services.elbv2.models import PROVISIONING_SECONDS


def on_loop(cloud: LocalCloud, coro: Any, timeout: float = 30) -> Any:
    """Run ``coro`` on the local cloud's loop and wait for its result."""
    assert cloud._loop is not None
    return asyncio.run_coroutine_threadsafe(coro, cloud._loop).result(timeout)


def alb_of(cloud: LocalCloud) -> AlbDataPlane:
    return next(c for c in cloud.components if isinstance(c, AlbDataPlane))


# -- backends --------------------------------------------------------------------------------


@dataclass
class Backend:
    """A test server: ``/`` answers its name; ``/health`` answers ``health`` (a status)."""

    name: str
    port: int = 0
    health: int = 200
    health_delay: float = 0.0
    requests: int = 0
    runner: web.AppRunner | None = field(default=None, repr=False)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


class Backends:
    """Test backends served by one thread of their own (its own asyncio loop)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.started: list[Backend] = []

    def start(self, name: str) -> Backend:
        backend = Backend(name)
        asyncio.run_coroutine_threadsafe(self._serve(backend), self.loop).result(10)
        self.started.append(backend)
        return backend

    def stop(self, backend: Backend) -> None:
        if backend.runner is not None:
            asyncio.run_coroutine_threadsafe(self._stop(backend.runner), self.loop).result(10)
            backend.runner = None

    @staticmethod
    async def _stop(runner: web.AppRunner) -> None:
        """Stop accepting, let the connections already accepted be set up, then clean up.

        The local cloud's health checks connect at any moment. asyncio (3.11) builds the transport
        of an accepted connection one loop pass after the accept; if the server was closed in
        between, ``Server._attach`` fails its assertion, the error is swallowed and the accepted
        socket is left in a half-built transport, which warns ``unclosed transport`` when garbage
        collection finds it (during some later test). So the listening sockets stop being read
        first, and the pending accepts finish while the server is still open; ``cleanup()`` then
        closes every connection it knows of."""
        loop = asyncio.get_running_loop()
        server = runner.server
        for site in runner.sites:
            listening = site._server  # an asyncio.Server (aiohttp has no public name for it)
            for sock in listening.sockets if listening is not None else ():
                loop.remove_reader(sock.fileno())
        for _ in range(2):  # a pending accept's task, then its protocol's connection_made
            await asyncio.sleep(0)
        await runner.cleanup()
        if server is not None:
            for handler in server.connections:  # made after cleanup looked (none expected)
                handler.force_close()

    def close(self) -> None:
        for backend in self.started:
            self.stop(backend)
        asyncio.run_coroutine_threadsafe(self._drain(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _drain(self) -> None:
        """Finish what is left on the loop before it stops: cancel the remaining tasks and wait
        for them, then close the async generators."""
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.loop.shutdown_asyncgens()

    async def _serve(self, backend: Backend) -> None:
        async def hello(request: web.Request) -> web.Response:
            backend.requests += 1
            ms = float(request.query.get("ms", "0"))
            if ms:
                await asyncio.sleep(ms / 1000)
            return web.Response(text=backend.name, headers={"X-Backend": backend.name})

        async def health(request: web.Request) -> web.Response:
            if backend.health_delay:
                await asyncio.sleep(backend.health_delay)
            return web.Response(status=backend.health, text="health")

        async def echo(request: web.Request) -> web.Response:
            size = 0
            async for chunk in request.content.iter_any():
                size += len(chunk)
            answer = {
                "method": request.method,
                "path": request.path_qs,
                "headers": {k: v for k, v in request.headers.items()},
                "received": size,
            }
            return web.json_response(answer, headers={"X-Backend": backend.name})

        async def big(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"X-Backend": backend.name})
            await response.prepare(request)
            for _ in range(int(request.query.get("kb", "1024"))):
                await response.write(b"x" * 1024)
            await response.write_eof()
            return response

        app = web.Application()
        app.add_routes(
            [
                web.get("/health", health),
                web.route("*", "/echo", echo),
                web.get("/big", big),
                web.route("*", "/{tail:.*}", hello),
            ]
        )
        backend.runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
        await backend.runner.setup()
        site = web.TCPSite(backend.runner, "127.0.0.1", 0)
        await site.start()
        backend.port = site._server.sockets[0].getsockname()[1]


@pytest.fixture
def backends() -> Iterator[Backends]:
    running = Backends()
    try:
        yield running
    finally:
        running.close()


# -- ELBv2 through boto3 -----------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


class Elb:
    """Plain boto3 calls of the tests, with a reconciliation after each change."""

    def __init__(self, cloud: LocalCloud, region: str = "us-east-1") -> None:
        self.cloud = cloud
        self.region = region
        self.client = cloud.client("elbv2", region=region)
        ec2 = cloud.client("ec2", region=region)
        subnets = ec2.describe_subnets()["Subnets"]
        zones: dict[str, str] = {}
        for subnet in subnets:
            zones.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
        self.subnets = list(zones.values())[:2]
        self.vpc = subnets[0]["VpcId"]

    def reconcile(self) -> None:
        on_loop(self.cloud, self.cloud.reconcile())

    def load_balancer(self, name: str) -> dict[str, Any]:
        """An active load balancer (its provisioning time passed on the local clock)."""
        lb = self.client.create_load_balancer(Name=name, Subnets=self.subnets)
        self.cloud.clock.advance(PROVISIONING_SECONDS)
        return lb["LoadBalancers"][0]

    def target_group(self, name: str, **settings: Any) -> str:
        settings.setdefault("HealthCheckPath", "/health")
        group = self.client.create_target_group(
            Name=name, Protocol="HTTP", Port=80, VpcId=self.vpc, TargetType="ip", **settings
        )
        return group["TargetGroups"][0]["TargetGroupArn"]

    def listener(self, lb: dict[str, Any], port: int, weights: dict[str, int] | str) -> str:
        listener = self.client.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=port,
            DefaultActions=[forward(weights)],
        )
        self.reconcile()
        return listener["Listeners"][0]["ListenerArn"]

    def forward(self, listener: str, weights: dict[str, int] | str) -> None:
        self.client.modify_listener(ListenerArn=listener, DefaultActions=[forward(weights)])
        self.reconcile()

    def register(self, group: str, *backends: Backend) -> None:
        targets = [{"Id": "127.0.0.1", "Port": b.port} for b in backends]
        self.client.register_targets(TargetGroupArn=group, Targets=targets)
        self.reconcile()

    def deregister(self, group: str, *backends: Backend) -> None:
        targets = [{"Id": "127.0.0.1", "Port": b.port} for b in backends]
        self.client.deregister_targets(TargetGroupArn=group, Targets=targets)
        self.reconcile()

    def health(self, group: str) -> dict[int, dict[str, str]]:
        """``{port: TargetHealth}`` of a group's targets, as DescribeTargetHealth shows them."""
        found = self.client.describe_target_health(TargetGroupArn=group)
        return {d["Target"]["Port"]: d["TargetHealth"] for d in found["TargetHealthDescriptions"]}

    def wait_healthy(self, group: str, timeout: float = 10.0) -> None:
        """Wait until every target of ``group`` is healthy (so fail-open plays no part)."""
        deadline = time.monotonic() + timeout
        while not all(h["State"] == "healthy" for h in self.health(group).values()):
            assert time.monotonic() < deadline, f"not all healthy: {self.health(group)}"
            time.sleep(0.05)

    def get(
        self,
        port: int,
        path: str = "/",
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = 10,
    ) -> Answer:
        """A request to the listener on ``port``, at its local host port."""
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.cloud.listener_offset + port, timeout=timeout
        )
        try:
            conn.request(method, path, body=body, headers=headers or {})
            answer = conn.getresponse()
            return Answer(answer.status, answer.headers, answer.read())
        finally:
            conn.close()


def forward(weights: dict[str, int] | str) -> dict[str, Any]:
    """A forward action to one group, or to several by weight."""
    if isinstance(weights, str):
        return {"Type": "forward", "TargetGroupArn": weights}
    groups = [{"TargetGroupArn": arn, "Weight": w} for arn, w in weights.items()]
    return {"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}


@pytest.fixture
def elb(cloud: LocalCloud) -> Elb:
    return Elb(cloud)


@pytest.fixture
def alb(cloud: LocalCloud) -> AlbDataPlane:
    """The local cloud's ALB data plane component."""
    return alb_of(cloud)


@pytest.fixture
def elb_in(cloud: LocalCloud) -> Callable[[str], Elb]:
    """``elb_in("us-west-2")``: an :class:`Elb` helper for another region."""
    return lambda region: Elb(cloud, region)

"""The one process that holds the local cloud: its asyncio loop, and start, stop and status.

:class:`LocalCloud` is the local cloud itself — store, clock, ids, providers and the HTTP endpoint —
running either in a thread of the calling process (tests, benchmarks: ``with LocalCloud(...) as
cloud``) or as the main loop of its own background process (``bgkit local up``). Starting,
finding and stopping that process lives in :mod:`bgkit.local.process` (re-exported here), which
is light enough for the ``bgkit`` command to import.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import json
import logging
import math
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import botocore.session
from aiohttp import web
from botocore.model import ServiceModel

from bgkit.errors import PortInUseError, ServiceError
from bgkit.local.api.gateway import Gateway
from bgkit.local.clock import Clock
from bgkit.local.dataplane import RECONCILE_INTERVAL
from bgkit.local.dataplane import components as dataplane_components
from bgkit.local.ids import Ids
from bgkit.local.process import (  # noqa: F401  (re-exported: the local cloud's one module)
    DUMMY_CREDENTIALS,
    LOG_FILE,
    PID_FILE,
    STATE_FILE,
    STATUS_PATH,
    fetch_status,
    port_in_use_message,
    port_is_free,
    prepare_state_dir,
    proc_start_time,
    read_status,
    reset_state,
    server_arguments,
    start_background,
    stop_background,
    write_private,
)
from bgkit.local.provider import RequestContext
from bgkit.local.services import providers as make_providers
from bgkit.local.services.awslambda.models import AWAITED
from bgkit.local.services.ec2.models import DEFAULT_VPC_META
from bgkit.local.services.elbv2.listeners import OFFSET_META
from bgkit.local.services.iam.authorization import authorize
from bgkit.local.store import DiskFullError, Store, is_disk_full
from bgkit.local.watchdog import LoopWatchdog

log = logging.getLogger("bgkit.local")


@functools.cache
def service_model(name: str) -> ServiceModel:
    """botocore's model of a service, loaded once a process."""
    return _botocore_session().get_service_model(name)


@functools.cache
def _botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def _boto3_session() -> Any:
    import boto3

    return boto3.session.Session(botocore_session=_botocore_session(), **DUMMY_CREDENTIALS)


class LocalCloud:
    """The local cloud: store, clock, providers and endpoint.

    Args:
        state_dir: where the state (SQLite) and logs live; created 0700.
        port: the endpoint's port on 127.0.0.1; 0 picks a free one.
        listener_offset: host port of a local listener = offset + listener port.
        clock: speed of the local clock (60 = a minute a second).
        dataplane: run the data plane (listeners, tasks); ``False`` leaves the control plane
            alone, for tests of the API that must not race health checks or processes.
        default_vpc: give each region a default VPC when EC2 first touches it; ``False``
            starts regions without one, as many AWS accounts are.
    """

    def __init__(
        self,
        state_dir: Path | str,
        *,
        port: int = 0,
        listener_offset: int = 10000,
        clock: float = 1.0,
        dataplane: bool = True,
        default_vpc: bool = True,
    ) -> None:
        self.state_dir = prepare_state_dir(Path(state_dir))
        self.port = port
        self.listener_offset = listener_offset
        self.store = Store(self.state_dir / STATE_FILE)
        self.store.set_meta(OFFSET_META, listener_offset)  # ELBv2 refuses ports it cannot serve
        self.store.set_meta(DEFAULT_VPC_META, default_vpc)  # regions EC2 has not set up yet
        self.clock = Clock(self.store, speed=clock)
        self.ids = Ids(self.store)
        self.providers = make_providers()
        #: botocore's models of the providers' services, loaded in a thread once the endpoint
        #: listens (they take longer than everything else before it); calls wait for them
        self._models: asyncio.Future[None] | None = None
        self.components = dataplane_components() if dataplane else []
        self.gateway = Gateway(
            service_model,
            self.providers,
            self.context,
            self.status,
            request_id=self.ids.request_id,
            after_change=self._changed,
            complete=self._complete,
            authorize=authorize,
        )
        self.started_at = time.time()
        #: how long the loop's own work ever held it (``status()["loop"]``)
        self.watchdog = LoopWatchdog()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._change: asyncio.Event | None = None
        self._reconciler: asyncio.Task[None] | None = None
        self._stopping = False
        self._disk_full_said = -math.inf

    # -- what providers and the gateway are given ----------------------------------------------

    def context(self, service: str, operation: str, region: str) -> RequestContext:
        return RequestContext(
            store=self.store,
            clock=self.clock,
            ids=self.ids,
            region=region,
            service=service,
            operation=operation,
            providers=self.providers,
        )

    def status(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint_url,
            "pid": os.getpid(),
            "state_dir": str(self.state_dir),
            "listener_offset": self.listener_offset,
            "clock": self.clock.speed,
            "services": sorted(self.providers),
            "started": self.started_at,
            **{component.name: component.status() for component in self.components},
            "loop": self.watchdog.status(),
        }

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str, region: str = "us-east-1") -> Any:
        """A boto3 client for ``service`` that talks to this local cloud."""
        # One botocore session for every client: its loaded models are shared (a fresh session
        # a client costs about 0.3 s); one boto3 session over it, as each registers its handlers
        # on it and S3's (upload_file …) cannot be registered twice.
        return _boto3_session().client(service, region_name=region, endpoint_url=self.endpoint_url)

    # -- the asyncio side ----------------------------------------------------------------------

    def _load_models(self) -> None:
        for name in self.providers:
            service_model(name)

    @web.middleware
    async def _after_models(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """A call waits for the models (never loaded by a call on the loop); the status not."""
        if self._models is not None and not self._models.done() and request.path != STATUS_PATH:
            await asyncio.shield(self._models)
        return await handler(request)

    async def _start(self) -> None:
        app = self.gateway.app()
        app.middlewares.append(self._after_models)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        # SO_REUSEADDR: a restart after kill -9 must not wait for TIME_WAIT; on Linux it never
        # lets two servers listen on one port.
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            if error.errno == errno.EADDRINUSE:
                raise PortInUseError(port_in_use_message(self.port)) from None
            raise
        self.port = site._server.sockets[0].getsockname()[1]  # the real port when 0 was asked
        self._models = asyncio.get_running_loop().run_in_executor(None, self._load_models)
        self.watchdog.start()
        for component in self.components:
            await component.start(self)
        self._change = asyncio.Event()
        self._stopping = False
        self._reconciler = asyncio.create_task(self._reconcile_forever())

    async def _stop(self) -> None:
        self._stopping = True
        if self._reconciler is not None:
            self._reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciler
            self._reconciler = None
        for component in reversed(self.components):
            await component.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.watchdog.stop()

    async def _complete(
        self, service: str, operation: str, result: dict[str, Any]
    ) -> dict[str, Any]:
        """A call's result once the data plane has finished what it started (a Lambda
        ``RequestResponse`` invocation, :data:`~bgkit.local.services.awslambda.models.AWAITED`)."""
        for component in self.components:
            result = await component.complete(service, operation, result)
        if AWAITED in result:
            raise ServiceError(
                "ServiceException",
                "The bgkit local cloud runs without its data plane here, so functions do not "
                "run: invoke with InvocationType='Event' or 'DryRun', or start it with the data "
                "plane.",
                status=500,
                sender_fault=False,
            )
        return result

    def _changed(self) -> None:
        """After a call that succeeded: wake the data plane (runs on the loop's thread)."""
        if self._change is not None:
            self._change.set()

    async def _reconcile_forever(self) -> None:
        assert self._change is not None
        # The loop also ends on the flag: Python < 3.12's wait_for can swallow a cancellation
        # that arrives just as the event is set.
        while not self._stopping:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._change.wait(), RECONCILE_INTERVAL)
            self._change.clear()
            await self.reconcile()

    def advance(self) -> None:
        """Let every provider move its regions' records on (tasks, deployments)."""
        for provider in self.providers.values():
            regions = {
                partition.split("/", 1)[1]
                for kind in provider.advancing
                for partition in self.store.partitions(kind)
            }
            for region in sorted(regions):
                ctx = self.context(provider.service, "advance", region)
                try:
                    with self.store.transaction():
                        provider.advance(ctx)
                except DiskFullError as error:
                    self._disk_full(error)
                except Exception:
                    log.exception("advancing %s in %s failed", provider.service, region)

    async def reconcile(self) -> None:
        """One pass: providers advance, then every data plane component reconciles; a failing
        one is logged, not fatal."""
        self.advance()
        for component in self.components:
            try:
                await component.reconcile()
            except DiskFullError as error:
                self._disk_full(error)
            except Exception:
                log.exception("the data plane component %s failed", type(component).__name__)

    def _disk_full(self, error: DiskFullError) -> None:
        """Say it once a minute, in its one sentence (no traceback): the passes go on, and
        succeed again once there is room."""
        now = time.monotonic()
        if now - self._disk_full_said > 60.0:
            self._disk_full_said = now
            log.error("%s", error)

    # -- running in a thread of this process ---------------------------------------------------

    def start(self) -> LocalCloud:
        """Serve from a background thread of this process; returns once the endpoint answers."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="bgkit-local-cloud", daemon=True
        )
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
            # in this process, nothing is left loading once it has started
            asyncio.run_coroutine_threadsafe(self._loaded(), self._loop).result(timeout=60)
        except BaseException:
            with contextlib.suppress(Exception):  # release what did start (sockets, components)
                asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
            self._shutdown_loop()
            self.store.close()
            raise
        return self

    async def _loaded(self) -> None:
        if self._models is not None:
            await self._models

    def stop(self) -> None:
        """Stop serving and close the store; the state stays on disk."""
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
            self._shutdown_loop()
        self.store.close()

    def _shutdown_loop(self) -> None:
        assert self._loop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- running as the main loop of its own process --------------------------------------------

    def serve_forever(self) -> None:
        """Serve until SIGTERM or SIGINT, with the pid file in the state directory."""
        asyncio.run(self._serve_forever())

    async def _serve_forever(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self._start()
        pid_file = self.state_dir / PID_FILE
        # its start time too: `down` signals the pid only while it is still this process
        started = proc_start_time(os.getpid())
        try:
            try:
                write_private(pid_file, json.dumps({**self.status(), "proc_start": started}))
            except OSError as error:
                if is_disk_full(error):
                    raise DiskFullError(self.state_dir) from None
                raise
            log.info("bgkit local cloud serving on %s (pid %d)", self.endpoint_url, os.getpid())
            await stop.wait()
        finally:
            log.info("bgkit local cloud stopping")
            await self._stop()
            with contextlib.suppress(FileNotFoundError):
                pid_file.unlink()
            self.store.close()

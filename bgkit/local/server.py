"""The one process that holds the local cloud: its asyncio loop, and start, stop and status.

:class:`LocalCloud` is the local cloud itself — store, clock, ids, providers and the HTTP endpoint —
running either in a thread of the calling process (tests, benchmarks: ``with LocalCloud(...) as
cloud``) or as the main loop of its own background process (``bgkit local up``; see
:func:`start_background`). The background process writes ``local-cloud.json`` (pid, port, …) in
its state directory once it answers, and removes it when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import json
import logging
import os
import shutil
import signal
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import botocore.session
from aiohttp import web
from botocore.model import ServiceModel

from bgkit.config import Settings
from bgkit.errors import LocalCloudError, NotRunningError, PortInUseError
from bgkit.local.api.gateway import STATUS_PATH, Gateway
from bgkit.local.clock import Clock
from bgkit.local.dataplane import RECONCILE_INTERVAL
from bgkit.local.dataplane import components as dataplane_components
from bgkit.local.ids import Ids
from bgkit.local.services import providers as make_providers
from bgkit.local.services.provider import RequestContext
from bgkit.local.store import Store

log = logging.getLogger("bgkit.local")

STATE_FILE = "state.sqlite3"
PID_FILE = "local-cloud.json"
LOG_FILE = "local-cloud.log"
DUMMY_CREDENTIALS = {"aws_access_key_id": "bgkit", "aws_secret_access_key": "bgkit"}


@functools.cache
def service_model(name: str) -> ServiceModel:
    """botocore's model of a service, loaded once a process."""
    return _botocore_session().get_service_model(name)


@functools.cache
def _botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


def prepare_state_dir(state_dir: Path) -> Path:
    """Create the state directory, private to the user (0700)."""
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(0o700)
    return state_dir


class LocalCloud:
    """The local cloud: store, clock, providers and endpoint.

    Args:
        state_dir: where the state (SQLite) and logs live; created 0700.
        port: the endpoint's port on 127.0.0.1; 0 picks a free one.
        listener_offset: host port of a local listener = offset + listener port.
        clock: speed of the local clock (60 = a minute a second).
        dataplane: run the data plane (listeners, tasks); ``False`` leaves the control plane
            alone, for tests of the API that must not race health checks or processes.
    """

    def __init__(
        self,
        state_dir: Path | str,
        *,
        port: int = 0,
        listener_offset: int = 10000,
        clock: float = 1.0,
        dataplane: bool = True,
    ) -> None:
        self.state_dir = prepare_state_dir(Path(state_dir))
        self.port = port
        self.listener_offset = listener_offset
        self.store = Store(self.state_dir / STATE_FILE)
        self.clock = Clock(self.store, speed=clock)
        self.ids = Ids(self.store)
        self.providers = make_providers()
        self.components = dataplane_components() if dataplane else []
        self.gateway = Gateway(
            service_model, self.providers, self.context, self.status, self._changed
        )
        self.started_at = time.time()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._change: asyncio.Event | None = None
        self._reconciler: asyncio.Task[None] | None = None
        self._stopping = False

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
        }

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str, region: str = "us-east-1") -> Any:
        """A boto3 client for ``service`` that talks to this local cloud."""
        import boto3

        return boto3.session.Session(region_name=region, **DUMMY_CREDENTIALS).client(
            service, endpoint_url=self.endpoint_url
        )

    # -- the asyncio side ----------------------------------------------------------------------

    async def _start(self) -> None:
        self._runner = web.AppRunner(
            self.gateway.app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
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
                except Exception:
                    log.exception("advancing %s in %s failed", provider.service, region)

    async def reconcile(self) -> None:
        """One pass: providers advance, then every data plane component reconciles; a failing
        one is logged, not fatal."""
        self.advance()
        for component in self.components:
            try:
                await component.reconcile()
            except Exception:
                log.exception("the data plane component %s failed", type(component).__name__)

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
        except BaseException:
            self._shutdown_loop()
            raise
        return self

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
        pid_file.write_text(json.dumps(self.status()))
        log.info("bgkit local cloud serving on %s (pid %d)", self.endpoint_url, os.getpid())
        try:
            await stop.wait()
        finally:
            log.info("bgkit local cloud stopping")
            await self._stop()
            with contextlib.suppress(FileNotFoundError):
                pid_file.unlink()
            self.store.close()


# -- managing the background process (the `bgkit local` commands) -------------------------------


def port_in_use_message(port: int) -> str:
    return f"port {port} is in use — is another local cloud running? see `bgkit local status`"


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a child of ours that exited is reaped, not counted)."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_status(settings: Settings) -> dict[str, Any] | None:
    """What the running local cloud of ``settings.state_dir`` says of itself, or ``None``."""
    pid_file = Path(settings.state_dir) / PID_FILE
    try:
        recorded = json.loads(pid_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if not _pid_alive(recorded["pid"]):
        return None
    live = fetch_status(recorded["endpoint"])
    return live if live and live.get("pid") == recorded["pid"] else None


def fetch_status(endpoint: str, timeout: float = 2.0) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(endpoint + STATUS_PATH, timeout=timeout) as answer:
            return json.loads(answer.read())
    except (OSError, ValueError):
        return None


def start_background(settings: Settings, timeout: float = 30.0) -> dict[str, Any]:
    """Start the local cloud as its own background process; return its status once it answers.

    Raises:
        PortInUseError: the port is taken by something else.
        LocalCloudError: it did not answer within ``timeout`` (its log says why).
    """
    running = read_status(settings)
    if running is not None:
        return running
    if not port_is_free(settings.local_port):
        raise PortInUseError(port_in_use_message(settings.local_port))
    state_dir = prepare_state_dir(Path(settings.state_dir))
    log_path = state_dir / LOG_FILE
    # posix_spawn rather than Popen: the server outlives this process and is never waited for.
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        pid = os.posix_spawn(
            sys.executable,
            [sys.executable, "-m", "bgkit.local", *server_arguments(settings)],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log_fd, 1),
                (os.POSIX_SPAWN_DUP2, log_fd, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(log_fd)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            raise LocalCloudError(f"the local cloud exited as it started; see {log_path}")
        status = read_status(settings)
        if status is not None and status["pid"] == pid:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGTERM)
    raise LocalCloudError(f"the local cloud did not answer within {timeout:.0f} s; see {log_path}")


def server_arguments(settings: Settings) -> list[str]:
    return [
        "--port", str(settings.local_port),
        "--state-dir", str(settings.state_dir),
        "--listener-offset", str(settings.listener_offset),
        "--clock", str(settings.clock),
    ]  # fmt: skip


def stop_background(settings: Settings, timeout: float = 30.0) -> int:
    """Stop the background local cloud of ``settings.state_dir``; return the pid it had.

    Raises:
        NotRunningError: none runs there.
    """
    pid_file = Path(settings.state_dir) / PID_FILE
    try:
        pid = json.loads(pid_file.read_text())["pid"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        raise NotRunningError(f"no local cloud runs with state in {settings.state_dir}") from None
    if not _pid_alive(pid):
        pid_file.unlink(missing_ok=True)
        raise NotRunningError(f"no local cloud runs with state in {settings.state_dir}")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return pid


def reset_state(settings: Settings) -> bool:
    """Stop the local cloud if it runs and delete its state; whether there was state."""
    with contextlib.suppress(NotRunningError):
        stop_background(settings)
    state_dir = Path(settings.state_dir)
    if not state_dir.exists():
        return False
    shutil.rmtree(state_dir)
    return True

"""Health checks of the targets of target groups in use, on the local clock.

Each target of a group that a listener or rule of an active load balancer forwards to is checked
every ``HealthCheckIntervalSeconds`` local seconds with an HTTP GET of ``HealthCheckPath`` on its
traffic port (or ``HealthCheckPort``), which must answer within ``HealthCheckTimeoutSeconds`` with
a code of ``Matcher.HttpCode``. The result changes the target's state as ELB does, and the
:class:`HealthChecker` writes it to the store as a ``"target-health"`` record (key
``"<TargetGroupArn>|<Id>|<Port>"``), which ``DescribeTargetHealth`` reads.

ELB's state machine, as AWS documents it (docs.aws.amazon.com/elasticloadbalancing/latest/
application/target-group-health-checks.html and the API's ``TargetHealth``):

* a newly registered target is ``initial`` (``Elb.RegistrationInProgress``, then
  ``Elb.InitialHealthChecking`` once checks ran); "After your target is registered, it must pass
  one health check to be considered healthy" — one success makes it ``healthy``, and
  ``UnhealthyThresholdCount`` consecutive failures make it ``unhealthy``;
* ``healthy`` → ``unhealthy`` after ``UnhealthyThresholdCount`` consecutive failures;
* ``unhealthy`` → ``healthy`` after ``HealthyThresholdCount`` consecutive successes;
* with health checks disabled a target is ``unavailable`` (``Target.HealthCheckDisabled``).

Draining targets are not checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from bgkit.local.clock import Clock
from bgkit.local.dataplane.balancer import Address, Target
from bgkit.local.services.elbv2.models import TARGET, TARGET_HEALTH
from bgkit.local.store import Store

log = logging.getLogger("bgkit.local.alb")

KIND = TARGET_HEALTH
#: wall seconds between two looks at which checks are due
TICK = 0.02
#: the shortest wall time a check may take, whatever the clock's speed (loopback, busy machine)
MIN_WALL_TIMEOUT = 1.0
USER_AGENT = "ELB-HealthChecker/2.0"

Resolver = Callable[[Target, int], Address | None]


@functools.lru_cache(maxsize=256)
def matcher(spec: str) -> Callable[[int], bool]:
    """A test of a status code for ``Matcher.HttpCode``: ``"200"``, ``"200-299"``, ``"200,302"``."""
    ranges: list[tuple[int, int]] = []
    for part in (spec or "200").split(","):
        low, _, high = part.strip().partition("-")
        ranges.append((int(low), int(high or low)))
    return lambda code: any(low <= code <= high for low, high in ranges)


def apply_result(
    target: Target,
    ok: bool,
    reason: str | None,
    description: str | None,
    group: dict[str, Any],
    now: float,
) -> None:
    """Move ``target`` through ELB's states after one check (see the module's docstring)."""
    target.checked_at = now
    if ok:
        target.successes, target.failures = target.successes + 1, 0
        if target.state == "initial" or (
            target.state == "unhealthy"
            and target.successes >= int(group.get("HealthyThresholdCount", 5))
        ):
            target.state, target.reason, target.description = "healthy", None, None
        return
    target.successes, target.failures = 0, target.failures + 1
    reached = target.failures >= int(group.get("UnhealthyThresholdCount", 2))
    if target.state == "unhealthy" or reached:
        target.state, target.reason, target.description = "unhealthy", reason, description
    elif target.state == "initial":
        target.reason = "Elb.InitialHealthChecking"
        target.description = "Initial health checks in progress"


def health_record(target: Target) -> dict[str, Any]:
    """The ``"target-health"`` record of a target."""
    return {
        "TargetGroupArn": target.group_arn,
        "Id": target.id,
        "Port": target.port,
        "State": target.state,
        "Reason": target.reason,
        "Description": target.description,
        "_checked_at": target.checked_at if target.checked_at is not None else 0.0,
        "_successes": target.successes,
        "_failures": target.failures,
    }


def reset(target: Target) -> None:
    """Make a target ``initial`` again, due for a check at once (registered, or used, anew)."""
    target.state, target.successes, target.failures = "initial", 0, 0
    target.reason = "Elb.RegistrationInProgress"
    target.description = "Target registration is in progress"
    target.checked_at, target.next_check_at = None, 0.0


def seed(target: Target, record: dict[str, Any] | None) -> None:
    """Give a target the health its record kept (after a restart), if there is one."""
    if record is None:
        return
    target.state = record.get("State", target.state)
    target.reason = record.get("Reason")
    target.description = record.get("Description")
    target.checked_at = record.get("_checked_at") or None
    target.successes = int(record.get("_successes") or 0)
    target.failures = int(record.get("_failures") or 0)


class HealthChecker:
    """Checks the targets it is given, when due on the local clock, and records the results.

    Args:
        clock: the local clock (intervals and timeouts are local seconds).
        store: where the ``"target-health"`` records go.
        resolve: where a target answers on a given port, or ``None`` when it has no local
            address (such a target fails its checks with ``Target.Timeout``; it is never
            connected to).
    """

    def __init__(self, clock: Clock, store: Store, resolve: Resolver) -> None:
        self._clock = clock
        self._store = store
        self._resolve = resolve
        self._watched: dict[str, tuple[Target, dict[str, Any]]] = {}
        self._pending: dict[str, Target] = {}
        self._checks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._runner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # ALB closes each health check's connection after the check: no pooling here.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True, limit=64),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
        )
        self._runner = asyncio.create_task(self._run(), name="bgkit-alb-health")

    async def stop(self) -> None:
        tasks = [t for t in (self._runner, *self._checks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def watch(self, targets: list[tuple[Target, dict[str, Any]]]) -> None:
        """Check exactly these targets from now on (each with its group's record)."""
        watched = {}
        for target, group in targets:
            if group.get("HealthCheckEnabled") is False:
                if target.state != "unavailable":
                    target.state, target.reason = "unavailable", "Target.HealthCheckDisabled"
                    target.description = "Health checks are disabled for the target group"
                    self._pending[target.key] = target
                continue
            if target.state == "unavailable":
                target.state, target.reason = "initial", "Elb.RegistrationInProgress"
                target.description = "Target registration is in progress"
                self._pending[target.key] = target
            watched[target.key] = (target, group)
        self._watched = watched

    async def _run(self) -> None:
        while True:
            try:
                self._launch_due()
                self._flush()
            except Exception:
                log.exception("health checks failed to run")
            await asyncio.sleep(TICK)

    def _launch_due(self) -> None:
        now = self._clock.now()
        for target, group in self._watched.values():
            if target.checking or now < target.next_check_at:
                continue
            target.checking = True
            target.next_check_at = now + float(group.get("HealthCheckIntervalSeconds", 30))
            task = asyncio.create_task(self._check(target, group))
            self._checks.add(task)
            task.add_done_callback(self._checks.discard)

    async def _check(self, target: Target, group: dict[str, Any]) -> None:
        try:
            ok, reason, description = await self._probe(target, group)
            apply_result(target, ok, reason, description, group, self._clock.now())
            self._pending[target.key] = target
        finally:
            target.checking = False

    async def _probe(
        self, target: Target, group: dict[str, Any]
    ) -> tuple[bool, str | None, str | None]:
        setting = str(group.get("HealthCheckPort") or "traffic-port")
        port = target.port if setting == "traffic-port" else int(setting)
        address = target.address if port == target.port else self._resolve(target, port)
        if address is None or self._session is None:
            return False, "Target.Timeout", "Request timed out"
        timeout = self._clock.wall_seconds(float(group.get("HealthCheckTimeoutSeconds", 5)))
        path = group.get("HealthCheckPath") or "/"
        try:
            async with self._session.get(
                f"http://{address[0]}:{address[1]}{path}",
                headers={"User-Agent": USER_AGENT},
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=max(timeout, MIN_WALL_TIMEOUT)),
            ) as answer:
                code = answer.status
        except asyncio.TimeoutError:
            return False, "Target.Timeout", "Request timed out"
        except (aiohttp.ClientError, OSError, ValueError):
            return False, "Target.FailedHealthChecks", "Health checks failed"
        if matcher(str((group.get("Matcher") or {}).get("HttpCode") or "200"))(code):
            return True, None, None
        return (
            False,
            "Target.ResponseCodeMismatch",
            f"Health checks failed with these codes: [{code}]",
        )

    def _flush(self) -> None:
        """Write the results of the checks that ended, in one transaction."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        with self._store.transaction():
            for key, target in pending.items():
                # the registration may have gone while the check ran: never bring it back
                if self._store.get(target.partition, TARGET, key) is None:
                    continue
                self._store.put(target.partition, KIND, key, health_record(target))

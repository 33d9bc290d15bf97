"""The local cloud's data plane: what makes the store real on this machine.

A component reads the store and reconciles real things with it — listeners as HTTP reverse
proxies (:mod:`.alb`), ECS tasks as processes (:mod:`.runtime`) — and records what it observes
(target health, task exits) back in the store. It never answers an API call.

A component knows the local cloud that runs it only as a :class:`Host` (what it needs of it), so
the data plane never imports the server: :class:`bgkit.local.server.LocalCloud` is a host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from bgkit.local.clock import Clock
from bgkit.local.store import Store


@runtime_checkable
class Host(Protocol):
    """What a component needs of the local cloud that runs it.

    Attributes:
        store: the state, read for what should run and written with what is observed.
        clock: the local clock (time of records, stop timeouts in local seconds).
        listener_offset: host port of a local listener = offset + listener port.
        state_dir: the state directory (task logs live in its ``tasks/`` folder).
        endpoint_url: the local cloud's endpoint (``AWS_ENDPOINT_URL`` of Lambda functions).
    """

    store: Store
    clock: Clock
    listener_offset: int
    state_dir: Path
    endpoint_url: str


class Component:
    """One part of the data plane, run by the local cloud's asyncio loop."""

    #: the key of :meth:`status` in the local cloud's status (``bgkit local status``)
    name: ClassVar[str]

    async def start(self, host: Host) -> None:
        """Called once the endpoint answers; the component keeps ``host`` for later."""

    async def reconcile(self) -> None:
        """Make the real world match the store; idempotent and quick. Called after every API
        call that succeeded, and at least every :data:`RECONCILE_INTERVAL` seconds."""

    async def stop(self) -> None:
        """Release everything it started (processes, sockets); the store stays."""

    def status(self) -> list[dict[str, Any]]:
        """What it runs now, one dict a thing (a listener, a task process)."""
        return []

    async def complete(
        self, service: str, operation: str, result: dict[str, Any]
    ) -> dict[str, Any]:
        """An API call's result once what it started is done (Lambda's ``RequestResponse``
        invocations); the endpoint awaits it before answering. Most components pass ``result``
        on unchanged."""
        return result


#: the longest the data plane waits between two reconciliations, in wall seconds
RECONCILE_INTERVAL = 0.25


def components() -> list[Component]:
    """A fresh instance of each component of the data plane, in start order."""
    from bgkit.local.dataplane.alb import AlbDataPlane
    from bgkit.local.dataplane.functions import FunctionsDataPlane
    from bgkit.local.dataplane.runtime import RuntimeDataPlane

    return [RuntimeDataPlane(), AlbDataPlane(), FunctionsDataPlane()]

"""The local cloud's data plane: what makes the store real on this machine.

A component reads the store and reconciles real things with it — listeners as HTTP reverse
proxies (:mod:`.alb`), ECS tasks as processes (:mod:`.runtime`) — and records what it observes
(target health, task exits) back in the store. It never answers an API call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from bgkit.local.server import LocalCloud


class Component:
    """One part of the data plane, run by the local cloud's asyncio loop."""

    #: the key of :meth:`status` in the local cloud's status (``bgkit local status``)
    name: ClassVar[str]

    async def start(self, cloud: LocalCloud) -> None:
        """Called once the endpoint answers; the component keeps ``cloud`` for later."""

    async def reconcile(self) -> None:
        """Make the real world match the store; idempotent and quick. Called after every API
        call that succeeded, and at least every :data:`RECONCILE_INTERVAL` seconds."""

    async def stop(self) -> None:
        """Release everything it started (processes, sockets); the store stays."""

    def status(self) -> list[dict[str, Any]]:
        """What it runs now, one dict a thing (a listener, a task process)."""
        return []


#: the longest the data plane waits between two reconciliations, in wall seconds
RECONCILE_INTERVAL = 0.25


def components() -> list[Component]:
    """A fresh instance of each component of the data plane, in start order."""
    from bgkit.local.dataplane.alb import AlbDataPlane
    from bgkit.local.dataplane.runtime import RuntimeDataPlane

    return [RuntimeDataPlane(), AlbDataPlane()]

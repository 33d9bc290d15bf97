"""The changes the ECS runtime makes to a task record, as the ECS agent reports a task's life.

Each is a :data:`Change`, applied in place by the runtime (:mod:`.runtime`) inside one store
transaction: ``change(task, local now)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: a change to a task record: ``change(task, local now)``, in place
Change = Callable[[dict[str, Any], float], None]
EXITED_REASON = "Essential container in task exited"


def container_of(task: dict[str, Any]) -> dict[str, Any]:
    """The task's essential container in ``containers`` (created when missing)."""
    containers = task.setdefault("containers", [])
    name = (task.get("_container") or {}).get("name")
    for container in containers:
        if container.get("name") == name:
            return container
    if not containers:
        containers.append({"name": name})
    return containers[0]


def exited(code: int | None, reason: str | None = None) -> Change:
    """The task's process ended with exit status ``code`` (``None`` when unknown); ``reason``,
    given, is the container's ``reason`` (what the local cloud saw when it ended)."""

    def change(task: dict[str, Any], now: float) -> None:
        if task.get("desiredStatus") == "RUNNING":  # it ended by itself
            task["desiredStatus"] = "STOPPED"
            task["stopCode"] = "EssentialContainerExited"
            task["stoppedReason"] = EXITED_REASON
        task.setdefault("stoppingAt", now)
        task.update(lastStatus="STOPPED", executionStoppedAt=now, stoppedAt=now)
        container = container_of(task)
        container["lastStatus"] = "STOPPED"
        if code is not None:
            container["exitCode"] = code
        if reason is not None:
            container["reason"] = reason

    return change


def failed(reason: str) -> Change:
    """The task could not start at all: STOPPED at once."""

    def change(task: dict[str, Any], now: float) -> None:
        task.update(
            lastStatus="STOPPED",
            desiredStatus="STOPPED",
            stopCode="TaskFailedToStart",
            stoppedReason=reason,
            stoppingAt=now,
            executionStoppedAt=now,
            stoppedAt=now,
        )
        container = container_of(task)
        container.update(lastStatus="STOPPED", reason=reason)

    return change


def failing(reason: str) -> Change:
    """The task's process runs but the task failed to start: it is asked to stop."""

    def change(task: dict[str, Any], now: float) -> None:
        task.update(desiredStatus="STOPPED", stopCode="TaskFailedToStart", stoppedReason=reason)
        container_of(task)["reason"] = reason

    return change


def stopping(task: dict[str, Any], now: float) -> None:
    if task.get("lastStatus") not in ("STOPPING", "DEPROVISIONING", "STOPPED"):
        task["lastStatus"] = "STOPPING"
    task.setdefault("stoppingAt", now)


def stopped_unstarted(task: dict[str, Any], now: float) -> None:
    task.setdefault("stoppingAt", now)
    task.update(lastStatus="STOPPED", executionStoppedAt=now, stoppedAt=now)
    container_of(task)["lastStatus"] = "STOPPED"


def running(task: dict[str, Any], now: float) -> None:
    if task.get("lastStatus") != "RUNNING":
        task.update(lastStatus="RUNNING", connectivity="CONNECTED", connectivityAt=now)
        task.setdefault("startedAt", now)
    container_of(task)["lastStatus"] = "RUNNING"

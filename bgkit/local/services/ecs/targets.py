"""A service's tasks as targets of its target groups: registering, deregistering, their health.

The scheduler (:mod:`.scheduler`) registers a task that became ``RUNNING`` in the target groups
of its set — ``ip`` targets: the task's private address and container port — and keeps what
ELBv2 took in the task's ``_registered`` (``[{TargetGroupArn, Port}]``). ELBv2 changes only
through ``RequestContext.call``, as ECS's service principal; its records (target groups,
registrations, health) are read through :mod:`bgkit.local.services.elbv2.models`. A target group
that is gone takes no call, and the task goes on without it.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.models import PRINCIPAL
from bgkit.local.services.elbv2.models import (
    TARGET,
    TARGET_GROUP,
    deregistration_delay,
    target_health,
    target_key,
)

UNHEALTHY = "unhealthy"


def _change(ctx: RequestContext, operation: str, group: str, target: dict[str, Any]) -> bool:
    """Call ELBv2's ``RegisterTargets`` or ``DeregisterTargets`` for one target; whether it
    answered (it refuses when the target group is gone)."""
    try:
        ctx.call("elbv2", operation, caller=PRINCIPAL, target_group_arn=group, targets=[target])
    except ServiceError:
        return False
    return True


def register(
    ctx: RequestContext, task: dict[str, Any], balancers: list[dict[str, Any]], now: float
) -> list[str]:
    """Register a running task in the target groups of ``balancers`` (its set's) at ``now``;
    the groups that took it, in order."""
    port = task["_container"]["containerPort"]
    done = []
    for balancer in balancers:
        group = balancer["targetGroupArn"]
        target = {"Id": task["_private_ip"], "Port": balancer["containerPort"] or port}
        if _change(ctx, "RegisterTargets", group, target):
            done.append({"TargetGroupArn": group, "Port": target["Port"]})
    task["_registered"] = done
    task["_registered_at"] = now
    return [held["TargetGroupArn"] for held in done]


def deregister(ctx: RequestContext, task: dict[str, Any]) -> tuple[float, list[str]]:
    """Deregister a task from the target groups it is in; the longest deregistration delay of
    those groups and the groups, in order."""
    delay, groups = 0.0, []
    for held in task.get("_registered") or []:
        group = held["TargetGroupArn"]
        target = {"Id": task["_private_ip"], "Port": held["Port"]}
        if _change(ctx, "DeregisterTargets", group, target):
            delay = max(delay, deregistration_delay(ctx.records(TARGET_GROUP).get(group)))
            groups.append(group)
    task["_registered"] = []
    return delay, groups


def health(
    ctx: RequestContext, task: dict[str, Any], held: dict[str, Any]
) -> dict[str, str] | None:
    """The ``TargetHealth`` of a task in one group it is registered in (``None``: gone)."""
    group = ctx.records(TARGET_GROUP).get(held["TargetGroupArn"])
    key = target_key(held["TargetGroupArn"], task["_private_ip"], held["Port"])
    target = ctx.records(TARGET).get(key)
    if group is None or target is None:
        return None
    return target_health(ctx, group, target)


def unhealthy_in(ctx: RequestContext, task: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The first target group a task is ``unhealthy`` in, and that health; or ``None``."""
    for held in task.get("_registered") or []:
        found = health(ctx, task, held)
        if found and found["State"] == UNHEALTHY:
            return held["TargetGroupArn"], found
    return None


def serving(ctx: RequestContext, task: dict[str, Any]) -> bool:
    """Running, registered, and healthy in every target group it is in."""
    held = task.get("_registered") or []
    return (
        task["lastStatus"] == "RUNNING"
        and bool(held)
        and all((health(ctx, task, h) or {}).get("State") == "healthy" for h in held)
    )

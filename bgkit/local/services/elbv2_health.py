"""What changes with local time in ELBv2: provisioning, draining, and the health of targets.

Nothing here runs on its own. A load balancer is ``provisioning`` for
:data:`PROVISIONING_SECONDS` local seconds after it is made, then ``active`` — computed from its
``_active_at`` whenever it is read. A deregistered target is ``draining`` for its target group's
``deregistration_delay.timeout_seconds`` (local clock), and its records are deleted by
:func:`expire_drained_targets`, which every ELBv2 call that reads targets runs first and which the
data plane calls too.

The health of a target is never assumed: the data plane's health checker writes a
``target-health`` record (``State``, ``Reason``, ``Description``, ``_checked_at``) under the
target's key, and :func:`target_health` combines it with what the control plane knows (draining,
unused group, checks disabled, a registration newer than the last check).
"""

from __future__ import annotations

from typing import Any

from bgkit.local.services.elbv2_resources import (
    TARGET,
    TARGET_GROUP,
    TARGET_HEALTH,
    balancers_of_group,
)
from bgkit.local.services.provider import RequestContext

#: local seconds a new load balancer stays ``provisioning`` before it is ``active``
PROVISIONING_SECONDS = 5.0
DEFAULT_DEREGISTRATION_DELAY = 300


def load_balancer_state(record: dict[str, Any], now: float) -> str:
    """``provisioning`` or ``active``: a load balancer's state at local time ``now``.

    The data plane serves a listener only while its load balancer is ``active``.
    """
    return "active" if now >= record.get("_active_at", 0.0) else "provisioning"


def target_key(group_arn: str, target_id: str, port: int) -> str:
    """The key of a target's ``target`` and ``target-health`` records."""
    return f"{group_arn}|{target_id}|{port}"


def deregistration_delay(group: dict[str, Any] | None) -> float:
    if group is None:
        return 0.0
    value = group.get("_attributes", {}).get("deregistration_delay.timeout_seconds")
    return float(value if value is not None else DEFAULT_DEREGISTRATION_DELAY)


def expire_drained_targets(ctx: RequestContext) -> int:
    """Delete the registrations whose draining has ended on the local clock.

    Call it inside a store transaction (the data plane: ``with store.transaction():``).

    Returns:
        How many registrations ended.
    """
    now = ctx.now()
    groups = ctx.records(TARGET_GROUP)
    ended = 0
    for target in ctx.records(TARGET).list():
        gone_at = target.get("_deregistered_at")
        if gone_at is None:
            continue
        group = groups.get(target["TargetGroupArn"])
        if group is None or now >= gone_at + deregistration_delay(group):
            key = target_key(target["TargetGroupArn"], target["Id"], target["Port"])
            ctx.records(TARGET).delete(key)
            ctx.records(TARGET_HEALTH).delete(key)
            ended += 1
    return ended


def registrations(ctx: RequestContext, group_arn: str) -> list[dict[str, Any]]:
    """A target group's registrations (draining ones included), in registration order."""
    return [t for t in ctx.records(TARGET).list() if t["TargetGroupArn"] == group_arn]


def _in_use(ctx: RequestContext, group_arn: str) -> bool:
    return bool(balancers_of_group(ctx, group_arn))


def target_health(
    ctx: RequestContext,
    group: dict[str, Any],
    target: dict[str, Any],
    in_use: bool | None = None,
) -> dict[str, str]:
    """A registered target's ``TargetHealth`` (``State``, ``Reason``, ``Description``).

    Args:
        ctx: the call (or data plane pass) reading the store.
        group: the target group record.
        target: the ``target`` record.
        in_use: whether a listener or rule forwards to the group, when the caller knows.
    """
    if target.get("_deregistered_at") is not None:
        return {
            "State": "draining",
            "Reason": "Target.DeregistrationInProgress",
            "Description": "Target deregistration is in progress",
        }
    if in_use is None:
        in_use = _in_use(ctx, group["TargetGroupArn"])
    if not in_use:
        return {
            "State": "unused",
            "Reason": "Target.NotInUse",
            "Description": "Target group is not configured to receive traffic from the load "
            "balancer",
        }
    if not group.get("HealthCheckEnabled", True):
        return {
            "State": "unavailable",
            "Reason": "Target.HealthCheckDisabled",
            "Description": "Health checks are disabled",
        }
    key = target_key(group["TargetGroupArn"], target["Id"], target["Port"])
    checked = ctx.records(TARGET_HEALTH).get(key)
    if checked is None or checked.get("_checked_at", 0.0) < target.get("_registered_at", 0.0):
        return {
            "State": "initial",
            "Reason": "Elb.RegistrationInProgress",
            "Description": "Target registration is in progress",
        }
    health = {"State": checked["State"]}
    for member in ("Reason", "Description"):
        if checked.get(member):
            health[member] = checked[member]
    return health


def not_registered() -> dict[str, str]:
    """The ``TargetHealth`` of a target the group does not hold."""
    return {
        "State": "unused",
        "Reason": "Target.NotRegistered",
        "Description": "Target is not registered to the target group",
    }

"""ELBv2 records: their ARNs, finding them, and showing them as botocore's shapes.

The records of the local cloud's ELBv2 (kinds ``load-balancer``, ``target-group``, ``listener``,
``rule``, ``target``, ``target-health``; see :mod:`.provider`) keep the members of botocore's
output shapes plus private bookkeeping under keys that start with ``_``; :func:`public` strips
those before a record is returned.

What changes with local time is computed here too. A load balancer is ``provisioning`` for
:data:`PROVISIONING_SECONDS` local seconds after it is made, then ``active`` — computed from its
``_active_at`` whenever it is read. A deregistered target is ``draining`` for its target group's
``deregistration_delay.timeout_seconds`` (local clock), and its records are deleted by
:func:`expire_drained_targets`, which every ELBv2 call that reads targets runs first, as does
the provider's ``advance`` on every pass of the local cloud.

The health of a target is never assumed: the data plane's health checker writes a
``target-health`` record (``State``, ``Reason``, ``Description``, ``_checked_at``) under the
target's key, and :func:`target_health` combines it with what the control plane knows (draining,
unused group, checks disabled, a registration newer than the last check).

Other services and the data plane read ELBv2's records through this module only.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.ids import parse_arn
from bgkit.local.paging import Pager
from bgkit.local.provider import RequestContext

LOAD_BALANCER = "load-balancer"
TARGET_GROUP = "target-group"
LISTENER = "listener"
RULE = "rule"
TARGET = "target"
TARGET_HEALTH = "target-health"

SERVICE = "elasticloadbalancing"
MAX_PAGE = 400
NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
MAX_NAME = 32


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A record without its private (``_``-prefixed) bookkeeping."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


def invalid(value: Any, member: str, constraint: str) -> ServiceError:
    """AWS's ``ValidationError`` for a member that breaks a constraint of the model."""
    return ServiceError(
        "ValidationError",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}",
    )


def check_range(value: int | None, member: str, low: int, high: int) -> None:
    """Refuse ``value`` outside ``low``..``high`` (``None`` passes) as AWS words it."""
    if value is None:
        return
    if value < low:
        raise invalid(value, member, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise invalid(value, member, f"Member must have value less than or equal to {high}")


def check_enum(value: str | None, member: str, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise invalid(value, member, f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def check_name(name: str, what: str) -> None:
    """ELB's rules for load balancer and target group names.

    Args:
        name: the name asked for.
        what: ``"Load balancer"`` or ``"Target group"``, as the messages say it.
    """
    if len(name) > MAX_NAME:
        raise ServiceError(
            "ValidationError", f"{what} name '{name}' cannot be longer than '{MAX_NAME}' characters"
        )
    if not name or not re.fullmatch(r"[A-Za-z0-9-]+", name):
        raise ServiceError(
            "ValidationError",
            f"{what} name '{name}' can only contain characters that are alphanumeric characters "
            "or hyphens(-)",
        )
    if not NAME.fullmatch(name):
        raise ServiceError("ValidationError", f"{what} name '{name}' cannot begin or end with '-'")


def _page_size(page_size: int | None) -> int | None:
    check_range(page_size, "pageSize", 1, MAX_PAGE)
    return page_size


#: ELBv2's pages: decimal offsets; ``PageSize`` 1 to :data:`MAX_PAGE`, every item when the call
#: names none
PAGER = Pager(
    "elbv2",
    lambda marker: ServiceError(
        "ValidationError",
        f"The marker '{marker}' is not valid; pass the NextMarker of the previous page",
    ),
    size=_page_size,
)


# --- ARNs ------------------------------------------------------------------------------------


def pick(
    records: list[dict[str, Any]], wanted: list[str], field: str, code: str, message: str
) -> list[dict[str, Any]]:
    """The records whose ``field`` is in ``wanted``, in its order and once each; when some are
    missing, ``ServiceError(code, message)`` with ``{missing}`` filled in."""
    by_key = {record[field]: record for record in records}
    missing = [key for key in wanted if key not in by_key]
    if missing:
        raise ServiceError(code, message.format(missing=", ".join(missing)))
    return [by_key[key] for key in dict.fromkeys(wanted)]


def resource_of(arn: str) -> str:
    """The resource part of an ELB ARN (``loadbalancer/app/name/id``), or ``""``."""
    parts = parse_arn(arn)
    if parts is None or parts["service"] != SERVICE:
        return ""
    return parts["resource"]


def load_balancer_arn(ctx: RequestContext, name: str) -> str:
    return ctx.arn(SERVICE, f"loadbalancer/app/{name}/{ctx.ids.hex('elbv2-loadbalancer', 16)}")


def target_group_arn(ctx: RequestContext, name: str) -> str:
    return ctx.arn(SERVICE, f"targetgroup/{name}/{ctx.ids.hex('elbv2-targetgroup', 16)}")


def listener_arn(ctx: RequestContext, balancer_arn: str) -> str:
    """``…:listener/app/<lb name>/<lb id>/<16 hex>``."""
    base = balancer_arn.replace(":loadbalancer/", ":listener/", 1)
    return f"{base}/{ctx.ids.hex('elbv2-listener', 16)}"


def rule_arn(ctx: RequestContext, listener: str) -> str:
    """``…:listener-rule/app/<lb name>/<lb id>/<listener id>/<16 hex>``."""
    base = listener.replace(":listener/", ":listener-rule/", 1)
    return f"{base}/{ctx.ids.hex('elbv2-rule', 16)}"


def default_rule_arn(listener: str) -> str:
    """The default rule's ARN: derived from the listener's, so it is stable and never stored."""
    suffix = hashlib.sha256(f"default-rule/{listener}".encode()).hexdigest()[:16]
    return f"{listener.replace(':listener/', ':listener-rule/', 1)}/{suffix}"


def listener_of_rule(rule: str) -> str:
    """The listener ARN a rule ARN (default or not) belongs to."""
    return rule.replace(":listener-rule/", ":listener/", 1).rsplit("/", 1)[0]


# --- finding records -------------------------------------------------------------------------


def find_load_balancer(ctx: RequestContext, arn: str) -> dict[str, Any]:
    return ctx.records(LOAD_BALANCER).require(
        arn, "LoadBalancerNotFound", f"Load balancer '{arn}' not found"
    )


def find_target_group(ctx: RequestContext, arn: str) -> dict[str, Any]:
    return ctx.records(TARGET_GROUP).require(
        arn, "TargetGroupNotFound", f"Target group '{arn}' not found"
    )


def find_listener(ctx: RequestContext, arn: str) -> dict[str, Any]:
    return ctx.records(LISTENER).require(arn, "ListenerNotFound", f"Listener '{arn}' not found")


def listeners_of(ctx: RequestContext, balancer_arn: str) -> list[dict[str, Any]]:
    """A load balancer's listeners, by port."""
    found = [
        item for item in ctx.records(LISTENER).list() if item["LoadBalancerArn"] == balancer_arn
    ]
    return sorted(found, key=lambda item: item["Port"])


def rules_of(ctx: RequestContext, listener: str) -> list[dict[str, Any]]:
    """A listener's stored (non-default) rules, by priority."""
    found = [rule for rule in ctx.records(RULE).list() if rule["_listener_arn"] == listener]
    return sorted(found, key=lambda rule: int(rule["Priority"]))


def default_rule(listener: dict[str, Any]) -> dict[str, Any]:
    """The listener's default rule as the ``Rule`` shape, derived from its default actions."""
    return {
        "RuleArn": default_rule_arn(listener["ListenerArn"]),
        "Priority": "default",
        "Conditions": [],
        "Actions": listener["DefaultActions"],
        "IsDefault": True,
    }


def forwarded_groups(actions: list[dict[str, Any]]) -> list[str]:
    """The target group ARNs that ``actions`` forward to (normalised actions)."""
    arns: list[str] = []
    for action in actions:
        if action.get("Type") != "forward":
            continue
        for group in action.get("ForwardConfig", {}).get("TargetGroups", []):
            if group["TargetGroupArn"] not in arns:
                arns.append(group["TargetGroupArn"])
    return arns


def balancers_of_group(ctx: RequestContext, group_arn: str) -> list[str]:
    """The load balancers whose listeners or rules forward to a target group."""
    balancers: list[str] = []
    listeners = {item["ListenerArn"]: item for item in ctx.records(LISTENER).list()}
    users = [(item["LoadBalancerArn"], item["DefaultActions"]) for item in listeners.values()]
    for rule in ctx.records(RULE).list():
        owner = listeners.get(rule["_listener_arn"])
        if owner is not None:
            users.append((owner["LoadBalancerArn"], rule["Actions"]))
    for balancer, actions in users:
        if group_arn in forwarded_groups(actions) and balancer not in balancers:
            balancers.append(balancer)
    return balancers


def security_group_in_use(ctx: RequestContext, group_id: str) -> str | None:
    """The name of a load balancer that uses a security group, or ``None``.

    EC2's ``DeleteSecurityGroup`` calls this to answer ``DependencyViolation`` while a load
    balancer of the region uses the group.
    """
    for balancer in ctx.records(LOAD_BALANCER).list():
        if group_id in balancer.get("SecurityGroups", []):
            return balancer["LoadBalancerName"]
    return None


# --- time and health -------------------------------------------------------------------------

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

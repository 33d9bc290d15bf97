"""What a CodeDeploy deployment does to ECS and ELBv2, called as CodeDeploy's service principal.

CodeDeploy's managed policies allow it exactly ``ecs:DescribeServices``, ``CreateTaskSet``,
``UpdateServicePrimaryTaskSet``, ``DeleteTaskSet`` and ELBv2's ``DescribeListeners``,
``ModifyListener``, ``DescribeRules``, ``ModifyRule``: the engine goes through those operations
(``ctx.call``, inside the same transaction) and reads target health as ELBv2 shows it. A refusal
becomes a :class:`DeploymentFailure` with the ``errorInformation`` AWS gives: ECS's refusals are
wrapped in the ``ECS_UPDATE_ERROR`` sentence CodeDeploy writes, ELB's in
``ELASTIC_LOAD_BALANCING_INVALID``.

Listeners forward to the pair with a weighted ``ForwardConfig`` (the new actions are
:mod:`bgkit.local.forwarding`'s); the group not serving stays in it at weight 0, as CodeDeploy
leaves it since 2022.
"""

from __future__ import annotations

from typing import Any, TypedDict

from bgkit.errors import ServiceError
from bgkit.local.forwarding import Action, forward_weights, forwards_to, reweighted
from bgkit.local.provider import RequestContext
from bgkit.local.services.elbv2.models import (
    LISTENER,
    TARGET_GROUP,
    registrations,
    rules_of,
    target_health,
)

CODEDEPLOY = "codedeploy.amazonaws.com"


class DeploymentFailure(Exception):
    """A deployment step failed: the deployment ends ``Failed`` with this ``errorInformation``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def ecs_failure(ctx: RequestContext, error: ServiceError) -> DeploymentFailure:
    """ECS's refusal as CodeDeploy reports it (the pattern of §6.3 of the reference)."""
    request = ctx.ids.uuid("codedeploy-ecs-request")
    return DeploymentFailure(
        "ECS_UPDATE_ERROR",
        f"The ECS service cannot be updated due to an unexpected error: {error.message} "
        f"(Service: AmazonECS; Status Code: 400; Error Code: {error.code}; Request ID: "
        f"{request}; Proxy: null). Check your ECS service status.",
    )


def as_codedeploy(
    ctx: RequestContext, role: str | None, target: str, operation: str, /, **params: Any
) -> dict[str, Any]:
    """``operation`` of the service ``target`` called as CodeDeploy's principal with its service
    ``role``, in this transaction."""
    extras = {"role_arn": role} if role else {}
    return ctx.call(target, operation, caller=CODEDEPLOY, extras=extras, **params)


def call(ctx: RequestContext, role: str, target: str, operation: str, /, **params: Any) -> Any:
    """``operation`` of ``target`` as CodeDeploy calls it with its service ``role``; a refusal
    becomes the :class:`DeploymentFailure` CodeDeploy reports."""
    try:
        return as_codedeploy(ctx, role, target, operation, **params)
    except ServiceError as error:
        if target == "ecs":
            raise ecs_failure(ctx, error) from None
        raise DeploymentFailure(
            "ELASTIC_LOAD_BALANCING_INVALID",
            f"The ELB could not be updated due to the following error: {error.message}",
        ) from None


def describe_service(ctx: RequestContext, role: str, cluster: str, name: str) -> dict[str, Any]:
    """The ECS service as ``DescribeServices`` shows it (its ``taskSets`` included)."""
    found = call(ctx, role, "ecs", "DescribeServices", cluster=cluster, services=[name])
    live = [s for s in found.get("services", []) if s.get("status") == "ACTIVE"]
    if not live:
        raise DeploymentFailure(
            "INVALID_ECS_SERVICE", f"The ECS service {name} in the cluster {cluster} is not ACTIVE"
        )
    return live[0]


def task_set(service: dict[str, Any], arn: str | None) -> dict[str, Any] | None:
    """The task set ``arn`` of a described service, if it still exists and is not draining."""
    for found in service.get("taskSets", []):
        if found.get("taskSetArn") == arn and found.get("status") != "DRAINING":
            return found
    return None


def green_is_healthy(ctx: RequestContext, green: dict[str, Any], group_arn: str) -> bool:
    """Whether the replacement set is steady and each of its tasks is healthy in its group."""
    wanted = int(green.get("computedDesiredCount", 0))
    if green.get("stabilityStatus") != "STEADY_STATE" or green.get("pendingCount", 0):
        return False
    if int(green.get("runningCount", 0)) < wanted:
        return False
    group = ctx.records(TARGET_GROUP).get(group_arn)
    if group is None:
        return False
    healthy = [
        target
        for target in registrations(ctx, group_arn)
        if target_health(ctx, group, target, in_use=True)["State"] == "healthy"
    ]
    return len(healthy) >= wanted


# --- listeners ---------------------------------------------------------------------------------


class ListenerActions(TypedDict):
    """A listener's actions as :func:`snapshot` keeps them."""

    default: list[Action]  # its DefaultActions
    rules: dict[str, list[Action]]  # the Actions of each of its rules, by rule ARN


def snapshot(ctx: RequestContext, listeners: list[str]) -> dict[str, ListenerActions]:
    """The actions of ``listeners`` and of their rules, to put back on rollback."""
    saved: dict[str, ListenerActions] = {}
    for arn in listeners:
        listener = ctx.records(LISTENER).get(arn)
        if listener is None:
            continue
        saved[arn] = {
            "default": listener["DefaultActions"],
            "rules": {rule["RuleArn"]: rule["Actions"] for rule in rules_of(ctx, arn)},
        }
    return saved


def set_weights(ctx: RequestContext, role: str, listener: str, weights: dict[str, int]) -> None:
    """Point a listener's default action, and its rules that forward to the pair, at the pair
    with ``weights`` (``ModifyListener`` and ``ModifyRule`` as CodeDeploy calls them)."""
    record = ctx.records(LISTENER).get(listener)
    if record is None:
        raise DeploymentFailure(
            "ELASTIC_LOAD_BALANCING_INVALID", f"The listener {listener} no longer exists"
        )
    actions = _on_pair(record["DefaultActions"], weights)
    if actions is not None:
        call(ctx, role, "elbv2", "ModifyListener", listener_arn=listener, default_actions=actions)
    for rule in rules_of(ctx, listener):
        changed = _on_pair(rule["Actions"], weights)
        if changed is not None:
            call(ctx, role, "elbv2", "ModifyRule", rule_arn=rule["RuleArn"], actions=changed)


def _on_pair(actions: list[Action], weights: dict[str, int]) -> list[Action] | None:
    """``actions`` with the pair's ``weights``, or ``None`` when they do not forward to the pair
    or already have those weights."""
    if not forwards_to(actions, weights):
        return None
    changed = reweighted(actions, weights)
    return changed if changed != actions else None


def restore(ctx: RequestContext, role: str, saved: dict[str, ListenerActions]) -> None:
    """Put back the listener and rule actions of :func:`snapshot`."""
    for listener, actions in saved.items():
        if ctx.records(LISTENER).get(listener) is None:
            continue
        call(
            ctx, role, "elbv2", "ModifyListener", listener_arn=listener,
            default_actions=actions["default"],
        )  # fmt: skip
        live = {rule["RuleArn"] for rule in rules_of(ctx, listener)}
        for rule, rule_actions in actions["rules"].items():
            if rule in live:
                call(ctx, role, "elbv2", "ModifyRule", rule_arn=rule, actions=rule_actions)


def check_behind(ctx: RequestContext, listeners: list[str], group_arn: str) -> None:
    """CodeDeploy's pre-check: each listener forwards to the primary task set's group."""
    for listener in listeners:
        record = ctx.records(LISTENER).get(listener)
        weights = forward_weights(record["DefaultActions"]) if record else {}
        if weights.get(group_arn, 0) <= 0:
            raise DeploymentFailure(
                "ELASTIC_LOAD_BALANCING_INVALID",
                "The ELB could not be updated due to the following error: Primary taskset "
                f"target group must be behind listener {listener}",
            )


def attach_idle(
    ctx: RequestContext, role: str, listeners: list[str], blue: str, green: str
) -> None:
    """Add the replacement's group at weight 0 where the listeners forward to blue alone, so
    that its targets are health-checked before they get traffic ([I]: AWS leaves the idle group
    at weight 0 after every deployment; the first deployment adds it here)."""
    for listener in listeners:
        record = ctx.records(LISTENER).get(listener)
        weights = forward_weights(record["DefaultActions"]) if record else {}
        if green not in weights:
            set_weights(ctx, role, listener, {blue: weights.get(blue, 1), green: 0})

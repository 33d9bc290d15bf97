"""What a blue/green service deployment does to ELBv2, and how healthy a revision's tasks are.

ECS shifts traffic by rewriting the weighted forward action of the production and test listener
rules (the new actions are :mod:`bgkit.local.forwarding`'s; ``ModifyRule``, called as
``ecs.amazonaws.com`` with the service's ECS infrastructure role, whose policies must allow it on
the rule). The group not serving stays in the action at weight 0,
so its targets are health-checked before they get traffic. A refusal rolls the deployment back
with the words AWS uses (troubleshooting-blue-green, "Missing permission to modify listener
rules").
"""

from __future__ import annotations

import copy
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.forwarding import Action, reweighted
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.models import PRINCIPAL, TASK, is_stopping
from bgkit.local.services.elbv2.models import (
    LISTENER,
    RULE,
    TARGET,
    TARGET_GROUP,
    default_rule_arn,
    listener_of_rule,
    target_health,
    target_key,
)
from bgkit.local.services.iam.models import not_authorized_message, role_decision, role_name_of

MODIFY_RULE = "elasticloadbalancing:ModifyRule"
#: the session name ECS uses when it shifts traffic with the infrastructure role ([V])
SESSION = "ECSNetworkingWithELB"


class Rollback(Exception):
    """A step failed: the deployment rolls back, with ``reason`` as its ``statusReason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def rule_actions(ctx: RequestContext, arn: str) -> list[Action] | None:
    """The actions of a listener rule (a default rule's are its listener's), or ``None``."""
    listener = ctx.records(LISTENER).get(listener_of_rule(arn))
    if listener is None:
        return None
    if default_rule_arn(listener["ListenerArn"]) == arn:
        return listener["DefaultActions"]
    rule = ctx.records(RULE).get(arn)
    return rule["Actions"] if rule is not None else None


def snapshot(ctx: RequestContext, rules: list[str]) -> dict[str, list[Action]]:
    """The actions of ``rules``, to put back on rollback."""
    return {arn: copy.deepcopy(rule_actions(ctx, arn)) for arn in rules if rule_actions(ctx, arn)}


def _modify(ctx: RequestContext, role: str, stage: str, rule: str, actions: list[Action]) -> None:
    decision = role_decision(ctx, role, MODIFY_RULE, rule)
    if not decision:
        principal = ctx.arn("sts", f"assumed-role/{role_name_of(role)}/{SESSION}", global_=True)
        raise Rollback(  # [V]
            f"Service deployment rolled back because {stage} lifecycle hook(s) failed. "
            + not_authorized_message(principal, MODIFY_RULE, rule, decision)
        )
    try:
        ctx.call("elbv2", "ModifyRule", caller=PRINCIPAL, extras={"role_arn": role}, rule_arn=rule,
                 actions=actions)  # fmt: skip
    except ServiceError as error:
        raise Rollback(
            f"Service deployment rolled back because {stage} lifecycle hook(s) failed. "
            f"{error.message}"
        ) from None


def set_weights(
    ctx: RequestContext, role: str, stage: str, rule: str, weights: dict[str, int]
) -> None:
    """Point a listener rule's forward action at the pair with ``weights``."""
    actions = rule_actions(ctx, rule)
    if actions is None:
        raise Rollback(
            f"Service deployment rolled back because {stage} lifecycle hook(s) failed. The "
            f"listener rule {rule} does not exist."
        )
    changed = reweighted(actions, weights)
    if changed != actions:
        _modify(ctx, role, stage, rule, changed)


def restore(ctx: RequestContext, role: str, saved: dict[str, list[Action]]) -> None:
    """Put back the rule actions of :func:`snapshot` (rules since deleted are skipped)."""
    for rule, actions in saved.items():
        current = rule_actions(ctx, rule)
        if current is not None and current != actions:
            _modify(ctx, role, "ROLLBACK", rule, actions)


# --- the health of a revision's tasks ------------------------------------------------------------


def set_tasks(ctx: RequestContext, set_key: str) -> list[dict[str, Any]]:
    """The live tasks of a set (not stopped, not asked to stop)."""
    return [
        task
        for task in ctx.records(TASK).list()
        if task.get("_task_set_arn") == set_key
        and task["lastStatus"] != "STOPPED"
        and not is_stopping(task)
    ]


def healthy_count(ctx: RequestContext, set_key: str, group_arn: str | None) -> int:
    """How many of a set's tasks run and, behind a load balancer, are healthy in ``group_arn``."""
    group = ctx.records(TARGET_GROUP).get(group_arn) if group_arn else None
    count = 0
    for task in set_tasks(ctx, set_key):
        if task["lastStatus"] != "RUNNING":
            continue
        if group_arn is None:
            count += 1
            continue
        for held in task.get("_registered") or []:
            if held["TargetGroupArn"] != group_arn or group is None:
                continue
            target = ctx.records(TARGET).get(
                target_key(group_arn, task["_private_ip"], held["Port"])
            )
            if target is not None and target_health(ctx, group, target)["State"] == "healthy":
                count += 1
    return count

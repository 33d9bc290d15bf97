"""What ECS checks of a ``BLUE_GREEN``, ``LINEAR`` or ``CANARY`` service before and as it deploys.

Two moments, as AWS's troubleshooting guide for ECS blue/green deployments separates them:

- *synchronously*, in ``CreateService`` and ``UpdateService``: the deployment configuration
  (:func:`check_deployment_configuration`: strategy, bake time, linear and canary steps, lifecycle
  hooks) and the load balancers' ``advancedConfiguration`` (:func:`check_advanced`: alternate
  target group, listener rule ARNs, one rule not both production and test, a test rule when the
  production rule does not hold both groups);
- *asynchronously*, when a service deployment starts (:func:`network_problem`): the ECS
  infrastructure role (exists, trusts ``ecs.amazonaws.com``, may read the rules), both target
  groups on the production or test rule, exactly one group serving production traffic. A problem
  then is the ``statusReason`` of a deployment that rolls back.

Messages marked [V] are AWS's, word for word (troubleshooting-blue-green, pause-lifecycle-hooks,
migrate-codedeploy-to-ecs-bluegreen); the others are the local cloud's, worded like them.
"""

from __future__ import annotations

import copy
from typing import Any

from bgkit.local.forwarding import forward_weights
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.bluegreen.traffic import rule_actions
from bgkit.local.services.ecs.models import PRINCIPAL, TRAFFIC_STRATEGIES, invalid
from bgkit.local.services.elbv2.models import LISTENER, TARGET_GROUP, listener_of_rule
from bgkit.local.services.iam.models import find_role, role_decision, role_trusts

STRATEGIES = ("ROLLING", *TRAFFIC_STRATEGIES)
HOOK_STAGES = (
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
)
#: where a PAUSE hook may stop a deployment (troubleshooting-blue-green, "Invalid lifecycle stage")
PAUSE_STAGES = (
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
)
HOOK_TIMEOUT = {"timeoutInMinutes": 1440, "action": "ROLLBACK"}  # the model's defaults
MAX_BAKE = 1440
MAX_HOOK_MINUTES = 20160
DEFAULT_LINEAR = {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}
DEFAULT_CANARY = {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10}
NETWORK = "Service deployment rolled back because of invalid networking configuration"
MEMBERS = ("strategy", "bakeTimeInMinutes", "linearConfiguration", "canaryConfiguration",
           "lifecycleHooks")  # fmt: skip


def _minutes(value: Any, member: str, high: int = MAX_BAKE) -> None:
    if value is not None and not 0 <= int(value) <= high:
        raise invalid(f"{member} must be between 0 and {high} minutes.")


def _percent(value: Any, member: str, low: float) -> None:
    if value is None:
        return
    tenths = round(float(value) * 10)
    if not low <= float(value) <= 100.0 or abs(float(value) * 10 - tenths) > 1e-6:
        raise invalid(f"{member} must be a multiple of 0.1 from {low} to 100.0.")


def check_deployment_configuration(config: dict[str, Any] | None, controller: str) -> None:
    """``deploymentConfiguration`` as a ``CreateService``/``UpdateService`` gives it (after an
    update merges it into the service's).

    Raises:
        ServiceError: ``InvalidParameterException``.
    """
    config = config or {}
    if not any(config.get(member) is not None for member in MEMBERS):
        return
    strategy = config.get("strategy") or "ROLLING"
    if strategy not in STRATEGIES:
        raise invalid(
            f"Invalid deployment strategy {strategy}. Valid values are: {', '.join(STRATEGIES)}"
        )
    if strategy in TRAFFIC_STRATEGIES and controller != "ECS":
        raise invalid(
            f"The {strategy} deployment strategy is only supported for services that use the ECS "
            "deployment controller."
        )
    if strategy == "BLUE_GREEN" and config.get("bakeTimeInMinutes") is None:
        raise invalid("bakeTimeInMinutes must be provided for the BLUE_GREEN deployment strategy.")
    _minutes(config.get("bakeTimeInMinutes"), "bakeTimeInMinutes")
    for member, wanted in (("linearConfiguration", "LINEAR"), ("canaryConfiguration", "CANARY")):
        if config.get(member) and strategy != wanted:
            raise invalid(f"{member} is only valid when the deployment strategy is {wanted}.")
    linear = config.get("linearConfiguration") or {}
    _percent(linear.get("stepPercent"), "linearConfiguration.stepPercent", 3.0)
    _minutes(linear.get("stepBakeTimeInMinutes"), "linearConfiguration.stepBakeTimeInMinutes")
    canary = config.get("canaryConfiguration") or {}
    _percent(canary.get("canaryPercent"), "canaryConfiguration.canaryPercent", 0.1)
    _minutes(canary.get("canaryBakeTimeInMinutes"), "canaryConfiguration.canaryBakeTimeInMinutes")
    hooks = config.get("lifecycleHooks") or []
    if hooks and strategy not in TRAFFIC_STRATEGIES:
        raise invalid(
            "lifecycleHooks are only supported with the BLUE_GREEN, LINEAR and CANARY deployment "
            "strategies."
        )
    for hook in hooks:
        _check_hook(hook)


def _check_hook(hook: dict[str, Any]) -> None:
    kind = hook.get("targetType") or "AWS_LAMBDA"
    if kind not in ("AWS_LAMBDA", "PAUSE"):
        raise invalid("Invalid targetType. Valid values are: AWS_LAMBDA, PAUSE")  # [V]
    stages = hook.get("lifecycleStages") or []
    if not stages:
        raise invalid("lifecycleStages must be provided for a lifecycle hook.")
    for stage in stages:
        if stage not in HOOK_STAGES:
            raise invalid(
                f"Invalid lifecycle stage {stage}. Valid values are: {', '.join(HOOK_STAGES)}"
            )
    if kind == "AWS_LAMBDA":
        if not hook.get("hookTargetArn"):
            raise invalid("hookTargetArn must be provided for an AWS_LAMBDA lifecycle hook.")
        if not hook.get("roleArn"):
            raise invalid("roleArn must be provided for an AWS_LAMBDA lifecycle hook.")
    else:
        if any(stage not in PAUSE_STAGES for stage in stages):
            raise invalid("Invalid lifecycle stage provided for Pause Hook")  # [V]
        if hook.get("hookTargetArn"):
            raise invalid("hookTargetArn is not applicable for PAUSE lifecycle hooks.")
    timeout = hook.get("timeoutConfiguration") or {}
    minutes = timeout.get("timeoutInMinutes")
    if minutes is not None and not 1 <= int(minutes) <= MAX_HOOK_MINUTES:
        raise invalid(f"timeoutInMinutes must be between 1 and {MAX_HOOK_MINUTES} minutes.")
    if timeout.get("action") not in (None, "CONTINUE", "ROLLBACK"):
        raise invalid("Invalid timeout action. Valid values are: CONTINUE, ROLLBACK")


def hook_timeout(hook: dict[str, Any]) -> dict[str, Any]:
    """A hook's timeout with the model's defaults (1440 minutes, ``ROLLBACK``)."""
    return {**HOOK_TIMEOUT, **{k: v for k, v in (hook.get("timeoutConfiguration") or {}).items()
                                if v is not None}}  # fmt: skip


def traffic_schedule(config: dict[str, Any]) -> list[tuple[float, float]]:
    """``[(production weight of green in %, local seconds to bake after it)]`` of a strategy."""
    strategy = config.get("strategy")
    if strategy == "LINEAR":
        linear = {**DEFAULT_LINEAR, **(config.get("linearConfiguration") or {})}
        step, bake = float(linear["stepPercent"]), linear["stepBakeTimeInMinutes"] * 60.0
        weights, weight = [], 0.0
        while weight < 100.0 - 1e-9:
            weight = min(100.0, round(weight + step, 1))
            weights.append(weight)
        return [(w, bake if w < 100.0 else 0.0) for w in weights]
    if strategy == "CANARY":
        canary = {**DEFAULT_CANARY, **(config.get("canaryConfiguration") or {})}
        first = float(canary["canaryPercent"])
        if first >= 100.0:
            return [(100.0, 0.0)]
        return [(first, canary["canaryBakeTimeInMinutes"] * 60.0), (100.0, 0.0)]
    return [(100.0, 0.0)]


# --- load balancers ------------------------------------------------------------------------------


def _rule_exists(ctx: RequestContext, arn: str) -> bool:
    return rule_actions(ctx, arn) is not None


def rule_groups(ctx: RequestContext, arn: str | None) -> dict[str, int]:
    """``{target group: weight}`` a listener rule (default rules included) forwards to."""
    return forward_weights(rule_actions(ctx, arn) or []) if arn else {}


def _check_rule(ctx: RequestContext, arn: str | None, member: str) -> str | None:
    if arn is None:
        return None
    if ":listener-rule/app/" not in arn:
        raise invalid(  # [V]
            f"{member} has an invalid ARN format. Must be RuleArn for ALB or ListenerArn for NLB. "
            f"Got: {arn}"
        )
    if not _rule_exists(ctx, arn):
        raise invalid(f"{member} {arn} does not exist.")
    listener = ctx.records(LISTENER).get(listener_of_rule(arn)) or {}
    return listener.get("LoadBalancerArn")


def check_advanced(
    ctx: RequestContext,
    given: list[dict[str, Any]] | None,
    checked: list[dict[str, Any]],
    strategy: str,
) -> list[dict[str, Any]]:
    """The checked load balancers with their ``advancedConfiguration`` kept (non-``ROLLING``
    strategies), or as they were (``ROLLING``).

    Raises:
        ServiceError: ``InvalidParameterException``.
    """
    given = given or []
    advanced = [entry.get("advancedConfiguration") for entry in given]
    if strategy not in TRAFFIC_STRATEGIES:
        return checked
    if any(advanced) and not all(advanced):
        raise invalid(  # [V]
            "Either all or none of the provided loadBalancers must have advancedConfiguration "
            "defined"
        )
    if given and not all(advanced):
        raise invalid(  # [V]
            "advancedConfiguration field is required for all loadBalancers when using a "
            "non-ROLLING deployment strategy"
        )
    if len(given) > 1:
        raise invalid(
            "The bgkit local cloud runs blue/green deployments with one load balancer entry; "
            "give loadBalancers a single target group with its advancedConfiguration."
        )
    seen: list[str] = []
    result = []
    for entry, config in zip(checked, advanced, strict=True):
        config = copy.deepcopy(config or {})
        for member in ("alternateTargetGroupArn", "productionListenerRule", "roleArn"):
            if not config.get(member):
                raise invalid(f"advancedConfiguration.{member} must be provided.")
        for arn in (entry["targetGroupArn"], config["alternateTargetGroupArn"]):
            if arn in seen:
                raise invalid(f"Duplicate targetGroupArn found: {arn}")  # [V]
            seen.append(arn)
        alternate = ctx.records(TARGET_GROUP).get(config["alternateTargetGroupArn"])
        if alternate is None:
            raise invalid(
                f"The alternate target group {config['alternateTargetGroupArn']} does not exist."
            )
        primary = ctx.records(TARGET_GROUP).get(entry["targetGroupArn"]) or {}
        if alternate["TargetType"] != primary.get("TargetType"):
            raise invalid(
                f"The alternate target group {config['alternateTargetGroupArn']} has target type "
                f"{alternate['TargetType']}; it must have the target type of the target group "
                f"({primary.get('TargetType')})."
            )
        production, test = config["productionListenerRule"], config.get("testListenerRule")
        if production == test:
            raise invalid(  # [V]
                "The following rules cannot be used as both production and test listener rules: "
                f"{production}"
            )
        owners = {
            _check_rule(ctx, production, "productionListenerRule"),
            _check_rule(ctx, test, "testListenerRule") if test else None,
        } - {None}
        if len(owners) > 1:
            raise invalid(
                "productionListenerRule and testListenerRule must belong to listeners of the same "
                "load balancer."
            )
        pair = {entry["targetGroupArn"], config["alternateTargetGroupArn"]}
        if not test and not pair <= set(rule_groups(ctx, production)):
            raise invalid(  # [V]
                "For Application LoadBalancer, testListenerRule is required when "
                "productionListenerRule is not associated with both targetGroup and "
                "alternateTargetGroup"
            )
        result.append({**entry, "advancedConfiguration": config})
    return result


# --- when a deployment starts --------------------------------------------------------------------


def network_problem(ctx: RequestContext, balancer: dict[str, Any]) -> str | None:
    """Why a deployment cannot shift traffic for ``balancer``, as its ``statusReason`` says it
    (``None`` when it can). ``balancer`` is a service's load balancer with its
    ``advancedConfiguration``."""
    config = balancer["advancedConfiguration"]
    role = config["roleArn"]
    if (
        find_role(ctx, role) is None
        or not role_trusts(ctx, role, PRINCIPAL)
        or not role_decision(ctx, role, "elasticloadbalancing:DescribeRules", "*")
    ):
        return (  # [V]
            f"{NETWORK}. ECS was unable to manage the ELB resources due to missing permissions "
            f"on ECS Infrastructure Role '{role}'."
        )
    production, test = config["productionListenerRule"], config.get("testListenerRule")
    for arn in (production, test):
        if arn and not _rule_exists(ctx, arn):
            return f"{NETWORK}. The listener rule {arn} does not exist."
    primary, alternate = balancer["targetGroupArn"], config["alternateTargetGroupArn"]
    associated = set(rule_groups(ctx, production)) | set(rule_groups(ctx, test))
    missing = [arn for arn in (primary, alternate) if arn not in associated]
    if len(missing) == 1:
        return (  # [V]
            f"{NETWORK}: Target group {missing[0]} is not associated with either "
            "productionListenerRule or testListenerRule."
        )
    if missing:
        return (  # [V]
            f"{NETWORK}. Both targetGroup and alternateTargetGroup must be associated with the "
            "productionListenerRule or testListenerRule."
        )
    serving = [arn for arn, weight in rule_groups(ctx, production).items() if weight > 0]
    if len(serving) != 1:
        return (  # [V]
            f"{NETWORK}. productionListenerRule {production} should have exactly one target "
            f"group serving traffic but found {len(serving)} target groups which are serving "
            "traffic"
        )
    if serving[0] not in (primary, alternate):
        return (  # [V]
            f"{NETWORK}. Production listener rule is forwarding traffic to unexpected target "
            f"group {serving[0]}. Expected traffic to be forwarded to either targetGroupArn: "
            f"{primary} or alternateTargetGroupArn: {alternate}"
        )
    return None


def serving_group(ctx: RequestContext, balancer: dict[str, Any]) -> str:
    """The target group the production rule sends traffic to (checked by
    :func:`network_problem`)."""
    production = balancer["advancedConfiguration"]["productionListenerRule"]
    weights = rule_groups(ctx, production)
    return next((arn for arn, weight in weights.items() if weight > 0), balancer["targetGroupArn"])


__all__ = [
    "check_advanced",
    "check_deployment_configuration",
    "hook_timeout",
    "network_problem",
    "rule_groups",
    "serving_group",
    "traffic_schedule",
]

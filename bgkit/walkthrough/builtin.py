"""ECS's built-in blue/green deployments (notebook 09): the same walkthrough without CodeDeploy.

The service's ``deploymentController`` is ``ECS`` and its ``deploymentConfiguration.strategy``
``BLUE_GREEN``. Traffic moves on **listener rules**, not on the listeners' default actions: a
production rule on port 80 and a test rule on port 8080 (:func:`listener_rules`), named in the
service's ``loadBalancers[].advancedConfiguration`` with the second target group and an **ECS
infrastructure role** (:func:`infrastructure_role`, the AWS managed policy
``AmazonECSInfrastructureRolePolicyForLoadBalancers``). An ``UpdateService`` with a new task
definition starts a *service deployment*; a ``PAUSE`` lifecycle hook after the test traffic
shift stops it until ``ContinueServiceDeployment`` — the built-in way of the article's approval.

Every function is get-or-create, tags what it makes (:mod:`.tags`) and gives back what AWS
answered. The service has the walkthrough's name, so it cannot exist next to notebook 03's
``CODE_DEPLOY`` service: clean that one up first (notebooks 07 and 08 do).
"""

from __future__ import annotations

from typing import Any

from bgkit.apps.templates import CONTAINER_NAME, CONTAINER_PORT
from bgkit.costs import require_cost_confirmation
from bgkit.errors import BgkitError
from bgkit.walkthrough import tags
from bgkit.walkthrough.deploy import DeploymentFailed
from bgkit.walkthrough.naming import names
from bgkit.walkthrough.prerequisites import Prerequisites, service_role
from bgkit.walkthrough.progress import Step, poll
from bgkit.walkthrough.service import (
    DESIRED_COUNT,
    describe_service,
    healthy_targets,
    require_service,
)

__all__ = [
    "BAKE_TIME_MINUTES",
    "INFRASTRUCTURE_POLICY",
    "PAUSE_STAGE",
    "PAUSE_TIMEOUT_MINUTES",
    "ControllerMismatch",
    "awaiting_hook",
    "builtin_service",
    "deploy_builtin",
    "infrastructure_role",
    "listener_rules",
    "service_deployment",
    "wait_builtin_service",
    "wait_service_deployment",
]

INFRASTRUCTURE_POLICY = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
#: the stage after which the deployment waits for you: green serves the test rule (8080)
PAUSE_STAGE = "POST_TEST_TRAFFIC_SHIFT"
#: how long the pause waits before it rolls back (the ready wait of notebook 04)
PAUSE_TIMEOUT_MINUTES = 30
#: how long blue keeps running after the production shift (the termination wait of notebook 04)
BAKE_TIME_MINUTES = 5
#: statuses of a service deployment that is over
FINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
RULE_PRIORITY = 1


class ControllerMismatch(BgkitError, RuntimeError):
    """The walkthrough's service exists with another deployment controller."""


def infrastructure_role(kit: Any) -> dict[str, Any]:
    """``<prefix>-ecs-infrastructure``: trusted by ECS, with the AWS managed policy that lets it
    change listener rules and target groups for the service's deployments."""
    return service_role(
        kit,
        f"{names(kit).prefix}-ecs-infrastructure",
        trust="ecs-infrastructure-trust-policy.json",
        description="bgkit: lets ECS move traffic for built-in blue/green deployments",
        managed_policy=INFRASTRUCTURE_POLICY,
    )


def _rule(kit: Any, listener_arn: str, forward: list[tuple[str, int]]) -> str:
    elbv2 = kit.client("elbv2")
    for rule in elbv2.describe_rules(ListenerArn=listener_arn)["Rules"]:
        if rule["Priority"] == str(RULE_PRIORITY):
            return rule["RuleArn"]
    groups = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in forward]
    return elbv2.create_rule(
        ListenerArn=listener_arn,
        Priority=RULE_PRIORITY,
        Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
        Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}],
        Tags=tags.key_value(kit),
    )["Rules"][0]["RuleArn"]


def listener_rules(kit: Any, pre: Prerequisites) -> dict[int, str]:
    """The production rule (port 80) and the test rule (port 8080): every path, forwarding to
    ``<prefix>-tg-1``; the test rule also names ``<prefix>-tg-2`` at weight 0, as AWS asks
    (both target groups must be on the production or the test rule).

    Returns:
        ``{80: production rule ARN, 8080: test rule ARN}``.
    """
    blue, green = pre.target_group_arns
    return {
        80: _rule(kit, pre.listener_arns[80], [(blue, 1)]),
        8080: _rule(kit, pre.listener_arns[8080], [(blue, 1), (green, 0)]),
    }


def builtin_service(
    kit: Any, pre: Prerequisites, *, role_arn: str, rules: dict[int, str]
) -> dict[str, Any]:
    """``<prefix>-service`` with the ``ECS`` deployment controller and the ``BLUE_GREEN``
    strategy: a bake time, a ``PAUSE`` hook after the test traffic shift, and the rules and
    second target group in ``advancedConfiguration``; an existing one is returned as it is.

    Raises:
        ControllerMismatch: the walkthrough's ``CODE_DEPLOY`` service still exists.
    """
    existing = describe_service(kit)
    if existing is not None:
        controller = existing.get("deploymentController", {}).get("type", "ECS")
        if controller != "ECS":
            raise ControllerMismatch(
                f"the service {names(kit).service} exists with the {controller} deployment "
                "controller; delete it first (notebook 07, or wt.clean_up(kit))"
            )
        return existing
    require_cost_confirmation(kit, "the service's Fargate tasks")
    blue, green = pre.target_group_arns
    hook = {
        "targetType": "PAUSE",
        "lifecycleStages": [PAUSE_STAGE],
        "timeoutConfiguration": {"timeoutInMinutes": PAUSE_TIMEOUT_MINUTES, "action": "ROLLBACK"},
    }
    return kit.client("ecs").create_service(
        cluster=names(kit).cluster,
        serviceName=names(kit).service,
        taskDefinition=pre.task_definition_arn,
        desiredCount=DESIRED_COUNT,
        launchType="FARGATE",
        deploymentController={"type": "ECS"},
        deploymentConfiguration={
            "strategy": "BLUE_GREEN",
            "bakeTimeInMinutes": BAKE_TIME_MINUTES,
            "lifecycleHooks": [hook],
        },
        loadBalancers=[
            {
                "targetGroupArn": blue,
                "containerName": CONTAINER_NAME,
                "containerPort": CONTAINER_PORT,
                "advancedConfiguration": {
                    "alternateTargetGroupArn": green,
                    "productionListenerRule": rules[80],
                    "testListenerRule": rules[8080],
                    "roleArn": role_arn,
                },
            }
        ],
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": pre.subnet_ids,
                "securityGroups": [pre.security_group_id],
                "assignPublicIp": "ENABLED",
            }
        },
        healthCheckGracePeriodSeconds=30,
        tags=tags.lower_key_value(kit),
        propagateTags="SERVICE",
    )["service"]


def wait_builtin_service(kit: Any, timeout: float = 600.0) -> dict[str, Any]:
    """Wait until the service has one deployment, rolled out, its tasks running and healthy
    in a target group (ECS's ``services_stable`` waiter works here too, without the health).

    Returns:
        The described service.
    """
    elbv2 = kit.client("elbv2")
    groups = [g["TargetGroupArn"] for g in elbv2.describe_target_groups(
        Names=list(names(kit).target_groups))["TargetGroups"]]  # fmt: skip
    seen: dict[str, Any] = {}

    def check() -> Step:
        described = seen["service"] = require_service(kit)
        desired, running = described["desiredCount"], described["runningCount"]
        healthy = healthy_targets(elbv2, groups)
        deployments = described.get("deployments", [])
        rolled_out = len(deployments) == 1 and deployments[0].get("rolloutState") == "COMPLETED"
        text = f"{running} of {desired} tasks running, {healthy} of {desired} targets healthy"
        done = rolled_out and running == desired and healthy == desired
        return Step(done, text, min(running, desired) + min(healthy, desired), 2 * desired)

    poll(check, what=f"service {names(kit).service}", timeout=timeout)
    return seen["service"]


def deploy_builtin(kit: Any, task_definition_arn: str) -> str:
    """``UpdateService`` to ``task_definition_arn`` unless the service runs it already.

    Returns:
        The ARN of the service deployment (the service's ``currentServiceDeployment``).
    """
    service = require_service(kit)
    if service["taskDefinition"] == task_definition_arn:
        return service["currentServiceDeployment"]
    return kit.client("ecs").update_service(
        cluster=names(kit).cluster, service=names(kit).service, taskDefinition=task_definition_arn
    )["service"]["currentServiceDeployment"]


def service_deployment(kit: Any, arn: str) -> dict[str, Any]:
    """``DescribeServiceDeployments`` of one service deployment."""
    found = kit.client("ecs").describe_service_deployments(serviceDeploymentArns=[arn])
    return found["serviceDeployments"][0]


def awaiting_hook(deployment: dict[str, Any]) -> dict[str, Any] | None:
    """The ``PAUSE`` hook of a described service deployment that waits for you, if any."""
    details = deployment.get("lifecycleHookDetails", [])
    return next((d for d in details if d.get("status") == "AWAITING_ACTION"), None)


def wait_service_deployment(
    kit: Any, arn: str, until: str = "AWAITING_ACTION", timeout: float = 600.0
) -> str:
    """Wait until a service deployment pauses at a hook (``AWAITING_ACTION``) or reaches the
    status ``until`` (``SUCCESSFUL``, ``ROLLBACK_SUCCESSFUL``…).

    Raises:
        DeploymentFailed: it ended with another status.

    Returns:
        ``until``.
    """

    def check() -> Step:
        found = service_deployment(kit, arn)
        status, stage = found["status"], found.get("lifecycleStage", "")
        if until == "AWAITING_ACTION" and awaiting_hook(found) is not None:
            return Step(True, f"paused at {stage}", 1, 1)
        if status == until:
            return Step(True, status, 1, 1)
        if status in FINAL:
            reason = found.get("statusReason", "")
            raise DeploymentFailed(
                f"service deployment is {status}" + (f": {reason}" * bool(reason))
            )
        return Step(False, f"{status}, {stage}", 0, 1)

    poll(check, what="service deployment", timeout=timeout)
    return until

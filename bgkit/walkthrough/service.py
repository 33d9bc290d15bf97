"""The ECS service with the blue/green deployment controller (notebook 03).

The service runs the Nginx revision behind ``<prefix>-tg-1``; its ``deploymentController`` is
``CODE_DEPLOY``, so ECS makes one PRIMARY task set at once and leaves every later change of
revision to CodeDeploy. ECS's ``services_stable`` waiter never succeeds on such a service (it
watches ``deployments``, which stays empty), so :func:`wait_service_healthy` polls the task set
and the target group instead.
"""

from __future__ import annotations

from typing import Any

from bgkit.apps.templates import CONTAINER_NAME, CONTAINER_PORT
from bgkit.costs import require_cost_confirmation
from bgkit.walkthrough import existing, tags
from bgkit.walkthrough.naming import names
from bgkit.walkthrough.progress import Step, poll

__all__ = [
    "DESIRED_COUNT",
    "describe_service",
    "healthy_targets",
    "primary_task_set",
    "require_service",
    "service",
    "wait_service_healthy",
]

DESIRED_COUNT = 2


def describe_service(kit: Any) -> dict[str, Any] | None:
    """The service as ``DescribeServices`` shows it, or ``None`` when it is not active."""
    return existing.service(kit)


def require_service(kit: Any) -> dict[str, Any]:
    """The described service; :class:`LookupError` saying to create it when it is not active."""
    described = describe_service(kit)
    if described is None:
        raise LookupError(f"the service {names(kit).service} does not exist; create it first")
    return described


def healthy_targets(elbv2: Any, group_arns: list[str]) -> int:
    """How many targets of ``group_arns`` are ``healthy`` (``DescribeTargetHealth``)."""
    return sum(
        1
        for arn in group_arns
        for t in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        if t["TargetHealth"]["State"] == "healthy"
    )


def service(
    kit: Any,
    *,
    task_definition_arn: str,
    target_group_arn: str,
    subnet_ids: list[str],
    security_group_id: str,
    desired_count: int = DESIRED_COUNT,
) -> dict[str, Any]:
    """``<prefix>-service`` on ``<prefix>-cluster``: Fargate, ``CODE_DEPLOY`` controller,
    behind ``target_group_arn``; an existing active service is returned as it is."""
    existing = describe_service(kit)
    if existing is not None:
        return existing
    require_cost_confirmation(kit, "the service's Fargate tasks")
    return kit.client("ecs").create_service(
        cluster=names(kit).cluster,
        serviceName=names(kit).service,
        taskDefinition=task_definition_arn,
        desiredCount=desired_count,
        launchType="FARGATE",
        deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[
            {
                "targetGroupArn": target_group_arn,
                "containerName": CONTAINER_NAME,
                "containerPort": CONTAINER_PORT,
            }
        ],
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": subnet_ids,
                "securityGroups": [security_group_id],
                "assignPublicIp": "ENABLED",
            }
        },
        healthCheckGracePeriodSeconds=30,
        tags=tags.lower_key_value(kit),
        propagateTags="SERVICE",
    )["service"]


def primary_task_set(described: dict[str, Any]) -> dict[str, Any] | None:
    """The PRIMARY task set of a described service."""
    return next((s for s in described.get("taskSets", []) if s["status"] == "PRIMARY"), None)


def wait_service_healthy(kit: Any, timeout: float = 600.0) -> dict[str, Any]:
    """Wait until the PRIMARY task set runs its tasks, its target group reports them healthy,
    and no other task set is left (after a deployment, the old one drains first).

    Returns:
        The described service.
    """
    elbv2 = kit.client("elbv2")
    seen: dict[str, Any] = {}

    def check() -> Step:
        described = seen["service"] = require_service(kit)
        primary = primary_task_set(described)
        desired = described["desiredCount"]
        if primary is None:
            return Step(False, "no task set yet", 0, 2 * desired)
        running = primary["runningCount"]
        healthy = healthy_targets(elbv2, [primary["loadBalancers"][0]["targetGroupArn"]])
        text = f"{running} of {desired} tasks running, {healthy} of {desired} targets healthy"
        others = len(described.get("taskSets", [])) - 1
        if others:
            text += f", {others} other task set{'s' if others > 1 else ''} still there"
        done = running >= desired and healthy >= desired and not others
        return Step(done, text, min(running, desired) + min(healthy, desired), 2 * desired)

    poll(check, what=f"service {names(kit).service}", timeout=timeout)
    return seen["service"]

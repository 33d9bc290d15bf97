"""What ECS checks before it runs a task definition somewhere: network, load balancers, roles.

Services, task sets and standalone tasks share these checks: the ``awsvpc`` network configuration
(subnets and security groups of EC2's records), the load balancers (target groups of ELBv2's
records, container name and port of the task definition), and the task's IAM roles — that they
exist and trust ``ecs-tasks.amazonaws.com`` (:func:`role_problem`, which the scheduler reports as
AWS does, in a service event) and, when the local CodeDeploy creates a task set, that its service
role may ``iam:PassRole`` them (:func:`check_pass_role`). A desired count stays within ECS's
quota of tasks per service (:func:`check_desired_count`).
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.models import CODEDEPLOY, ECS_TASKS, invalid
from bgkit.local.services.elbv2.models import TARGET_GROUP, balancers_of_group
from bgkit.local.services.iam.models import (
    find_role,
    not_authorized_message,
    role_decision,
    role_name_of,
    role_trusts,
)

#: Amazon ECS service quotas: "Tasks per service" (the desired count), 5,000 by default
MAX_TASKS_PER_SERVICE = 5000
#: the launch types whose tasks the local cloud runs (as local processes)
LAUNCH_TYPES = ("EC2", "FARGATE")
#: what a Fargate service, task set or task shows of its platform
FARGATE_PLATFORM = {"platformVersion": "1.4.0", "platformFamily": "Linux"}


def check_launch_type(
    launch_type: str | None, capacity_provider_strategy: list[Any] | None, what: str
) -> str | None:
    """The launch type a new service, task set or task asks for (``None``: none), refused when
    the local cloud cannot run it or when a capacity provider strategy is given too.

    Without either, the cluster's default capacity provider strategy applies, else ``EC2``
    ("If a launch type is not specified, EC2 is used by default": the Amazon ECS Developer
    Guide, *Service definition parameters*; :func:`.capacity.placement`).
    """
    if launch_type and capacity_provider_strategy:
        # ECS's refusal (the CreateService and RunTask references: "If a capacityProviderStrategy
        # is specified, the launchType parameter must be omitted")
        raise invalid(
            "Specifying both a launch type and capacity provider strategy is not supported. "
            "Remove one and try again."
        )
    if launch_type is not None and launch_type not in LAUNCH_TYPES:
        raise invalid(
            f"The bgkit local cloud runs {what} with launchType FARGATE or EC2 only, or a "
            "capacity provider strategy of FARGATE and FARGATE_SPOT: use launchType FARGATE."
        )
    return launch_type


def platform_of(launch_type: str, version: str | None = None) -> dict[str, str]:
    """``platformVersion`` (``version``, else the one Fargate runs) and ``platformFamily``,
    which only Fargate's services, task sets and tasks show."""
    if launch_type != "FARGATE":
        return {}
    return {**FARGATE_PLATFORM, **({"platformVersion": version} if version else {})}


def check_desired_count(desired_count: int | None) -> None:
    """Refuse a desired count below 0 or over the tasks-per-service quota."""
    if desired_count is None:
        return
    if desired_count < 0:
        raise invalid("Desired count must be greater than or equal to 0.")
    if desired_count > MAX_TASKS_PER_SERVICE:
        raise invalid(
            f"desiredCount {desired_count} is over the quota of {MAX_TASKS_PER_SERVICE:,} tasks "
            "per service; ask for fewer tasks."
        )


def check_network(
    ctx: RequestContext, task_definition: dict[str, Any], network: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The network configuration to record, checked against EC2's subnets and groups."""
    if task_definition["networkMode"] != "awsvpc":
        if network:
            raise invalid(
                "Network Configuration is not valid for the given networkMode of this task "
                "definition."
            )
        return None
    vpc = (network or {}).get("awsvpcConfiguration")
    if not vpc:
        raise invalid(
            "Network Configuration must be provided when networkMode 'awsvpc' is specified."
        )
    subnets = vpc.get("subnets") or []
    if not subnets:
        raise invalid("subnets can not be empty.")
    vpc_ids = set()
    for subnet_id in subnets:
        subnet = ctx.records("subnet").get(subnet_id)
        if subnet is None:
            raise invalid(
                f"Error retrieving subnet information for [{subnet_id}]: The subnet ID "
                f"'{subnet_id}' does not exist"
            )
        vpc_ids.add(subnet["VpcId"])
    for group_id in vpc.get("securityGroups") or []:
        if ctx.records("security-group").get(group_id) is None:
            raise invalid(
                f"Error retrieving security group information for [{group_id}]: The security "
                f"group '{group_id}' does not exist"
            )
    if len(vpc_ids) > 1:
        raise invalid("The subnets must all belong to the same VPC.")
    public_ip = vpc.get("assignPublicIp", "DISABLED")
    if public_ip not in ("ENABLED", "DISABLED"):
        raise invalid(f"assignPublicIp must be ENABLED or DISABLED, not {public_ip}.")
    return {"awsvpcConfiguration": {**vpc, "assignPublicIp": public_ip}}


def check_load_balancers(
    ctx: RequestContext,
    task_definition: dict[str, Any],
    load_balancers: list[dict[str, Any]] | None,
) -> list[dict[str, Any]]:
    """The load balancers to record: target groups in use by a load balancer, and a container
    and port the task definition has."""
    checked = []
    for entry in load_balancers or []:
        group_arn = entry.get("targetGroupArn")
        if not group_arn:
            raise invalid(
                "The bgkit local cloud only has Application Load Balancers: give a targetGroupArn."
            )
        group = ctx.records(TARGET_GROUP).get(group_arn)
        if group is None:
            raise invalid(
                "Unable to assume role and validate the specified targetGroupArn. Please verify "
                "that the ECS service role being passed has the proper permissions."
            )
        if not balancers_of_group(ctx, group_arn):
            raise invalid(
                f"The target group with targetGroupArn {group_arn} does not have an associated "
                "load balancer."
            )
        if task_definition["networkMode"] == "awsvpc" and group["TargetType"] != "ip":
            raise invalid(
                f"The provided target group {group_arn} has target type "
                f"{group['TargetType']}, which is incompatible with the awsvpc network mode "
                "specified in the task definition."
            )
        name, port = entry.get("containerName"), entry.get("containerPort")
        if not name:
            raise invalid("Container Name can not be blank.")
        container = next(
            (c for c in task_definition["containerDefinitions"] if c["name"] == name), None
        )
        if container is None:
            raise invalid(f"The container {name} does not exist in the task definition.")
        ports = [m.get("containerPort") for m in container.get("portMappings", [])]
        if port not in ports:
            raise invalid(f"The container {name} did not have a container port {port} defined.")
        checked.append({"targetGroupArn": group_arn, "containerName": name, "containerPort": port})
    return checked


def task_roles(task_definition: dict[str, Any]) -> list[str]:
    """The roles a task definition passes to ECS tasks (execution role first)."""
    return [
        task_definition[key]
        for key in ("executionRoleArn", "taskRoleArn")
        if task_definition.get(key)
    ]


def role_problem(ctx: RequestContext, task_definition: dict[str, Any]) -> str | None:
    """Why ECS could not assume a role of the task definition, as a service event says it."""
    for role in task_roles(task_definition):
        if find_role(ctx, role) is None or not role_trusts(ctx, role, ECS_TASKS):
            return (
                f"ECS was unable to assume the role '{role}' that was provided for this task. "
                "Please verify that the role being passed has the proper trust relationship "
                "and permissions and that your IAM user has permissions to pass this role."
            )
    return None


def check_pass_role(ctx: RequestContext, task_definition: dict[str, Any]) -> None:
    """When the local CodeDeploy calls: may its service role pass the task definition's roles?

    A user's own calls are not checked (the learner is the account's root user).

    Raises:
        ServiceError: ``AccessDeniedException`` naming the role that may not be passed.
    """
    if ctx.caller != CODEDEPLOY:
        return
    service_role = ctx.extras.get("role_arn")
    if not service_role:
        return
    principal = ctx.arn(
        "sts", f"assumed-role/{role_name_of(service_role)}/CodeDeploy", global_=True
    )
    for role in task_roles(task_definition):
        decision = role_decision(
            ctx, service_role, "iam:PassRole", role, {"iam:PassedToService": ECS_TASKS}
        )
        if not decision:
            raise ServiceError(
                "AccessDeniedException",
                not_authorized_message(principal, "iam:PassRole", role, decision),
            )

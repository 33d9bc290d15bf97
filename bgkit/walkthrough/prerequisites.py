"""What the original walkthrough prepared before its first step (notebook 01).

The network: the region's default VPC, or a small VPC of the kit's own where there is none
(:mod:`.network`). A security group open on 80 and 8080, an Application Load Balancer with a
production listener on 80 and a test listener on 8080 (both forwarding to ``<prefix>-tg-1`` at
first: CodeDeploy insists that the listeners point at the running task set's target group), two
target groups whose names end in ``-1`` and ``-2``, an ECS cluster, the task execution role, the
log group and the task definitions. Each function is get-or-create with plain boto3: run it
twice, get the same thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bgkit.apps.templates import task_definition as template
from bgkit.costs import require_cost_confirmation
from bgkit.data import DATA
from bgkit.walkthrough import existing, tags
from bgkit.walkthrough.naming import names
from bgkit.walkthrough.network import default_vpc_id, own_network
from bgkit.walkthrough.progress import Step, poll

__all__ = [
    "LISTENER_PORTS",
    "Prerequisites",
    "cluster",
    "default_network",
    "listeners",
    "load_balancer",
    "log_group",
    "prepare",
    "security_group",
    "service_role",
    "target_groups",
    "task_definition",
    "task_execution_role",
    "wait_load_balancer_active",
]

#: production and test listener ports
LISTENER_PORTS = (80, 8080)
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
REVISION_TAG = "bgkit:revision"


def document(name: str) -> str:
    """A policy document of ``data/iam/`` as JSON text."""
    return (DATA / "iam" / name).read_text(encoding="utf-8")


# -- network --------------------------------------------------------------------------------


def default_network(kit: Any) -> tuple[str, list[str]]:
    """The walkthrough's VPC and its subnets (one a zone, in zone order): the region's default
    VPC, or — in a region without one, as in many AWS accounts — a small VPC of the kit's own,
    get-or-create (:func:`bgkit.walkthrough.network.own_network`)."""
    ec2 = kit.client("ec2")
    vpc_id = default_vpc_id(kit)
    if vpc_id is None:
        return own_network(kit)
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    subnets.sort(key=lambda s: s["AvailabilityZone"])
    return vpc_id, [s["SubnetId"] for s in subnets]


def security_group(kit: Any, vpc_id: str) -> str:
    """``<prefix>-sg``: HTTP in on 80 and 8080 from anywhere; the ALB and the tasks share it."""
    ec2 = kit.client("ec2")
    name = names(kit).security_group
    found = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    )["SecurityGroups"]
    if found:
        group = found[0]
    else:
        group_id = ec2.create_security_group(
            GroupName=name,
            Description="bgkit: HTTP on the production (80) and test (8080) listeners",
            VpcId=vpc_id,
            TagSpecifications=tags.tag_specifications(kit, "security-group"),
        )["GroupId"]
        group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    open_ports = {p.get("FromPort") for p in group.get("IpPermissions", [])}
    missing = [port for port in LISTENER_PORTS if port not in open_ports]
    if missing:
        ec2.authorize_security_group_ingress(
            GroupId=group["GroupId"],
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                 "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTP"}]}
                for port in missing
            ],
        )  # fmt: skip
    return group["GroupId"]


# -- load balancer ----------------------------------------------------------------------------


def load_balancer(kit: Any, subnet_ids: list[str], security_group_id: str) -> dict[str, Any]:
    """``<prefix>-alb``: an internet-facing Application Load Balancer in the given subnets."""
    found = existing.load_balancer(kit)
    if found is not None:
        return found
    require_cost_confirmation(kit, "the load balancer")
    return kit.client("elbv2").create_load_balancer(
        Name=names(kit).load_balancer,
        Subnets=subnet_ids,
        SecurityGroups=[security_group_id],
        Scheme="internet-facing",
        Type="application",
        Tags=tags.key_value(kit),
    )["LoadBalancers"][0]


def wait_load_balancer_active(kit: Any, load_balancer_arn: str) -> None:
    """Wait until the load balancer's state is ``active`` (a few minutes on AWS)."""
    elbv2 = kit.client("elbv2")

    def check() -> Step:
        lb = elbv2.describe_load_balancers(LoadBalancerArns=[load_balancer_arn])["LoadBalancers"]
        state = lb[0]["State"]["Code"]
        return Step(state == "active", state, int(state == "active"))

    poll(check, what=f"load balancer {names(kit).load_balancer}", delay=1.0)


def target_groups(kit: Any, vpc_id: str) -> list[dict[str, Any]]:
    """``<prefix>-tg-1`` and ``<prefix>-tg-2``: HTTP on 80, ``ip`` targets (Fargate tasks).

    Health checks every 10 s (two in a row decide) and a 30 s deregistration delay, so that the
    walkthrough does not wait five minutes for draining on AWS.
    """
    elbv2 = kit.client("elbv2")
    made = []
    for name in names(kit).target_groups:
        group = existing.target_group(kit, name)
        if group is None:
            group = elbv2.create_target_group(
                Name=name, Protocol="HTTP", Port=80, VpcId=vpc_id, TargetType="ip",
                HealthCheckPath="/", HealthCheckIntervalSeconds=10, HealthCheckTimeoutSeconds=5,
                HealthyThresholdCount=2, UnhealthyThresholdCount=2, Tags=tags.key_value(kit),
            )["TargetGroups"][0]  # fmt: skip
            elbv2.modify_target_group_attributes(
                TargetGroupArn=group["TargetGroupArn"],
                Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}],
            )
        made.append(group)
    return made


def listeners(kit: Any, load_balancer_arn: str, target_group_arn: str) -> dict[int, dict[str, Any]]:
    """The production listener (80) and the test listener (8080), both forwarding to
    ``target_group_arn`` when they are created; existing listeners are left as they are
    (CodeDeploy changes their weights during deployments)."""
    elbv2 = kit.client("elbv2")
    found = {}
    for port in LISTENER_PORTS:
        found[port] = existing.listener(kit, load_balancer_arn, port)
        if found[port] is None:
            found[port] = elbv2.create_listener(
                LoadBalancerArn=load_balancer_arn,
                Protocol="HTTP",
                Port=port,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
                Tags=tags.key_value(kit),
            )["Listeners"][0]
    return {port: found[port] for port in LISTENER_PORTS}


# -- ECS --------------------------------------------------------------------------------------


def cluster(kit: Any) -> dict[str, Any]:
    """``<prefix>-cluster`` (for Fargate tasks: no instances to manage)."""
    found = existing.cluster(kit)
    if found is not None:
        return found
    return kit.client("ecs").create_cluster(
        clusterName=names(kit).cluster, tags=tags.lower_key_value(kit)
    )["cluster"]


def boundary(kit: Any) -> dict[str, str]:
    """``PermissionsBoundary`` for ``CreateRole`` when the settings name one (a workshop
    participant's, ``BGKIT_PERMISSIONS_BOUNDARY``), else nothing."""
    arn = getattr(kit.settings, "permissions_boundary", None)
    return {"PermissionsBoundary": arn} if arn else {}


def service_role(
    kit: Any, name: str, *, trust: str, description: str, managed_policy: str
) -> dict[str, Any]:
    """A role an AWS service assumes: got, or created with the trust policy ``data/iam/<trust>``
    and the kit's tags; ``managed_policy`` attached (``AttachRolePolicy`` is idempotent)."""
    iam = kit.client("iam")
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=document(trust),
            Description=description,
            Tags=tags.key_value(kit),
            **boundary(kit),
        )["Role"]
    iam.attach_role_policy(RoleName=name, PolicyArn=managed_policy)
    return role


def task_execution_role(kit: Any) -> dict[str, Any]:
    """``<prefix>-task-execution``: the role ECS uses to pull the image and write the logs."""
    return service_role(
        kit,
        names(kit).task_execution_role,
        trust="ecs-tasks-trust-policy.json",
        description="bgkit: lets ECS pull the image and write the logs of the tasks",
        managed_policy=EXECUTION_POLICY,
    )


def log_group(kit: Any) -> str:
    """``/ecs/<prefix>-web``, the CloudWatch Logs group the task definitions write to (the
    ``awslogs`` driver does not create it), kept seven days."""
    logs = kit.client("logs")
    name = names(kit).log_group
    found = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    if not any(group["logGroupName"] == name for group in found):
        logs.create_log_group(logGroupName=name, tags=tags.tag_map(kit))
        logs.put_retention_policy(logGroupName=name, retentionInDays=7)
    return name


BUG = ("if n % 15 == 0:", "if n % 25 == 0:")
"""The deliberate bug of the broken revision: 15 is no longer FizzBuzz (it says Fizz)."""


def task_definition(
    kit: Any,
    app: str,
    execution_role_arn: str,
    *,
    revision: str | None = None,
    with_bug: bool = False,
    fail_percent: int = 0,
) -> dict[str, Any]:
    """A revision of the ``<prefix>-web`` family running ``app`` (``nginx`` or ``fizzbuzz``).

    Revisions are found again by their ``bgkit:revision`` tag, so registering twice gives the
    same ``<family>:<n>``.

    Args:
        app: the template of ``data/task-definitions/``.
        execution_role_arn: the task execution role.
        revision: the revision's name (FizzBuzz shows it); default ``app``.
        with_bug: put a bug in FizzBuzz (15 says Fizz) — for the rollback notebook.
        fail_percent: FizzBuzz answers that share of its requests with 500 — for notebook 11.
    """
    ecs = kit.client("ecs")
    family = names(kit).family
    revision = revision or app
    for arn in ecs.list_task_definitions(familyPrefix=family, status="ACTIVE", sort="DESC")[
        "taskDefinitionArns"
    ]:
        described = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        if {"key": REVISION_TAG, "value": revision} in described.get("tags", []):
            return described["taskDefinition"]
    definition = template(
        app,
        family=family,
        execution_role_arn=execution_role_arn,
        log_group=names(kit).log_group,
        region=kit.settings.region,
        revision=revision,
        fail_percent=fail_percent,
    )
    if with_bug:
        text = json.dumps(definition)
        definition = json.loads(text.replace(*BUG))
    return ecs.register_task_definition(
        **definition, tags=tags.lower_key_value(kit, **{REVISION_TAG: revision})
    )["taskDefinition"]


# -- all of it --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prerequisites:
    """What notebook 01 makes, as later notebooks need it."""

    vpc_id: str
    subnet_ids: list[str]
    security_group_id: str
    load_balancer_arn: str
    target_group_arns: list[str]
    listener_arns: dict[int, str]
    cluster_arn: str
    execution_role_arn: str
    task_definition_arn: str


def prepare(kit: Any) -> Prerequisites:
    """Everything of notebook 01, get-or-create (later notebooks start with it)."""
    vpc_id, subnet_ids = default_network(kit)
    group_id = security_group(kit, vpc_id)
    lb = load_balancer(kit, subnet_ids, group_id)
    groups = target_groups(kit, vpc_id)
    found = listeners(kit, lb["LoadBalancerArn"], groups[0]["TargetGroupArn"])
    role = task_execution_role(kit)
    log_group(kit)
    made = cluster(kit)
    nginx = task_definition(kit, "nginx", role["Arn"])
    return Prerequisites(
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        security_group_id=group_id,
        load_balancer_arn=lb["LoadBalancerArn"],
        target_group_arns=[g["TargetGroupArn"] for g in groups],
        listener_arns={port: listener["ListenerArn"] for port, listener in found.items()},
        cluster_arn=made["clusterArn"],
        execution_role_arn=role["Arn"],
        task_definition_arn=nginx["taskDefinitionArn"],
    )

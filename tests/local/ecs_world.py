"""Helpers of the ECS tests (no tests here): the walkthrough's prerequisites made through boto3,
and the runtime's side of the task record contract played by hand.

The control-plane tests run without the data plane (``control_plane`` marker): a task moves only
when a test says so, as the runtime would (:func:`mark`), and local time moves only with
``cloud.clock.advance``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bgkit.apps.templates import task_definition
from bgkit.local.server import LocalCloud
from bgkit.local.services.elbv2.models import target_key

PARTITION = "123456789012/us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass
class World:
    """What the walkthrough has before it creates the ECS service."""

    cloud: LocalCloud
    ecs: Any
    elbv2: Any
    role_arn: str
    task_definition: str
    subnets: list[str]
    security_group: str
    target_groups: list[str]
    listener: str

    def network(self) -> dict[str, Any]:
        return {
            "awsvpcConfiguration": {
                "subnets": self.subnets,
                "securityGroups": [self.security_group],
                "assignPublicIp": "ENABLED",
            }
        }

    def balancer(self, index: int = 0, name: str = "app", port: int = 80) -> list[dict[str, Any]]:
        return [
            {
                "targetGroupArn": self.target_groups[index],
                "containerName": name,
                "containerPort": port,
            }
        ]

    def create_service(self, name: str = "web", controller: str = "CODE_DEPLOY", **more: Any):
        arguments = {
            "cluster": "bgkit",
            "serviceName": name,
            "taskDefinition": self.task_definition,
            "desiredCount": 2,
            "launchType": "FARGATE",
            "networkConfiguration": self.network(),
            "deploymentController": {"type": controller},
            **({"loadBalancers": self.balancer()} if controller != "EXTERNAL" else {}),
            **more,
        }
        return self.ecs.create_service(**arguments)["service"]

    def service(self, name: str = "web") -> dict[str, Any]:
        return self.ecs.describe_services(cluster="bgkit", services=[name])["services"][0]

    def tasks(self, name: str = "web", status: str = "RUNNING") -> list[dict[str, Any]]:
        arns = self.ecs.list_tasks(cluster="bgkit", serviceName=name, desiredStatus=status)
        if not arns["taskArns"]:
            return []
        return self.ecs.describe_tasks(cluster="bgkit", tasks=arns["taskArns"])["tasks"]

    def record(self, kind: str, key: str) -> dict[str, Any]:
        found = self.cloud.store.get(PARTITION, kind, key)
        assert found is not None, f"no {kind} {key}"
        return found


def make_world(cloud: LocalCloud, client: Any, *, listener_port: int = 80) -> World:
    """An execution role, a cluster, the Nginx task definition, an ALB with a listener that
    forwards to target group ``-1``, and target group ``-2`` on a second listener."""
    iam, ec2, ecs, elbv2 = client("iam"), client("ec2"), client("ecs"), client("elbv2")
    role = iam.create_role(RoleName="bgkit-execution", AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"
    ]["Arn"]
    ecs.create_cluster(clusterName="bgkit")
    definition = task_definition(
        "nginx",
        family="bgkit-web",
        execution_role_arn=role,
        log_group="/ecs/bgkit",
        region="us-east-1",
    )
    td = ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    balancer = elbv2.create_load_balancer(Name="bgkit-alb", Subnets=subnets)["LoadBalancers"][0]
    groups = []
    for suffix in ("1", "2"):
        groups.append(
            elbv2.create_target_group(
                Name=f"bgkit-tg-{suffix}",
                Protocol="HTTP",
                Port=80,
                VpcId=vpc,
                TargetType="ip",
                HealthCheckIntervalSeconds=5,
                HealthCheckTimeoutSeconds=2,
                HealthyThresholdCount=2,
            )["TargetGroups"][0]["TargetGroupArn"]
        )
        elbv2.modify_target_group_attributes(
            TargetGroupArn=groups[-1],
            Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}],
        )
    listener = ""
    for port, group_arn in ((listener_port, groups[0]), (listener_port + 8000, groups[1])):
        made = elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol="HTTP",
            Port=port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}],
        )["Listeners"][0]["ListenerArn"]
        listener = listener or made
    return World(cloud, ecs, elbv2, role, td, subnets, group, groups, listener)


def mark(cloud: LocalCloud, task_arn: str, status: str, **fields: Any) -> None:
    """Play the runtime: move a task to ``status`` (RUNNING or STOPPED), then let ECS advance."""
    with cloud.store.transaction():
        task = cloud.store.get(PARTITION, "task", task_arn)
        assert task is not None
        now = cloud.clock.now()
        task["lastStatus"] = status
        task["containers"][0]["lastStatus"] = status
        if status == "RUNNING":
            task.setdefault("startedAt", now)
            task["_pid"], task["_host_port"] = 1, 1
        if status == "STOPPED":
            task["stoppedAt"] = now
            task["stopCode"] = fields.pop("stopCode", "EssentialContainerExited")
            task["stoppedReason"] = fields.pop(
                "stoppedReason", "Essential container in task exited"
            )
            task["containers"][0]["exitCode"] = fields.pop("exitCode", 1)
        task.update(fields)
        cloud.store.put(PARTITION, "task", task_arn, task)
    cloud.advance()


def run_all(world: World, name: str = "web") -> list[dict[str, Any]]:
    """Every task of a service that wants to run is made RUNNING."""
    tasks = world.tasks(name)
    for task in tasks:
        if task["lastStatus"] != "RUNNING":
            mark(world.cloud, task["taskArn"], "RUNNING")
    return world.tasks(name)


def stop_wanted(world: World, name: str = "web") -> None:
    """Play the runtime: every task asked to stop has stopped."""
    for task in world.tasks(name, "STOPPED"):
        raw = world.record("task", task["taskArn"])
        if raw["desiredStatus"] == "STOPPED" and raw["lastStatus"] != "STOPPED":
            mark(world.cloud, task["taskArn"], "STOPPED", stoppedReason=raw["stoppedReason"])


def set_health(world: World, group: str, task: dict[str, Any], state: str) -> None:
    """Play the health checker: a task's target in ``group`` is ``state``."""
    raw = world.record("task", task["taskArn"])
    key = target_key(group, raw["_private_ip"], 80)
    with world.cloud.store.transaction():
        world.cloud.store.put(
            PARTITION,
            "target-health",
            key,
            {"State": state, "_checked_at": world.cloud.clock.now() + 0.001},
        )
    world.cloud.advance()


def targets(world: World, group: int = 0) -> list[dict[str, Any]]:
    described = world.elbv2.describe_target_health(TargetGroupArn=world.target_groups[group])
    return described["TargetHealthDescriptions"]

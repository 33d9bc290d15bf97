"""Helpers of the CodeDeploy tests (no tests here): the walkthrough's world up to the deployment
group, and the runtime and health checker played by hand.

The local cloud of these tests has no data plane and a clock that all but stands still: local
time moves only when a test calls :meth:`Deploy.tick`, so every wait (ready, termination, canary
interval, install timeout) is crossed by advancing the clock, never by sleeping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ecs_world import PARTITION, World, make_world, mark

from bgkit.apps.templates import task_definition
from bgkit.local.server import LocalCloud
from bgkit.local.services.elbv2.models import target_key

DATA = Path(__file__).resolve().parents[2] / "data" / "iam"
CODEDEPLOY_TRUST = (DATA / "codedeploy-trust-policy.json").read_text()
FULL = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
LIMITED = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
#: a clock this slow stands still for the length of a test
FROZEN = 1e-6


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[LocalCloud]:
    """A local cloud without data plane whose clock moves only by hand."""
    with LocalCloud(tmp_path / "state", port=0, clock=FROZEN, dataplane=False) as running:
        yield running


def appspec(task_definition_arn: str, container: str = "app", port: int = 80, **extra: Any) -> str:
    """An ECS AppSpec (YAML) for ``task_definition_arn``."""
    lines = [
        "version: 0.0",
        "Resources:",
        "  - TargetService:",
        "      Type: AWS::ECS::Service",
        "      Properties:",
        f"        TaskDefinition: {task_definition_arn}",
        "        LoadBalancerInfo:",
        f"          ContainerName: {container}",
        f"          ContainerPort: {port}",
    ]
    if extra.get("hooks"):
        lines += ["Hooks:", *(f"  - {event}: {fn}" for event, fn in extra["hooks"].items())]
    return "\n".join(lines) + "\n"


def revision(content: str) -> dict[str, Any]:
    return {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}}


@dataclass
class Deploy:
    """The world of the walkthrough, from the ECS service to the CodeDeploy group."""

    world: World
    codedeploy: Any
    iam: Any
    role_arn: str
    listeners: list[str]
    fizzbuzz: str
    group: dict[str, Any] = field(default_factory=dict)

    @property
    def cloud(self) -> LocalCloud:
        return self.world.cloud

    def tick(self, seconds: float = 0.0) -> None:
        """Move local time on by ``seconds`` and let the local cloud advance."""
        if seconds:
            self.cloud.clock.advance(seconds)
        self.cloud.advance()

    def create_group(
        self,
        *,
        test_listener: bool = True,
        ready_wait: int | None = None,
        termination_wait: int = 5,
        config: str = "CodeDeployDefault.ECSAllAtOnce",
        rollback: list[str] | None = None,
        name: str = "bgkit-dg",
        **more: Any,
    ) -> dict[str, Any]:
        route: dict[str, Any] = {
            "targetGroups": [{"name": "bgkit-tg-1"}, {"name": "bgkit-tg-2"}],
            "prodTrafficRoute": {"listenerArns": [self.listeners[0]]},
        }
        if test_listener:
            route["testTrafficRoute"] = {"listenerArns": [self.listeners[1]]}
        ready = (
            {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": ready_wait}
            if ready_wait is not None
            else {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}
        )
        arguments: dict[str, Any] = {
            "applicationName": "bgkit-app",
            "deploymentGroupName": name,
            "serviceRoleArn": self.role_arn,
            "deploymentConfigName": config,
            "deploymentStyle": {
                "deploymentType": "BLUE_GREEN",
                "deploymentOption": "WITH_TRAFFIC_CONTROL",
            },
            "blueGreenDeploymentConfiguration": {
                "deploymentReadyOption": ready,
                "terminateBlueInstancesOnDeploymentSuccess": {
                    "action": "TERMINATE",
                    "terminationWaitTimeInMinutes": termination_wait,
                },
            },
            "autoRollbackConfiguration": (
                {"enabled": True, "events": rollback} if rollback else {"enabled": False}
            ),
            "loadBalancerInfo": {"targetGroupPairInfoList": [route]},
            "ecsServices": [{"serviceName": "web", "clusterName": "bgkit"}],
            **more,
        }
        self.codedeploy.create_deployment_group(**arguments)
        self.group = self.codedeploy.get_deployment_group(
            applicationName="bgkit-app", deploymentGroupName=name
        )["deploymentGroupInfo"]
        return self.group

    def deploy(self, content: str | None = None, **more: Any) -> str:
        """CreateDeployment of FizzBuzz (or ``content``); returns the deployment id."""
        return self.codedeploy.create_deployment(
            applicationName="bgkit-app",
            deploymentGroupName=self.group.get("deploymentGroupName", "bgkit-dg"),
            revision=revision(content or appspec(self.fizzbuzz)),
            **more,
        )["deploymentId"]

    def info(self, deployment_id: str) -> dict[str, Any]:
        return self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]

    def status(self, deployment_id: str) -> str:
        return self.info(deployment_id)["status"]

    def target(self, deployment_id: str) -> dict[str, Any]:
        return self.codedeploy.get_deployment_target(
            deploymentId=deployment_id, targetId="bgkit:web"
        )["deploymentTarget"]["ecsTarget"]

    def events(self, deployment_id: str) -> dict[str, str]:
        return {
            e["lifecycleEventName"]: e["status"]
            for e in self.target(deployment_id)["lifecycleEvents"]
        }

    def task_sets(self) -> list[dict[str, Any]]:
        return self.world.service()["taskSets"]

    def weights(self, listener: int = 0) -> dict[str, int]:
        """``{target group name: weight}`` of a listener's forward action."""
        action = self.world.elbv2.describe_listeners(ListenerArns=[self.listeners[listener]])[
            "Listeners"
        ][0]["DefaultActions"][0]
        names = {arn: f"bgkit-tg-{i + 1}" for i, arn in enumerate(self.world.target_groups)}
        return {
            names[g["TargetGroupArn"]]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]
        }

    def settle(self) -> None:
        """Play the runtime and health checker: every task that should run runs, and is
        healthy in each target group that holds it."""
        for task in self.world.tasks():
            if task["lastStatus"] != "RUNNING":
                mark(self.cloud, task["taskArn"], "RUNNING")
        running = self.world.tasks()  # no boto3 call inside the transaction below
        with self.cloud.store.transaction():
            for task in running:
                raw = self.world.record("task", task["taskArn"])
                for group in self.world.target_groups:
                    key = target_key(group, raw["_private_ip"], 80)
                    target = self.cloud.store.get(PARTITION, "target", key)
                    if target is None or target.get("_deregistered_at") is not None:
                        continue
                    health = {"State": "healthy", "_checked_at": self.cloud.clock.now() + 0.001}
                    self.cloud.store.put(PARTITION, "target-health", key, health)
        self.tick()
        for task in self.world.tasks("web", "STOPPED"):
            raw = self.world.record("task", task["taskArn"])
            if raw["desiredStatus"] == "STOPPED" and raw["lastStatus"] != "STOPPED":
                mark(self.cloud, task["taskArn"], "STOPPED", stoppedReason=raw["stoppedReason"])

    def drain(self) -> None:
        """Let draining targets go (the world's deregistration delay is 10 s) and the tasks
        that were told to stop, stop."""
        self.tick(11)
        self.settle()
        self.tick(1)
        self.settle()

    def run_to(self, deployment_id: str, status: str, *, steps: int = 20) -> None:
        """Start the deployment and settle until it has ``status`` (no time passes but the
        start delay)."""
        self.tick(1.0)
        for _ in range(steps):
            if self.status(deployment_id) == status:
                return
            self.settle()
        assert self.status(deployment_id) == status, self.info(deployment_id)


def make_deploy(
    cloud: LocalCloud, client: Any, *, full_policy: bool = True, play: bool = True, **service: Any
) -> Deploy:
    """The walkthrough's world with a healthy Nginx service on ``-1`` behind listeners 80 and
    8080, a FizzBuzz task definition, a CodeDeploy role and an ECS application (the runtime is
    played by hand unless ``play`` is false: then the data plane's runtime runs the tasks)."""
    world = make_world(cloud, client)
    listeners = [
        item["ListenerArn"]
        for item in world.elbv2.describe_listeners(
            LoadBalancerArn=world.elbv2.describe_load_balancers()["LoadBalancers"][0][
                "LoadBalancerArn"
            ]
        )["Listeners"]
    ]
    listeners.sort(key=lambda arn: arn != world.listener)
    world.elbv2.modify_listener(
        ListenerArn=listeners[1],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": world.target_groups[0]}],
    )
    iam = client("iam")
    role = iam.create_role(RoleName="bgkit-codedeploy", AssumeRolePolicyDocument=CODEDEPLOY_TRUST)[
        "Role"
    ]["Arn"]
    iam.attach_role_policy(RoleName="bgkit-codedeploy", PolicyArn=FULL if full_policy else LIMITED)
    fizzbuzz = world.ecs.register_task_definition(
        **task_definition(
            "fizzbuzz",
            family="bgkit-web",
            execution_role_arn=world.role_arn,
            log_group="/ecs/bgkit",
            region="us-east-1",
        )
    )["taskDefinition"]["taskDefinitionArn"]
    world.create_service(**service)
    codedeploy = client("codedeploy")
    codedeploy.create_application(applicationName="bgkit-app", computePlatform="ECS")
    deploy = Deploy(world, codedeploy, iam, role, listeners, fizzbuzz)
    if play:
        deploy.settle()
    return deploy


def policy(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

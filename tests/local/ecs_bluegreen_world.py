"""Helpers of the ECS blue/green tests (no tests here): the walkthrough's world made ready for
ECS's built-in blue/green deployments, and the runtime and health checker played by hand.

The world is :func:`ecs_world.make_world`'s plus what the built-in way needs: an ECS
infrastructure role (trusts ``ecs.amazonaws.com``, ``AmazonECSInfrastructureRolePolicyForLoad
Balancers`` attached), a production listener rule on 80 forwarding to ``-1`` and a test listener
rule on 8080 forwarding to ``-1`` (weight 1) and ``-2`` (weight 0), and the FizzBuzz task
definition. Local time moves only when a test calls :meth:`BlueGreen.tick`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ecs_world import PARTITION, World, make_world, mark

from bgkit.apps.templates import task_definition
from bgkit.local.server import LocalCloud
from bgkit.local.services.elbv2.models import target_key

INFRASTRUCTURE_POLICY = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
ECS_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
#: a clock this slow stands still for the length of a test
FROZEN = 1e-6


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[LocalCloud]:
    """A local cloud without data plane whose clock moves only by hand."""
    with LocalCloud(tmp_path / "state", port=0, clock=FROZEN, dataplane=False) as running:
        yield running


def pause_hook(stage: str = "POST_TEST_TRAFFIC_SHIFT", minutes: int = 10, action: str = "ROLLBACK"):
    return {
        "targetType": "PAUSE",
        "lifecycleStages": [stage],
        "timeoutConfiguration": {"timeoutInMinutes": minutes, "action": action},
    }


@dataclass
class BlueGreen:
    """The world of ECS's built-in blue/green deployments."""

    world: World
    iam: Any
    role_arn: str
    listeners: list[str]
    production_rule: str
    test_rule: str
    fizzbuzz: str

    @property
    def cloud(self) -> LocalCloud:
        return self.world.cloud

    @property
    def ecs(self) -> Any:
        return self.world.ecs

    def advanced(self, **more: Any) -> dict[str, Any]:
        return {
            "alternateTargetGroupArn": self.world.target_groups[1],
            "productionListenerRule": self.production_rule,
            "testListenerRule": self.test_rule,
            "roleArn": self.role_arn,
            **more,
        }

    def balancers(self, **more: Any) -> list[dict[str, Any]]:
        return [{**self.world.balancer()[0], "advancedConfiguration": self.advanced(**more)}]

    def create_service(self, *, hooks: list[dict[str, Any]] | None = None, **config: Any):
        configuration = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5, **config}
        if hooks:
            configuration["lifecycleHooks"] = hooks
        return self.world.create_service(
            controller="ECS", loadBalancers=self.balancers(), deploymentConfiguration=configuration
        )

    def update(self, definition: str | None = None, **more: Any) -> str:
        """Deploy FizzBuzz (or ``definition``); the new service deployment's ARN."""
        service = self.ecs.update_service(
            cluster="bgkit", service="web", taskDefinition=definition or self.fizzbuzz, **more
        )["service"]
        return service["currentServiceDeployment"]

    def deployment(self, arn: str) -> dict[str, Any]:
        return self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])[
            "serviceDeployments"
        ][0]

    def current(self) -> str:
        return self.world.service()["currentServiceDeployment"]

    def weights(self, rule: str) -> dict[str, int]:
        """``{"1": w, "2": w}``: the rule's forward weights by target group suffix."""
        found = self.world.elbv2.describe_rules(RuleArns=[rule])["Rules"][0]
        names = {arn: arn.split("/")[-2][-1] for arn in self.world.target_groups}
        action = found["Actions"][0]
        return {
            names[g["TargetGroupArn"]]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]
        }

    def tick(self, seconds: float = 0.0) -> None:
        if seconds:
            self.cloud.clock.advance(seconds)
        self.cloud.advance()

    def settle(self, rounds: int = 3) -> None:
        """Play the runtime and health checker: every task that should run runs and is healthy
        in the target groups that hold it; every task told to stop, stops."""
        for _ in range(rounds):
            for task in self.world.tasks():
                if task["lastStatus"] != "RUNNING":
                    mark(self.cloud, task["taskArn"], "RUNNING")
            running = self.world.tasks()
            with self.cloud.store.transaction():
                for task in running:
                    raw = self.world.record("task", task["taskArn"])
                    for group in self.world.target_groups:
                        key = target_key(group, raw["_private_ip"], 80)
                        target = self.cloud.store.get(PARTITION, "target", key)
                        if target is None or target.get("_deregistered_at") is not None:
                            continue
                        health = {"State": "healthy", "_checked_at": self.cloud.clock.now() + 1e-3}
                        self.cloud.store.put(PARTITION, "target-health", key, health)
            self.tick()
            for task in self.world.tasks("web", "STOPPED"):
                raw = self.world.record("task", task["taskArn"])
                if raw["desiredStatus"] == "STOPPED" and raw["lastStatus"] != "STOPPED":
                    mark(self.cloud, task["taskArn"], "STOPPED", stoppedReason=raw["stoppedReason"])

    def drain(self) -> None:
        """Let draining targets go (deregistration delay 10 s) and stopping tasks stop."""
        self.tick(11)
        self.settle()

    def stage(self, arn: str) -> str:
        return self.deployment(arn).get("lifecycleStage", "")

    def awaiting(self, arn: str) -> list[dict[str, Any]]:
        details = self.deployment(arn).get("lifecycleHookDetails", [])
        return [d for d in details if d["status"] == "AWAITING_ACTION"]


def make_bluegreen(cloud: LocalCloud, client: Any, *, role: bool = True) -> BlueGreen:
    """The world, an infrastructure role, the production and test rules, and FizzBuzz."""
    world = make_world(cloud, client)
    elbv2 = world.elbv2
    balancer = elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    listeners = sorted(
        elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"], key=lambda x: x["Port"]
    )
    blue, green = world.target_groups
    every_path = [{"Field": "path-pattern", "Values": ["/*"]}]
    production = elbv2.create_rule(
        ListenerArn=listeners[0]["ListenerArn"],
        Priority=1,
        Conditions=every_path,
        Actions=[{"Type": "forward", "TargetGroupArn": blue}],
    )["Rules"][0]["RuleArn"]
    test = elbv2.create_rule(
        ListenerArn=listeners[1]["ListenerArn"],
        Priority=1,
        Conditions=every_path,
        Actions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": blue, "Weight": 1},
                        {"TargetGroupArn": green, "Weight": 0},
                    ]
                },
            }
        ],
    )["Rules"][0]["RuleArn"]
    iam = client("iam")
    made = iam.create_role(RoleName="bgkit-ecs-infrastructure", AssumeRolePolicyDocument=ECS_TRUST)
    role_arn = made["Role"]["Arn"]
    if role:
        iam.attach_role_policy(RoleName="bgkit-ecs-infrastructure", PolicyArn=INFRASTRUCTURE_POLICY)
    fizzbuzz = world.ecs.register_task_definition(
        **task_definition(
            "fizzbuzz",
            family="bgkit-web",
            execution_role_arn=world.role_arn,
            log_group="/ecs/bgkit",
            region="us-east-1",
        )
    )["taskDefinition"]["taskDefinitionArn"]
    return BlueGreen(
        world,
        iam,
        role_arn,
        [item["ListenerArn"] for item in listeners],
        production,
        test,
        fizzbuzz,
    )

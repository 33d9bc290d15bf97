"""A bad canary stopped by its CloudWatch alarm, on the whole local cloud under steady traffic.

Real task processes behind real listeners: Nginx serves port 80; a canary deployment
(``CodeDeployDefault.ECSCanary10Percent5Minutes``, or ECS built-in ``CANARY``) sends a tenth of it
to a FizzBuzz revision that answers every other request with 500 (``FAIL_PERCENT``); an alarm on
the green target group's ``HTTPCode_Target_5XX_Count`` (dimensions ``TargetGroup`` and
``LoadBalancer``, counted by the listeners) fires; the deployment stops and rolls back; port 80
serves Nginx only afterwards. The bad revision's own 500s are expected and counted apart; no
request fails because of the switch itself.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest
from codedeploy_world import appspec, make_deploy
from ecs_bluegreen_world import make_bluegreen
from ecs_world import targets
from waiting import wait_for

from bgkit.apps.templates import task_definition

pytestmark = pytest.mark.slow

ALARM = "bgkit-green-5xx"
#: local seconds a wall second: a minute's evaluation every 3 s, the canary's 5 minutes in 15 s
SPEED = 20


class Traffic:
    """Requests to port 80 one after another from a thread: what answered each."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: Counter[str] = Counter()
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=5) as answer:
                    body = answer.read().decode()
                    self.answers["nginx" if "Welcome to nginx!" in body else "fizzbuzz"] += 1
            except urllib.error.HTTPError as error:
                if error.code == 500 and error.headers.get("Server", "").startswith("fizzbuzz/"):
                    self.answers["bad revision's 500"] += 1  # the release's own failure
                else:
                    self.failures.append(f"{error.code} from {error.headers.get('Server')}")
            except (urllib.error.URLError, OSError) as error:
                self.failures.append(repr(error))
            time.sleep(0.01)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def green_5xx_alarm(world_of, green_group: str) -> None:
    """The alarm on the green target group's 5xx, as a learner writes it with plain boto3."""
    lb = world_of.world.elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    world_of.world.cloud.client("cloudwatch").put_metric_alarm(
        AlarmName=ALARM, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
        Dimensions=[{"Name": "TargetGroup", "Value": green_group.split(":")[-1]},
                    {"Name": "LoadBalancer", "Value": lb.split(":loadbalancer/")[1]}],
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
    )  # fmt: skip


def test_bad_canary_is_stopped_by_its_alarm_and_port_80_serves_blue_only(cloud, client):
    cloud.clock.set_speed(SPEED)
    deploy = make_deploy(cloud, client, play=False, healthCheckGracePeriodSeconds=30)
    world = deploy.world
    wait_for(
        "two healthy Nginx targets",
        lambda: [t["TargetHealth"]["State"] for t in targets(world)] == ["healthy", "healthy"],
    )
    bad = bad_revision(world)
    green_5xx_alarm(deploy, world.target_groups[1])
    deploy.create_group(
        config="CodeDeployDefault.ECSCanary10Percent5Minutes", termination_wait=5,
        rollback=["DEPLOYMENT_STOP_ON_ALARM"],
        alarmConfiguration={"enabled": True, "alarms": [{"name": ALARM}]},
    )  # fmt: skip
    production = f"http://127.0.0.1:{cloud.listener_offset + 80}/"
    with Traffic(production) as on_80:
        deployment = deploy.deploy(appspec(bad))
        wait_for("the deployment stopped", lambda: deploy.status(deployment) == "Stopped", 120)
        info = deploy.info(deployment)
        rollback = info["rollbackInfo"]["rollbackDeploymentId"]
        wait_for("the rollback", lambda: deploy.status(rollback) == "Succeeded", 120)
        after_rollback(on_80, production)
    assert info["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert f"Activated alarms: <{ALARM}>" in info["errorInformation"]["message"]
    alarm = world.cloud.client("cloudwatch").describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert on_80.failures == []  # nothing failed because of the switch
    assert on_80.answers["bad revision's 500"] > 0  # the canary's own failures, counted apart


def bad_revision(world) -> str:
    """FizzBuzz that answers every other request with 500, registered in the service's family."""
    made = task_definition("fizzbuzz", family="bgkit-web", execution_role_arn=world.role_arn,
                           log_group="/ecs/bgkit", region="us-east-1", revision="bad",
                           fail_percent=50)  # fmt: skip
    return world.ecs.register_task_definition(**made)["taskDefinition"]["taskDefinitionArn"]


def after_rollback(traffic: Traffic, production: str) -> None:
    """Port 80 after the rollback: more requests answered, all by Nginx."""
    seen = sum(traffic.answers.values())
    wait_for("more requests after the rollback", lambda: sum(traffic.answers.values()) > seen + 30)
    last = [urllib.request.urlopen(production, timeout=5).read().decode() for _ in range(20)]
    assert all("Welcome to nginx!" in body for body in last)


def test_bad_built_in_canary_is_rolled_back_by_its_alarm(cloud, client):
    cloud.clock.set_speed(SPEED)
    bg = make_bluegreen(cloud, client)
    world = bg.world
    world.create_service(
        controller="ECS", loadBalancers=bg.balancers(), healthCheckGracePeriodSeconds=30,
        deploymentConfiguration={
            "strategy": "CANARY", "bakeTimeInMinutes": 5,
            "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5},
            "alarms": {"alarmNames": [ALARM], "enable": True, "rollback": True},
        },
    )  # fmt: skip
    wait_for(
        "two healthy Nginx targets",
        lambda: [t["TargetHealth"]["State"] for t in targets(world)] == ["healthy", "healthy"],
    )
    bad = bad_revision(world)
    green_5xx_alarm(bg, world.target_groups[1])
    production = f"http://127.0.0.1:{cloud.listener_offset + 80}/"
    with Traffic(production) as on_80:
        arn = bg.update(bad)
        done = ("ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "SUCCESSFUL", "STOPPED")
        wait_for("the deployment to end", lambda: bg.deployment(arn)["status"] in done, 120)
        after_rollback(on_80, production)
    shown = bg.deployment(arn)
    assert shown["status"] == "ROLLBACK_SUCCESSFUL", shown
    assert shown["alarms"]["triggeredAlarmNames"] == [ALARM]
    assert on_80.failures == []
    assert on_80.answers["bad revision's 500"] > 0

"""Faults with steady traffic running on listeners 80 and 8080: a green task killed during
Install, a green revision that fails its health checks, a blue task killed during the
termination wait, and blue targets that all turn unhealthy.

Bounded as :mod:`test_load_deployments` is (320 requests a second, at most 40 s a test). Tasks are
killed with SIGKILL by the pid their task record holds (``_pid``), as a crash would.
"""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

import pytest
from codedeploy_world import appspec
from faults_world import FIZZBUZZ, NGINX, SETTLE, Walkthrough, answered, check, wait_for

from bgkit.apps import app_source
from bgkit.apps.templates import task_definition
from bgkit.local.services.codedeploy.engine import INSTALL_TIMEOUT_MESSAGE

pytestmark = pytest.mark.slow

#: wall seconds FizzBuzz waits before it listens, in the slow-starting revision: long enough for
#: a test to find its process while the task is PENDING (Install has not ended)
SLOW_START = 2.0
#: a web app that answers 500 to every request, health checks included
FAILING_APP = """
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"broken revision"
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

ThreadingHTTPServer((os.environ["HOST"], int(os.environ["PORT"])), Handler).serve_forever()
"""


def register(walkthrough: Walkthrough, revision: str, source: str | None = None) -> str:
    """A FizzBuzz task definition of ``revision`` whose container runs ``source`` instead
    (``python -c``); its ARN."""
    definition = task_definition(
        "fizzbuzz",
        family="bgkit-web",
        execution_role_arn=walkthrough.deploy.world.role_arn,
        log_group="/ecs/bgkit",
        region="us-east-1",
        revision=revision,
    )
    if source is not None:
        definition["containerDefinitions"][0]["command"] = [source]
    made = walkthrough.deploy.world.ecs.register_task_definition(**definition)
    return made["taskDefinition"]["taskDefinitionArn"]


def slow_fizzbuzz() -> str:
    """FizzBuzz's source, run after :data:`SLOW_START` seconds."""
    return (
        f"import time; time.sleep({SLOW_START}); "
        f"exec(compile({json.dumps(app_source('fizzbuzz'))}, 'fizzbuzz', 'exec'))"
    )


def kill(task: dict[str, Any]) -> None:
    os.kill(task["_pid"], signal.SIGKILL)


def test_a_green_task_killed_during_install_is_replaced_and_the_deployment_goes_on(
    walkthrough, load, listener_log
):
    w = walkthrough
    green = register(w, FIZZBUZZ, slow_fizzbuzz())
    w.deploy.create_group(ready_wait=60, termination_wait=60)
    log = listener_log(w.deploy.cloud.client("elbv2"), w.listeners)
    traffic = load(w.host_ports, seconds=40)
    time.sleep(SETTLE)
    deployment = w.deploy.deploy(appspec(green))
    victim = wait_for(
        "a green task process",
        lambda: next((t for t in w.tasks_of(green) if t.get("_pid")), None),
    )
    assert victim["lastStatus"] == "PENDING"
    assert w.engine(deployment)["phase"] == "InstallWait"
    traffic.mark("SIGKILL a green task")
    kill(victim)
    stopped = wait_for(
        "the killed task STOPPED",
        lambda: (t := w.record("task", victim["taskArn"])) and t["lastStatus"] == "STOPPED" and t,
    )
    assert stopped["containers"][0]["exitCode"] == 128 + signal.SIGKILL
    w.wait_status(deployment, "Ready")
    traffic.mark("Ready")
    time.sleep(SETTLE)
    w.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="READY_WAIT")
    traffic.mark("rerouted")
    wait_for("the termination wait", lambda: w.target_status(deployment) == "Succeeded")
    w.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT")
    assert w.deploy.status(deployment) == "Succeeded"
    time.sleep(SETTLE)
    check(w, traffic, log)

    assert answered(traffic, 80) == answered(traffic, 8080) == {NGINX, FIZZBUZZ}
    tasks = w.tasks_of(green)
    running = [t for t in tasks if t["lastStatus"] == "RUNNING"]
    assert len(running) == 2 and victim["taskArn"] not in {t["taskArn"] for t in running}
    events = [e["message"] for e in w.deploy.world.service()["events"]]
    print("\n".join(reversed(events[:8])))


def test_a_green_revision_failing_its_health_checks_fails_and_rolls_back(
    walkthrough, load, listener_log
):
    w = walkthrough
    broken = register(w, "broken", FAILING_APP)
    w.deploy.create_group(ready_wait=60, rollback=["DEPLOYMENT_FAILURE"])
    log = listener_log(w.deploy.cloud.client("elbv2"), w.listeners)
    traffic = load(w.host_ports, seconds=40)
    time.sleep(SETTLE)
    deployment = w.deploy.deploy(appspec(broken))
    green_group = w.deploy.world.target_groups[1]

    def green_unhealthy() -> bool:
        found = w.deploy.world.elbv2.describe_target_health(TargetGroupArn=green_group)
        states = [d["TargetHealth"]["State"] for d in found["TargetHealthDescriptions"]]
        return len(states) >= 2 and "unhealthy" in states

    wait_for("green targets unhealthy", green_unhealthy)
    traffic.mark("green unhealthy")
    assert w.engine(deployment)["phase"] == "InstallWait"
    # Install waits 60 local minutes for healthy green tasks: move the clock to 30 s before
    deadline = w.engine(deployment)["installDeadline"]
    cloud = w.deploy.cloud
    cloud.clock.advance(max(0.0, deadline - 30.0 - cloud.clock.now()))
    w.wait_status(deployment, "Failed")
    traffic.mark("Failed")
    info = w.deploy.info(deployment)
    assert info["errorInformation"] == {"code": "TIMEOUT", "message": INSTALL_TIMEOUT_MESSAGE}
    w.wait_status(w.rollback_of(deployment), "Succeeded")
    traffic.mark("rollback Succeeded")
    wait_for("the green task set gone", lambda: len(w.deploy.task_sets()) == 1)
    time.sleep(SETTLE)
    check(w, traffic, log)

    assert answered(traffic, 80) == answered(traffic, 8080) == {NGINX}
    (only,) = w.deploy.task_sets()
    assert (only["status"], only["taskDefinition"]) == ("PRIMARY", w.deploy.world.task_definition)


def test_a_blue_task_killed_during_the_termination_wait_loses_no_request(
    walkthrough, load, listener_log
):
    w = walkthrough
    w.deploy.create_group(ready_wait=60, termination_wait=60)
    blue_definition = w.deploy.world.task_definition
    log = listener_log(w.deploy.cloud.client("elbv2"), w.listeners)
    traffic = load(w.host_ports, seconds=40)
    time.sleep(SETTLE)
    deployment = w.deploy.deploy()
    w.wait_status(deployment, "Ready")
    w.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="READY_WAIT")
    traffic.mark("rerouted")
    wait_for("the termination wait", lambda: w.target_status(deployment) == "Succeeded")
    time.sleep(SETTLE)
    blue = [t for t in w.tasks_of(blue_definition) if t["lastStatus"] == "RUNNING"]
    traffic.mark("SIGKILL a blue task")
    kill(blue[0])
    wait_for(
        "a replacement blue task RUNNING",
        lambda: len(
            [t for t in w.tasks_of(blue_definition)
             if t["lastStatus"] == "RUNNING" and t["taskArn"] != blue[0]["taskArn"]]
        ) == 2,
    )  # fmt: skip
    traffic.mark("blue replaced")
    assert w.deploy.status(deployment) == "InProgress"
    assert w.target_status(deployment) == "Succeeded"
    time.sleep(SETTLE)
    w.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT")
    assert w.deploy.status(deployment) == "Succeeded"
    wait_for("the blue task set gone", lambda: len(w.deploy.task_sets()) == 1)
    time.sleep(SETTLE)
    check(w, traffic, log)

    killed = w.record("task", blue[0]["taskArn"])
    assert killed["lastStatus"] == "STOPPED"
    assert killed["containers"][0]["exitCode"] == 128 + signal.SIGKILL
    assert answered(traffic, 80) == answered(traffic, 8080) == {NGINX, FIZZBUZZ}


def test_blue_targets_all_unhealthy_keep_serving_while_ecs_replaces_them(
    walkthrough, load, listener_log
):
    w = walkthrough
    log = listener_log(w.deploy.cloud.client("elbv2"), w.listeners)
    traffic = load(w.host_ports, seconds=40)
    time.sleep(SETTLE)
    blue_group = w.deploy.world.target_groups[0]
    traffic.mark("blue health check path broken")
    w.deploy.world.elbv2.modify_target_group(TargetGroupArn=blue_group, HealthCheckPath="/none")
    wait_for(
        "ECS to replace an unhealthy task",
        lambda: any(
            "Task failed ELB health checks" in (t.get("stoppedReason") or "")
            for t in w.tasks_of(w.deploy.world.task_definition)
        ),
    )
    traffic.mark("ECS replaces unhealthy tasks")
    time.sleep(3 * SETTLE)
    check(w, traffic, log)

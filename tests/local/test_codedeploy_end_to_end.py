"""The walkthrough end to end on the whole local cloud: real task processes behind real
listeners, a blue/green deployment from Nginx to FizzBuzz with a ready wait, and steady traffic
on both listeners that never fails."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest
from codedeploy_world import make_deploy
from ecs_world import targets
from waiting import wait_for

pytestmark = pytest.mark.slow


def page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.read().decode()


class Traffic:
    """Requests to a URL, one after another from a thread, counting the failed ones."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ok = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                page(self.url)
                self.ok += 1
            except (urllib.error.URLError, OSError) as error:
                self.failures.append(repr(error))
            time.sleep(0.01)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def test_walkthrough_deploys_fizzbuzz_with_no_failed_request(cloud, client):
    cloud.clock.set_speed(10)  # health checks every 5 local seconds: twice a wall second
    deploy = make_deploy(cloud, client, play=False, healthCheckGracePeriodSeconds=30)
    world = deploy.world
    wait_for(
        "two healthy Nginx targets",
        lambda: [t["TargetHealth"]["State"] for t in targets(world)] == ["healthy", "healthy"],
    )
    production = f"http://127.0.0.1:{cloud.listener_offset + 80}/"
    test = f"http://127.0.0.1:{cloud.listener_offset + 8080}/"
    wait_for("Nginx on 80 and 8080", lambda: "Welcome to nginx!" in page(production + ""))
    assert "Welcome to nginx!" in page(test)
    deploy.create_group(ready_wait=60, termination_wait=5)
    with Traffic(production) as on_80, Traffic(test) as on_8080:
        deployment = deploy.deploy()
        wait_for("the ready wait", lambda: deploy.status(deployment) == "Ready")
        assert "Welcome to nginx!" in page(production)
        assert "<h1>FizzBuzz</h1>" in page(test)
        deploy.codedeploy.continue_deployment(
            deploymentId=deployment, deploymentWaitType="READY_WAIT"
        )
        wait_for("FizzBuzz on 80", lambda: "<h1>FizzBuzz</h1>" in page(production))
        wait_for("the termination wait", lambda: deploy.target(deployment)["status"] == "Succeeded")
        deploy.codedeploy.continue_deployment(
            deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT"
        )
        assert deploy.status(deployment) == "Succeeded"
        wait_for("one task set left", lambda: len(deploy.task_sets()) == 1)
        assert "<h1>FizzBuzz</h1>" in page(production)
        assert "<h1>FizzBuzz</h1>" in page(test)
    (only,) = deploy.task_sets()
    assert (only["status"], only["taskDefinition"]) == ("PRIMARY", deploy.fizzbuzz)
    assert on_80.failures == [] and on_8080.failures == []
    assert on_80.ok > 10 and on_8080.ok > 10

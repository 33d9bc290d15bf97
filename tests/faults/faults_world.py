"""Helpers of the load and fault tests (no tests here): the walkthrough's world on a whole local
cloud (real tasks, real listeners) and what the tests assert on a run of steady load.

The world is the one of the CodeDeploy tests (``tests/local/codedeploy_world.py``), built
through boto3 with the data plane running the tasks; :class:`RemoteCloud` is a local cloud in a
process of its own that a test may kill. (The module has a name of its own, not ``conftest``, so
that tests import it whatever other ``conftest`` pytest loaded last.)
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "local"))

from codedeploy_world import Deploy, make_deploy  # noqa: E402
from ecs_world import PARTITION, targets  # noqa: E402
from traffic import ListenerLog, Load, report, verdict  # noqa: E402

from bgkit.config import Settings  # noqa: E402
from bgkit.local.server import (  # noqa: E402
    DUMMY_CREDENTIALS,
    STATE_FILE,
    prepare_state_dir,
    start_background,
)
from bgkit.local.services.codedeploy.models import DEPLOYMENT  # noqa: E402
from bgkit.local.store import Store  # noqa: E402

#: wall seconds any wait of these tests may take
DEADLINE = 30.0
#: local seconds a wall second, for these tests: a minute of a deployment group a second
CLOCK = 60.0
#: what the FizzBuzz task definition of the world calls its revision
FIZZBUZZ = "fizzbuzz"
NGINX = "nginx"


def wait_for(what: str, check: Callable[[], Any], deadline: float = DEADLINE) -> Any:
    """``check()`` once it is true; fails after ``deadline`` wall seconds."""
    end = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


@dataclass
class Walkthrough:
    """The world of a test: the deployment helpers, and the listeners by port."""

    deploy: Deploy
    offset: int

    @property
    def codedeploy(self) -> Any:
        return self.deploy.codedeploy

    @property
    def listeners(self) -> dict[int, str]:
        return {80: self.deploy.listeners[0], 8080: self.deploy.listeners[1]}

    @property
    def host_ports(self) -> dict[int, int]:
        return {port: self.offset + port for port in self.listeners}

    def revision_of_group(self) -> Callable[[str], str]:
        """Target group ARN → the revision its tasks run (``-1`` Nginx, ``-2`` the new one)."""
        blue, green = self.deploy.world.target_groups
        names = {blue: NGINX, green: FIZZBUZZ}
        return lambda arn: names.get(arn, "?")

    def record(self, kind: str, key: str) -> dict[str, Any] | None:
        with self.deploy.cloud.store.transaction():  # a whole record, never half a pass
            return self.deploy.cloud.store.get(PARTITION, kind, key)

    def tasks_of(self, task_definition: str) -> list[dict[str, Any]]:
        """Task records of a task definition, as the store has them (``_pid`` included)."""
        store = self.deploy.cloud.store
        with store.transaction():
            found = store.list(PARTITION, "task")
        return [t for t in found if t["taskDefinitionArn"] == task_definition]

    def engine(self, deployment_id: str) -> dict[str, Any]:
        record = self.record(DEPLOYMENT, deployment_id)
        assert record is not None
        return record["_engine"]

    def wait_status(self, deployment_id: str, *statuses: str) -> str:
        return wait_for(
            f"deployment {deployment_id} in {statuses}",
            lambda: (s := self.deploy.status(deployment_id)) in statuses and s,
        )

    def target_status(self, deployment_id: str) -> str | None:
        """The ECS target's status, or None before the deployment started."""
        try:
            return self.deploy.target(deployment_id)["status"]
        except self.codedeploy.exceptions.DeploymentNotStartedException:
            return None

    def rollback_of(self, deployment_id: str) -> str:
        info = self.deploy.info(deployment_id)
        return info["rollbackInfo"]["rollbackDeploymentId"]


#: wall seconds of traffic before and after each step, so that each state is seen under load
SETTLE = 1.0


def check(walkthrough: Walkthrough, traffic: Load, log: ListenerLog) -> dict[str, Any]:
    """Stop the load and the log; print the report; assert no failed and no unexpected answer
    and that every listener answered; return the verdict.

    The rate reached is reported, never asserted: a busy machine sends fewer requests, and a
    zero-downtime claim is judged by the requests that failed (issue 20)."""
    traffic.stop()
    log.stop()
    print(report(traffic, log))
    result = verdict(traffic, log, walkthrough.revision_of_group())
    assert result["failed"] == []
    assert result["unexpected"] == []
    assert_every_port_answered(traffic, walkthrough.host_ports)
    return result


def assert_every_port_answered(traffic: Load, ports: Iterable[int]) -> None:
    """The load reached every listener (its rate aside)."""
    answering = {s.port for s in traffic.samples if s.ok}
    assert answering >= set(ports), f"no answer on ports {set(ports) - answering}"


def answered(traffic: Load, port: int) -> set[str]:
    """The revisions that answered on ``port``."""
    return {s.revision for s in traffic.samples if s.port == port}


def serve_walkthrough(cloud: Any, client: Callable[..., Any]) -> Walkthrough:
    """The walkthrough's world with two healthy Nginx tasks served on 80 and 8080."""
    deploy = make_deploy(cloud, client, play=False, healthCheckGracePeriodSeconds=30)
    world = deploy.world
    wait_for(
        "two healthy Nginx targets",
        lambda: [t["TargetHealth"]["State"] for t in targets(world)] == ["healthy", "healthy"],
    )
    walkthrough = Walkthrough(deploy, cloud.listener_offset)
    for port in walkthrough.host_ports.values():
        wait_for(f"Nginx on {port}", lambda port=port: serves(port, "Welcome to nginx!"))
    return walkthrough


def serves(host_port: int, text: str) -> bool:
    """Whether a listener answers 200 with a page holding ``text``."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", host_port, timeout=2)
    try:
        connection.request("GET", "/")
        answer = connection.getresponse()
        return answer.status == 200 and text in answer.read().decode()
    except OSError:
        return False
    finally:
        connection.close()


# -- a local cloud in a process of its own ------------------------------------------------------


class RemoteCloud:
    """A local cloud started with :func:`~bgkit.local.server.start_background`, seen from the
    test: what the world's helpers use of a :class:`~bgkit.local.server.LocalCloud` (``client``,
    ``listener_offset``, ``store``: the same SQLite file, opened from this process)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.listener_offset = settings.listener_offset
        self.endpoint_url = settings.endpoint_url
        self.store = Store(prepare_state_dir(Path(settings.state_dir)) / STATE_FILE)
        self.pid: int | None = None
        self.pids: list[int] = []

    def start(self) -> int:
        self.pid = start_background(self.settings)["pid"]
        self.pids.append(self.pid)
        return self.pid

    def client(self, service: str, region: str = "us-east-1") -> Any:
        import boto3

        return boto3.session.Session(region_name=region, **DUMMY_CREDENTIALS).client(
            service, endpoint_url=self.endpoint_url
        )

    def kill(self) -> None:
        """SIGKILL, as a crash: its task processes go on running."""
        assert self.pid is not None
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.pid = None

    def task_processes(self) -> list[tuple[int, int | None]]:
        with self.store.transaction():
            found = self.store.list(None, "task")
        return [(t["_pid"], t.get("_proc_start")) for t in found if t.get("_pid")]

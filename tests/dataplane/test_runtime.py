"""ECS tasks as real local processes: the runtime drives each task record of the store.

Until the ECS provider exists, the tests write task records the way its scheduler will, then wait
(with a bound) for what the runtime makes of them; every process any test starts is killed by pid
at the end, even when the test fails.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bgkit.apps.templates import task_definition
from bgkit.config import Settings
from bgkit.local.dataplane import runtime
from bgkit.local.dataplane.processes import pid_runs, proc_start_time
from bgkit.local.process import free_port
from bgkit.local.server import STATE_FILE, LocalCloud, start_background
from bgkit.local.store import Store

PARTITION = "123456789012/us-east-1"
CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/bgkit"
NGINX = {"name": "app", "image": "public.ecr.aws/nginx/nginx:stable", "containerPort": 80}
DEADLINE = 20.0

# the processes started during a test, as (pid, start time): killed at its end if still running
_started: set[tuple[int, int | None]] = set()


@pytest.fixture(autouse=True)
def reaper() -> Iterator[None]:
    """Set up first, torn down last: after every local cloud, kill what is left, by pid."""
    yield
    while _started:
        pid, start = _started.pop()
        if pid_runs(pid, start):
            os.killpg(pid, signal.SIGKILL)


# -- writing and reading task records as the ECS scheduler does ---------------------------------


def python_container(source: str, **environment: str) -> dict[str, Any]:
    """A container of the public Python image that runs ``python -c source``."""
    return {
        "name": "app",
        "image": "python:3.12-slim",
        "entryPoint": None,
        "command": ["python", "-c", source],
        "environment": environment,
        "containerPort": 80,
    }


def put_task(store: Store, container: dict[str, Any], number: int = 1) -> str:
    """Create a task record as the scheduler does; returns its ARN."""
    task_id = f"{number:032x}"
    arn = f"arn:aws:ecs:us-east-1:123456789012:task/bgkit/{task_id}"
    record = {
        "taskArn": arn,
        "clusterArn": CLUSTER,
        "launchType": "FARGATE",
        "lastStatus": "PROVISIONING",
        "desiredStatus": "RUNNING",
        "createdAt": time.time(),
        "containers": [
            {"name": container["name"], "image": container["image"], "lastStatus": "PENDING"}
        ],
        "_private_ip": f"172.31.5.{number}",
        "_container": {"entryPoint": None, "command": None, "environment": {}, **container},
        "_log": {"group": None, "stream": None},
    }
    with store.transaction():
        store.put(PARTITION, "task", arn, record)
    return arn


def task(store: Store, arn: str) -> dict[str, Any]:
    with store.transaction():  # holds the store's lock: no half-written pass is read
        found = store.get(PARTITION, "task", arn)
    assert found is not None
    return found


def endpoint(store: Store, record: dict[str, Any]) -> dict[str, Any] | None:
    with store.transaction():
        return store.get(PARTITION, "task-endpoint", runtime.endpoint_key(record))


def change_task(store: Store, arn: str, **changes: Any) -> None:
    with store.transaction():
        store.put(PARTITION, "task", arn, {**task(store, arn), **changes})


def wait_for(store: Store, arn: str, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The task record once ``check`` holds; fails after :data:`DEADLINE` seconds."""
    deadline = time.monotonic() + DEADLINE
    while True:
        record = task(store, arn)
        if record.get("_pid"):
            _started.add((record["_pid"], record.get("_proc_start")))
        if check(record):
            return record
        assert time.monotonic() < deadline, f"the task never got there: {record}"
        time.sleep(0.05)


def wait_status(store: Store, arn: str, status: str) -> dict[str, Any]:
    return wait_for(store, arn, lambda record: record["lastStatus"] == status)


def wait_gone(pid: int, start: int | None) -> None:
    deadline = time.monotonic() + DEADLINE
    while pid_runs(pid, start):
        assert time.monotonic() < deadline, f"process {pid} still runs"
        time.sleep(0.05)


def runtime_of(cloud: LocalCloud) -> runtime.RuntimeDataPlane:
    return next(c for c in cloud.components if isinstance(c, runtime.RuntimeDataPlane))


def get(port: int, path: str = "/") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


# -- starting -----------------------------------------------------------------------------------


def test_nginx_task_runs_and_answers_the_welcome_page(cloud):
    arn = put_task(cloud.store, NGINX)
    record = wait_status(cloud.store, arn, "RUNNING")
    found = endpoint(cloud.store, record)
    assert found == {"Host": "127.0.0.1", "Port": record["_host_port"], "TaskArn": arn}
    status, body = get(found["Port"])
    assert status == 200
    assert "Welcome to nginx!" in body
    assert record["containers"][0]["lastStatus"] == "RUNNING"
    assert record["connectivity"] == "CONNECTED"
    assert record["pullStartedAt"] <= record["pullStoppedAt"] <= record["startedAt"]
    assert record["_pgid"] == record["_pid"] == os.getpgid(record["_pid"])
    assert record["_proc_start"] == proc_start_time(record["_pid"])
    [row] = runtime_of(cloud).status()
    assert row == {
        "task_arn": arn,
        "pid": record["_pid"],
        "host_port": record["_host_port"],
        "state": "running",
        "adopted": False,
        "log_path": record["_log_path"],
    }


def test_fizzbuzz_task_from_the_template_answers_one_value(cloud):
    definition = task_definition(
        "fizzbuzz",
        family="bgkit-fizzbuzz",
        execution_role_arn="arn:aws:iam::123456789012:role/bgkit-execution",
        log_group="/ecs/bgkit",
        region="us-east-1",
        revision="v2",
    )["containerDefinitions"][0]
    container = {
        "name": definition["name"],
        "image": definition["image"],
        "entryPoint": definition["entryPoint"],
        "command": definition["command"],
        "environment": {pair["name"]: pair["value"] for pair in definition["environment"]},
        "containerPort": definition["portMappings"][0]["containerPort"],
    }
    arn = put_task(cloud.store, container)
    record = wait_status(cloud.store, arn, "RUNNING")
    assert get(record["_host_port"], "/fizzbuzz/15") == (200, "FizzBuzz")
    assert "v2" in get(record["_host_port"])[1]


def test_unknown_image_stops_the_task_at_once(cloud):
    arn = put_task(cloud.store, {**NGINX, "image": "httpd:2.4"})
    record = wait_status(cloud.store, arn, "STOPPED")
    assert record["desiredStatus"] == "STOPPED"
    assert record["stopCode"] == "TaskFailedToStart"
    assert record["stoppedReason"].startswith("CannotPullContainerError:")
    assert "'httpd:2.4'" in record["stoppedReason"]
    assert record["containers"][0]["lastStatus"] == "STOPPED"
    assert record["containers"][0]["reason"] == record["stoppedReason"]
    assert "_pid" not in record
    assert runtime_of(cloud).status() == []


def test_a_port_never_opened_fails_the_task(cloud, monkeypatch):
    monkeypatch.setattr(runtime, "STARTUP_TIMEOUT", 1.0)
    arn = put_task(cloud.store, python_container("import time; time.sleep(60)"))
    record = wait_status(cloud.store, arn, "STOPPED")
    assert record["stopCode"] == "TaskFailedToStart"
    assert "did not accept connections on its port 80" in record["stoppedReason"]
    assert record["containers"][0]["exitCode"] == 128 + signal.SIGTERM
    wait_gone(record["_pid"], record["_proc_start"])


# -- exits and stops ----------------------------------------------------------------------------


def test_a_killed_process_stops_the_task_with_its_exit_code(cloud):
    arn = put_task(cloud.store, NGINX)
    running = wait_status(cloud.store, arn, "RUNNING")
    os.kill(running["_pid"], signal.SIGKILL)
    record = wait_status(cloud.store, arn, "STOPPED")
    assert record["desiredStatus"] == "STOPPED"
    assert record["stopCode"] == "EssentialContainerExited"
    assert record["stoppedReason"] == "Essential container in task exited"
    assert record["containers"][0] == {**record["containers"][0], "lastStatus": "STOPPED"}
    assert record["containers"][0]["exitCode"] == 137
    assert record["stoppedAt"] >= record["startedAt"]
    assert endpoint(cloud.store, record) is None
    assert runtime_of(cloud).status() == []


def test_a_process_that_exits_by_itself_stops_the_task(cloud):
    arn = put_task(cloud.store, python_container("raise SystemExit(3)"))
    record = wait_status(cloud.store, arn, "STOPPED")
    assert record["stopCode"] == "EssentialContainerExited"
    assert record["containers"][0]["exitCode"] == 3


def test_desired_stopped_sends_sigterm_and_the_app_exits_0(cloud):
    arn = put_task(cloud.store, NGINX)
    running = wait_status(cloud.store, arn, "RUNNING")
    change_task(
        cloud.store, arn, desiredStatus="STOPPED", stoppedReason="Scaling activity initiated"
    )
    record = wait_status(cloud.store, arn, "STOPPED")
    assert record["containers"][0]["exitCode"] == 0
    assert record["stoppedReason"] == "Scaling activity initiated"
    assert record["stoppingAt"] <= record["executionStoppedAt"] <= record["stoppedAt"]
    assert endpoint(cloud.store, record) is None
    wait_gone(running["_pid"], running["_proc_start"])
    assert "SIGTERM received, stopping" in Path(record["_log_path"]).read_text()


def test_a_process_ignoring_sigterm_is_killed_after_the_stop_timeout(cloud, monkeypatch):
    monkeypatch.setattr(runtime, "STOP_TIMEOUT", 1.0)
    source = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    arn = put_task(cloud.store, python_container(source))
    wait_status(cloud.store, arn, "PENDING")
    started = time.monotonic()
    change_task(cloud.store, arn, desiredStatus="STOPPED")
    record = wait_status(cloud.store, arn, "STOPPED")
    assert record["containers"][0]["exitCode"] == 137
    assert time.monotonic() - started >= 0.9


def test_a_task_record_deleted_stops_its_process(cloud):
    arn = put_task(cloud.store, NGINX)
    record = wait_status(cloud.store, arn, "RUNNING")
    with cloud.store.transaction():
        cloud.store.delete(PARTITION, "task", arn)
    wait_gone(record["_pid"], record["_proc_start"])
    assert endpoint(cloud.store, record) is None


def test_the_log_file_holds_the_access_log(cloud):
    arn = put_task(cloud.store, NGINX)
    record = wait_status(cloud.store, arn, "RUNNING")
    assert get(record["_host_port"], "/")[0] == 200
    assert get(record["_host_port"], "/missing")[0] == 404
    log_path = Path(record["_log_path"])
    assert log_path == cloud.state_dir / "tasks" / f"{arn.rsplit('/', 1)[1]}.log"
    deadline = time.monotonic() + DEADLINE
    while '"GET /missing HTTP/1.1" 404' not in log_path.read_text():
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.05)
    lines = log_path.read_text().splitlines()
    assert any('"GET / HTTP/1.1" 200' in line for line in lines)


# -- the local cloud stops, restarts, or is killed ---------------------------------------------


def test_stopping_the_local_cloud_stops_its_tasks_and_the_next_runs_them_again(tmp_path):
    state = tmp_path / "state"
    with LocalCloud(state, port=0, listener_offset=0) as first:
        arns = [put_task(first.store, NGINX, number) for number in (1, 2)]
        before = [wait_status(first.store, arn, "RUNNING") for arn in arns]
    for record in before:
        wait_gone(record["_pid"], record["_proc_start"])
    store = Store(state / STATE_FILE)
    try:
        for arn in arns:
            assert task(store, arn)["lastStatus"] == "RUNNING"
            assert endpoint(store, task(store, arn)) is None
    finally:
        store.close()
    with LocalCloud(state, port=0, listener_offset=0) as second:
        for arn, old in zip(arns, before, strict=True):
            record = wait_for(second.store, arn, lambda r, old=old: r["_pid"] != old["_pid"])
            found = wait_for(second.store, arn, lambda r: endpoint(second.store, r) is not None)
            assert found["lastStatus"] == "RUNNING"
            assert found["startedAt"] == old["startedAt"]
            assert endpoint(second.store, found)["Port"] == record["_host_port"]
            assert "Welcome to nginx!" in get(record["_host_port"])[1]
    assert not pid_runs(record["_pid"], record["_proc_start"])


@pytest.fixture
def background(tmp_path) -> Iterator[Callable[[], tuple[int, Path]]]:
    """``start()`` runs a local cloud in its own process (as `bgkit local up` does): its pid and
    state directory. Killed by pid at the end if it still runs."""
    pids = []

    def start() -> tuple[int, Path]:
        state = tmp_path / "state"
        settings = Settings.load(env={}, local_port=free_port(), state_dir=state)
        pids.append(start_background(settings)["pid"])
        return pids[-1], state

    yield start
    for pid in pids:
        if pid_runs(pid, proc_start_time(pid)):
            os.kill(pid, signal.SIGTERM)  # it stops its tasks
        with contextlib.suppress(ChildProcessError):  # unless the test has reaped it
            os.waitpid(pid, 0)


def test_a_killed_local_cloud_leaves_its_tasks_running_and_the_next_adopts_them(background):
    cloud_pid, state = background()
    store = Store(state / STATE_FILE)  # the background local cloud's store, from this process
    try:
        arns = [put_task(store, NGINX, number) for number in (1, 2)]
        before = [wait_status(store, arn, "RUNNING") for arn in arns]
    finally:
        store.close()
    os.kill(cloud_pid, signal.SIGKILL)
    os.waitpid(cloud_pid, 0)
    for record in before:
        assert pid_runs(record["_pid"], record["_proc_start"])
        assert "Welcome to nginx!" in get(record["_host_port"])[1]

    with LocalCloud(state, port=0, listener_offset=0) as cloud:
        rows = runtime_of(cloud).status()
        assert [(row["pid"], row["host_port"], row["adopted"]) for row in rows] == [
            (record["_pid"], record["_host_port"], True) for record in before
        ]
        time.sleep(3 * runtime.PROBE_TIMEOUT)  # a few passes: nothing is started again
        for arn, old in zip(arns, before, strict=True):
            record = task(cloud.store, arn)
            assert (record["lastStatus"], record["_pid"]) == ("RUNNING", old["_pid"])
            assert endpoint(cloud.store, record)["Port"] == old["_host_port"]
        # an adopted process that dies is seen, with no exit status (it is not our child)
        os.kill(before[0]["_pid"], signal.SIGKILL)
        stopped = wait_status(cloud.store, arns[0], "STOPPED")
        assert stopped["stopCode"] == "EssentialContainerExited"
        assert "exitCode" not in stopped["containers"][0]
        assert endpoint(cloud.store, stopped) is None
    # stopping the local cloud stops the adopted processes too
    wait_gone(before[1]["_pid"], before[1]["_proc_start"])

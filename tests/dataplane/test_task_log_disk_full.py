"""A task writing to its log on a full disk crashes nothing: not the runtime's passes, not the
task's status, not the log pump that ships its output to CloudWatch Logs, not the local cloud
(issue 20). The task goes on when its app goes on, or stops as ECS says a container stops
(``EssentialContainerExited``, its exit code) with its container's ``reason`` naming the full
disk; `bgkit local status` and `bgkit local logs` say in one sentence what happened and what to
do.

On AWS a container's output goes to its log driver, never to a file of its own, so the task runs
on whatever becomes of its logs (ECS Developer Guide, "Using the awslogs log driver": in
non-blocking mode logs that cannot be delivered are dropped, and the container goes on). Here a
task's output goes straight to its log file, so what it writes while the disk is full is lost.

The disk is a small tmpfs mounted for the test (root only; skipped elsewhere, saying why), as
``tests/local/test_disk_full.py`` mounts one for the state database.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_runtime import PARTITION, get, put_task, python_container, task, wait_status
from waiting import wait_for

from bgkit.local.server import LocalCloud

BGKIT = str(Path(sys.executable).parent / "bgkit")
SENTENCE = "is full, so what tasks write to their logs is lost: free some space on it"

#: serves on PORT and writes a numbered line every 20 ms, going on when a write fails
GOES_ON = """
import http.server, itertools, os, threading, time
def chat():
    for n in itertools.count():
        try:
            print("line", n, "x" * 100, flush=True)
        except OSError:
            pass
        time.sleep(0.02)
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
threading.Thread(target=chat, daemon=True).start()
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Quiet).serve_forever()
"""
#: serves on PORT and writes a line every 20 ms; the first write that fails ends it
GIVES_UP = """
import http.server, itertools, os, threading, time
def serve():
    http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])),
                           http.server.SimpleHTTPRequestHandler).serve_forever()
threading.Thread(target=serve, daemon=True).start()
for n in itertools.count():
    print("line", n, "x" * 100, flush=True)
    time.sleep(0.02)
"""


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 4 MiB tmpfs of its own, unmounted at the end."""
    where = tmp_path / "disk"
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small tmpfs is not allowed here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to its last byte; returns the filling file (delete it to free the space)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:
        for size in (65536, 1):
            with contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * size)
    return filler


def logged_to_cloudwatch(cloud: LocalCloud, arn: str) -> None:
    """Give the task an ``awslogs`` stream in a group made before it started."""
    cloud.client("logs").create_log_group(logGroupName="/ecs/disk")
    with cloud.store.transaction():
        record = task(cloud.store, arn)
        record["_log"] = {"group": "/ecs/disk", "stream": "ecs/app/1"}
        record["createdAt"] = cloud.clock.now() + 1
        cloud.store.put(PARTITION, "task", arn, record)


def last_shipped(cloud: LocalCloud) -> int:
    events = cloud.client("logs").get_log_events(
        logGroupName="/ecs/disk", logStreamName="ecs/app/1", startFromHead=False, limit=5
    )["events"]
    numbers = [int(e["message"].split()[1]) for e in events if e["message"].startswith("line ")]
    return max(numbers, default=-1)


def problem(cloud: LocalCloud) -> str | None:
    (status,) = cloud.status()["tasks"]
    return status.get("log_problem")


def test_a_task_that_goes_on_runs_on_a_full_disk_and_ships_again_after(small_disk):
    with LocalCloud(small_disk / "state", port=0, listener_offset=0) as cloud:
        arn = put_task(cloud.store, python_container(GOES_ON))
        logged_to_cloudwatch(cloud, arn)
        record = wait_status(cloud.store, arn, "RUNNING")
        wait_for("output shipped", lambda: last_shipped(cloud) >= 0)
        before = last_shipped(cloud)
        filler = fill(small_disk)
        try:
            said = wait_for("the full disk said", lambda: problem(cloud), deadline=10)
            assert SENTENCE in said and str(small_disk / "state" / "tasks") in said
            time.sleep(1.0)  # a few passes on the full disk
            assert get(record["_host_port"])[0] == 200  # the task goes on
            assert task(cloud.store, arn)["lastStatus"] == "RUNNING"
            assert cloud.client("ecs").list_clusters()["clusterArns"] == []  # it answers
        finally:
            filler.unlink()
        # what it wrote while the disk was full (two seconds, a hundred lines) is lost
        wait_for("output shipped again", lambda: last_shipped(cloud) > before + 100)
        wait_for("the sentence gone", lambda: problem(cloud) is None, deadline=10)
        assert task(cloud.store, arn)["lastStatus"] == "RUNNING"


def test_a_task_whose_write_fails_stops_saying_why(small_disk):
    state = small_disk / "state"
    with LocalCloud(state, port=0, listener_offset=0) as cloud:
        arn = put_task(cloud.store, python_container(GIVES_UP))
        wait_status(cloud.store, arn, "RUNNING")
        filler = fill(small_disk)
        try:
            env = {**os.environ, "BGKIT_STATE_DIR": str(state)}
            shown = subprocess.run(
                [BGKIT, "local", "logs"], env=env, capture_output=True, text=True, timeout=60
            )
            assert shown.returncode == 0, shown.stderr
            assert "Traceback" not in shown.stderr
            assert SENTENCE in shown.stderr and len(shown.stderr.strip().splitlines()) == 1
        finally:
            time.sleep(1.0)  # its process ends while the disk is full
            filler.unlink()
        stopped = wait_status(cloud.store, arn, "STOPPED")
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["stoppedReason"] == "Essential container in task exited"
    (container,) = stopped["containers"]
    assert container["exitCode"] not in (None, 0)
    assert container["reason"].startswith("exited while the disk that holds the task logs")
    assert SENTENCE in container["reason"]

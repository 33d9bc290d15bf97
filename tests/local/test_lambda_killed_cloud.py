"""`bgkit local down` and `reset` end the Lambda invocations a killed local cloud left running,
with what they started, as they end its tasks (issue 20: "after kill -9 or a hang, … kill them
on down/reset whatever happened before").

Everything is a real process: the local cloud runs in the background as `bgkit local up` runs
it, an ``Event`` invocation runs a handler that starts ``sleep 600`` in a session of its own and
then naps, and the local cloud is killed with ``SIGKILL`` while the invocation is in flight. On
Lambda an invocation's processes never outlive its execution environment (Lambda Developer
Guide, "Lambda execution environment": the environment is shut down, and its processes with it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from lambda_world import make_function, make_role
from test_lambda_stop import STARTS_A_SLEEPER, alive
from waiting import wait_for

from bgkit.config import Settings
from bgkit.local.process import STATE_FILE, free_port, start_background
from bgkit.local.server import DUMMY_CREDENTIALS
from bgkit.local.store import recorded_processes

pytestmark = pytest.mark.slow

BGKIT = str(Path(sys.executable).parent / "bgkit")


@pytest.fixture
def background(tmp_path) -> Iterator[Callable[[], tuple[int, Settings]]]:
    """``start()`` runs a local cloud in its own process; whatever a test left is killed."""
    pids: list[int] = []
    settings = Settings.load(env={}, local_port=free_port(), state_dir=tmp_path / "state")

    def start() -> tuple[int, Settings]:
        pids.append(start_background(settings)["pid"])
        return pids[-1], settings

    yield start
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def invoke_a_sleeper(settings: Settings, out: Path) -> int:
    """Invoke a function that starts a sleeper and naps; the sleeper's pid."""

    def client(service: str):
        return boto3.session.Session(region_name="us-east-1", **DUMMY_CREDENTIALS).client(
            service, endpoint_url=settings.endpoint_url
        )

    lam = client("lambda")
    make_function(lam, make_role(client("iam")), source=STARTS_A_SLEEPER, Timeout=300,
                  Environment={"Variables": {"OUT": str(out), "NAP": "300"}})  # fmt: skip
    lam.invoke(FunctionName="bgkit-fn", InvocationType="Event", Payload=b"{}")
    return int(wait_for("the sleeper's pid", lambda: out.exists() and out.read_text()))


@pytest.mark.parametrize("command", ["down", "reset"])
def test_down_and_reset_end_the_invocations_a_killed_local_cloud_left(
    background, tmp_path, command
):
    cloud_pid, settings = background()
    sleeper = invoke_a_sleeper(settings, tmp_path / "pid")
    (row,) = recorded_processes(Path(settings.state_dir) / STATE_FILE)
    assert row["owner"].startswith("lambda:"), row
    invocation = row["pid"]
    try:
        os.kill(cloud_pid, signal.SIGKILL)
        os.waitpid(cloud_pid, 0)
        time.sleep(0.5)
        assert alive(invocation) and alive(sleeper)  # orphaned, both
        env = {**os.environ, "BGKIT_STATE_DIR": str(settings.state_dir),
               "BGKIT_LOCAL_PORT": str(settings.local_port)}  # fmt: skip
        result = subprocess.run(
            [BGKIT, "local", command], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        # ended by the command itself, before it returned
        wait_for("the tree ended", lambda: not alive(invocation) and not alive(sleeper),
                 deadline=2.0)  # fmt: skip
    finally:
        for pid in (invocation, sleeper):
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

"""`bgkit local up | status | down | reset | env`, `bgkit check` and `bgkit tour` as a learner runs
them, in real processes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import boto3
import nbformat
import pytest

from bgkit.local.ports import free_listener_offset
from bgkit.local.server import PID_FILE

BGKIT = str(Path(sys.executable).parent / "bgkit")
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "codedeploy.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Instance:
    """One background local cloud driven through the `bgkit` command."""

    def __init__(self, state_dir: Path) -> None:
        self.port = free_port()
        self.state_dir = state_dir
        self.env = {
            **os.environ,
            "BGKIT_LOCAL_PORT": str(self.port),
            "BGKIT_STATE_DIR": str(state_dir),
            "BGKIT_LISTENER_OFFSET": str(free_listener_offset((80, 8080))),
        }

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [BGKIT, *args], env=self.env, capture_output=True, text=True, timeout=60
        )
        if check and result.returncode != 0:
            raise AssertionError(f"bgkit {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    def pid(self) -> int:
        return json.loads((self.state_dir / PID_FILE).read_text())["pid"]

    def client(self, service: str):
        """A client configured only from `bgkit local env`'s export lines."""
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in self.run("local", "env").stdout.splitlines()
            if line.startswith("export ")
        )
        session = boto3.session.Session(
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
            region_name=exports["AWS_DEFAULT_REGION"],
        )
        return session.client(service, endpoint_url=exports["AWS_ENDPOINT_URL"])


@pytest.fixture
def instance(tmp_path):
    made = Instance(tmp_path / "state")
    yield made
    made.run("local", "down", check=False)


def test_up_answers_and_status_describes_it(instance):
    output = instance.run("local", "up").stdout
    assert f"http://127.0.0.1:{instance.port}" in output
    status = instance.run("local", "status").stdout
    assert f"pid:             {instance.pid()}" in status
    assert str(instance.state_dir) in status
    assert re.search(r"event loop: +worst stall [\d.]+ ms, \d+ over 100 ms", status), status
    assert instance.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_up_twice_keeps_the_running_one(instance):
    instance.run("local", "up")
    first = instance.pid()
    instance.run("local", "up")
    assert instance.pid() == first


def test_state_dir_is_private(instance):
    instance.run("local", "up")
    assert stat.S_IMODE(instance.state_dir.stat().st_mode) == 0o700


def test_status_exits_1_when_not_running(instance):
    result = instance.run("local", "status", check=False)
    assert result.returncode == 1
    assert "no local cloud runs" in result.stdout


def test_up_refuses_a_taken_port(instance):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", instance.port))
        taken.listen()
        result = instance.run("local", "up", check=False)
    assert result.returncode != 0
    assert (
        f"port {instance.port} is in use — is another local cloud running? "
        "see `bgkit local status`" in result.stderr
    )


def test_down_stops_it_and_keeps_the_state(instance):
    instance.run("local", "up")
    instance.client("iam").create_role(RoleName="kept", AssumeRolePolicyDocument=TRUST)
    pid = instance.pid()
    assert "stopped" in instance.run("local", "down").stdout
    assert instance.run("local", "status", check=False).returncode == 1
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    instance.run("local", "up")
    assert instance.client("iam").get_role(RoleName="kept")["Role"]["RoleName"] == "kept"


def test_kill_9_then_up_finds_everything(instance):
    instance.run("local", "up")
    iam, ec2 = instance.client("iam"), instance.client("ec2")
    iam.create_role(RoleName="survivor", AssumeRolePolicyDocument=TRUST)
    group = ec2.create_security_group(GroupName="survivor", Description="kept across kill -9")
    os.kill(instance.pid(), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while instance.run("local", "status", check=False).returncode == 0:
        assert time.monotonic() < deadline, "the killed local cloud still answers"
        time.sleep(0.05)
    instance.run("local", "up")
    assert instance.client("iam").get_role(RoleName="survivor")["Role"]["RoleName"] == "survivor"
    groups = instance.client("ec2").describe_security_groups(GroupIds=[group["GroupId"]])
    assert groups["SecurityGroups"][0]["GroupName"] == "survivor"


def test_reset_deletes_the_state(instance):
    instance.run("local", "up")
    instance.client("iam").create_role(RoleName="gone", AssumeRolePolicyDocument=TRUST)
    assert "deleted" in instance.run("local", "reset").stdout
    assert not instance.state_dir.exists()
    instance.run("local", "up")
    assert instance.client("iam").list_roles()["Roles"] == []


def test_two_instances_run_side_by_side(tmp_path):
    first, second = Instance(tmp_path / "one"), Instance(tmp_path / "two")
    try:
        first.run("local", "up")
        second.run("local", "up")
        first.client("iam").create_role(RoleName="only-in-one", AssumeRolePolicyDocument=TRUST)
        assert [r["RoleName"] for r in second.client("iam").list_roles()["Roles"]] == []
        assert first.pid() != second.pid()
    finally:
        first.run("local", "down", check=False)
        second.run("local", "down", check=False)


def test_env_prints_exports_for_a_shell(instance):
    output = instance.run("local", "env").stdout
    assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{instance.port}" in output
    assert "export AWS_ACCESS_KEY_ID=" in output
    assert "export AWS_DEFAULT_REGION=us-east-1" in output


def test_aws_cli_works_with_the_env_exports(instance):
    instance.run("local", "up")
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in instance.run("local", "env").stdout.splitlines()
        if line.startswith("export ")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "aws"), "sts", "get-caller-identity"],
        env={**env, **exports},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"] == "123456789012"


def test_bad_setting_is_a_clear_usage_error(instance):
    instance.env["BGKIT_CLOCK"] = "fast"
    result = instance.run("local", "up", check=False)
    assert result.returncode == 2
    assert "BGKIT_CLOCK must be a number, not 'fast'" in result.stderr


def test_logs_show_a_task_s_output(instance):
    logs = instance.state_dir / "tasks"
    logs.mkdir(parents=True)
    (logs / "0f1e2d3c4b5a.log").write_text("started\n" + "".join(f"GET /{n}\n" for n in range(30)))
    everything = instance.run("local", "logs").stdout
    assert "==> task 0f1e2d3c4b5a" in everything
    assert "GET /29" in everything and "GET /9\n" not in everything  # the last 20 lines
    one = instance.run("local", "logs", "arn:aws:ecs:us-east-1:123456789012:task/c/0f1e", "-n", "2")
    assert one.stdout.splitlines()[1:] == ["GET /28", "GET /29"]
    missing = instance.run("local", "logs", "ffff", check=False)
    assert missing.returncode == 1
    assert "no task log starts with 'ffff'" in missing.stderr


def test_check_stops_the_local_cloud_it_started(instance):
    report = instance.run("check", check=False).stdout
    assert "✓ local cloud: answers on" in report, report
    assert "started for this check and stopped after it" in report
    assert instance.run("local", "status", check=False).returncode == 1


def test_check_leaves_a_running_local_cloud_running(instance):
    instance.run("local", "up")
    pid = instance.pid()
    report = instance.run("check", check=False).stdout
    assert f"(pid {pid}, account 123456789012); it was running, and the check leaves it" in report
    assert instance.run("local", "status").returncode == 0
    assert instance.pid() == pid


def _notebook(path: Path, *cells: str) -> None:
    cells_ = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nbformat.v4.new_notebook(cells=cells_), path)


@pytest.mark.slow
def test_tour_runs_a_folder_of_notebooks_in_aligned_columns_without_warnings(instance, tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(
        folder / "00-ask-who-i-am.ipynb",
        "import bgkit\nbgkit.connect().client('sts').get_caller_identity()['Account']",
    )
    _notebook(
        folder / "01-count-the-clusters-of-the-local-cloud.ipynb",
        "import bgkit\nlen(bgkit.connect().client('ecs').list_clusters()['clusterArns'])",
    )
    _notebook(folder / "notes.ipynb", "raise RuntimeError('not a step of the tour')")  # fmt: skip
    result = instance.run("tour", "--notebooks", str(folder), "--out", str(tmp_path / "out"))
    steps = [line for line in result.stdout.splitlines() if re.match(r"  \d\d-", line)]
    assert [line.split()[0] for line in steps] == [
        "00-ask-who-i-am", "01-count-the-clusters-of-the-local-cloud"]  # fmt: skip
    assert len({line.index(" s  ok") for line in steps}) == 1, result.stdout
    assert "without encryption" not in result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    executed = nbformat.read(tmp_path / "out" / "00-ask-who-i-am.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["data"]["text/plain"] == "'123456789012'"


def test_tour_without_notebooks_names_the_option(instance, tmp_path):
    result = instance.run("tour", "--notebooks", str(tmp_path), check=False)
    assert result.returncode == 2
    assert f"no notebooks (NN-name.ipynb) in {tmp_path}" in result.stderr
    assert "--notebooks PATH" in result.stderr


def test_tour_last_takes_a_notebook_number(instance):
    result = instance.run("tour", "--last", "four", check=False)
    assert result.returncode == 2
    assert "--last takes a notebook's two-digit number (04), not 'four'" in result.stderr

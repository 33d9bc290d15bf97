"""Notebook 10's validation function (``data/hooks/validate_fizzbuzz.py``) as a real
AfterAllowTestTraffic hook: a Lambda process that asks a FizzBuzz answering over loopback HTTP
for its answers and reports to CodeDeploy — the good revision passes and the deployment waits
for you, the buggy one (15 says Fizz, as in notebook 06) fails and CodeDeploy rolls back, port 80
never served it; the function's log says which answers were wrong."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from codedeploy_world import appspec, make_deploy
from lambda_world import make_function
from test_codedeploy_hooks import cloud, wait_event  # noqa: F401
from waiting import wait_for

from bgkit.apps.fizzbuzz import fizzbuzz

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parents[2] / "data"
SOURCE = (DATA / "hooks" / "validate_fizzbuzz.py").read_text()
TRUST = (DATA / "iam" / "lambda-trust-policy.json").read_text()
POLICY = (DATA / "iam" / "validation-hook-policy.json").read_text()


def serve(buggy: bool) -> http.server.ThreadingHTTPServer:
    """FizzBuzz's ``GET /fizzbuzz/<n>`` on a loopback port (``buggy``: 15 says Fizz)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            n = int(self.path.rsplit("/", 1)[-1])
            body = ("Fizz" if buggy and n == 15 else fizzbuzz(n)).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(params=[False, True], ids=["good", "buggy"])
def green(request: Any) -> Iterator[tuple[bool, str]]:
    server = serve(request.param)
    yield request.param, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_validation_hook_passes_fizzbuzz_and_fails_the_bug(cloud, client, green):  # noqa: F811
    buggy, url = green
    deploy = make_deploy(cloud, client)
    iam = client("iam")
    role = iam.create_role(RoleName="bgkit-validate", AssumeRolePolicyDocument=TRUST)["Role"]
    iam.put_role_policy(RoleName="bgkit-validate", PolicyName="hook", PolicyDocument=POLICY)
    make_function(
        client("lambda"), role["Arn"], "CodeDeployHook_validate", SOURCE,
        Handler="app.handler", Environment={"Variables": {"TEST_URL": url}},
    )  # fmt: skip
    deploy.create_group(ready_wait=30, rollback=["DEPLOYMENT_FAILURE"])
    deployment = deploy.deploy(
        appspec(deploy.fizzbuzz, hooks={"AfterAllowTestTraffic": "CodeDeployHook_validate"})
    )
    deploy.run_to(deployment, "InProgress")
    wait_event(deploy, deployment, "AfterAllowTestTraffic", "Failed" if buggy else "Succeeded")
    info = deploy.info(deployment)
    assert deploy.weights(0) == {"bgkit-tg-1": 1, "bgkit-tg-2": 0}  # port 80 on blue
    if buggy:
        assert info["status"] == "Failed"
        assert info["rollbackInfo"]["rollbackDeploymentId"]
    else:
        assert info["status"] == "Ready"
    log = wait_for("the function's log", lambda: function_log(client("logs")))
    if buggy:
        assert "GET /fizzbuzz/15 answered 'Fizz', expected 'FizzBuzz'" in log
        assert "14 of 15 answers right -> Failed" in log
    else:
        assert "15 of 15 answers right -> Succeeded" in log


def function_log(logs: Any) -> str:
    """The hook function's log in CloudWatch Logs, once its REPORT line is there."""
    group = "/aws/lambda/CodeDeployHook_validate"
    try:
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    except logs.exceptions.ResourceNotFoundException:
        return ""
    lines = [
        event["message"]
        for stream in streams
        for event in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])[
            "events"
        ]
    ]
    text = "\n".join(lines)
    return text if "REPORT" in text else ""

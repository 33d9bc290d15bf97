"""Lambda invocations as real local processes, through boto3: Lambda's contract, its logs, its
errors and timeouts; the event loop never waits for a function; invocations survive a restart.

Sources: the Lambda developer guide ("Define Lambda function handler in Python", "Using the Lambda
context object to retrieve Python function information", "Lambda function errors in Python",
"Defined runtime environment variables", "Monitoring and troubleshooting Lambda functions": the
START/END/REPORT lines, "Task timed out after N.NN seconds"), the Invoke API reference (``202``
for ``Event``, ``X-Amz-Function-Error: Unhandled``, ``X-Amz-Log-Result`` the last 4 KB of the log
in base64) and "How Lambda handles errors and retries with asynchronous invocation".
"""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

import pytest
from lambda_world import make_function, make_role
from waiting import wait_for

from bgkit.local.server import LocalCloud

pytestmark = pytest.mark.slow


@pytest.fixture
def lam(client: Any) -> Any:
    return client("lambda")


@pytest.fixture
def role(client: Any) -> str:
    return make_role(client("iam"))


def invoke(lam: Any, payload: Any = None, **options: Any) -> tuple[dict[str, Any], Any]:
    answered = lam.invoke(
        FunctionName=options.pop("name", "bgkit-fn"),
        Payload=json.dumps(payload if payload is not None else {}),
        **options,
    )
    return answered, json.loads(answered["Payload"].read() or b"null")


def log_messages(logs: Any, name: str = "bgkit-fn") -> list[str]:
    group = f"/aws/lambda/{name}"
    try:
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [
        event["message"]
        for stream in streams
        for event in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])[
            "events"
        ]
    ]


CONTRACT = """
import os

def handler(event, context):
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "env": {k: os.environ.get(k) for k in (
            "AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "AWS_LAMBDA_FUNCTION_VERSION", "_HANDLER", "AWS_ENDPOINT_URL", "TEST_URL",
            "AWS_ACCESS_KEY_ID", "AWS_LAMBDA_LOG_GROUP_NAME")},
        "cwd_has_app": os.path.exists("app.py"),
    }
"""


def test_request_response_gets_lambdas_event_context_and_environment(cloud, lam, role):
    make_function(
        lam, role, source=CONTRACT, Timeout=5, MemorySize=256,
        Environment={"Variables": {"TEST_URL": "http://127.0.0.1:18080/"}},
    )  # fmt: skip
    answered, body = invoke(lam, {"n": 15})
    assert answered["StatusCode"] == 200 and "FunctionError" not in answered
    assert answered["ExecutedVersion"] == "$LATEST"
    assert body["event"] == {"n": 15}
    assert body["function_name"] == "bgkit-fn"
    assert body["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:bgkit-fn"
    assert body["memory"] == 256
    assert 0 < body["remaining"] <= 5000
    assert body["env"] == {
        "AWS_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "bgkit-fn",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "_HANDLER": "app.handler",
        "AWS_ENDPOINT_URL": cloud.endpoint_url,
        "TEST_URL": "http://127.0.0.1:18080/",
        "AWS_ACCESS_KEY_ID": "bgkit",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bgkit-fn",
    }
    assert body["cwd_has_app"] is True


BOTO3_INSIDE = """
import boto3

def handler(event, context):
    roles = boto3.client("iam").list_roles()["Roles"]
    return sorted(r["RoleName"] for r in roles)
"""


def test_boto3_inside_the_function_calls_the_local_cloud(lam, role):
    make_function(lam, role, source=BOTO3_INSIDE, Timeout=30)
    _, body = invoke(lam)
    assert body == ["bgkit-lambda"]


def test_log_type_tail_gives_the_end_of_the_log(lam, role):
    make_function(lam, role, source="def handler(e, c):\n    print('hello from the hook')\n")
    answered, body = invoke(lam, LogType="Tail")
    assert body is None
    tail = base64.b64decode(answered["LogResult"]).decode().splitlines()
    assert tail[0].startswith("START RequestId: ") and tail[0].endswith(" Version: $LATEST")
    assert tail[1] == "hello from the hook"
    assert tail[2].startswith("END RequestId: ")
    assert tail[3].startswith("REPORT RequestId: ") and "\tBilled Duration: " in tail[3]
    assert "\tMemory Size: 128 MB\t" in tail[3]


def test_output_reaches_the_functions_log_group(client, lam, role):
    make_function(lam, role, source="def handler(e, c):\n    print('checked', e['n'])\n")
    invoke(lam, {"n": 3})
    messages = wait_for("the log events", lambda: log_messages(client("logs")))
    assert "checked 3" in messages
    assert messages[0].startswith("START RequestId: ")


RAISES = """
def handler(event, context):
    raise ValueError("FizzBuzz said 4 for 3")
"""


def test_an_exception_is_an_unhandled_function_error_with_lambdas_payload(lam, role):
    make_function(lam, role, source=RAISES)
    answered, body = invoke(lam, LogType="Tail")
    assert answered["StatusCode"] == 200
    assert answered["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "FizzBuzz said 4 for 3"
    assert body["requestId"]
    assert any('app.py", line 3, in handler' in frame for frame in body["stackTrace"])
    tail = base64.b64decode(answered["LogResult"]).decode()
    assert "[ERROR] ValueError: FizzBuzz said 4 for 3" in tail


@pytest.mark.parametrize(
    ("handler", "source", "error_type", "message"),
    [
        ("missing.handler", "", "Runtime.ImportModuleError", "Unable to import module 'missing'"),
        ("app.nope", "x = 1\n", "Runtime.HandlerNotFound", "Handler 'nope' missing on module"),
        ("app.handler", "def handler(:\n", "Runtime.UserCodeSyntaxError", "Syntax error in"),
        ("app.handler", "def handler(e, c):\n    return {1, 2}\n", "Runtime.MarshalError",
         "Unable to marshal response"),
    ],
)  # fmt: skip
def test_runtime_errors_carry_the_runtimes_error_types(
    lam, role, handler, source, error_type, message
):
    make_function(lam, role, source=source, Handler=handler)
    answered, body = invoke(lam)
    assert answered["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type
    assert message in body["errorMessage"]


SLEEPS = """
import time

def handler(event, context):
    time.sleep(event.get("seconds", 0))
    return "slept"
"""


def test_the_timeout_kills_the_function(lam, role):
    make_function(lam, role, source=SLEEPS, Timeout=1)
    started = time.monotonic()
    answered, body = invoke(lam, {"seconds": 30}, LogType="Tail")
    assert time.monotonic() - started < 10
    assert answered["FunctionError"] == "Unhandled"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in base64.b64decode(answered["LogResult"]).decode()


def test_a_sleeping_function_never_blocks_other_calls(cloud, client, lam, role):
    """While one invocation sleeps 3 s, other API calls answer at once."""
    make_function(lam, role, source=SLEEPS, Timeout=10)
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(invoke(client("lambda"), {"seconds": 3})))
    worker.start()
    wait_for("the invocation to run", lambda: cloud.status()["invocations"])
    iam = client("iam")
    started = time.monotonic()
    for _ in range(5):
        iam.list_roles()
    assert time.monotonic() - started < 1.5  # five calls, while the function still sleeps
    assert not done
    worker.join(timeout=20)
    assert done[0][1] == "slept"


def test_event_invocation_answers_202_and_runs(client, lam, role):
    make_function(lam, role, source="def handler(e, c):\n    print('async', e['n'])\n")
    answered = lam.invoke(FunctionName="bgkit-fn", InvocationType="Event", Payload=b'{"n": 7}')
    assert answered["StatusCode"] == 202
    messages = wait_for("the log events", lambda: log_messages(client("logs")))
    assert "async 7" in messages


def test_a_failed_event_invocation_is_retried_on_the_local_clock(cloud, client, lam, role):
    make_function(lam, role, source=RAISES)
    lam.invoke(FunctionName="bgkit-fn", InvocationType="Event", Payload=b"{}")
    logs = client("logs")

    def attempts() -> int:
        return sum(m.startswith("START ") for m in log_messages(logs))

    def queued(attempt: int) -> list[Any]:
        return [
            record
            for partition in cloud.store.partitions("lambda-invocation")
            for record in cloud.store.list(partition, "lambda-invocation")
            if record["state"] == "Queued" and record["attempt"] == attempt
        ]

    wait_for("the first attempt to fail", lambda: queued(2))
    time.sleep(0.5)
    assert queued(2) and attempts() == 0  # the retry waits a minute of the local clock
    cloud.clock.advance(60)
    wait_for("the second attempt to fail", lambda: queued(3))
    cloud.clock.advance(120)
    wait_for("three attempts in the log", lambda: attempts() == 3)


def test_an_event_invocation_accepted_before_a_restart_runs_after_it(tmp_path):
    state = tmp_path / "state"
    with LocalCloud(state, port=0, dataplane=False) as cloud:
        make_function(cloud.client("lambda"), make_role(cloud.client("iam")), source=(
            "def handler(e, c):\n    print('after the restart')\n"
        ))  # fmt: skip
        accepted = cloud.client("lambda").invoke(
            FunctionName="bgkit-fn", InvocationType="Event", Payload=b"{}"
        )
        assert accepted["StatusCode"] == 202
    with LocalCloud(state, port=0, listener_offset=0) as cloud:
        messages = wait_for("the log events", lambda: log_messages(cloud.client("logs")))
        assert "after the restart" in messages


HOOK = """
def handler(event, context):
    return {"hookStatus": "SUCCEEDED", "got": event}
"""


def test_another_service_invokes_asynchronously_and_reads_the_outcome(cloud, lam, role):
    """What the hooks of CodeDeploy and ECS build on: Lambda's Invoke through ``ctx.call``, the
    request id it gives back, and the outcome in Lambda's models."""
    from bgkit.local.services.awslambda.models import invocation_outcome

    make_function(lam, role, source=HOOK)
    ctx = cloud.context("ecs", "advance", "us-east-1")
    with cloud.store.transaction():
        answered = ctx.call(
            "lambda", "Invoke", caller="ecs.amazonaws.com", function_name="bgkit-fn",
            invocation_type="Event", payload=b'{"executionDetails": {"lifecycleStage": "X"}}',
        )  # fmt: skip
    assert answered["StatusCode"] == 202
    request_id = answered["_request_id"]
    outcome = wait_for(
        "the hook's answer",
        lambda: (o := invocation_outcome(ctx, request_id)) and o["state"] == "Succeeded" and o,
    )
    assert json.loads(outcome["result"]) == {
        "hookStatus": "SUCCEEDED",
        "got": {"executionDetails": {"lifecycleStage": "X"}},
    }
    assert outcome["function_error"] is None

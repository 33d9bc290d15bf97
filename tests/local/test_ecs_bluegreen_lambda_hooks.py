"""ECS's built-in blue/green deployments with ``AWS_LAMBDA`` lifecycle hooks, the functions run
as real local processes: the function's return value decides (``hookStatus`` SUCCEEDED goes on,
FAILED rolls back, IN_PROGRESS is invoked again after ``callBackDelay`` with the ``hookDetails``
it returned), and a hook role that may not invoke the function rolls back.

Source: the Amazon ECS developer guide, "Lambda hooks for Amazon ECS service deployments" and
"Lifecycle hooks for Amazon ECS service deployments" (the hookStatus values, the 30 second default
callback delay, hookDetails passed between invocations, the common payload).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ecs_bluegreen_world import FROZEN, make_bluegreen
from ecs_world import PARTITION
from lambda_world import make_function, make_role
from waiting import wait_for

from bgkit.local.dataplane.functions import FunctionsDataPlane
from bgkit.local.server import LocalCloud

pytestmark = pytest.mark.slow

#: answers with the statuses of its environment, one an invocation (the count in hookDetails)
HOOK = """
import json, os

def handler(event, context):
    answers = os.environ["ANSWERS"].split(",")
    count = int((event.get("hookDetails") or {}).get("count", 0))
    print("stage", event["lifecycleStage"], "count", count, json.dumps(event))
    answer = {"hookStatus": answers[min(count, len(answers) - 1)]}
    if answer["hookStatus"] == "IN_PROGRESS":
        answer.update(callBackDelay=60, hookDetails={"count": count + 1})
    return answer
"""
INVOKE = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[LocalCloud]:
    """A clock moved by hand and Lambda's data plane only (the ECS runtime is played by hand)."""
    made = LocalCloud(tmp_path / "state", port=0, clock=FROZEN, dataplane=False)
    made.components = [FunctionsDataPlane()]
    with made as running:
        yield running
        wait_for("the hook functions' processes to end", lambda: not busy(running))


def busy(cloud: LocalCloud) -> list[dict[str, Any]]:
    records = cloud.store.list(PARTITION, "lambda-invocation")
    return [r for r in records if r["state"] in ("Queued", "Running")]


def hooked(cloud: LocalCloud, client: Any, answers: str, *, invoke: bool = True) -> Any:
    """A running service whose POST_TEST_TRAFFIC_SHIFT hook answers ``answers`` in turn."""
    bg = make_bluegreen(cloud, client)
    if invoke:
        bg.iam.put_role_policy(
            RoleName="bgkit-ecs-infrastructure", PolicyName="invoke-hooks",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [INVOKE]}),
        )  # fmt: skip
    role = make_role(client("iam"), "bgkit-hook")
    function = make_function(
        client("lambda"), role, "validate-green", HOOK,
        Environment={"Variables": {"ANSWERS": answers}},
    )["FunctionArn"]  # fmt: skip
    hook = {
        "targetType": "AWS_LAMBDA",
        "hookTargetArn": function,
        "roleArn": bg.role_arn,
        "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
        "hookDetails": {"count": 0},
    }
    bg.create_service(hooks=[hook])
    bg.settle()
    assert bg.deployment(bg.current())["status"] == "SUCCESSFUL"
    return bg


def until(bg: Any, arn: str, what: str, check: Any) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        bg.settle(1)
        shown = bg.deployment(arn)
        return shown if check(shown) else None

    return wait_for(what, reached)


def lambda_detail(shown: dict[str, Any]) -> dict[str, Any]:
    return next(d for d in shown["lifecycleHookDetails"] if d["targetType"] == "AWS_LAMBDA")


def test_a_hook_returning_succeeded_lets_the_deployment_go_on(cloud, client):
    bg = hooked(cloud, client, "SUCCEEDED")
    arn = bg.update()
    shown = until(bg, arn, "the bake time", lambda d: d.get("lifecycleStage") == "BAKE_TIME")
    detail = lambda_detail(shown)
    assert detail["status"] == "SUCCEEDED" and detail["hookId"].startswith("ecs-lambda-")
    assert detail["targetArn"].endswith(":function:validate-green")
    bg.tick(5 * 60)

    def done(shown: dict[str, Any]) -> bool:
        if shown.get("lifecycleStage") == "CLEAN_UP":
            bg.drain()
        return shown["status"] == "SUCCESSFUL"

    until(bg, arn, "success", done)


def test_a_hook_returning_failed_rolls_back(cloud, client):
    bg = hooked(cloud, client, "FAILED")
    arn = bg.update()
    shown = until(bg, arn, "the rollback", lambda d: d["status"] == "ROLLBACK_SUCCESSFUL")
    assert "POST_TEST_TRAFFIC_SHIFT lifecycle hook" in shown["statusReason"]
    assert "returned FAILED" in shown["statusReason"]
    assert lambda_detail(shown)["status"] == "FAILED"


def test_in_progress_is_invoked_again_after_its_callback_delay(cloud, client):
    bg = hooked(cloud, client, "IN_PROGRESS,SUCCEEDED")
    arn = bg.update()
    until(
        bg, arn, "the first answer",
        lambda d: d.get("lifecycleStage") == "POST_TEST_TRAFFIC_SHIFT"
        and bg.cloud.store.list(PARTITION, "lambda-invocation")
        and not busy(bg.cloud),
    )  # fmt: skip
    bg.tick(59)
    assert bg.deployment(arn)["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT"
    assert len(bg.cloud.store.list(PARTITION, "lambda-invocation")) == 1
    bg.tick(1)
    shown = until(bg, arn, "the second answer", lambda d: lambda_detail(d)["status"] == "SUCCEEDED")
    assert shown["status"] == "IN_PROGRESS"
    payloads = sorted(
        (r["created"], r["payload"]) for r in bg.cloud.store.list(PARTITION, "lambda-invocation")
    )
    second = json.loads(base64.b64decode(payloads[1][1]))
    assert second["hookDetails"] == {"count": 1}  # what the first answer returned
    assert second["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT"
    assert second["serviceArn"].endswith(":service/bgkit/web")


def test_a_role_that_may_not_invoke_the_function_rolls_back(cloud, client):
    bg = hooked(cloud, client, "SUCCEEDED", invoke=False)
    arn = bg.update()
    shown = until(bg, arn, "the rollback", lambda d: d["status"] == "ROLLBACK_SUCCESSFUL")
    assert f"the role {bg.role_arn} is not allowed lambda:InvokeFunction" in shown["statusReason"]
    assert bg.cloud.store.list(PARTITION, "lambda-invocation") == []

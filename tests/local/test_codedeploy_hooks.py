"""CodeDeploy's AppSpec hooks for ECS through boto3, with the hook functions run as real local
processes: a passing hook, a failing hook (rolled back as the group says), a hook that never
answers (one hour of the local clock), a hook the Limited policy may not invoke, a missing
function, and PutLifecycleEventHookExecutionStatus's refusals.

Sources: the CodeDeploy user guide, "AppSpec 'hooks' section for an Amazon ECS deployment" (the
five hook events, the event ``{"DeploymentId", "LifecycleEventHookExecutionId"}``, a hook that
does not report within an hour fails) and "Tutorial: Deploy an Amazon ECS service with a
validation test"; the PutLifecycleEventHookExecutionStatus API reference (only ``Succeeded`` and
``Failed`` may be passed); the managed policy AWSCodeDeployRoleForECSLimited
(``lambda:InvokeFunction`` on ``function:CodeDeployHook_*``) and the failure it gives other
functions (IAM_ROLE_PERMISSIONS, aws/serverless-application-model#219).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from codedeploy_world import FROZEN, PARTITION, appspec, make_deploy, policy
from lambda_world import make_function, make_role
from waiting import wait_for

from bgkit.local.dataplane.functions import FunctionsDataPlane
from bgkit.local.server import LocalCloud
from bgkit.widgets import appspec_hooks

pytestmark = pytest.mark.slow

#: a hook function that reports the status named in its environment (or nothing: "NONE")
REPORTER = """
import os
import boto3

def handler(event, context):
    status = os.environ["HOOK_STATUS"]
    print("validating", event["DeploymentId"])
    if status != "NONE":
        boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
            deploymentId=event["DeploymentId"],
            lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
            status=status,
        )
    return {"reported": status}
"""
#: what a hook function's role needs to report (the validation tutorial's policy)
REPORT = {
    "Effect": "Allow",
    "Action": "codedeploy:PutLifecycleEventHookExecutionStatus",
    "Resource": "*",
}


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[LocalCloud]:
    """A local cloud whose clock moves only by hand, with Lambda's data plane only: the hook
    functions run as processes, the ECS runtime and health checks are played by hand."""
    made = LocalCloud(tmp_path / "state", port=0, clock=FROZEN, dataplane=False)
    made.components = [FunctionsDataPlane()]
    with made as running:
        yield running
        wait_for("the hook functions' processes to end", lambda: not running_invocations(running))


def running_invocations(cloud: LocalCloud) -> list[dict[str, Any]]:
    records = cloud.store.list(PARTITION, "lambda-invocation")
    return [r for r in records if r["state"] in ("Queued", "Running")]


def hook_function(client: Any, name: str, status: str) -> str:
    """A function ``name`` that reports ``status`` (``NONE``: never reports); its ARN."""
    iam = client("iam")
    try:
        role = iam.get_role(RoleName="bgkit-hook")["Role"]["Arn"]
    except ClientError:
        role = make_role(iam, "bgkit-hook")
        iam.put_role_policy(
            RoleName="bgkit-hook", PolicyName="report", PolicyDocument=policy(REPORT)
        )
    made = make_function(
        client("lambda"), role, name, REPORTER, Environment={"Variables": {"HOOK_STATUS": status}}
    )
    return made["FunctionArn"]


def hooked(deploy: Any, **hooks: str) -> str:
    return deploy.deploy(appspec(deploy.fizzbuzz, hooks=hooks))


def wait_event(deploy: Any, deployment: str, event: str, status: str) -> None:
    """Play the runtime and let the local cloud advance (no local time passes) until ``event``
    has ``status``."""

    def reached() -> bool:
        deploy.settle()
        return deploy.events(deployment).get(event) == status

    wait_for(f"{event} {status}", reached)


def hook_of(deploy: Any, deployment: str, event: str) -> dict[str, Any]:
    raw = deploy.cloud.store.get(PARTITION, "codedeploy-deployment", deployment)
    return raw["_engine"]["hooks"][event]


def event(deploy: Any, deployment: str, name: str) -> dict[str, Any]:
    return next(
        e for e in deploy.target(deployment)["lifecycleEvents"] if e["lifecycleEventName"] == name
    )


def test_a_passing_hook_lets_the_deployment_go_on(cloud, client):
    deploy = make_deploy(cloud, client)
    hook_function(client, "CodeDeployHook_pass", "Succeeded")
    deploy.create_group(ready_wait=30)
    deployment = hooked(deploy, AfterAllowTestTraffic="CodeDeployHook_pass")
    deploy.run_to(deployment, "InProgress")
    wait_event(deploy, deployment, "AllowTestTraffic", "Succeeded")
    assert deploy.weights(1) == {"bgkit-tg-1": 0, "bgkit-tg-2": 100}  # test traffic on green
    wait_event(deploy, deployment, "AfterAllowTestTraffic", "Succeeded")
    assert deploy.status(deployment) == "Ready"  # the deployment waits for you as before
    assert deploy.weights(0) == {"bgkit-tg-1": 1, "bgkit-tg-2": 0}
    hook = hook_of(deploy, deployment, "AfterAllowTestTraffic")
    assert hook["status"] == "Succeeded" and hook["function"] == "CodeDeployHook_pass"
    # what the approval panel shows beside the event, read back as it reads it on AWS
    shown = appspec_hooks(deploy.codedeploy, deploy.info(deployment))
    assert shown == {"AfterAllowTestTraffic": "CodeDeployHook_pass"}


def test_a_failing_hook_fails_and_rolls_back(cloud, client):
    deploy = make_deploy(cloud, client)
    hook_function(client, "CodeDeployHook_fail", "Failed")
    deploy.create_group(ready_wait=30, rollback=["DEPLOYMENT_FAILURE"])
    deployment = hooked(deploy, AfterAllowTestTraffic="CodeDeployHook_fail")
    deploy.run_to(deployment, "InProgress")
    wait_event(deploy, deployment, "AfterAllowTestTraffic", "Failed")
    info = deploy.info(deployment)
    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    assert "AfterAllowTestTraffic" in info["errorInformation"]["message"]
    diagnostics = event(deploy, deployment, "AfterAllowTestTraffic")["diagnostics"]
    assert diagnostics["errorCode"] == "ScriptFailed"
    assert deploy.events(deployment)["AllowTraffic"] == "Skipped"
    assert deploy.weights(0) == {"bgkit-tg-1": 1, "bgkit-tg-2": 0}  # port 80 never served green
    rollback = info["rollbackInfo"]["rollbackDeploymentId"]
    deploy.run_to(rollback, "Succeeded")
    assert deploy.weights(1) == {"bgkit-tg-1": 1}  # the test listener as it was before
    sets = {s["status"]: s["taskDefinition"].rsplit("/", 1)[-1] for s in deploy.task_sets()}
    assert sets == {"PRIMARY": "bgkit-web:1", "DRAINING": "bgkit-web:2"}  # green deleted


def test_a_failing_hook_without_rollback_leaves_the_deployment_failed(cloud, client):
    deploy = make_deploy(cloud, client)
    hook_function(client, "CodeDeployHook_fail", "Failed")
    deploy.create_group()
    deployment = hooked(deploy, BeforeInstall="CodeDeployHook_fail")
    deploy.tick(1.0)
    wait_event(deploy, deployment, "BeforeInstall", "Failed")
    assert "rollbackInfo" not in deploy.info(deployment)
    assert [s["status"] for s in deploy.task_sets()] == ["PRIMARY"]  # green never made


def test_a_hook_that_never_answers_times_out_after_an_hour(cloud, client):
    deploy = make_deploy(cloud, client)
    hook_function(client, "CodeDeployHook_silent", "NONE")
    deploy.create_group()
    deployment = hooked(deploy, BeforeInstall="CodeDeployHook_silent")
    deploy.tick(1.0)
    assert deploy.events(deployment)["BeforeInstall"] == "InProgress"
    request = hook_of(deploy, deployment, "BeforeInstall")["requestId"]
    wait_for(
        "the silent hook's invocation to finish",
        lambda: cloud.store.get(PARTITION, "lambda-invocation", request)["state"] == "Succeeded",
    )
    deploy.tick(3599.0)
    assert deploy.events(deployment)["BeforeInstall"] == "InProgress"
    deploy.tick(1.0)
    info = deploy.info(deployment)
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "TIMEOUT"
    assert "60 minutes" in info["errorInformation"]["message"]
    diagnostics = event(deploy, deployment, "BeforeInstall")["diagnostics"]
    assert diagnostics["errorCode"] == "ScriptTimedOut"


def test_the_limited_policy_may_invoke_only_codedeployhook_functions(cloud, client):
    deploy = make_deploy(cloud, client, full_policy=False)
    hook_function(client, "validate-green", "Succeeded")
    deploy.create_group()
    deployment = hooked(deploy, BeforeInstall="validate-green")
    deploy.tick(1.0)
    info = deploy.info(deployment)
    assert info["status"] == "Failed"
    error = info["errorInformation"]
    assert error["code"] == "IAM_ROLE_PERMISSIONS"
    assert error["message"].startswith(
        f"The IAM role {deploy.role_arn} does not give you permission to perform operations in "
        "the following AWS service: AWSLambda."
    )
    assert "CodeDeployHook_*" in error["message"]
    assert deploy.events(deployment)["BeforeInstall"] == "Failed"
    invocations = cloud.store.list(PARTITION, "lambda-invocation")
    assert list(invocations) == []  # never invoked


def test_the_limited_policy_invokes_a_codedeployhook_function(cloud, client):
    deploy = make_deploy(cloud, client, full_policy=False)
    hook_function(client, "CodeDeployHook_validate", "Succeeded")
    deploy.create_group()
    deployment = hooked(deploy, BeforeInstall="CodeDeployHook_validate")
    deploy.tick(1.0)
    wait_event(deploy, deployment, "BeforeInstall", "Succeeded")


def test_a_missing_function_fails_the_hook(cloud, client):
    deploy = make_deploy(cloud, client)
    deploy.create_group(rollback=["DEPLOYMENT_FAILURE"])
    deployment = hooked(deploy, AfterAllowTestTraffic="CodeDeployHook_missing")
    deploy.run_to(deployment, "Failed")
    error = deploy.info(deployment)["errorInformation"]
    assert error["code"] == "HOOK_EXECUTION_FAILURE"
    assert "Function not found: arn:aws:lambda:us-east-1:123456789012:function:" in error["message"]
    assert deploy.events(deployment)["AfterAllowTestTraffic"] == "Failed"
    assert deploy.info(deployment)["rollbackInfo"]["rollbackDeploymentId"]


def test_put_status_refusals_leave_the_hook_waiting(cloud, client):
    deploy = make_deploy(cloud, client)
    hook_function(client, "CodeDeployHook_silent", "NONE")
    deploy.create_group()
    deployment = hooked(deploy, BeforeInstall="CodeDeployHook_silent")
    deploy.tick(1.0)
    execution = hook_of(deploy, deployment, "BeforeInstall")["executionId"]
    put = deploy.codedeploy.put_lifecycle_event_hook_execution_status
    cases = [
        ({"deploymentId": deployment, "lifecycleEventHookExecutionId": execution,
          "status": "InProgress"}, "InvalidLifecycleEventHookExecutionStatusException"),
        ({"deploymentId": deployment, "lifecycleEventHookExecutionId": "nope",
          "status": "Succeeded"}, "InvalidLifecycleEventHookExecutionIdException"),
        ({"deploymentId": "d-AAAAAAAAA", "lifecycleEventHookExecutionId": execution,
          "status": "Succeeded"}, "DeploymentDoesNotExistException"),
    ]  # fmt: skip
    for arguments, expected in cases:
        with pytest.raises(ClientError) as error:
            put(**arguments)
        assert error.value.response["Error"]["Code"] == expected
    deploy.tick()
    assert deploy.events(deployment)["BeforeInstall"] == "InProgress"
    answer = put(
        deploymentId=deployment, lifecycleEventHookExecutionId=execution, status="Succeeded"
    )
    assert answer["lifecycleEventHookExecutionId"] == execution
    with pytest.raises(ClientError) as error:
        put(deploymentId=deployment, lifecycleEventHookExecutionId=execution, status="Failed")
    assert error.value.response["Error"]["Code"] == "LifecycleEventAlreadyCompletedException"
    deploy.tick()
    assert deploy.events(deployment)["BeforeInstall"] == "Succeeded"

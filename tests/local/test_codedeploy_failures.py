"""CodeDeploy deployments that fail, stop or roll back, refusals of the deployment operations,
and a deployment that outlives a restart of the local cloud."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from codedeploy_world import (  # noqa: F401
    FROZEN,
    PARTITION,
    appspec,
    cloud,
    make_deploy,
    revision,
)

from bgkit.local.server import LocalCloud

pytestmark = pytest.mark.control_plane

ECS_ERROR = "The ECS service cannot be updated due to an unexpected error: "


@pytest.fixture
def deploy(cloud, client):  # noqa: F811
    return make_deploy(cloud, client)


def code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def sets(deploy) -> list[tuple[str, str]]:
    return sorted((s["status"], s["taskDefinition"].rsplit("/", 1)[-1]) for s in deploy.task_sets())


def failed(deploy, deployment: str) -> dict:
    deploy.tick(1.0)
    deploy.settle()
    info = deploy.info(deployment)
    assert info["status"] == "Failed", info
    return info["errorInformation"]


# --- scenario 7: StopDeployment --------------------------------------------------------------


def test_stop_with_rollback_mid_shift_puts_traffic_back_on_blue(deploy):
    deploy.create_group(config="CodeDeployDefault.ECSCanary10Percent5Minutes")
    deployment = deploy.deploy()
    deploy.run_to(deployment, "InProgress")
    deploy.settle()
    assert deploy.weights(0) == {"bgkit-tg-1": 90, "bgkit-tg-2": 10}
    stopped = deploy.codedeploy.stop_deployment(deploymentId=deployment, autoRollbackEnabled=True)
    assert stopped["status"] == "Pending"
    info = deploy.info(deployment)
    assert info["status"] == "Stopped"
    assert info["errorInformation"]["code"] == "MANUAL_STOP"
    rollback = info["rollbackInfo"]["rollbackDeploymentId"]
    back = deploy.info(rollback)
    assert back["creator"] == "codeDeployRollback"
    assert back["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment
    deploy.run_to(rollback, "Succeeded")
    assert deploy.weights(0) == {"bgkit-tg-1": 1}
    assert deploy.weights(1) == {"bgkit-tg-1": 1}
    assert sets(deploy) == [("DRAINING", "bgkit-web:2"), ("PRIMARY", "bgkit-web:1")]
    listed = deploy.codedeploy.list_deployments(
        applicationName="bgkit-app", deploymentGroupName="bgkit-dg"
    )["deployments"]
    assert listed == [rollback, deployment]  # newest first


def test_stop_during_termination_wait_makes_blue_primary_again(deploy):
    deploy.create_group(termination_wait=30)
    deployment = deploy.deploy()
    deploy.run_to(deployment, "InProgress")
    deploy.settle()
    assert sets(deploy) == [("ACTIVE", "bgkit-web:1"), ("PRIMARY", "bgkit-web:2")]
    deploy.codedeploy.stop_deployment(deploymentId=deployment, autoRollbackEnabled=True)
    rollback = deploy.info(deployment)["rollbackInfo"]["rollbackDeploymentId"]
    deploy.run_to(rollback, "Succeeded")
    assert sets(deploy) == [("DRAINING", "bgkit-web:2"), ("PRIMARY", "bgkit-web:1")]
    assert deploy.weights(0) == {"bgkit-tg-1": 1}


def test_stop_without_rollback_leaves_green_in_place(deploy):
    deploy.create_group(ready_wait=30, rollback=["DEPLOYMENT_FAILURE"])
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Ready")
    stopped = deploy.codedeploy.stop_deployment(deploymentId=deployment)
    assert stopped == {
        "status": "Succeeded",
        "statusMessage": "No more commands will be scheduled for execution in the deployment "
        "instances",
        "ResponseMetadata": stopped["ResponseMetadata"],
    }
    info = deploy.info(deployment)
    assert info["status"] == "Stopped" and "rollbackInfo" not in info
    assert sets(deploy) == [("ACTIVE", "bgkit-web:2"), ("PRIMARY", "bgkit-web:1")]
    with pytest.raises(ClientError) as error:
        deploy.codedeploy.stop_deployment(deploymentId=deployment)
    assert code(error) == (
        "DeploymentAlreadyCompletedException",
        "The deployment is already complete.",
    )


def test_stop_on_request_setting_rolls_back_when_the_call_does_not_say(deploy):
    deploy.create_group(ready_wait=30, rollback=["DEPLOYMENT_STOP_ON_REQUEST"])
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Ready")
    deploy.codedeploy.stop_deployment(deploymentId=deployment)
    assert "rollbackDeploymentId" in deploy.info(deployment)["rollbackInfo"]


# --- scenarios 9, 10: a bad AppSpec fails the deployment, not the call -------------------------


def test_wrong_container_port_fails_with_ecs_update_error(deploy):
    deploy.create_group()
    deployment = deploy.deploy(appspec(deploy.fizzbuzz, port=8080))
    error = failed(deploy, deployment)
    assert error["code"] == "ECS_UPDATE_ERROR"
    assert error["message"].startswith(
        ECS_ERROR + "The container app did not have a container port 8080 defined. (Service: "
        "AmazonECS; Status Code: 400; Error Code: InvalidParameterException; Request ID: "
    )
    assert error["message"].endswith("; Proxy: null). Check your ECS service status.")
    events = {e["lifecycleEventName"]: e for e in deploy.target(deployment)["lifecycleEvents"]}
    assert events["Install"]["status"] == "Failed"
    assert events["AllowTraffic"]["status"] == "Skipped"
    assert deploy.target(deployment)["status"] == "Failed"


def test_wrong_container_name_fails(deploy):
    deploy.create_group()
    deployment = deploy.deploy(appspec(deploy.fizzbuzz, container="web"))
    assert (
        "The container web does not exist in the task definition."
        in (failed(deploy, deployment)["message"])
    )


def test_unparseable_appspec_fails(deploy):
    deploy.create_group()
    deployment = deploy.deploy("version: 0.0\nResources: [\n  - {")
    assert failed(deploy, deployment) == {
        "code": "INVALID_REVISION",
        "message": "The deployment failed because the AppSpec file that specifies the deployment "
        "configuration is missing or has an invalid configuration. The input AppSpec file is a "
        "not well-formed yaml. The template cannot be parsed.",
    }


def test_inactive_task_definition_fails(deploy):
    deploy.world.ecs.deregister_task_definition(taskDefinition=deploy.fizzbuzz)
    deploy.create_group()
    deployment = deploy.deploy()
    assert failed(deploy, deployment)["message"].startswith(
        ECS_ERROR + "TaskDefinition is inactive"
    )


def test_missing_pass_role_fails_install(cloud, client):  # noqa: F811
    deploy = make_deploy(cloud, client, full_policy=False)  # Limited: ecsTaskExecutionRole only
    deploy.create_group()
    deployment = deploy.deploy()
    error = failed(deploy, deployment)
    assert error["code"] == "ECS_UPDATE_ERROR"
    assert (
        "User: arn:aws:sts::123456789012:assumed-role/bgkit-codedeploy/CodeDeploy is not "
        "authorized to perform: iam:PassRole on resource: "
        "arn:aws:iam::123456789012:role/bgkit-execution"
    ) in error["message"]
    assert "Error Code: AccessDeniedException" in error["message"]


def test_listener_not_on_primary_target_group_fails(deploy):
    deploy.world.elbv2.modify_listener(
        ListenerArn=deploy.listeners[1],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": deploy.world.target_groups[1]}],
    )
    deploy.create_group()
    deployment = deploy.deploy()
    assert failed(deploy, deployment) == {
        "code": "ELASTIC_LOAD_BALANCING_INVALID",
        "message": "The ELB could not be updated due to the following error: Primary taskset "
        f"target group must be behind listener {deploy.listeners[1]}",
    }


# --- unhealthy green: the Install timeout --------------------------------------------------------


def test_unhealthy_green_times_out_after_an_hour_and_rolls_back(deploy):
    deploy.create_group(rollback=["DEPLOYMENT_FAILURE"])
    deployment = deploy.deploy()
    deploy.tick(1.0)
    deploy.tick(59 * 60)
    assert deploy.status(deployment) == "InProgress"
    deploy.tick(60)
    info = deploy.info(deployment)
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {
        "code": "TIMEOUT",
        "message": "The deployment timed out while waiting for the replacement task set to "
        "become healthy. This time out period is 60 minutes.",
    }
    rollback = info["rollbackInfo"]["rollbackDeploymentId"]
    deploy.run_to(rollback, "Succeeded")
    assert deploy.weights(0) == {"bgkit-tg-1": 1}
    assert [s for s in sets(deploy) if s[0] != "DRAINING"] == [("PRIMARY", "bgkit-web:1")]


# --- refusals of ContinueDeployment --------------------------------------------------------------


def test_continue_deployment_refusals(deploy):
    deploy.create_group(ready_wait=30)
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Ready")
    before = deploy.info(deployment)
    cases = [
        ({"deploymentId": deployment, "deploymentWaitType": "FOO"},
         ("InvalidDeploymentWaitTypeException", "The wait type is invalid.")),
        ({"deploymentId": "d-AAAAAAAAA", "deploymentWaitType": "READY_WAIT"},
         ("DeploymentDoesNotExistException", None)),
        ({"deploymentId": "nope", "deploymentWaitType": "READY_WAIT"},
         ("InvalidDeploymentIdException", None)),
        ({"deploymentWaitType": "READY_WAIT"}, ("DeploymentIdRequiredException", None)),
        ({"deploymentId": deployment, "deploymentWaitType": "TERMINATION_WAIT"},
         ("InvalidDeploymentStatusException", None)),
    ]  # fmt: skip
    for arguments, (wanted, message) in cases:
        with pytest.raises(ClientError) as error:
            deploy.codedeploy.continue_deployment(**arguments)
        assert code(error)[0] == wanted
        if message:
            assert code(error)[1] == message
    assert deploy.info(deployment) == before


def test_create_deployment_refusals(deploy):
    deploy.create_group()
    cases = [
        ({"deploymentGroupName": "bgkit-dg"}, "RevisionRequiredException"),
        ({"deploymentGroupName": "nope", "revision": revision("x")},
         "DeploymentGroupDoesNotExistException"),
        ({"revision": revision("x")}, "DeploymentGroupNameRequiredException"),
        ({"deploymentGroupName": "bgkit-dg", "revision": {
            "revisionType": "AppSpecContent",
            "appSpecContent": {"content": "version: 0.0", "sha256": "00" * 32}}},
         "InvalidRevisionException"),
        ({"deploymentGroupName": "bgkit-dg", "revision": revision("x"),
          "deploymentConfigName": "CodeDeployDefault.OneAtATime"},
         "InvalidDeploymentConfigNameException"),
    ]  # fmt: skip
    for arguments, wanted in cases:
        with pytest.raises(ClientError) as error:
            deploy.codedeploy.create_deployment(applicationName="bgkit-app", **arguments)
        assert code(error)[0] == wanted
    with pytest.raises(ClientError) as error:
        deploy.codedeploy.create_deployment(applicationName="nope", deploymentGroupName="x")
    assert code(error) == (
        "ApplicationDoesNotExistException",
        "No application found for name: nope",
    )
    assert deploy.codedeploy.list_deployments()["deployments"] == []


# --- a restart of the local cloud ----------------------------------------------------------------


def test_deployment_resumes_after_a_restart_with_the_same_deadline(deploy, tmp_path):
    deploy.create_group(ready_wait=60)
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Ready")
    deadline = deploy.cloud.store.get(PARTITION, "codedeploy-deployment", deployment)["_engine"][
        "readyDeadline"
    ]
    deploy.cloud.stop()
    with LocalCloud(tmp_path / "state", port=0, clock=FROZEN, dataplane=False) as again:
        codedeploy = again.client("codedeploy")
        assert codedeploy.get_deployment(deploymentId=deployment)["deploymentInfo"]["status"] == (
            "Ready"
        )
        record = again.store.get(PARTITION, "codedeploy-deployment", deployment)
        assert record["_engine"]["readyDeadline"] == deadline
        codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="READY_WAIT")
        codedeploy.continue_deployment(
            deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT"
        )
        info = codedeploy.get_deployment(deploymentId=deployment)["deploymentInfo"]
        assert info["status"] == "Succeeded"

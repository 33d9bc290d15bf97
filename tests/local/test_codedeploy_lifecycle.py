"""CodeDeploy's ECS blue/green lifecycle through boto3 (§12.1 of the reference), with the runtime
and health checker played by hand and local time advanced by hand."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from codedeploy_world import appspec, cloud, make_deploy  # noqa: F401

pytestmark = pytest.mark.control_plane

SIX = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
]
EIGHT = [*SIX[:3], "AllowTestTraffic", "AfterAllowTestTraffic", *SIX[3:]]


@pytest.fixture
def deploy(cloud, client):  # noqa: F811
    return make_deploy(cloud, client)


def code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def sets(deploy) -> list[tuple[str, str]]:
    """``(status, task definition family:revision)`` of the service's task sets."""
    return sorted((s["status"], s["taskDefinition"].rsplit("/", 1)[-1]) for s in deploy.task_sets())


# --- scenario 1 and 18: AllAtOnce without a test listener ----------------------------------------


def test_deployment_is_created_then_in_progress(deploy):
    deploy.create_group(test_listener=False)
    deployment = deploy.deploy()
    assert deployment.startswith("d-") and len(deployment) == 11
    assert deployment[2:].isupper() or deployment[2:].isalnum()
    assert deploy.status(deployment) == "Created"
    with pytest.raises(ClientError) as error:
        deploy.target(deployment)
    assert code(error)[0] == "DeploymentNotStartedException"
    deploy.tick(1.0)
    assert deploy.status(deployment) == "InProgress"
    assert deploy.events(deployment)["Install"] == "InProgress"


def test_all_at_once_without_test_listener(deploy):
    deploy.create_group(test_listener=False, termination_wait=5)
    deployment = deploy.deploy()
    deploy.run_to(deployment, "InProgress")
    deploy.settle()
    target = deploy.target(deployment)
    assert [e["lifecycleEventName"] for e in target["lifecycleEvents"]] == SIX
    assert {e["status"] for e in target["lifecycleEvents"]} == {"Succeeded"}
    assert all(e["startTime"] <= e["endTime"] for e in target["lifecycleEvents"])
    assert target["status"] == "Succeeded"
    assert target["targetId"] == "bgkit:web"
    assert deploy.status(deployment) == "InProgress"  # the termination wait
    shown = {s["taskSetLabel"]: s for s in target["taskSetsInfo"]}
    assert (shown["Blue"]["status"], shown["Blue"]["trafficWeight"]) == ("ACTIVE", 0.0)
    assert (shown["Green"]["status"], shown["Green"]["trafficWeight"]) == ("PRIMARY", 100.0)
    assert shown["Green"]["targetGroup"] == {"name": "bgkit-tg-2"}
    assert deploy.weights() == {"bgkit-tg-1": 0, "bgkit-tg-2": 100}
    deploy.tick(4 * 60)
    assert deploy.status(deployment) == "InProgress"
    deploy.tick(60)
    info = deploy.info(deployment)
    assert info["status"] == "Succeeded" and "completeTime" in info
    assert sets(deploy) == [("DRAINING", "bgkit-web:1"), ("PRIMARY", "bgkit-web:2")]
    deploy.drain()
    assert sets(deploy) == [("PRIMARY", "bgkit-web:2")]


# --- scenario 2: a test listener -----------------------------------------------------------------


def test_test_listener_forwards_to_green_from_allow_test_traffic(deploy):
    deploy.create_group(ready_wait=60)
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Ready")
    events = deploy.events(deployment)
    assert list(events) == EIGHT
    assert [events[e] for e in EIGHT[:5]] == ["Succeeded"] * 5
    assert [events[e] for e in EIGHT[5:]] == ["Pending"] * 3
    assert deploy.weights(1) == {"bgkit-tg-1": 0, "bgkit-tg-2": 100}
    assert deploy.weights(0) == {"bgkit-tg-1": 1, "bgkit-tg-2": 0}
    assert deploy.target(deployment)["status"] == "Ready"
    assert deploy.info(deployment)["deploymentOverview"]["Ready"] == 1


# --- scenario 3: the ready wait ------------------------------------------------------------------


def test_continue_ready_wait_reroutes_production(deploy):
    deploy.create_group(ready_wait=60)
    deployment = deploy.deploy()
    deploy.tick(1.0)
    with pytest.raises(ClientError) as error:
        deploy.codedeploy.continue_deployment(
            deploymentId=deployment, deploymentWaitType="READY_WAIT"
        )
    assert code(error) == (
        "DeploymentIsNotInReadyStateException",
        "The deployment does not have a status of Ready and can't continue yet.",
    )
    deploy.run_to(deployment, "Ready")
    deploy.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="READY_WAIT")
    assert deploy.status(deployment) == "InProgress"
    assert deploy.weights(0) == {"bgkit-tg-1": 0, "bgkit-tg-2": 100}
    assert deploy.target(deployment)["status"] == "Succeeded"
    deploy.codedeploy.continue_deployment(
        deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT"
    )
    assert deploy.status(deployment) == "Succeeded"


def test_ready_wait_keeps_its_deadline_on_the_local_clock(deploy):
    deploy.create_group(ready_wait=60)
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Ready")
    deploy.tick(59 * 60)
    assert deploy.status(deployment) == "Ready"


# --- scenario 4: the ready wait expires ----------------------------------------------------------


def test_expired_ready_wait_stops_the_deployment(deploy):
    deploy.create_group(ready_wait=60)
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Ready")
    deploy.tick(60 * 60)
    info = deploy.info(deployment)
    assert info["status"] == "Stopped"
    assert info["errorInformation"]["message"] == (
        "The deployment timed out while waiting for a notification to continue. This time out "
        "period is 60 minutes."
    )
    assert "rollbackInfo" not in info
    assert deploy.weights(0) == {"bgkit-tg-1": 1, "bgkit-tg-2": 0}


def test_expired_ready_wait_rolls_back_when_configured(deploy):
    deploy.create_group(ready_wait=60, rollback=["DEPLOYMENT_FAILURE"])
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Ready")
    deploy.tick(60 * 60)
    info = deploy.info(deployment)
    assert info["status"] == "Stopped"
    rollback = info["rollbackInfo"]["rollbackDeploymentId"]
    deploy.run_to(rollback, "Succeeded")
    assert deploy.weights(1) == {"bgkit-tg-1": 1}
    deploy.drain()
    assert sets(deploy) == [("PRIMARY", "bgkit-web:1")]


# --- scenario 5: one active deployment a group ---------------------------------------------------


def test_second_deployment_is_refused_while_one_is_active(deploy):
    deploy.create_group(test_listener=False, termination_wait=5)
    deployment = deploy.deploy()
    for step in ("Created", "install", "termination wait"):
        with pytest.raises(ClientError) as error:
            deploy.deploy()
        assert code(error) == (
            "DeploymentLimitExceededException",
            f"The Deployment Group 'bgkit-dg' already has an active Deployment '{deployment}'",
        ), step
        deploy.tick(1.0)
        deploy.settle()
    assert deploy.target(deployment)["status"] == "Succeeded"
    listed = deploy.codedeploy.list_deployments(
        applicationName="bgkit-app", deploymentGroupName="bgkit-dg"
    )["deployments"]
    assert listed == [deployment]  # the refusals left nothing behind


# --- scenario 6: ContinueDeployment(TERMINATION_WAIT) --------------------------------------------


def test_continue_termination_wait_deletes_blue_at_once(deploy):
    deploy.create_group(test_listener=False, termination_wait=60)
    deployment = deploy.deploy()
    deploy.run_to(deployment, "InProgress")
    deploy.settle()
    assert deploy.info(deployment)["instanceTerminationWaitTimeStarted"] is True
    deploy.codedeploy.continue_deployment(
        deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT"
    )
    assert deploy.status(deployment) == "Succeeded"
    assert sets(deploy) == [("DRAINING", "bgkit-web:1"), ("PRIMARY", "bgkit-web:2")]
    with pytest.raises(ClientError) as error:
        deploy.codedeploy.continue_deployment(
            deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT"
        )
    assert code(error) == (
        "DeploymentAlreadyCompletedException",
        "The deployment is already complete.",
    )


# --- scenario 20 and linear: traffic shifting ----------------------------------------------------


def test_canary_shifts_ten_percent_then_the_rest_five_minutes_later(deploy):
    deploy.create_group(config="CodeDeployDefault.ECSCanary10Percent5Minutes")
    deployment = deploy.deploy()
    deploy.run_to(deployment, "InProgress")
    deploy.settle()
    assert deploy.events(deployment)["AllowTraffic"] == "InProgress"
    assert deploy.weights(0) == {"bgkit-tg-1": 90, "bgkit-tg-2": 10}
    shown = {s["taskSetLabel"]: s for s in deploy.target(deployment)["taskSetsInfo"]}
    assert (shown["Green"]["trafficWeight"], shown["Green"]["status"]) == (10.0, "ACTIVE")
    deploy.tick(5 * 60 - 1)
    assert deploy.weights(0) == {"bgkit-tg-1": 90, "bgkit-tg-2": 10}
    deploy.tick(1)
    assert deploy.weights(0) == {"bgkit-tg-1": 0, "bgkit-tg-2": 100}
    assert deploy.events(deployment)["AllowTraffic"] == "Succeeded"
    assert sets(deploy) == [("ACTIVE", "bgkit-web:1"), ("PRIMARY", "bgkit-web:2")]


def test_linear_adds_ten_percent_every_minute(deploy):
    deploy.create_group(config="CodeDeployDefault.ECSLinear10PercentEvery1Minutes")
    deployment = deploy.deploy()
    deploy.run_to(deployment, "InProgress")
    deploy.settle()
    seen = [deploy.weights(0)["bgkit-tg-2"]]
    for _ in range(9):
        deploy.tick(60)
        seen.append(deploy.weights(0)["bgkit-tg-2"])
    assert seen == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert deploy.target(deployment)["status"] == "Succeeded"


# --- target groups swap roles --------------------------------------------------------------------


def test_second_deployment_uses_the_first_target_group_for_green(deploy):
    deploy.create_group(test_listener=False, termination_wait=0)
    first = deploy.deploy()
    deploy.run_to(first, "Succeeded")
    deploy.settle()
    second = deploy.deploy(appspec(deploy.world.task_definition))
    deploy.run_to(second, "Succeeded")
    info = deploy.info(second)
    assert (
        info["previousRevision"]["appSpecContent"]["sha256"]
        == (deploy.info(first)["revision"]["appSpecContent"]["sha256"])
    )
    assert deploy.weights(0) == {"bgkit-tg-1": 100, "bgkit-tg-2": 0}
    deploy.drain()
    assert sets(deploy) == [("PRIMARY", "bgkit-web:1")]
    group = deploy.codedeploy.get_deployment_group(
        applicationName="bgkit-app", deploymentGroupName="bgkit-dg"
    )["deploymentGroupInfo"]
    assert group["lastSuccessfulDeployment"]["deploymentId"] == second


# --- scenario 17, 19: targets and revisions ------------------------------------------------------


def test_batch_get_deployment_targets_takes_one_target(deploy):
    deploy.create_group()
    deployment = deploy.deploy()
    deploy.tick(1.0)
    listed = deploy.codedeploy.list_deployment_targets(deploymentId=deployment)["targetIds"]
    assert listed == ["bgkit:web"]
    got = deploy.codedeploy.batch_get_deployment_targets(
        deploymentId=deployment, targetIds=["bgkit:web"]
    )["deploymentTargets"]
    assert got[0]["deploymentTargetType"] == "ECSTarget"
    with pytest.raises(ClientError) as error:
        deploy.codedeploy.batch_get_deployment_targets(
            deploymentId=deployment, targetIds=["bgkit:web", "bgkit:other"]
        )
    assert code(error)[0] == "DeploymentTargetListSizeExceededException"
    with pytest.raises(ClientError) as error:
        deploy.codedeploy.get_deployment_target(deploymentId=deployment, targetId="bgkit:other")
    assert code(error)[0] == "DeploymentTargetDoesNotExistException"


def test_get_deployment_hides_the_appspec_and_get_application_revision_shows_it(deploy):
    deploy.create_group()
    content = appspec(deploy.fizzbuzz)
    deployment = deploy.deploy(content)
    revision = deploy.info(deployment)["revision"]
    assert revision["revisionType"] == "AppSpecContent"
    assert "content" not in revision["appSpecContent"]
    got = deploy.codedeploy.get_application_revision(applicationName="bgkit-app", revision=revision)
    assert got["revision"]["appSpecContent"]["content"] == content
    assert got["revisionInfo"]["deploymentGroups"] == ["bgkit-dg"]

"""CodeDeploy deployments that watch CloudWatch alarms (``alarmConfiguration``): stopped and rolled
back when one is in ALARM, in every stage that can still go back; a missing alarm; the checks of
the configuration.

Sources: the CodeDeploy User Guide, *Monitoring deployments with CloudWatch alarms in CodeDeploy*
("If any of the specified alarms are activated, the deployment stops, and the status is updated to
Stopped"; up to ten alarms); the ``AlarmConfiguration`` reference (``ignorePollAlarmFailure``:
"false: The deployment stops if alarm status information can't be retrieved"); botocore's model
(``InvalidAlarmConfigException``, ``AlarmsLimitExceededException``); ``ALARM_ACTIVE``'s message as
GetDeployment shows it on AWS.

The alarms are real CloudWatch alarms of the local cloud: one that treats missing data as
breaching goes into ALARM at its first evaluation, so a test makes it at the moment it wants it.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from cloudwatch_world import alarm_now
from codedeploy_world import cloud, make_deploy  # noqa: F401

pytestmark = pytest.mark.control_plane

ACTIVE = (
    "One or more alarms have been activated according to the Amazon CloudWatch metrics you "
    "selected, and the affected deployments have been stopped. Activated alarms: <{}>"
)
CANARY = "CodeDeployDefault.ECSCanary10Percent5Minutes"


@pytest.fixture
def deploy(cloud, client):  # noqa: F811
    return make_deploy(cloud, client)


def watching(*names: str, enabled: bool = True, ignore: bool = False) -> dict:
    return {
        "enabled": enabled,
        "ignorePollAlarmFailure": ignore,
        "alarms": [{"name": name} for name in names],
    }


def alarm(deploy, name: str, *, firing: bool) -> None:
    """A real alarm, in ALARM at its first evaluation when ``firing``, else OK; then a pass."""
    alarm_now(deploy.cloud, name, firing=firing)
    deploy.tick()


def state(deploy, name: str) -> str:
    cloudwatch = deploy.world.cloud.client("cloudwatch")
    return cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]


def settle_until(deploy, done, passes: int = 5) -> None:
    """Settle (the runtime and health checker played by hand) until ``done()`` or ``passes``."""
    for _ in range(passes):
        deploy.settle()
        if done():
            return


def sets(deploy) -> list[tuple[str, str]]:
    return sorted((s["status"], s["taskDefinition"].rsplit("/", 1)[-1]) for s in deploy.task_sets())


def refused(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Code"]


# --- stopped by an alarm ----------------------------------------------------------------------


def test_alarm_mid_canary_stops_and_rolls_back_to_blue(deploy):
    alarm(deploy, "bgkit-5xx", firing=False)
    deploy.create_group(config=CANARY, rollback=["DEPLOYMENT_STOP_ON_ALARM"],
                        alarmConfiguration=watching("bgkit-5xx"))  # fmt: skip
    deployment = deploy.deploy()
    deploy.run_to(deployment, "InProgress")
    settle_until(deploy, lambda: deploy.weights(0) == {"bgkit-tg-1": 90, "bgkit-tg-2": 10})
    assert deploy.weights(0) == {"bgkit-tg-1": 90, "bgkit-tg-2": 10}
    deploy.tick(30)
    assert deploy.status(deployment) == "InProgress"  # an alarm in OK does nothing
    alarm(deploy, "bgkit-5xx", firing=True)
    assert state(deploy, "bgkit-5xx") == "ALARM"
    deploy.tick(10)  # the canary's five minutes are far off: the poll comes first
    info = deploy.info(deployment)
    assert info["status"] == "Stopped"
    assert info["errorInformation"] == {
        "code": "ALARM_ACTIVE",
        "message": ACTIVE.format("bgkit-5xx"),
    }
    rollback = info["rollbackInfo"]["rollbackDeploymentId"]
    assert deploy.info(rollback)["creator"] == "codeDeployRollback"
    deploy.run_to(rollback, "Succeeded")
    assert deploy.weights(0) == {"bgkit-tg-1": 1}
    assert sets(deploy) == [("DRAINING", "bgkit-web:2"), ("PRIMARY", "bgkit-web:1")]


def test_alarm_without_stop_on_alarm_rollback_stops_and_leaves_traffic(deploy):
    alarm(deploy, "bgkit-5xx", firing=False)
    deploy.create_group(config=CANARY, rollback=["DEPLOYMENT_FAILURE"],
                        alarmConfiguration=watching("bgkit-5xx"))  # fmt: skip
    deployment = deploy.deploy()
    deploy.run_to(deployment, "InProgress")
    settle_until(deploy, lambda: deploy.weights(0) == {"bgkit-tg-1": 90, "bgkit-tg-2": 10})
    alarm(deploy, "bgkit-5xx", firing=True)
    deploy.tick(10)
    info = deploy.info(deployment)
    assert (info["status"], info["errorInformation"]["code"]) == ("Stopped", "ALARM_ACTIVE")
    assert "rollbackInfo" not in info
    assert deploy.weights(0) == {"bgkit-tg-1": 90, "bgkit-tg-2": 10}


def test_alarm_during_the_ready_wait_stops_it(deploy):
    alarm(deploy, "bgkit-5xx", firing=False)
    deploy.create_group(ready_wait=60, rollback=["DEPLOYMENT_STOP_ON_ALARM"],
                        alarmConfiguration=watching("bgkit-5xx"))  # fmt: skip
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Ready")
    alarm(deploy, "bgkit-5xx", firing=True)
    deploy.tick(10)
    info = deploy.info(deployment)
    assert info["status"] == "Stopped"
    assert info["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert deploy.events(deployment)["AllowTraffic"] == "Skipped"
    deploy.run_to(info["rollbackInfo"]["rollbackDeploymentId"], "Succeeded")
    assert deploy.weights(0) == {"bgkit-tg-1": 1}


def test_alarm_during_the_termination_wait_puts_blue_back(deploy):
    alarm(deploy, "bgkit-5xx", firing=False)
    deploy.create_group(termination_wait=30, rollback=["DEPLOYMENT_STOP_ON_ALARM"],
                        alarmConfiguration=watching("bgkit-5xx"))  # fmt: skip
    deployment = deploy.deploy()
    deploy.run_to(deployment, "InProgress")
    settle_until(deploy, lambda: deploy.info(deployment)["instanceTerminationWaitTimeStarted"])
    assert deploy.weights(0) == {"bgkit-tg-1": 0, "bgkit-tg-2": 100}
    assert sets(deploy) == [("ACTIVE", "bgkit-web:1"), ("PRIMARY", "bgkit-web:2")]
    alarm(deploy, "bgkit-5xx", firing=True)
    deploy.tick(10)
    info = deploy.info(deployment)
    assert (info["status"], info["errorInformation"]["code"]) == ("Stopped", "ALARM_ACTIVE")
    deploy.run_to(info["rollbackInfo"]["rollbackDeploymentId"], "Succeeded")
    assert deploy.weights(0) == {"bgkit-tg-1": 1}
    assert ("PRIMARY", "bgkit-web:1") in sets(deploy)


def test_disabled_alarm_configuration_is_not_watched(deploy):
    alarm(deploy, "bgkit-5xx", firing=True)
    deploy.create_group(termination_wait=0, rollback=["DEPLOYMENT_STOP_ON_ALARM"],
                        alarmConfiguration=watching("bgkit-5xx", enabled=False))  # fmt: skip
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Succeeded")


def test_override_alarm_configuration_of_one_deployment(deploy):
    alarm(deploy, "bgkit-5xx", firing=True)
    deploy.create_group(termination_wait=30)
    deployment = deploy.deploy(overrideAlarmConfiguration=watching("bgkit-5xx"))
    assert deploy.info(deployment)["overrideAlarmConfiguration"] == watching("bgkit-5xx")
    deploy.tick(1.0)
    deploy.settle()
    assert deploy.status(deployment) == "Stopped"


# --- an alarm that cannot be read -------------------------------------------------------------


def test_missing_alarm_stops_the_deployment(deploy):
    deploy.create_group(alarmConfiguration=watching("no-such-alarm"))
    deployment = deploy.deploy()
    deploy.tick(1.0)
    deploy.settle()
    info = deploy.info(deployment)
    assert info["status"] == "Stopped"
    assert "no-such-alarm" in info["errorInformation"]["message"]
    assert "ignorePollAlarmFailure" in info["errorInformation"]["message"]


def test_missing_alarm_is_ignored_with_ignore_poll_alarm_failure(deploy):
    deploy.create_group(termination_wait=0,
                        alarmConfiguration=watching("no-such-alarm", ignore=True))  # fmt: skip
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Succeeded")


# --- the configuration's checks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("configuration", "code"),
    [
        (watching(), "InvalidAlarmConfigException"),  # enabled, the list empty
        ({"enabled": True}, "InvalidAlarmConfigException"),  # enabled, the list null
        (watching("a", "a"), "InvalidAlarmConfigException"),  # a name twice
        (watching("x" * 256), "InvalidAlarmConfigException"),  # longer than 255
        ({"enabled": True, "alarms": [{}]}, "InvalidAlarmConfigException"),  # no name
        (watching(*(f"a{i}" for i in range(11))), "AlarmsLimitExceededException"),
    ],
)
def test_create_deployment_group_refuses_alarm_configuration(deploy, configuration, code):
    with pytest.raises(ClientError) as error:
        deploy.create_group(alarmConfiguration=configuration)
    assert refused(error) == code
    groups = deploy.codedeploy.list_deployment_groups(applicationName="bgkit-app")
    assert groups["deploymentGroups"] == []


def test_update_deployment_group_sets_and_refuses_alarms(deploy):
    group = deploy.create_group()
    assert group["alarmConfiguration"] == watching(enabled=False)
    ten = watching(*(f"a{i}" for i in range(10)), ignore=True)
    deploy.codedeploy.update_deployment_group(
        applicationName="bgkit-app", currentDeploymentGroupName="bgkit-dg", alarmConfiguration=ten
    )
    with pytest.raises(ClientError) as error:
        deploy.codedeploy.update_deployment_group(
            applicationName="bgkit-app", currentDeploymentGroupName="bgkit-dg",
            alarmConfiguration=watching("a", "a"),
        )  # fmt: skip
    assert refused(error) == "InvalidAlarmConfigException"
    info = deploy.codedeploy.get_deployment_group(
        applicationName="bgkit-app", deploymentGroupName="bgkit-dg"
    )["deploymentGroupInfo"]
    assert info["alarmConfiguration"] == ten


def test_create_deployment_refuses_an_override_of_eleven_alarms(deploy):
    deploy.create_group()
    with pytest.raises(ClientError) as error:
        deploy.deploy(overrideAlarmConfiguration=watching(*(f"a{i}" for i in range(11))))
    assert refused(error) == "AlarmsLimitExceededException"
    listed = deploy.codedeploy.list_deployments(
        applicationName="bgkit-app", deploymentGroupName="bgkit-dg"
    )
    assert listed["deployments"] == []

"""ECS built-in blue/green deployments that watch CloudWatch alarms (``deploymentConfiguration.
alarms``): rolled back to blue, or stopped without ``rollback``, when one goes into ALARM; shown
as ``ServiceDeploymentAlarms``.

Sources: the ECS Developer Guide, *How CloudWatch alarms detect Amazon ECS deployment failures*
("Amazon ECS considers the service deployment as failed when any of the alarms move to the ALARM
state"; with ``rollback`` it goes back to the last completed deployment); botocore's model
(``DeploymentAlarms``, ``ServiceDeploymentAlarms`` and its statuses). The alarms are real alarms of
the local cloud: one that treats missing data as breaching goes into ALARM at its first evaluation.
"""

from __future__ import annotations

import pytest
from cloudwatch_world import alarm_now
from ecs_bluegreen_world import cloud, make_bluegreen  # noqa: F401

pytestmark = pytest.mark.control_plane


@pytest.fixture
def bg(cloud, client):  # noqa: F811
    return make_bluegreen(cloud, client)


def alarm(bg, name: str, *, firing: bool) -> None:
    """A real alarm, in ALARM at its first evaluation when ``firing``, else OK; then two passes
    (the alarm is evaluated in the first; ECS may read it before CloudWatch's turn)."""
    alarm_now(bg.cloud, name, firing=firing)
    bg.tick()
    bg.tick()


def baking(bg, *, rollback: bool = True) -> str:
    """A running service that watches ``bgkit-5xx``, FizzBuzz deployed and in its bake time."""
    alarm(bg, "bgkit-5xx", firing=False)
    config = {"alarmNames": ["bgkit-5xx"], "enable": True, "rollback": rollback}
    bg.create_service(alarms=config)
    bg.settle()
    arn = bg.update()
    bg.settle()
    assert bg.stage(arn) == "BAKE_TIME"
    assert bg.weights(bg.production_rule) == {"1": 0, "2": 100}
    return arn


def test_alarm_in_the_bake_time_rolls_back_to_blue(bg):
    arn = baking(bg)
    shown = bg.deployment(arn)
    assert shown["alarms"] == {"status": "MONITORING", "alarmNames": ["bgkit-5xx"]}
    alarm(bg, "bgkit-5xx", firing=True)
    bg.settle()
    shown = bg.deployment(arn)
    assert shown["status"] == "ROLLBACK_SUCCESSFUL"
    assert shown["alarms"] == {
        "status": "TRIGGERED",
        "alarmNames": ["bgkit-5xx"],
        "triggeredAlarmNames": ["bgkit-5xx"],
    }
    assert "bgkit-5xx" in shown["statusReason"]
    assert shown["rollback"]["reason"] == shown["statusReason"]
    assert bg.weights(bg.production_rule) == {"1": 1}


def test_alarm_without_rollback_stops_the_deployment(bg):
    arn = baking(bg, rollback=False)
    alarm(bg, "bgkit-5xx", firing=True)
    shown = bg.deployment(arn)
    assert shown["status"] == "STOPPED"
    assert shown["alarms"]["status"] == "TRIGGERED"
    assert "rollback" not in shown


def test_quiet_alarms_let_the_deployment_succeed_and_complete_their_monitoring(bg):
    arn = baking(bg)
    bg.tick(5 * 60)
    bg.settle()
    bg.drain()
    shown = bg.deployment(arn)
    assert shown["status"] == "SUCCESSFUL"
    assert shown["alarms"] == {"status": "MONITORING_COMPLETE", "alarmNames": ["bgkit-5xx"]}


def test_a_service_without_alarms_shows_them_disabled(bg):
    bg.create_service()
    bg.settle()
    arn = bg.update()
    assert bg.deployment(arn)["alarms"] == {"status": "DISABLED"}


def test_disabled_alarms_are_not_watched(bg):
    alarm(bg, "bgkit-5xx", firing=True)
    bg.create_service(alarms={"alarmNames": ["bgkit-5xx"], "enable": False, "rollback": True})
    bg.settle()
    arn = bg.update()
    bg.settle()
    assert bg.deployment(arn)["status"] == "IN_PROGRESS"
    assert bg.stage(arn) == "BAKE_TIME"

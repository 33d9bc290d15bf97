"""The lifecycle engines' transition tables, traffic schedules and documented state, without an
endpoint."""

from __future__ import annotations

import pytest

from bgkit.local.clock import Clock
from bgkit.local.ids import Ids
from bgkit.local.provider import RequestContext
from bgkit.local.services.codedeploy import engine as deployments
from bgkit.local.services.codedeploy.configs import PREDEFINED, traffic_schedule
from bgkit.local.services.codedeploy.lifecycle import (
    EVENTS,
    DeploymentState,
    NewDeploymentState,
    event_list,
    new_deployment,
)
from bgkit.local.services.ecs.bluegreen.deployments import (
    NewServiceDeploymentState,
    ServiceDeploymentState,
    start_initial,
)
from bgkit.local.store import Store


def test_every_phase_leads_to_a_phase_or_an_end():
    phases = set(deployments.TRANSITIONS) | set(deployments.TERMINAL)
    for transition in deployments.TRANSITIONS.values():
        assert transition.next in phases


def test_main_path_visits_the_lifecycle_events_in_aws_order():
    path, phase = [], "Created"
    while phase not in deployments.TERMINAL and phase != "RollbackReroute":
        path.append(phase)
        phase = deployments.TRANSITIONS[phase].next
    assert [p for p in path if p in EVENTS] == list(EVENTS)
    assert path.index("AfterAllowTestTraffic") < path.index("ReadyWait")
    assert path.index("ReadyWait") < path.index("BeforeAllowTraffic")
    assert path[-2:] == ["TerminationWait", "Terminate"]


def test_without_test_listener_six_events():
    names = [e["lifecycleEventName"] for e in event_list(False)]
    assert "AllowTestTraffic" not in names and len(names) == 6


@pytest.mark.parametrize(
    ("name", "schedule"),
    [
        ("CodeDeployDefault.ECSAllAtOnce", [(0.0, 100)]),
        ("CodeDeployDefault.ECSCanary10Percent5Minutes", [(0.0, 10), (300.0, 100)]),
        ("CodeDeployDefault.ECSCanary10Percent15Minutes", [(0.0, 10), (900.0, 100)]),
        (
            "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
            [(60.0 * k, 10 * (k + 1)) for k in range(10)],
        ),
        (
            "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
            [(180.0 * k, 10 * (k + 1)) for k in range(10)],
        ),
    ],
)
def test_predefined_schedules(name, schedule):
    assert traffic_schedule(PREDEFINED[name]) == schedule


def test_linear_that_does_not_divide_100_ends_at_100():
    config = {
        "trafficRoutingConfig": {
            "type": "TimeBasedLinear",
            "timeBasedLinear": {"linearPercentage": 30, "linearInterval": 2},
        }
    }
    assert traffic_schedule(config) == [(0.0, 30), (120.0, 60), (240.0, 90), (360.0, 100)]


class Wall:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def context() -> tuple[RequestContext, Wall]:
    store, wall = Store(), Wall()
    clock = Clock(None, wall=wall)
    return RequestContext(store, clock, Ids(store), "us-east-1"), wall


def record(ctx: RequestContext, **engine) -> dict:
    return {
        "applicationName": "app",
        "deploymentGroupName": "dg",
        "deploymentId": "d-AAAAAAAAA",
        "status": "Created",
        "createTime": ctx.now(),
        "blueGreenDeploymentConfiguration": {
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 5}
        },
        "autoRollbackConfiguration": {"enabled": False, "events": []},
        "_engine": {
            "phase": "Created",
            "due": 0.0,
            "events": event_list(True),
            "targetStatus": "Pending",
            "lastUpdatedAt": ctx.now(),
            "testListeners": [],
            **engine,
        },
    }


def test_created_waits_for_its_start_on_the_clock():
    ctx, _ = context()
    made = deployments.run(ctx, record(ctx))
    assert made["_engine"]["phase"] == "Created"
    assert made["_engine"]["due"] == ctx.now() + deployments.START_DELAY
    assert ctx.records("codedeploy-active").get("d-AAAAAAAAA")["due"] == made["_engine"]["due"]


def test_ready_wait_stops_at_its_deadline_and_leaves_the_index():
    ctx, wall = context()
    waiting = record(ctx, phase="ReadyWait")
    deployments.run(ctx, waiting)
    assert waiting["status"] == "Ready"
    assert waiting["_engine"]["due"] == ctx.now() + 300
    wall.now += 299
    deployments.run(ctx, waiting)
    assert waiting["status"] == "Ready"
    wall.now += 1
    deployments.run(ctx, waiting)
    assert waiting["status"] == "Stopped"
    assert waiting["errorInformation"]["message"].endswith("This time out period is 5 minutes.")
    assert ctx.records("codedeploy-active").get("d-AAAAAAAAA") is None


def _group() -> dict:
    pair = {
        "targetGroups": [{"name": "tg-1"}, {"name": "tg-2"}],
        "prodTrafficRoute": {"listenerArns": ["arn:listener/80"]},
        "testTrafficRoute": {"listenerArns": ["arn:listener/8080"]},
    }
    return {
        "applicationName": "app",
        "deploymentGroupName": "dg",
        "serviceRoleArn": "arn:aws:iam::000000000000:role/bgkit-codedeploy",
        "ecsServices": [{"clusterName": "c", "serviceName": "s"}],
        "_targetGroupArns": ["arn:tg/1", "arn:tg/2"],
        "loadBalancerInfo": {"targetGroupPairInfoList": [pair]},
        "deploymentStyle": {},
        "blueGreenDeploymentConfiguration": {},
        "computePlatform": "ECS",
    }


def test_a_new_deployment_has_the_documented_state():
    ctx, _ = context()
    made = new_deployment(
        ctx,
        "d-AAAAAAAAA",
        _group(),
        config={"deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce"},
        revision=None,
        content="{}",
        creator="user",
        auto_rollback={},
    )
    assert set(made["_engine"]) == NewDeploymentState.__required_keys__
    assert NewDeploymentState.__required_keys__ <= DeploymentState.__required_keys__


def test_a_deployment_writes_only_documented_state():
    ctx, wall = context()
    waiting = record(ctx, phase="ReadyWait")
    deployments.run(ctx, waiting)
    wall.now += 300
    deployments.run(ctx, waiting)
    documented = DeploymentState.__required_keys__ | DeploymentState.__optional_keys__
    assert set(waiting["_engine"]) <= documented


def test_a_new_service_deployment_has_the_documented_state():
    ctx, _ = context()
    service = {
        "clusterArn": ctx.arn("ecs", "cluster/c"),
        "serviceName": "s",
        "serviceArn": ctx.arn("ecs", "service/c/s"),
        "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0},
        "loadBalancers": [],
    }
    made = start_initial(ctx, service, "c/s", {"id": "ecs-svc/1", "taskDefinition": "arn:td:1"})
    assert set(made["_engine"]) == NewServiceDeploymentState.__required_keys__
    documented = ServiceDeploymentState.__required_keys__ | ServiceDeploymentState.__optional_keys__
    assert {"worked", "hooksAt"} <= documented  # the markers each move clears

"""The ECS service scheduler through boto3, with the runtime played by hand (no processes)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from ecs_world import make_world, mark, run_all, set_health, stop_wanted, targets

pytestmark = pytest.mark.control_plane


@pytest.fixture
def world(cloud, client):
    return make_world(cloud, client)


def messages(world, name: str = "web") -> list[str]:
    return [e["message"] for e in world.service(name)["events"]]


def healthy_service(world, **more):
    world.create_service(**more)
    tasks = run_all(world)
    for task in tasks:
        set_health(world, world.target_groups[0], task, "healthy")
    return tasks


def test_running_tasks_are_registered_as_ip_targets(world):
    world.create_service()
    tasks = run_all(world)
    registered = {(t["Target"]["Id"], t["Target"]["Port"]) for t in targets(world)}
    addresses = {
        (t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"], 80) for t in tasks
    }
    assert registered == addresses
    assert (
        f"(service web) registered 1 targets in (target-group {world.target_groups[0]})"
        in messages(world)
    )


def test_service_reaches_a_steady_state_once_targets_are_healthy(world):
    healthy_service(world)
    service = world.service()
    assert (service["runningCount"], service["pendingCount"]) == (2, 0)
    assert service["taskSets"][0]["stabilityStatus"] == "STEADY_STATE"
    assert messages(world)[0] == "(service web) has reached a steady state."


def test_a_task_that_exits_is_replaced_after_a_back_off(world):
    tasks = healthy_service(world)
    mark(world.cloud, tasks[0]["taskArn"], "STOPPED")
    assert len(world.tasks()) == 1
    gone = world.ecs.describe_tasks(cluster="bgkit", tasks=[tasks[0]["taskArn"]])["tasks"][0]
    assert (gone["lastStatus"], gone["desiredStatus"]) == ("STOPPED", "STOPPED")
    assert gone["stopCode"] == "EssentialContainerExited"
    assert sorted(t["TargetHealth"]["State"] for t in targets(world)) == ["draining", "healthy"]
    world.cloud.clock.advance(6)
    world.cloud.advance()
    assert len(world.tasks()) == 2


def test_an_unhealthy_task_is_replaced_first_then_stopped(world):
    # ECS starts the replacement of an unhealthy task first and stops the unhealthy one only
    # once the replacement is healthy, so the target group never runs empty.
    tasks = healthy_service(world, healthCheckGracePeriodSeconds=60)
    sick = tasks[0]
    set_health(world, world.target_groups[0], sick, "unhealthy")
    world.cloud.clock.advance(61)
    world.cloud.advance()
    assert any("is unhealthy in (target-group" in m for m in messages(world))
    running = world.tasks()
    assert len(running) == 3  # the unhealthy one keeps serving while its replacement starts
    assert sick["taskArn"] in {t["taskArn"] for t in running}
    replacement = next(
        t for t in run_all(world) if t["taskArn"] not in {x["taskArn"] for x in tasks}
    )
    set_health(world, world.target_groups[0], replacement, "healthy")
    shown = world.ecs.describe_tasks(cluster="bgkit", tasks=[sick["taskArn"]])["tasks"][0]
    reason = f"Task failed ELB health checks in (target-group {world.target_groups[0]})"
    assert shown["stoppedReason"] == reason
    assert shown["lastStatus"] == "DEACTIVATING"
    assert len(world.tasks()) == 2  # the replacement and the other healthy one


def test_scale_in_drains_targets_before_stopping(world):
    tasks = healthy_service(world)
    world.ecs.update_service(cluster="bgkit", service="web", desiredCount=1)
    draining = [t for t in world.tasks("web", "STOPPED")]
    assert len(draining) == 1
    assert draining[0]["lastStatus"] == "DEACTIVATING"
    raw = world.record("task", draining[0]["taskArn"])
    assert raw["desiredStatus"] == "RUNNING"  # the runtime keeps it running while it drains
    states = {t["Target"]["Id"]: t["TargetHealth"]["State"] for t in targets(world)}
    assert sorted(states.values()) == ["draining", "healthy"]
    assert any("has begun draining connections on 1 tasks." in m for m in messages(world))
    world.cloud.clock.advance(11)
    world.cloud.advance()
    raw = world.record("task", draining[0]["taskArn"])
    assert raw["desiredStatus"] == "STOPPED"
    assert raw["stoppedReason"].startswith("Scaling activity initiated by (deployment ecs-svc/")
    stop_wanted(world)
    assert len(tasks) - 1 == len(world.tasks()) == world.service()["runningCount"]


def test_stop_task_stops_at_once(world):
    tasks = healthy_service(world)
    stopped = world.ecs.stop_task(cluster="bgkit", task=tasks[0]["taskArn"], reason="because")
    assert stopped["task"]["desiredStatus"] == "STOPPED"
    assert stopped["task"]["stoppedReason"] == "because"


def test_stop_task_unknown_is_refused(world):
    with pytest.raises(ClientError) as caught:
        world.ecs.stop_task(cluster="bgkit", task="0" * 32)
    assert caught.value.response["Error"]["Message"] == "The referenced task was not found."


def test_a_role_ecs_cannot_assume_stops_the_launch(world, client):
    client("iam").delete_role(RoleName="bgkit-execution")
    world.create_service()
    assert world.tasks() == []
    assert messages(world)[0].startswith(
        "(service web) failed to launch a task with (error ECS was unable to assume the role "
        f"'{world.role_arn}'"
    )


def test_rolling_update_replaces_the_tasks(world):
    world.create_service(controller="ECS")
    old = run_all(world)
    for task in old:
        set_health(world, world.target_groups[0], task, "healthy")
    revision = world.ecs.register_task_definition(
        **{
            k: v
            for k, v in world.ecs.describe_task_definition(taskDefinition="bgkit-web")[
                "taskDefinition"
            ].items()
            if k
            in (
                "family",
                "containerDefinitions",
                "networkMode",
                "cpu",
                "memory",
                "requiresCompatibilities",
                "executionRoleArn",
            )
        }
    )["taskDefinition"]["taskDefinitionArn"]
    world.ecs.update_service(cluster="bgkit", service="web", taskDefinition=revision)
    assert len(world.service()["deployments"]) == 2
    for task in run_all(world):
        set_health(world, world.target_groups[0], task, "healthy")
    world.cloud.advance()
    assert {t["lastStatus"] for t in world.tasks("web", "STOPPED")} == {"DEACTIVATING"}
    world.cloud.clock.advance(11)
    world.cloud.advance()
    stop_wanted(world)
    service = world.service()
    [deployment] = service["deployments"]
    assert deployment["taskDefinition"] == revision
    assert deployment["rolloutState"] == "COMPLETED"
    assert {t["taskDefinitionArn"] for t in world.tasks()} == {revision}


def test_run_task_and_the_tasks_running_waiter(world):
    started = world.ecs.run_task(
        cluster="bgkit",
        taskDefinition=world.task_definition,
        count=2,
        launchType="FARGATE",
        networkConfiguration=world.network(),
    )["tasks"]
    assert [t["lastStatus"] for t in started] == ["PROVISIONING", "PROVISIONING"]
    for task in started:
        mark(world.cloud, task["taskArn"], "RUNNING")
    arns = [t["taskArn"] for t in started]
    world.ecs.get_waiter("tasks_running").wait(
        cluster="bgkit", tasks=arns, WaiterConfig={"Delay": 0.1, "MaxAttempts": 5}
    )
    listed = world.ecs.list_tasks(cluster="bgkit", family="bgkit-web")["taskArns"]
    assert sorted(listed) == sorted(arns)

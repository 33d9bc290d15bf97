"""ECS's quotas and input limits, through boto3: refused as AWS refuses them, and a large
desired count scheduled a bounded batch at a time.

Sources: Amazon ECS service quotas (developer guide, "Amazon ECS service quotas"): tasks per
service 5,000; containers per task definition 10; rate of tasks launched by a service on Fargate
500 a minute. RegisterTaskDefinition refuses a task definition over 64 KiB with "Actual length:
'<n>'. Max allowed length is '65536' bytes." and an environment variable without a name with
"Environment variable name cannot be null or blank." (both ClientException, as AWS answers them;
seen in public reports, e.g. thnery/terraform-aws-template#2).
"""

from __future__ import annotations

import re
import time

import pytest
from botocore.exceptions import ClientError
from ecs_world import PARTITION, make_world

from bgkit.local.services.ecs import scheduler

pytestmark = pytest.mark.control_plane


@pytest.fixture
def world(cloud, client):
    return make_world(cloud, client)


def refused(call, code: str, pattern: str) -> None:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == code
    assert re.search(pattern, caught.value.response["Error"]["Message"]), caught.value.response


def definition(world, **changes):
    found = world.ecs.describe_task_definition(taskDefinition=world.task_definition)
    found = found["taskDefinition"]
    keep = ("family", "containerDefinitions", "executionRoleArn", "networkMode", "cpu", "memory")
    return {
        **{key: found[key] for key in keep},
        "requiresCompatibilities": ["FARGATE"],
        **changes,
    }


def revisions(world) -> list[str]:
    return world.ecs.list_task_definitions()["taskDefinitionArns"]


# -- task definitions ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", " ", None])
def test_register_task_definition_refuses_an_environment_variable_without_a_name(world, name):
    container = dict(definition(world)["containerDefinitions"][0])
    container["environment"] = [{"value": "1"} if name is None else {"name": name, "value": "1"}]
    before = revisions(world)
    refused(
        lambda: world.ecs.register_task_definition(
            **definition(world, containerDefinitions=[container])
        ),
        "ClientException",
        r"^Environment variable name cannot be null or blank\.$",
    )
    assert revisions(world) == before


def test_register_task_definition_refuses_more_than_ten_containers(world):
    base = definition(world)["containerDefinitions"][0]
    containers = [{**base, "name": f"c{i}", "essential": i == 0} for i in range(11)]
    refused(
        lambda: world.ecs.register_task_definition(
            **definition(world, containerDefinitions=containers)
        ),
        "ClientException",
        r"11 containers.*at most 10",
    )


def test_register_task_definition_refuses_one_over_64_kib(world):
    container = dict(definition(world)["containerDefinitions"][0])
    container["environment"] = [{"name": f"V{i}", "value": "x" * 1000} for i in range(70)]
    refused(
        lambda: world.ecs.register_task_definition(
            **definition(world, containerDefinitions=[container])
        ),
        "ClientException",
        r"^Actual length: '\d+'\. Max allowed length is '65536' bytes\.$",
    )


# -- desired counts -----------------------------------------------------------------------------


def test_create_service_refuses_a_desired_count_over_the_tasks_per_service_quota(world):
    refused(
        lambda: world.create_service(desiredCount=5001),
        "InvalidParameterException",
        r"desiredCount 5001 .*5,000 tasks per service",
    )
    assert world.ecs.list_services(cluster="bgkit")["serviceArns"] == []


def test_update_service_refuses_a_desired_count_over_the_tasks_per_service_quota(world):
    world.create_service(desiredCount=0)
    refused(
        lambda: world.ecs.update_service(cluster="bgkit", service="web", desiredCount=10**6),
        "InvalidParameterException",
        r"desiredCount 1000000 .*5,000 tasks per service",
    )
    assert world.service()["desiredCount"] == 0


def test_a_large_desired_count_is_started_a_bounded_batch_a_pass(world):
    count = 3 * scheduler.LAUNCH_BATCH + 1
    world.create_service(desiredCount=count)
    deadline = time.monotonic() + 60
    while len(world.cloud.store.list(PARTITION, "task")) < count:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = [
        int(match.group(1))
        for event in world.service()["events"]
        if (match := re.search(r"has started (\d+) tasks", event["message"]))
    ]
    assert sum(started) == count
    assert max(started) <= scheduler.LAUNCH_BATCH

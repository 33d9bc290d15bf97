"""ECS resolves an ARN whole: a task definition or cluster ARN of another region or account
names nothing here, as on AWS (an ARN names one resource in one region of one account; AWS
General Reference, "Amazon Resource Names").
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from ecs_world import make_world

pytestmark = pytest.mark.control_plane


@pytest.fixture
def world(cloud, client):
    return make_world(cloud, client)


def elsewhere(arn: str, region: str = "us-west-2", account: str = "123456789012") -> str:
    parts = arn.split(":")
    parts[3], parts[4] = region, account
    return ":".join(parts)


@pytest.mark.parametrize(
    "where", [{"region": "us-west-2"}, {"region": "us-east-1", "account": "210987654321"}]
)
def test_a_task_definition_arn_of_another_region_or_account_is_not_found(world, where):
    other = elsewhere(world.task_definition, **where)
    with pytest.raises(ClientError) as caught:
        world.ecs.describe_task_definition(taskDefinition=other)
    assert caught.value.response["Error"]["Code"] == "ClientException"
    with pytest.raises(ClientError) as caught:
        world.create_service(taskDefinition=other)
    assert caught.value.response["Error"]["Message"] == "TaskDefinition not found."
    assert world.ecs.list_services(cluster="bgkit")["serviceArns"] == []


def test_a_cluster_arn_of_another_region_is_not_found(world):
    arn = world.ecs.describe_clusters(clusters=["bgkit"])["clusters"][0]["clusterArn"]
    with pytest.raises(ClientError) as caught:
        world.create_service(cluster=elsewhere(arn))
    assert caught.value.response["Error"]["Code"] == "ClusterNotFoundException"
    assert world.create_service(cluster=arn)["serviceName"] == "web"


@pytest.mark.parametrize(
    "where", [{"region": "us-west-2"}, {"region": "us-east-1", "account": "210987654321"}]
)
def test_a_service_arn_of_another_region_or_account_is_not_found(world, where):
    arn = world.create_service()["serviceArn"]
    other = elsewhere(arn, **where)
    described = world.ecs.describe_services(cluster="bgkit", services=[other])
    assert described["services"] == []
    assert described["failures"][0]["reason"] == "MISSING"
    for call in (
        lambda: world.ecs.update_service(cluster="bgkit", service=other, desiredCount=1),
        lambda: world.ecs.delete_service(cluster="bgkit", service=other, force=True),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "ServiceNotFoundException"
    with pytest.raises(ClientError) as caught:
        world.ecs.tag_resource(resourceArn=other, tags=[{"key": "k", "value": "v"}])
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert world.service()["desiredCount"] == 2 and world.service()["status"] == "ACTIVE"
    assert world.ecs.list_tags_for_resource(resourceArn=arn)["tags"] == []


def test_a_service_is_found_by_its_arn_its_short_arn_and_its_name(world):
    arn = world.create_service()["serviceArn"]
    short = arn.replace("service/bgkit/", "service/")  # ECS's older ARN format
    for reference in (arn, short, "web"):
        described = world.ecs.describe_services(cluster="bgkit", services=[reference])
        assert [s["serviceArn"] for s in described["services"]] == [arn]


def test_a_cluster_arn_of_another_region_is_missing_in_describe_clusters(world):
    arn = world.ecs.describe_clusters(clusters=["bgkit"])["clusters"][0]["clusterArn"]
    described = world.ecs.describe_clusters(clusters=[elsewhere(arn), arn])
    assert [c["clusterArn"] for c in described["clusters"]] == [arn]
    assert described["failures"] == [{"arn": elsewhere(arn), "reason": "MISSING"}]


def test_a_task_arn_of_another_region_is_not_found(world):
    world.create_service()
    task = world.tasks()[0]["taskArn"]
    other = elsewhere(task)
    described = world.ecs.describe_tasks(cluster="bgkit", tasks=[other, task])
    assert [t["taskArn"] for t in described["tasks"]] == [task]
    assert described["failures"][0]["reason"] == "MISSING"
    with pytest.raises(ClientError) as caught:
        world.ecs.stop_task(cluster="bgkit", task=other)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    assert world.tasks()[0]["desiredStatus"] == "RUNNING"

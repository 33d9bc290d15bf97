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

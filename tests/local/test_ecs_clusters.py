"""ECS clusters and task definitions through boto3: every operation, every refusal."""

from __future__ import annotations

import copy

import pytest
from botocore.exceptions import ClientError

from bgkit.apps.templates import task_definition

pytestmark = pytest.mark.control_plane

ROLE = "arn:aws:iam::123456789012:role/bgkit-execution"


def nginx(**changes):
    definition = task_definition(
        "nginx", family="web", execution_role_arn=ROLE, log_group="/ecs/web", region="us-east-1"
    )
    definition.update(changes)
    return definition


def refused(call, code: str, message: str) -> None:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["Error"]["Message"] == message


# -- clusters -----------------------------------------------------------------------------------


def test_create_cluster_answers_an_active_cluster(client):
    cluster = client("ecs").create_cluster(clusterName="bgkit")["cluster"]
    assert cluster["clusterArn"] == "arn:aws:ecs:us-east-1:123456789012:cluster/bgkit"
    assert cluster["status"] == "ACTIVE"
    assert cluster["activeServicesCount"] == 0


def test_create_cluster_is_idempotent(client):
    ecs = client("ecs")
    first = ecs.create_cluster(clusterName="bgkit")["cluster"]
    assert ecs.create_cluster(clusterName="bgkit")["cluster"]["clusterArn"] == first["clusterArn"]
    assert ecs.list_clusters()["clusterArns"] == [first["clusterArn"]]


def test_describe_clusters_reports_missing_ones(client):
    ecs = client("ecs")
    ecs.create_cluster(clusterName="bgkit", tags=[{"key": "owner", "value": "me"}])
    answer = ecs.describe_clusters(clusters=["bgkit", "nope"], include=["TAGS"])
    assert [c["clusterName"] for c in answer["clusters"]] == ["bgkit"]
    assert answer["clusters"][0]["tags"] == [{"key": "owner", "value": "me"}]
    assert answer["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:123456789012:cluster/nope", "reason": "MISSING"}
    ]


def test_delete_cluster_makes_it_inactive(client):
    ecs = client("ecs")
    ecs.create_cluster(clusterName="bgkit")
    assert ecs.delete_cluster(cluster="bgkit")["cluster"]["status"] == "INACTIVE"
    assert ecs.list_clusters()["clusterArns"] == []
    assert ecs.describe_clusters(clusters=["bgkit"])["clusters"][0]["status"] == "INACTIVE"


def test_delete_cluster_unknown_is_refused(client):
    refused(
        lambda: client("ecs").delete_cluster(cluster="nope"),
        "ClusterNotFoundException",
        "Cluster not found.",
    )


def test_tag_resource_on_a_cluster(client):
    ecs = client("ecs")
    arn = ecs.create_cluster(clusterName="bgkit")["cluster"]["clusterArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    ecs.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]


# -- task definitions ---------------------------------------------------------------------------


def test_register_task_definition_counts_revisions(client):
    ecs = client("ecs")
    first = ecs.register_task_definition(**nginx())["taskDefinition"]
    second = ecs.register_task_definition(**nginx())["taskDefinition"]
    assert (first["revision"], second["revision"]) == (1, 2)
    assert second["taskDefinitionArn"].endswith(":task-definition/web:2")
    assert second["status"] == "ACTIVE"
    assert "FARGATE" in second["compatibilities"]
    assert second["containerDefinitions"][0]["portMappings"][0]["hostPort"] == 80


def test_register_task_definition_fargate_needs_awsvpc(client):
    refused(
        lambda: client("ecs").register_task_definition(**nginx(networkMode="bridge")),
        "ClientException",
        "Fargate only supports network mode \u2018awsvpc\u2019.",
    )


def test_register_task_definition_fargate_size_must_exist(client):
    refused(
        lambda: client("ecs").register_task_definition(**nginx(cpu="256", memory="4096")),
        "ClientException",
        "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon "
        "ECS documentation for the valid values.",
    )


def test_register_task_definition_awslogs_needs_an_execution_role(client):
    definition = nginx()
    del definition["executionRoleArn"]
    refused(
        lambda: client("ecs").register_task_definition(**definition),
        "ClientException",
        "Fargate requires task definition to have execution role ARN to support log driver "
        "awslogs.",
    )


def test_register_task_definition_needs_containers(client):
    refused(
        lambda: client("ecs").register_task_definition(family="web", containerDefinitions=[]),
        "ClientException",
        "Container list cannot be empty.",
    )


def test_register_task_definition_role_must_be_a_role_arn(client):
    refused(
        lambda: client("ecs").register_task_definition(**nginx(taskRoleArn="arn:aws:s3:::x")),
        "ClientException",
        "Role is not valid",
    )


def test_describe_task_definition_by_family_is_the_latest_active(client):
    ecs = client("ecs")
    ecs.register_task_definition(**nginx(), tags=[{"key": "k", "value": "v"}])
    ecs.register_task_definition(**nginx())
    ecs.deregister_task_definition(taskDefinition="web:2")
    answer = ecs.describe_task_definition(taskDefinition="web", include=["TAGS"])
    assert answer["taskDefinition"]["revision"] == 1
    assert answer["tags"] == [{"key": "k", "value": "v"}]
    assert "tags" not in ecs.describe_task_definition(taskDefinition="web:2")


def test_describe_task_definition_unknown_is_refused(client):
    refused(
        lambda: client("ecs").describe_task_definition(taskDefinition="nope"),
        "ClientException",
        "Unable to describe task definition.",
    )


def test_deregister_task_definition_keeps_it_describable(client):
    ecs = client("ecs")
    arn = ecs.register_task_definition(**nginx())["taskDefinition"]["taskDefinitionArn"]
    assert ecs.deregister_task_definition(taskDefinition=arn)["taskDefinition"]["status"] == (
        "INACTIVE"
    )
    assert ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["status"] == (
        "INACTIVE"
    )
    assert ecs.list_task_definitions()["taskDefinitionArns"] == []
    assert ecs.list_task_definitions(status="INACTIVE")["taskDefinitionArns"] == [arn]


def test_list_task_definitions_sorts_and_filters(client):
    ecs = client("ecs")
    for family in ("web", "api", "web"):
        ecs.register_task_definition(**nginx(family=family))
    names = [a.rsplit("/", 1)[1] for a in ecs.list_task_definitions()["taskDefinitionArns"]]
    assert names == ["api:1", "web:1", "web:2"]
    desc = ecs.list_task_definitions(familyPrefix="web", sort="DESC")["taskDefinitionArns"]
    assert [a.rsplit("/", 1)[1] for a in desc] == ["web:2", "web:1"]
    assert ecs.list_task_definition_families()["families"] == ["api", "web"]


def test_task_definition_template_validates_as_botocore_input():
    import botocore.session
    from botocore.validate import validate_parameters

    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    validate_parameters(copy.deepcopy(nginx()), shape)


def test_list_clusters_pages_and_refuses_a_token_it_did_not_give(client):
    ecs = client("ecs")
    for name in ("a", "b", "c"):
        ecs.create_cluster(clusterName=name)
    first = ecs.list_clusters(maxResults=2)
    assert [arn.rsplit("/", 1)[-1] for arn in first["clusterArns"]] == ["a", "b"]
    second = ecs.list_clusters(maxResults=2, nextToken=first["nextToken"])
    assert [arn.rsplit("/", 1)[-1] for arn in second["clusterArns"]] == ["c"]
    assert "nextToken" not in second
    pages = ecs.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": 1})
    assert sum(len(p["clusterArns"]) for p in pages) == 3
    refused(
        lambda: ecs.list_clusters(nextToken="garbage"),
        "InvalidParameterException",
        "The nextToken is not valid: pass the one the previous page returned.",
    )

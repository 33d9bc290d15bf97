"""ECS services and task sets through boto3: creation, the CODE_DEPLOY rules, task sets."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from ecs_world import make_world, stop_wanted

from bgkit.local.provider import RequestContext

pytestmark = pytest.mark.control_plane

CD_HINT = "Use AWS CodeDeploy to trigger a new deployment."


@pytest.fixture
def world(cloud, client):
    return make_world(cloud, client)


def refused(call, code: str, message: str) -> None:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["Error"]["Message"] == message


def test_create_service_code_deploy_makes_a_primary_task_set(world):
    service = world.create_service()
    assert service["serviceArn"] == "arn:aws:ecs:us-east-1:123456789012:service/bgkit/web"
    assert service["deployments"] == []
    [task_set] = service["taskSets"]
    assert task_set["status"] == "PRIMARY"
    assert task_set["computedDesiredCount"] == 2
    assert task_set["scale"] == {"value": 100.0, "unit": "PERCENT"}
    number = int(task_set["id"].removeprefix("ecs-svc/"))
    created_ms = int(task_set["createdAt"].timestamp() * 1000)
    assert abs(9223372036854775807 - number - created_ms) <= 1
    assert task_set["taskSetArn"].endswith(f":task-set/bgkit/web/{task_set['id']}")
    assert service["taskDefinition"] == world.task_definition


def test_create_service_ecs_controller_has_one_primary_deployment(world):
    service = world.create_service(controller="ECS")
    [deployment] = service["deployments"]
    assert deployment["status"] == "PRIMARY"
    assert deployment["desiredCount"] == 2


def test_create_service_starts_tasks_in_the_subnets(world):
    world.create_service()
    tasks = world.tasks()
    assert len(tasks) == 2
    for task in tasks:
        assert task["lastStatus"] == "PROVISIONING"
        assert task["group"] == "service:web"
        assert task["startedBy"].startswith("ecs-svc/")
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        assert details["subnetId"] in world.subnets
        assert details["privateIPv4Address"].startswith("172.31.")
    addresses = {t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in tasks}
    assert len(addresses) == 2
    assert "(service web) has started 2 tasks" in world.service()["events"][0]["message"]


def test_create_service_twice_is_not_idempotent(world):
    world.create_service()
    refused(
        world.create_service, "InvalidParameterException", "Creation of service was not idempotent."
    )


def test_create_service_unknown_cluster(world):
    refused(
        lambda: world.create_service(cluster="nope"),
        "ClusterNotFoundException",
        "Cluster not found.",
    )


def test_create_service_container_must_exist(world):
    refused(
        lambda: world.create_service(loadBalancers=world.balancer(name="web")),
        "InvalidParameterException",
        "The container web does not exist in the task definition.",
    )


def test_create_service_container_port_must_exist(world):
    refused(
        lambda: world.create_service(loadBalancers=world.balancer(port=8080)),
        "InvalidParameterException",
        "The container app did not have a container port 8080 defined.",
    )


def test_create_service_target_group_needs_a_load_balancer(world):
    vpc = world.cloud.client("ec2").describe_vpcs()["Vpcs"][0]["VpcId"]
    lonely = world.elbv2.create_target_group(
        Name="lonely", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    balancers = [{"targetGroupArn": lonely, "containerName": "app", "containerPort": 80}]
    refused(
        lambda: world.create_service(loadBalancers=balancers),
        "InvalidParameterException",
        f"The target group with targetGroupArn {lonely} does not have an associated load balancer.",
    )


def test_create_service_awsvpc_needs_a_network_configuration(world):
    refused(
        lambda: world.create_service(networkConfiguration={}),
        "InvalidParameterException",
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    )
    assert world.ecs.list_services(cluster="bgkit")["serviceArns"] == []


def test_describe_services_reports_missing_ones(world):
    answer = world.ecs.describe_services(cluster="bgkit", services=["nope"])
    assert answer["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:123456789012:service/bgkit/nope", "reason": "MISSING"}
    ]


@pytest.mark.parametrize(
    ("member", "value", "words"),
    [
        ("taskDefinition", "bgkit-web:1", "task definition"),
        ("loadBalancers", [], "load balancers"),
        ("networkConfiguration", {"awsvpcConfiguration": {"subnets": ["x"]}}, "network parameters"),
    ],
)
def test_update_service_code_deploy_refuses_what_codedeploy_owns(world, member, value, words):
    world.create_service()
    refused(
        lambda: world.ecs.update_service(cluster="bgkit", service="web", **{member: value}),
        "InvalidParameterException",
        f"Unable to update {words} on services with a CODE_DEPLOY deployment controller. "
        + CD_HINT,
    )
    assert world.service()["taskDefinition"] == world.task_definition


def test_update_service_code_deploy_refuses_force_new_deployment(world):
    world.create_service()
    refused(
        lambda: world.ecs.update_service(cluster="bgkit", service="web", forceNewDeployment=True),
        "InvalidParameterException",
        "Cannot force a new deployment on services with a CODE_DEPLOY deployment controller. "
        + CD_HINT,
    )


def test_update_service_desired_count_rescales_the_task_sets(world):
    world.create_service()
    world.ecs.update_service(cluster="bgkit", service="web", desiredCount=3)
    service = world.service()
    assert service["taskSets"][0]["computedDesiredCount"] == 3
    assert len(world.tasks()) == 3


def test_update_service_unknown_service(world):
    refused(
        lambda: world.ecs.update_service(cluster="bgkit", service="nope", desiredCount=1),
        "ServiceNotFoundException",
        "Service not found.",
    )


def test_delete_service_refused_while_scaled_above_zero(world):
    world.create_service()
    refused(
        lambda: world.ecs.delete_service(cluster="bgkit", service="web"),
        "InvalidParameterException",
        "The service cannot be stopped while it is scaled above 0.",
    )
    assert world.service()["status"] == "ACTIVE"


def test_delete_service_force_drains_then_inactive(world):
    world.create_service()
    assert (
        world.ecs.delete_service(cluster="bgkit", service="web", force=True)["service"]["status"]
        == "DRAINING"
    )
    world.cloud.advance()
    assert world.service()["status"] == "DRAINING"
    stop_wanted(world)
    assert world.service()["status"] == "INACTIVE"
    assert world.tasks() == []


def test_delete_cluster_refused_while_services_are_active(world):
    world.create_service()
    refused(
        lambda: world.ecs.delete_cluster(cluster="bgkit"),
        "ClusterContainsServicesException",
        "The Cluster cannot be deleted while Services are active.",
    )


# -- task sets ----------------------------------------------------------------------------------


def test_create_task_set_refused_for_users_on_code_deploy(world):
    world.create_service()
    refused(
        lambda: world.ecs.create_task_set(
            cluster="bgkit", service="web", taskDefinition=world.task_definition
        ),
        "InvalidParameterException",
        "Amazon ECS only supports task set management on services configured to use external "
        "deployment controllers.",
    )


def test_task_sets_on_an_external_service(world):
    world.create_service(controller="EXTERNAL", taskDefinition=world.task_definition)
    ecs = world.ecs
    blue = ecs.create_task_set(
        cluster="bgkit",
        service="web",
        taskDefinition=world.task_definition,
        networkConfiguration=world.network(),
        loadBalancers=world.balancer(0),
        externalId="blue",
    )["taskSet"]
    green = ecs.create_task_set(
        cluster="bgkit",
        service="web",
        taskDefinition=world.task_definition,
        networkConfiguration=world.network(),
        loadBalancers=world.balancer(1),
        scale={"value": 50, "unit": "PERCENT"},
    )["taskSet"]
    assert (blue["status"], green["status"]) == ("PRIMARY", "ACTIVE")
    assert green["computedDesiredCount"] == 1
    ecs.update_task_set(
        cluster="bgkit", service="web", taskSet=green["id"], scale={"value": 100, "unit": "PERCENT"}
    )
    ecs.update_service_primary_task_set(
        cluster="bgkit", service="web", primaryTaskSet=green["taskSetArn"]
    )
    service = world.service()
    assert service["loadBalancers"] == world.balancer(1)
    statuses = {s["id"]: s["status"] for s in service["taskSets"]}
    assert statuses == {blue["id"]: "ACTIVE", green["id"]: "PRIMARY"}
    ecs.delete_task_set(cluster="bgkit", service="web", taskSet=blue["id"], force=True)
    described = ecs.describe_task_sets(cluster="bgkit", service="web", taskSets=[blue["id"], "x"])
    assert described["taskSets"][0]["status"] == "DRAINING"
    assert described["failures"] == [{"arn": "x", "reason": "MISSING"}]


def codedeploy_context(world, role_arn: str) -> RequestContext:
    ctx = world.cloud.context("ecs", "CreateTaskSet", "us-east-1")
    ctx.caller = "codedeploy.amazonaws.com"
    ctx.extras["role_arn"] = role_arn
    return ctx


def test_codedeploy_may_create_task_sets_when_its_role_may_pass_the_roles(world):
    import json

    iam = world.cloud.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "codedeploy.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="cd", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    world.create_service()
    provider = world.cloud.providers["ecs"]
    ctx = codedeploy_context(world, role["Arn"])
    arguments = {
        "cluster": "bgkit",
        "service": "web",
        "task_definition": world.task_definition,
        "external_id": "d-ABCDEFGHI",
        "load_balancers": world.balancer(1),
    }
    with pytest.raises(Exception) as caught, world.cloud.store.transaction():
        provider.create_task_set(ctx, **arguments)
    assert caught.value.code == "AccessDeniedException"
    assert caught.value.message.startswith(
        "User: arn:aws:sts::123456789012:assumed-role/cd/CodeDeploy is not authorized to perform: "
        f"iam:PassRole on resource: {world.role_arn}"
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="cd", PolicyName="pass", PolicyDocument=json.dumps(policy))
    with world.cloud.store.transaction():
        made = provider.create_task_set(ctx, **arguments)["taskSet"]
    assert made["startedBy"] == "CODE_DEPLOY"
    assert made["externalId"] == "d-ABCDEFGHI"
    assert made["status"] == "ACTIVE"

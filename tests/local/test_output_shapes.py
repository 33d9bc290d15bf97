"""Every answer of the walkthrough's calls fits its output shape, as botocore reads it off the wire.

botocore's parser never asks for a required member nor checks a value's type: a client gets
whatever came. Here every call of the walkthrough's world — IAM, EC2, ELBv2, ECS, CodeDeploy and
CloudWatch Logs, a blue/green deployment from creation to success, and the describe and list calls
a learner makes on the way — is recorded by a botocore ``after-call`` handler and its parsed answer
checked against the operation's output shape in botocore's model: required members present, no
member the shape lacks, values of the shape's types and enums (:mod:`protocol.output_shapes`).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from codedeploy_world import cloud, make_deploy  # noqa: F401
from protocol.output_shapes import output_problems

pytestmark = pytest.mark.control_plane


@pytest.fixture
def answers() -> list[tuple[Any, dict[str, Any]]]:
    return []


@pytest.fixture
def client(cloud, answers):  # noqa: F811
    """``client("ecs")``: a boto3 client of the local cloud whose every answer is recorded."""
    made: list[Any] = []

    def record(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if 200 <= http_response.status_code < 300:
            answers.append((model, copy.deepcopy(parsed)))

    def make(service: str, region: str = "us-east-1") -> Any:
        one = cloud.client(service, region=region)
        # first: before boto3's own handlers (IAM's decode policy documents in place)
        service_id = one.meta.service_model.service_id.hyphenize()
        one.meta.events.register_first(f"after-call.{service_id}", record)
        made.append(one)
        return one

    yield make
    for one in made:
        one.close()


def problems_of(answers: list[tuple[Any, dict[str, Any]]]) -> list[str]:
    found = []
    for model, parsed in answers:
        found += [f"{model.name}{line}" for line in output_problems(model.output_shape, parsed)]
    return found


def test_a_blue_green_deployment_s_answers_fit_their_shapes(cloud, client, answers):  # noqa: F811
    deploy = make_deploy(cloud, client)
    deploy.create_group(ready_wait=60)
    deployment = deploy.deploy()
    deploy.run_to(deployment, "Ready")
    deploy.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="READY_WAIT")
    deploy.settle()
    deploy.codedeploy.list_deployments(applicationName="bgkit-app", deploymentGroupName="bgkit-dg")
    deploy.codedeploy.batch_get_deployments(deploymentIds=[deployment])
    deploy.codedeploy.list_deployment_targets(deploymentId=deployment)
    deploy.codedeploy.get_deployment_config(deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")
    ecs, elbv2, ec2 = deploy.world.ecs, deploy.world.elbv2, client("ec2")
    ecs.describe_clusters(clusters=["bgkit"], include=["TAGS"])
    ecs.list_task_definitions()
    ecs.describe_task_definition(taskDefinition=deploy.fizzbuzz)
    tasks = ecs.list_tasks(cluster="bgkit")["taskArns"]
    ecs.describe_tasks(cluster="bgkit", tasks=tasks)
    ecs.describe_task_sets(cluster="bgkit", service="web")
    for balancer in elbv2.describe_load_balancers()["LoadBalancers"]:
        elbv2.describe_load_balancer_attributes(LoadBalancerArn=balancer["LoadBalancerArn"])
    for group in deploy.world.target_groups:
        elbv2.describe_target_health(TargetGroupArn=group)
        elbv2.describe_target_group_attributes(TargetGroupArn=group)
    elbv2.describe_rules(ListenerArn=deploy.listeners[0])
    ec2.describe_vpcs()
    ec2.describe_subnets()
    ec2.describe_security_groups()
    ec2.describe_security_group_rules()
    ec2.describe_availability_zones()
    deploy.iam.get_role(RoleName="bgkit-codedeploy")
    deploy.iam.list_attached_role_policies(RoleName="bgkit-codedeploy")
    logs = client("logs")
    logs.create_log_group(logGroupName="/ecs/bgkit-shapes")
    logs.describe_log_groups()
    assert len(answers) > 40
    assert problems_of(answers) == []

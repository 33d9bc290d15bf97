"""CodeDeploy applications, deployment configurations and deployment groups through boto3:
what they show, and the refusals AWS answers (§2 and §7 of the reference)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from codedeploy_world import CODEDEPLOY_TRUST, cloud, make_deploy  # noqa: F401

pytestmark = pytest.mark.control_plane

ECS_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@pytest.fixture
def deploy(cloud, client):  # noqa: F811
    return make_deploy(cloud, client)


def code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def refused(deploy, wanted: tuple[str, str | None], **arguments) -> None:
    """CreateDeploymentGroup with ``arguments`` is refused with ``wanted``; nothing is made."""
    with pytest.raises(ClientError) as error:
        deploy.create_group(**arguments)
    assert code(error)[0] == wanted[0]
    if wanted[1] is not None:
        assert code(error)[1] == wanted[1]
    listed = deploy.codedeploy.list_deployment_groups(applicationName="bgkit-app")
    assert listed["deploymentGroups"] == []


# --- applications --------------------------------------------------------------------------------


def test_applications(deploy):
    cd = deploy.codedeploy
    app = cd.get_application(applicationName="bgkit-app")["application"]
    assert app["computePlatform"] == "ECS" and app["linkedToGitHub"] is False
    assert len(app["applicationId"]) == 36
    assert cd.list_applications()["applications"] == ["bgkit-app"]
    assert cd.batch_get_applications(applicationNames=["bgkit-app"])["applicationsInfo"] == [app]
    with pytest.raises(ClientError) as error:
        cd.create_application(applicationName="bgkit-app", computePlatform="ECS")
    assert code(error)[0] == "ApplicationAlreadyExistsException"
    with pytest.raises(ClientError) as error:
        cd.create_application(applicationName="other", computePlatform="Kubernetes")
    assert code(error) == (
        "InvalidComputePlatformException",
        "computePlatform should be Lambda, Server, or ECS",
    )
    with pytest.raises(ClientError) as error:
        cd.get_application(applicationName="nope")
    assert code(error) == (
        "ApplicationDoesNotExistException",
        "No application found for name: nope",
    )
    cd.update_application(applicationName="bgkit-app", newApplicationName="renamed")
    assert cd.list_applications()["applications"] == ["renamed"]
    cd.delete_application(applicationName="renamed")
    cd.delete_application(applicationName="never-was")  # no error, as on AWS
    assert cd.list_applications()["applications"] == []


def test_application_tags(deploy):
    cd = deploy.codedeploy
    arn = "arn:aws:codedeploy:us-east-1:123456789012:application:bgkit-app"
    cd.tag_resource(ResourceArn=arn, Tags=[{"Key": "bgkit", "Value": "walkthrough"}])
    assert cd.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "bgkit", "Value": "walkthrough"}
    ]
    cd.untag_resource(ResourceArn=arn, TagKeys=["bgkit"])
    assert cd.list_tags_for_resource(ResourceArn=arn)["Tags"] == []


# --- deployment configurations -------------------------------------------------------------------


def test_predefined_configs(deploy):
    cd = deploy.codedeploy
    names = cd.list_deployment_configs()["deploymentConfigsList"]
    assert "CodeDeployDefault.ECSAllAtOnce" in names and "CodeDeployDefault.OneAtATime" in names
    linear = cd.get_deployment_config(
        deploymentConfigName="CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
    )["deploymentConfigInfo"]
    assert linear["deploymentConfigId"] == "00000000-0000-0000-0000-000000000015"
    assert linear["trafficRoutingConfig"] == {
        "type": "TimeBasedLinear",
        "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 1},
    }
    with pytest.raises(ClientError) as error:
        cd.delete_deployment_config(deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")
    assert code(error)[0] == "InvalidOperationException"


def test_custom_config_is_used_by_a_deployment(deploy):
    cd = deploy.codedeploy
    routing = {
        "type": "TimeBasedCanary",
        "timeBasedCanary": {"canaryPercentage": 25, "canaryInterval": 2},
    }
    cd.create_deployment_config(
        deploymentConfigName="bgkit-canary", computePlatform="ECS", trafficRoutingConfig=routing
    )
    got = cd.get_deployment_config(deploymentConfigName="bgkit-canary")["deploymentConfigInfo"]
    assert got["trafficRoutingConfig"] == routing and got["computePlatform"] == "ECS"
    with pytest.raises(ClientError) as error:
        cd.create_deployment_config(
            deploymentConfigName="bgkit-bad",
            computePlatform="ECS",
            trafficRoutingConfig={"type": "TimeBasedLinear", "timeBasedLinear": {}},
        )
    assert code(error)[0] == "InvalidTrafficRoutingConfigurationException"
    with pytest.raises(ClientError) as error:
        cd.create_deployment_config(
            deploymentConfigName="CodeDeployDefault.Mine", computePlatform="ECS",
            trafficRoutingConfig={"type": "AllAtOnce"},
        )  # fmt: skip
    assert code(error)[0] == "InvalidDeploymentConfigNameException"
    deploy.create_group(config="bgkit-canary")
    with pytest.raises(ClientError) as error:
        cd.delete_deployment_config(deploymentConfigName="bgkit-canary")
    assert code(error)[0] == "DeploymentConfigInUseException"
    deployment = deploy.deploy()
    deploy.run_to(deployment, "InProgress")
    deploy.settle()
    assert deploy.weights(0) == {"bgkit-tg-1": 75, "bgkit-tg-2": 25}


# --- deployment groups ---------------------------------------------------------------------------


def test_group_echoes_both_wait_times_and_its_settings(deploy):
    group = deploy.create_group(termination_wait=0)
    blue_green = group["blueGreenDeploymentConfiguration"]
    assert blue_green["deploymentReadyOption"] == {
        "actionOnTimeout": "CONTINUE_DEPLOYMENT",
        "waitTimeInMinutes": 0,
    }
    assert blue_green["terminateBlueInstancesOnDeploymentSuccess"] == {
        "action": "TERMINATE",
        "terminationWaitTimeInMinutes": 0,
    }
    assert group["computePlatform"] == "ECS"
    assert group["ecsServices"] == [{"serviceName": "web", "clusterName": "bgkit"}]
    assert group["deploymentStyle"] == {
        "deploymentType": "BLUE_GREEN",
        "deploymentOption": "WITH_TRAFFIC_CONTROL",
    }
    assert len(group["deploymentGroupId"]) == 36
    assert deploy.codedeploy.list_deployment_groups(applicationName="bgkit-app")[
        "deploymentGroups"
    ] == ["bgkit-dg"]


def test_group_without_blue_green_settings_echoes_zero_waits(deploy):
    deploy.create_group(blueGreenDeploymentConfiguration={})
    ready = deploy.group["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    assert ready["waitTimeInMinutes"] == 0
    terminate = deploy.group["blueGreenDeploymentConfiguration"][
        "terminateBlueInstancesOnDeploymentSuccess"
    ]
    assert terminate["terminationWaitTimeInMinutes"] == 0


def test_role_that_does_not_trust_codedeploy_is_refused(deploy):
    role = deploy.iam.create_role(RoleName="bgkit-other", AssumeRolePolicyDocument=ECS_TRUST)
    deploy.role_arn = role["Role"]["Arn"]
    with pytest.raises(ClientError) as error:
        deploy.create_group()
    assert code(error)[0] == "InvalidRoleException"
    assert "does not trust codedeploy.amazonaws.com" in code(error)[1]
    assert "trust policy" in code(error)[1]


def test_service_with_ecs_controller_is_refused(deploy):
    deploy.world.create_service(name="rolling", controller="ECS")
    with pytest.raises(ClientError) as error:
        deploy.create_group(ecsServices=[{"serviceName": "rolling", "clusterName": "bgkit"}])
    assert code(error) == (
        "InvalidECSServiceException",
        "Deployment group's ECS service must be configured for a CODE_DEPLOY deployment "
        "controller.",
    )


def test_two_production_listeners_are_refused(deploy):
    route = {
        "targetGroups": [{"name": "bgkit-tg-1"}, {"name": "bgkit-tg-2"}],
        "prodTrafficRoute": {"listenerArns": deploy.listeners},
    }
    refused(
        deploy,
        (
            "InvalidTrafficRoutingConfigurationException",
            "Production traffic route must have exactly one listener Arn",
        ),
        loadBalancerInfo={"targetGroupPairInfoList": [route]},
    )


def test_continue_deployment_with_a_wait_time_is_refused(deploy):
    refused(
        deploy,
        (
            "InvalidBlueGreenDeploymentConfigurationException",
            "Deployment ready action cannot be set to 'CONTINUE_DEPLOYMENT' when timeout is "
            "specified",
        ),
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {
                "actionOnTimeout": "CONTINUE_DEPLOYMENT",
                "waitTimeInMinutes": 30,
            }
        },
    )


def test_other_group_refusals(deploy):
    one = [{"name": "bgkit-tg-1"}]
    route = {"prodTrafficRoute": {"listenerArns": deploy.listeners[:1]}}
    cases = [
        ({"loadBalancerInfo": {"targetGroupPairInfoList": [{**route, "targetGroups": one}]}},
         ("InvalidTargetGroupPairException", None)),
        ({"loadBalancerInfo": {}}, ("InvalidLoadBalancerInfoException", None)),
        ({"autoScalingGroups": ["asg"]},
         ("InvalidAutoScalingGroupException",
          "For ECS deployment group, autoScalingGroups can not be specified")),
        ({"deploymentStyle": {"deploymentType": "IN_PLACE",
                              "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}},
         ("InvalidDeploymentStyleException", None)),
        ({"autoRollbackConfiguration": {"enabled": True, "events": []}},
         ("InvalidAutoRollbackConfigException", None)),
        ({"ecsServices": [{"serviceName": "nope", "clusterName": "bgkit"}]},
         ("InvalidECSServiceException", None)),
        ({"config": "CodeDeployDefault.Nope"}, ("DeploymentConfigDoesNotExistException", None)),
        ({"blueGreenDeploymentConfiguration": {"terminateBlueInstancesOnDeploymentSuccess": {
            "action": "KEEP_ALIVE"}}}, ("InvalidBlueGreenDeploymentConfigurationException", None)),
    ]  # fmt: skip
    for arguments, wanted in cases:
        refused(deploy, wanted, **arguments)


def test_one_group_a_service(deploy):
    deploy.create_group()
    with pytest.raises(ClientError) as error:
        deploy.create_group(name="second")
    assert code(error)[0] == "ECSServiceMappingLimitExceededException"
    with pytest.raises(ClientError) as error:
        deploy.create_group()
    assert code(error)[0] == "DeploymentGroupAlreadyExistsException"


def test_group_of_a_server_application_is_refused(deploy):
    deploy.codedeploy.create_application(applicationName="server-app")
    with pytest.raises(ClientError) as error:
        deploy.codedeploy.create_deployment_group(
            applicationName="server-app",
            deploymentGroupName="dg",
            serviceRoleArn=deploy.role_arn,
            ecsServices=[{"serviceName": "web", "clusterName": "bgkit"}],
        )
    assert code(error)[0] == "InvalidLoadBalancerInfoException"
    assert "WITH_TRAFFIC_CONTROL" in code(error)[1]


def test_update_and_delete_group(deploy):
    deploy.create_group()
    cd = deploy.codedeploy
    cd.update_deployment_group(
        applicationName="bgkit-app",
        currentDeploymentGroupName="bgkit-dg",
        newDeploymentGroupName="renamed",
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 15}
        },
    )
    group = cd.get_deployment_group(applicationName="bgkit-app", deploymentGroupName="renamed")[
        "deploymentGroupInfo"
    ]
    assert group["blueGreenDeploymentConfiguration"]["deploymentReadyOption"] == {
        "actionOnTimeout": "STOP_DEPLOYMENT",
        "waitTimeInMinutes": 15,
    }
    assert group["deploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce"
    with pytest.raises(ClientError) as error:
        cd.get_deployment_group(applicationName="bgkit-app", deploymentGroupName="bgkit-dg")
    assert code(error) == (
        "DeploymentGroupDoesNotExistException",
        "No Deployment Group found for name: bgkit-dg",
    )
    got = cd.batch_get_deployment_groups(
        applicationName="bgkit-app", deploymentGroupNames=["renamed", "nope"]
    )
    assert [g["deploymentGroupName"] for g in got["deploymentGroupsInfo"]] == ["renamed"]
    assert "nope" in got["errorMessage"]
    assert (
        cd.delete_deployment_group(applicationName="bgkit-app", deploymentGroupName="renamed")[
            "hooksNotCleanedUp"
        ]
        == []
    )
    assert cd.list_deployment_groups(applicationName="bgkit-app")["deploymentGroups"] == []

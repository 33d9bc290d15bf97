"""The mistakes a learner makes along the walkthrough, one row each: AWS's error code, a message
that says what to fix, and nothing changed.

A refused call is checked against a snapshot of every record and counter of the store taken just
before it: equal after. A mistake that AWS only finds once the deployment runs (a wrong container
in the AppSpec, a role that may not pass the task's role) is checked on the deployment's
``errorInformation`` and on production: listener 80 and the service's primary task set as they
were. Messages are AWS's where they are known (``/work/shared/reference/codedeploy-ecs.md`` §6.3,
§7, §8.1, §9.4; IAM, EC2, ELBv2 and ECS texts as their APIs answer them); the fragment a row checks
is the part that tells the learner what to do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from codedeploy_world import (
    CODEDEPLOY_TRUST,
    FROZEN,
    FULL,
    LIMITED,
    Deploy,
    appspec,
    make_deploy,
    revision,
)
from ecs_world import TRUST as ECS_TRUST
from lambda_world import make_function, make_role
from mistakes_world import (
    ALB_SG,
    alb_security_group,
    balancer_arn,
    cd,
    clients,
    ecs,
    elb,
    fargate,
    group_id,
    iam,
    installing,
    instance_group,
    instance_group_behind_a_listener,
    limited_policy,
    listener_8080_on_green_group,
    open_port,
    production,
    ready,
    refusal,
    refuse_malformed_json,
    refuse_unsigned,
    route,
    second_balancer,
    service,
    snapshot,
    succeeded,
    target_group,
    tg_on_another_balancer,
    trust,
)

from bgkit.local.server import LocalCloud


@pytest.fixture
def learner(tmp_path) -> Any:
    """The walkthrough's world up to the ECS service, Nginx healthy on ``-1``, no group yet."""
    with LocalCloud(tmp_path / "state", port=0, clock=FROZEN, dataplane=False) as cloud:
        client = clients(cloud)
        deploy = make_deploy(cloud, client)
        deploy.ec2 = client("ec2")
        yield deploy


def lam(d: Deploy) -> Any:
    return d.cloud.client("lambda")


LAMBDA_ROLE = "arn:aws:iam::123456789012:role/bgkit-lambda"


def lambda_role(d: Deploy) -> str:
    """The validation function's execution role (made by the row's setup, ``with_lambda_role``):
    it trusts ``lambda.amazonaws.com``."""
    return LAMBDA_ROLE


def with_lambda_role(d: Deploy) -> None:
    assert make_role(iam(d)) == LAMBDA_ROLE


# -- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """One mistake: what the learner did before (``setup``), the call that is refused, and what
    AWS answers."""

    name: str
    call: Callable[[Deploy], Any]
    code: str
    says: str
    setup: Callable[[Deploy], Any] | None = None
    xfail: str | None = None

    def param(self) -> Any:
        marks = [pytest.mark.xfail(strict=True, reason=self.xfail)] if self.xfail else []
        return pytest.param(self, id=self.name, marks=marks)


MISTAKES = [
    # IAM: the CodeDeploy role (step 1)
    Mistake(
        "iam-trust-policy-malformed-json",
        lambda d: iam(d).create_role(
            RoleName="bgkit-cd", AssumeRolePolicyDocument=CODEDEPLOY_TRUST.rstrip()[:-1]
        ),
        "MalformedPolicyDocument",
        "invalid Json",
    ),
    Mistake(
        "iam-trust-principal-misspelled",
        lambda d: iam(d).create_role(
            RoleName="bgkit-cd", AssumeRolePolicyDocument=trust("codedepoly.amazonaws.com")
        ),
        "MalformedPolicyDocument",
        'Invalid principal in policy: "SERVICE":"codedepoly.amazonaws.com"',
    ),
    Mistake(
        "iam-role-created-twice",
        lambda d: iam(d).create_role(
            RoleName="bgkit-codedeploy", AssumeRolePolicyDocument=CODEDEPLOY_TRUST
        ),
        "EntityAlreadyExists",
        "Role with name bgkit-codedeploy already exists",
    ),
    Mistake(
        "iam-managed-policy-misspelled",
        lambda d: iam(d).attach_role_policy(
            RoleName="bgkit-codedeploy", PolicyArn=LIMITED.replace("Limited", "Limitted")
        ),
        "NoSuchEntity",
        "does not exist or is not attachable",
    ),
    Mistake(
        "iam-passrole-policy-without-resource",
        lambda d: iam(d).put_role_policy(
            RoleName="bgkit-codedeploy",
            PolicyName="pass-role",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "iam:PassRole"}],
                }
            ),
        ),
        "MalformedPolicyDocument",
        "must contain resources",
    ),
    Mistake(
        "iam-policy-attached-to-a-misspelled-role",
        lambda d: iam(d).attach_role_policy(RoleName="bgkit-codedeploy-role", PolicyArn=FULL),
        "NoSuchEntity",
        "The role with name bgkit-codedeploy-role cannot be found",
    ),
    Mistake(
        "iam-delete-role-with-attached-policy",
        lambda d: iam(d).delete_role(RoleName="bgkit-codedeploy"),
        "DeleteConflict",
        "must detach all policies first",
    ),
    # EC2: the security group (step 2)
    Mistake(
        "ec2-security-group-created-twice",
        lambda d: d.ec2.create_security_group(
            GroupName=ALB_SG, Description="ALB", VpcId=d.ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        ),
        "InvalidGroup.Duplicate",
        f"The security group '{ALB_SG}' already exists",
        setup=alb_security_group,
    ),
    Mistake(
        "ec2-ingress-rule-added-twice",
        lambda d: d.ec2.authorize_security_group_ingress(
            GroupId=group_id(d, ALB_SG), IpPermissions=[open_port(80)]
        ),
        "InvalidPermission.Duplicate",
        "already exists",
        setup=alb_security_group,
    ),
    Mistake(
        "ec2-security-group-deleted-while-the-alb-uses-it",
        lambda d: d.ec2.delete_security_group(GroupId=group_id(d, ALB_SG)),
        "DependencyViolation",
        "delete the load balancer or change its security groups first",
        setup=alb_security_group,
    ),
    Mistake(
        "ec2-ingress-from-an-address-without-prefix-length",
        lambda d: d.ec2.authorize_security_group_ingress(
            GroupId=d.world.security_group,
            IpPermissions=[{**open_port(80), "IpRanges": [{"CidrIp": "0.0.0.0"}]}],
        ),
        "InvalidParameterValue",
        "This is not a valid IPv4 CIDR block (for example 10.0.0.0/16)",
    ),
    # ELBv2: the load balancer, listeners, target groups (step 2)
    Mistake(
        "elbv2-load-balancer-with-a-security-group-that-does-not-exist",
        lambda d: elb(d).create_load_balancer(
            Name="bgkit-alb-2", Subnets=d.world.subnets, SecurityGroups=["sg-0123456789abcdef0"]
        ),
        "InvalidSecurityGroup",
        "use a security group of the load balancer's VPC",
    ),
    Mistake(
        "elbv2-target-group-name-longer-than-32",
        lambda d: target_group(d, "bgkit-participant-01-target-grp-1"),
        "ValidationError",
        "cannot be longer than '32' characters",
    ),
    Mistake(
        "elbv2-health-check-path-without-slash",
        lambda d: elb(d).create_target_group(
            Name="bgkit-tg-3",
            Protocol="HTTP",
            Port=80,
            VpcId=d.ec2.describe_vpcs()["Vpcs"][0]["VpcId"],
            TargetType="ip",
            HealthCheckPath="health",
        ),
        "ValidationError",
        "must begin with '/'",
    ),
    Mistake(
        "elbv2-load-balancer-with-one-subnet",
        lambda d: elb(d).create_load_balancer(Name="bgkit-alb-2", Subnets=d.world.subnets[:1]),
        "ValidationError",
        "At least two subnets in two different Availability Zones must be specified",
    ),
    Mistake(
        "elbv2-target-group-name-with-underscores",
        lambda d: target_group(d, "bgkit_tg_3"),
        "ValidationError",
        "alphanumeric characters or hyphens",
    ),
    Mistake(
        "elbv2-listener-on-a-port-already-used",
        lambda d: elb(d).create_listener(
            LoadBalancerArn=balancer_arn(d, "bgkit-alb"),
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": d.world.target_groups[1]}],
        ),
        "DuplicateListener",
        "A listener already exists on this port for this load balancer",
    ),
    Mistake(
        "elbv2-target-group-deleted-while-in-use",
        lambda d: elb(d).delete_target_group(TargetGroupArn=d.world.target_groups[0]),
        "ResourceInUse",
        "is currently in use by a listener or a rule",
    ),
    Mistake(
        "elbv2-target-group-forwarded-to-from-a-second-load-balancer",
        lambda d: elb(d).create_listener(
            LoadBalancerArn=balancer_arn(d, "bgkit-alb-2"),
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": d.world.target_groups[0]}],
        ),
        "TargetGroupAssociationLimit",
        "cannot be associated with more than one load balancer",
        setup=second_balancer,
    ),
    # ECS: the task definition (step 2)
    Mistake(
        "ecs-fargate-task-definition-in-bridge-mode",
        lambda d: ecs(d).register_task_definition(**fargate(d, networkMode="bridge")),
        "ClientException",
        "Fargate only supports network mode",
    ),
    Mistake(
        "ecs-fargate-cpu-and-memory-that-do-not-go-together",
        lambda d: ecs(d).register_task_definition(**fargate(d, cpu="256", memory="4096")),
        "ClientException",
        "No Fargate configuration exists for given values",
    ),
    Mistake(
        "ecs-awslogs-without-execution-role",
        lambda d: ecs(d).register_task_definition(**fargate(d, executionRoleArn=None)),
        "ClientException",
        "execution role ARN to support log driver awslogs",
    ),
    Mistake(
        "ecs-awsvpc-host-port-differs-from-container-port",
        lambda d: ecs(d).register_task_definition(
            **fargate(
                d,
                containerDefinitions=[
                    {
                        **fargate(d)["containerDefinitions"][0],
                        "portMappings": [{"containerPort": 80, "hostPort": 8080}],
                    }
                ],
            )
        ),
        "ClientException",
        "When networkMode=awsvpc, the host ports and container ports in port mappings must match.",
    ),
    # ECS: the service and cluster (step 3)
    Mistake(
        "ecs-service-with-an-instance-target-group",
        lambda d: ecs(d).create_service(
            **service(
                d, loadBalancers=[{**d.world.balancer(0)[0], "targetGroupArn": instance_group(d)}]
            )
        ),
        "InvalidParameterException",
        "has target type instance, which is incompatible with the awsvpc network mode",
        setup=instance_group_behind_a_listener,
    ),
    Mistake(
        "ecs-service-in-a-cluster-that-does-not-exist",
        lambda d: ecs(d).create_service(**service(d, cluster="bgkit-cluster")),
        "ClusterNotFoundException",
        "Cluster not found",
    ),
    Mistake(
        "ecs-service-with-a-container-port-not-in-the-task-definition",
        lambda d: ecs(d).create_service(**service(d, loadBalancers=d.world.balancer(0, port=8080))),
        "InvalidParameterException",
        "The container app did not have a container port 8080 defined",
    ),
    Mistake(
        "ecs-service-with-a-container-name-not-in-the-task-definition",
        lambda d: ecs(d).create_service(**service(d, loadBalancers=d.world.balancer(0, "web"))),
        "InvalidParameterException",
        "The container web does not exist in the task definition",
    ),
    Mistake(
        "ecs-fargate-service-without-network-configuration",
        lambda d: ecs(d).create_service(**service(d, networkConfiguration=None)),
        "InvalidParameterException",
        "Network Configuration must be provided",
    ),
    Mistake(
        "ecs-service-created-twice",
        lambda d: ecs(d).create_service(**service(d, serviceName="web")),
        "InvalidParameterException",
        "Creation of service was not idempotent",
    ),
    Mistake(
        "ecs-update-service-task-definition-on-code-deploy",
        lambda d: ecs(d).update_service(cluster="bgkit", service="web", taskDefinition=d.fizzbuzz),
        "InvalidParameterException",
        "Use AWS CodeDeploy to trigger a new deployment",
    ),
    Mistake(
        "ecs-update-service-force-new-deployment-on-code-deploy",
        lambda d: ecs(d).update_service(cluster="bgkit", service="web", forceNewDeployment=True),
        "InvalidParameterException",
        "Use AWS CodeDeploy to trigger a new deployment",
    ),
    Mistake(
        "ecs-task-set-made-by-hand-on-code-deploy",
        lambda d: ecs(d).create_task_set(cluster="bgkit", service="web", taskDefinition=d.fizzbuzz),
        "InvalidParameterException",
        "only supports task set management on services configured to use external deployment",
    ),
    Mistake(
        "ecs-service-deleted-while-scaled-above-zero",
        lambda d: ecs(d).delete_service(cluster="bgkit", service="web"),
        "InvalidParameterException",
        "The service cannot be stopped while it is scaled above 0",
    ),
    Mistake(
        "ecs-cluster-deleted-with-services",
        lambda d: ecs(d).delete_cluster(cluster="bgkit"),
        "ClusterContainsServicesException",
        "The Cluster cannot be deleted while Services are active",
    ),
    # CodeDeploy: application and deployment group (step 4)
    Mistake(
        "codedeploy-application-created-twice",
        lambda d: cd(d).create_application(applicationName="bgkit-app", computePlatform="ECS"),
        "ApplicationAlreadyExistsException",
        "The application bgkit-app already exists",
    ),
    Mistake(
        "codedeploy-application-with-compute-platform-in-lower-case",
        lambda d: cd(d).create_application(applicationName="bgkit-app-2", computePlatform="ecs"),
        "InvalidComputePlatformException",
        "computePlatform should be Lambda, Server, or ECS",
    ),
    Mistake(
        "codedeploy-application-without-compute-platform-ecs",
        lambda d: cd(d).create_deployment_group(
            applicationName="bgkit-server",
            deploymentGroupName="bgkit-dg",
            serviceRoleArn=d.role_arn,
            deploymentStyle={
                "deploymentType": "BLUE_GREEN",
                "deploymentOption": "WITH_TRAFFIC_CONTROL",
            },
            ecsServices=[{"serviceName": "web", "clusterName": "bgkit"}],
            loadBalancerInfo=route(d),
        ),
        "InvalidLoadBalancerInfoException",
        "The specification for load balancing in the deployment group is invalid",
        setup=lambda d: cd(d).create_application(applicationName="bgkit-server"),
    ),
    Mistake(
        "codedeploy-role-without-trust-for-codedeploy",
        lambda d: d.create_group(
            serviceRoleArn=iam(d).get_role(RoleName="bgkit-cd")["Role"]["Arn"]
        ),
        "InvalidRoleException",
        "does not trust codedeploy.amazonaws.com",
        setup=lambda d: iam(d).create_role(
            RoleName="bgkit-cd", AssumeRolePolicyDocument=json.dumps(ECS_TRUST)
        ),
    ),
    Mistake(
        "codedeploy-role-name-instead-of-its-arn",
        lambda d: d.create_group(serviceRoleArn="bgkit-codedeploy"),
        "InvalidRoleException",
        "give the role's ARN",
    ),
    Mistake(
        "codedeploy-group-with-two-production-listeners",
        lambda d: d.create_group(
            loadBalancerInfo=route(d, prodTrafficRoute={"listenerArns": d.listeners})
        ),
        "InvalidTrafficRoutingConfigurationException",
        "Production traffic route must have exactly one listener Arn",
    ),
    Mistake(
        "codedeploy-group-with-a-target-group-that-does-not-exist",
        lambda d: d.create_group(loadBalancerInfo=route(d, ("bgkit-tg-1", "bgkit-tg-3"))),
        "InvalidTargetGroupPairException",
        "must name two existing target groups",
    ),
    Mistake(
        "codedeploy-group-with-a-target-group-on-another-load-balancer",
        lambda d: d.create_group(loadBalancerInfo=route(d, ("bgkit-tg-1", "bgkit-tg-3"))),
        "InvalidTargetGroupPairException",
        "bgkit-tg-3 is associated with a different load balancer",
        setup=tg_on_another_balancer,
    ),
    Mistake(
        "codedeploy-ready-option-continue-with-a-wait-time",
        lambda d: d.create_group(
            blueGreenDeploymentConfiguration={
                "deploymentReadyOption": {
                    "actionOnTimeout": "CONTINUE_DEPLOYMENT",
                    "waitTimeInMinutes": 30,
                },
                "terminateBlueInstancesOnDeploymentSuccess": {
                    "action": "TERMINATE",
                    "terminationWaitTimeInMinutes": 5,
                },
            }
        ),
        "InvalidBlueGreenDeploymentConfigurationException",
        "Deployment ready action cannot be set to 'CONTINUE_DEPLOYMENT' when timeout is specified",
    ),
    Mistake(
        "codedeploy-keep-alive-for-ecs",
        lambda d: d.create_group(
            blueGreenDeploymentConfiguration={
                "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "KEEP_ALIVE"},
            }
        ),
        "InvalidBlueGreenDeploymentConfigurationException",
        "must terminate the original task set",
    ),
    Mistake(
        "codedeploy-rollback-enabled-without-events",
        lambda d: d.create_group(autoRollbackConfiguration={"enabled": True, "events": []}),
        "InvalidAutoRollbackConfigException",
        "name at least one of DEPLOYMENT_FAILURE",
    ),
    Mistake(
        "codedeploy-group-for-a-service-with-the-ecs-controller",
        lambda d: d.create_group(ecsServices=[{"serviceName": "rolling", "clusterName": "bgkit"}]),
        "InvalidECSServiceException",
        "must be configured for a CODE_DEPLOY deployment controller",
        setup=lambda d: ecs(d).create_service(
            **service(
                d,
                serviceName="rolling",
                deploymentController={"type": "ECS"},
            )
        ),
    ),
    Mistake(
        "codedeploy-second-group-for-the-same-service",
        lambda d: d.create_group(name="bgkit-dg-2"),
        "ECSServiceMappingLimitExceededException",
        "the service web is deployed by bgkit-app/bgkit-dg already",
        setup=lambda d: d.create_group(),
    ),
    Mistake(
        "codedeploy-custom-config-named-like-a-predefined-one",
        lambda d: cd(d).create_deployment_config(
            deploymentConfigName="CodeDeployDefault.ECSCanary50Percent1Minutes",
            computePlatform="ECS",
            trafficRoutingConfig={
                "type": "TimeBasedCanary",
                "timeBasedCanary": {"canaryPercentage": 50, "canaryInterval": 1},
            },
        ),
        "InvalidDeploymentConfigNameException",
        "A deployment configuration name cannot start with CodeDeployDefault.",
    ),
    # CodeDeploy: the deployment (steps 5–7)
    Mistake(
        "codedeploy-deployment-without-revision",
        lambda d: cd(d).create_deployment(
            applicationName="bgkit-app", deploymentGroupName="bgkit-dg"
        ),
        "RevisionRequiredException",
        "RevisionLocation must be specified",
        setup=lambda d: d.create_group(),
    ),
    Mistake(
        "codedeploy-deployment-with-a-server-config",
        lambda d: d.deploy(deploymentConfigName="CodeDeployDefault.OneAtATime"),
        "InvalidDeploymentConfigNameException",
        "an ECS deployment group needs an ECS one, e.g. CodeDeployDefault.ECSAllAtOnce",
        setup=lambda d: d.create_group(),
    ),
    Mistake(
        "codedeploy-deployment-to-a-group-that-does-not-exist",
        lambda d: cd(d).create_deployment(
            applicationName="bgkit-app",
            deploymentGroupName="bgkit-deployment-group",
            revision=revision(appspec(d.fizzbuzz)),
        ),
        "DeploymentGroupDoesNotExistException",
        "No Deployment Group found for name: bgkit-deployment-group",
        setup=lambda d: d.create_group(),
    ),
    Mistake(
        "codedeploy-second-deployment-while-one-is-active",
        lambda d: d.deploy(),
        "DeploymentLimitExceededException",
        "The Deployment Group 'bgkit-dg' already has an active Deployment 'd-",
        setup=ready,
    ),
    Mistake(
        "codedeploy-continue-before-ready",
        lambda d: cd(d).continue_deployment(
            deploymentId=cd(d).list_deployments()["deployments"][0],
            deploymentWaitType="READY_WAIT",
        ),
        "DeploymentIsNotInReadyStateException",
        "does not have a status of Ready",
        setup=installing,
    ),
    Mistake(
        "codedeploy-continue-with-a-wait-type-that-does-not-exist",
        lambda d: cd(d).continue_deployment(
            deploymentId=cd(d).list_deployments()["deployments"][0],
            deploymentWaitType="READY",
        ),
        "InvalidDeploymentWaitTypeException",
        "The wait type is invalid.",
        setup=ready,
    ),
    Mistake(
        "codedeploy-stop-a-finished-deployment",
        lambda d: cd(d).stop_deployment(
            deploymentId=cd(d).list_deployments()["deployments"][0], autoRollbackEnabled=True
        ),
        "DeploymentAlreadyCompletedException",
        "The deployment is already complete.",
        setup=succeeded,
    ),
    # Lambda: the validation function of the hooks (notebook 10); messages as Lambda answers
    # them (CreateFunction in the Lambda API reference; its errors in botocore's lambda model)
    Mistake(
        "lambda-package-is-not-a-zip",
        lambda d: make_function(lam(d), lambda_role(d), Code={"ZipFile": b"def handler(): pass"}),
        "InvalidParameterValueException",
        "Could not unzip uploaded file",
        setup=with_lambda_role,
    ),
    Mistake(
        "lambda-handler-missing",
        lambda d: make_function(lam(d), lambda_role(d), Handler=None),
        "InvalidParameterValueException",
        "Runtime and Handler are mandatory parameters",
        setup=with_lambda_role,
    ),
    Mistake(
        "lambda-role-trusts-another-service",
        lambda d: make_function(lam(d), d.world.role_arn),
        "InvalidParameterValueException",
        "The role defined for the function cannot be assumed by Lambda.",
    ),
    Mistake(
        "lambda-runtime-that-does-not-run-locally",
        lambda d: make_function(lam(d), lambda_role(d), Runtime="nodejs22.x"),
        "InvalidParameterValueException",
        "runs Python functions with its own interpreter, for the runtimes python3.10",
        setup=with_lambda_role,
    ),
    Mistake(
        "lambda-runtime-deprecated",
        lambda d: make_function(lam(d), lambda_role(d), Runtime="python3.8"),
        "InvalidParameterValueException",
        "The runtime parameter of python3.8 is no longer supported",
        setup=with_lambda_role,
    ),
    Mistake(
        "lambda-runtime-misspelled",
        lambda d: make_function(lam(d), lambda_role(d), Runtime="python-3.12"),
        "ValidationException",
        "at 'runtime' failed to satisfy constraint: Member must satisfy enum value set",
        setup=with_lambda_role,
    ),
    Mistake(
        "lambda-invoke-a-function-not-created",
        lambda d: lam(d).invoke(FunctionName="bgkit-validate", Payload=b"{}"),
        "ResourceNotFoundException",
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:bgkit-validate",
    ),
    # the wire: what no SDK sends
    Mistake(
        "wire-unsigned-request",
        refuse_unsigned,
        "MissingAuthenticationTokenException",
        "[HTTP 403] Missing Authentication Token",
    ),
    Mistake(
        "wire-malformed-json",
        refuse_malformed_json,
        "SerializationException",
        "[HTTP 400] The request body is not valid JSON",
    ),
]


@pytest.mark.control_plane
@pytest.mark.parametrize("mistake", [m.param() for m in MISTAKES])
def test_mistake_is_refused_and_changes_nothing(learner, mistake: Mistake):
    if mistake.setup is not None:
        mistake.setup(learner)
    learner.tick()
    before = snapshot(learner.cloud)
    code, message = refusal(lambda: mistake.call(learner))
    assert code == mistake.code, message
    assert mistake.says in message
    assert snapshot(learner.cloud) == before


def test_the_table_has_at_least_thirty_distinct_mistakes():
    assert len({m.name for m in MISTAKES}) == len(MISTAKES)
    assert len(MISTAKES) + len(FAILURES) + 1 >= 30  # + the unknown image, with processes


# -- mistakes AWS finds only when the deployment runs ---------------------------------------------

ECS_ERROR = "The ECS service cannot be updated due to an unexpected error: "


@dataclass(frozen=True)
class Failure:
    """A deployment that fails on its own: its ``errorInformation``."""

    name: str
    content: Callable[[Deploy], str]
    code: str
    says: str
    setup: Callable[[Deploy], Any] | None = None
    xfail: str | None = None

    def param(self) -> Any:
        marks = [pytest.mark.xfail(strict=True, reason=self.xfail)] if self.xfail else []
        return pytest.param(self, id=self.name, marks=marks)


FAILURES = [
    Failure(
        "appspec-container-name-wrong",
        lambda d: appspec(d.fizzbuzz, container="fizzbuzz"),
        "ECS_UPDATE_ERROR",
        ECS_ERROR + "The container fizzbuzz does not exist in the task definition.",
    ),
    Failure(
        "appspec-container-port-wrong",
        lambda d: appspec(d.fizzbuzz, port=8080),
        "ECS_UPDATE_ERROR",
        ECS_ERROR + "The container app did not have a container port 8080 defined.",
    ),
    Failure(
        "appspec-not-yaml",
        lambda d: appspec(d.fizzbuzz).replace("Resources:", "Resources: [", 1),
        "INVALID_REVISION",
        "The input AppSpec file is a not well-formed yaml. The template cannot be parsed.",
    ),
    Failure(
        "appspec-task-definition-deregistered",
        lambda d: appspec(d.fizzbuzz),
        "ECS_UPDATE_ERROR",
        ECS_ERROR + "TaskDefinition is inactive",
        setup=lambda d: d.world.ecs.deregister_task_definition(taskDefinition=d.fizzbuzz),
    ),
    Failure(
        "role-may-not-pass-the-execution-role",
        lambda d: appspec(d.fizzbuzz),
        "ECS_UPDATE_ERROR",
        "is not authorized to perform: iam:PassRole on resource: "
        "arn:aws:iam::123456789012:role/bgkit-execution",
        setup=limited_policy,
    ),
    Failure(
        "test-listener-not-on-the-primary-target-group",
        lambda d: appspec(d.fizzbuzz),
        "ELASTIC_LOAD_BALANCING_INVALID",
        "Primary taskset target group must be behind listener",
        setup=listener_8080_on_green_group,
    ),
]


@pytest.mark.control_plane
@pytest.mark.parametrize("failure", [f.param() for f in FAILURES])
def test_deployment_fails_with_error_information_and_production_unchanged(learner, failure):
    if failure.setup is not None:
        failure.setup(learner)
    learner.create_group(rollback=["DEPLOYMENT_FAILURE"])
    before = production(learner)
    deployment = learner.deploy(failure.content(learner))
    learner.run_to(deployment, "Failed", steps=5)
    error = learner.info(deployment)["errorInformation"]
    assert error["code"] == failure.code, error
    assert failure.says in error["message"]
    for _ in range(3):
        learner.settle()
    assert production(learner) == before


# -- a mistake only the runtime finds: an image the local cloud cannot run -----------------------


@pytest.mark.slow
def test_unknown_image_stops_green_tasks_and_production_never_fails(cloud):
    """The learner's FizzBuzz task definition names an image of their own that the local cloud
    cannot pull: every green task stops with ``CannotPullContainerError`` naming the images it
    can run, the deployment stays in Install, and port 80 goes on serving Nginx."""
    from ecs_world import targets
    from test_codedeploy_end_to_end import Traffic, page, wait_for

    cloud.clock.set_speed(10)  # health checks every 5 local seconds: twice a wall second
    d = make_deploy(cloud, clients(cloud), play=False, healthCheckGracePeriodSeconds=30)
    wait_for(
        "two healthy Nginx targets",
        lambda: [t["TargetHealth"]["State"] for t in targets(d.world)] == ["healthy"] * 2,
    )
    production = f"http://127.0.0.1:{cloud.listener_offset + 80}/"
    wait_for("Nginx on 80", lambda: "Welcome to nginx!" in page(production))
    mine = fargate(d)
    mine["containerDefinitions"][0]["image"] = "bgkit/fizzbuzz:latest"
    definition = d.world.ecs.register_task_definition(**mine)["taskDefinition"]
    d.create_group(ready_wait=60, rollback=["DEPLOYMENT_FAILURE"])
    before = production_of(d)
    with Traffic(production) as on_80:
        deployment = d.deploy(appspec(definition["taskDefinitionArn"]))
        stopped = wait_for(
            "a green task that could not pull its image",
            lambda: [
                t
                for t in d.world.tasks("web", "STOPPED")
                if t["taskDefinitionArn"] == definition["taskDefinitionArn"]
            ],
        )
        time.sleep(1.0)
        assert "Welcome to nginx!" in page(production)
    reason = stopped[0]["stoppedReason"]
    assert reason.startswith("CannotPullContainerError: ")
    assert "bgkit/fizzbuzz:latest" in reason
    assert "public.ecr.aws/docker/library/python" in reason  # what it can run instead
    assert d.status(deployment) == "InProgress"
    assert d.events(deployment)["Install"] == "InProgress"
    assert production_of(d) == before
    assert on_80.failures == [] and on_80.ok > 10


def production_of(d: Deploy) -> dict[str, Any]:
    """:func:`production` without the task counts, which the runtime moves on its own."""
    found = production(d)
    found["primary"] = [entry[:2] for entry in found["primary"]]
    return found

"""ECS shows back what CreateCluster, RegisterTaskDefinition and CreateService were given, reports
AWS's default launch type, and checks a request's parameters before it looks resources up.

Sources: botocore's ``ecs`` model (the ``Cluster``, ``TaskDefinition`` and ``Service`` output
shapes list ``configuration`` and ``serviceConnectDefaults``; ``proxyConfiguration``, ``pidMode``,
``ipcMode``; ``roleArn``, ``serviceRegistries``, ``enableExecuteCommand``), the Amazon ECS
Developer Guide's *Service definition parameters* ("If a launch type is not specified, EC2 is
used by default"), and AWS's answer to an empty DescribeTasks as SDK users quote it
(``InvalidParameterException: Tasks cannot be empty.``, aws/copilot-cli#3551).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.control_plane

PROXY = {
    "type": "APPMESH",
    "containerName": "envoy",
    "properties": [
        {"name": "AppPorts", "value": "80"},
        {"name": "ProxyIngressPort", "value": "15000"},
    ],
}


@pytest.fixture
def ecs(client):
    return client("ecs")


@pytest.fixture
def subnets(client):
    return [s["SubnetId"] for s in client("ec2").describe_subnets()["Subnets"]][:1]


def register(ecs, **extra):
    return ecs.register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "web", "image": "nginx", "essential": True},
            {"name": "envoy", "image": "nginx", "essential": True},
        ],
        **extra,
    )["taskDefinition"]


def test_a_cluster_keeps_its_configuration_and_service_connect_defaults(ecs):
    configuration = {"executeCommandConfiguration": {"logging": "DEFAULT"}}
    made = ecs.create_cluster(
        clusterName="bgkit",
        configuration=configuration,
        serviceConnectDefaults={"namespace": "lab"},
    )["cluster"]
    namespace = made["serviceConnectDefaults"]["namespace"]
    assert namespace.startswith("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-")
    described = ecs.describe_clusters(clusters=["bgkit"])["clusters"][0]
    assert described["configuration"] == configuration
    assert described["serviceConnectDefaults"] == {"namespace": namespace}
    # the same namespace name is the same namespace
    other = ecs.create_cluster(clusterName="other", serviceConnectDefaults={"namespace": "lab"})
    assert other["cluster"]["serviceConnectDefaults"]["namespace"] == namespace


def test_a_task_definition_keeps_its_proxy_configuration_and_namespaces(ecs):
    made = register(ecs, proxyConfiguration=PROXY, pidMode="task", ipcMode="task")
    described = ecs.describe_task_definition(taskDefinition="web:1")["taskDefinition"]
    for shown in (made, described):
        assert shown["proxyConfiguration"] == PROXY
        assert (shown["pidMode"], shown["ipcMode"]) == ("task", "task")


def test_a_service_keeps_its_role_registries_and_execute_command(ecs, subnets):
    ecs.create_cluster(clusterName="bgkit")
    register(ecs)
    made = ecs.create_service(
        cluster="bgkit",
        serviceName="web",
        taskDefinition="web",
        launchType="FARGATE",
        role="ecsServiceRole",
        enableExecuteCommand=True,
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}},
    )["service"]
    described = ecs.describe_services(cluster="bgkit", services=["web"])["services"][0]
    for shown in (made, described):
        assert shown["roleArn"] == "arn:aws:iam::123456789012:role/ecsServiceRole"
        assert shown["enableExecuteCommand"] is True


def test_a_service_without_a_launch_type_is_an_ec2_service(ecs, subnets):
    ecs.create_cluster(clusterName="bgkit")
    register(ecs)
    network = {"awsvpcConfiguration": {"subnets": subnets}}
    ec2 = ecs.create_service(
        cluster="bgkit", serviceName="ec2", taskDefinition="web", networkConfiguration=network
    )["service"]
    assert ec2["launchType"] == "EC2"
    assert "platformVersion" not in ec2
    # the walkthrough's explicit FARGATE stays FARGATE, with its platform
    fargate = ecs.create_service(
        cluster="bgkit",
        serviceName="fargate",
        taskDefinition="web",
        launchType="FARGATE",
        networkConfiguration=network,
    )["service"]
    assert (fargate["launchType"], fargate["platformVersion"]) == ("FARGATE", "LATEST")


def test_describe_tasks_of_no_task_is_refused(ecs):
    ecs.create_cluster(clusterName="bgkit")
    with pytest.raises(ClientError) as caught:
        ecs.describe_tasks(cluster="bgkit", tasks=[])
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterException",
        "Tasks cannot be empty.",
    )


@pytest.mark.parametrize("operation", ["create_service", "run_task"])
def test_an_unsupported_launch_type_is_refused_before_the_cluster_is_looked_up(ecs, operation):
    params = {"cluster": "nowhere", "taskDefinition": "web", "launchType": "EXTERNAL"}
    if operation == "create_service":
        params["serviceName"] = "web"
    with pytest.raises(ClientError) as caught:
        getattr(ecs, operation)(**params)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"


def test_a_family_of_invalid_characters_is_refused_in_aws_words(ecs):
    # ClientException: Family contains invalid characters. (aws/amazon-ecs-cli#37 and #542)
    with pytest.raises(ClientError) as caught:
        ecs.register_task_definition(
            family="weird_dir@letssee.cats", containerDefinitions=[{"name": "a", "image": "nginx"}]
        )
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ClientException",
        "Family contains invalid characters.",
    )
    assert ecs.list_task_definitions()["taskDefinitionArns"] == []

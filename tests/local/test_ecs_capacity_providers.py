"""ECS capacity providers for Fargate through a real boto3 client: the two AWS-managed ones, a
cluster's providers and default strategy, and services and tasks placed by a strategy.

Sources: botocore's ECS model (``CapacityProviderStrategyItem``: base 0 to 100,000, weight 0 to
1,000; ``CreateService``/``RunTask``: "If a capacityProviderStrategy is specified, the
launchType parameter must be omitted. If no capacityProviderStrategy or launchType is
specified, the defaultCapacityProviderStrategy for the cluster is used"); the Amazon ECS
Developer Guide, *Amazon ECS capacity providers for Fargate* and *Capacity provider strategies*
(only one provider may have a base, at least one weight above zero, tasks past the base split by
weight, the refusal of a provider the cluster does not use).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.control_plane

ARN = "arn:aws:ecs:us-east-1:123456789012:capacity-provider/"
BOTH = ["FARGATE", "FARGATE_SPOT"]


def error_of(call: Any, **params: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]


@pytest.fixture
def ecs(client) -> Any:
    made = client("ecs")
    made.register_task_definition(
        family="web", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256",
        memory="512", containerDefinitions=[{"name": "web", "image": "nginx:latest"}],
    )  # fmt: skip
    return made


@pytest.fixture
def network(client) -> dict[str, Any]:
    subnets = [s["SubnetId"] for s in client("ec2").describe_subnets()["Subnets"]][:2]
    return {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "ENABLED"}}


def test_the_two_aws_managed_providers(ecs):
    found = ecs.describe_capacity_providers()["capacityProviders"]
    assert found == [
        {"capacityProviderArn": ARN + "FARGATE", "name": "FARGATE", "status": "ACTIVE",
         "type": "FARGATE"},
        {"capacityProviderArn": ARN + "FARGATE_SPOT", "name": "FARGATE_SPOT", "status": "ACTIVE",
         "type": "FARGATE_SPOT"},
    ]  # fmt: skip
    asked = ecs.describe_capacity_providers(capacityProviders=["FARGATE_SPOT", "mine"])
    assert [p["name"] for p in asked["capacityProviders"]] == ["FARGATE_SPOT"]
    assert asked["failures"] == [{"arn": ARN + "mine", "reason": "MISSING"}]


def test_cluster_providers_and_default_strategy(ecs):
    default = [{"capacityProvider": "FARGATE", "weight": 1}]
    made = ecs.create_cluster(clusterName="c", capacityProviders=["FARGATE"],
                              defaultCapacityProviderStrategy=default)["cluster"]  # fmt: skip
    assert made["capacityProviders"] == ["FARGATE"]
    assert made["defaultCapacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 0}
    ]
    put = ecs.put_cluster_capacity_providers(
        cluster="c", capacityProviders=BOTH,
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                                         {"capacityProvider": "FARGATE_SPOT", "weight": 3}],
    )["cluster"]  # fmt: skip
    assert put["capacityProviders"] == BOTH
    described = ecs.describe_clusters(clusters=["c"])["clusters"][0]
    assert described["defaultCapacityProviderStrategy"] == put["defaultCapacityProviderStrategy"]


@pytest.mark.parametrize(
    ("providers", "strategy"),
    [
        (["FARGATE", "EC2_SOMETHING"], []),  # no such provider
        (["FARGATE"], [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]),  # not the cluster's
        (BOTH, [{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                {"capacityProvider": "FARGATE_SPOT", "base": 1, "weight": 1}]),  # two bases
        (BOTH, [{"capacityProvider": "FARGATE", "weight": 0},
                {"capacityProvider": "FARGATE_SPOT", "weight": 0}]),  # no weight
        (BOTH, [{"capacityProvider": "FARGATE", "weight": 1},
                {"capacityProvider": "FARGATE", "weight": 2}]),  # named twice
    ],
)  # fmt: skip
def test_bad_cluster_strategies_leave_the_cluster_as_it_was(ecs, providers, strategy):
    ecs.create_cluster(clusterName="c")
    error = error_of(ecs.put_cluster_capacity_providers, cluster="c",
                     capacityProviders=providers,
                     defaultCapacityProviderStrategy=strategy)  # fmt: skip
    assert error["Code"] == "InvalidParameterException"
    cluster = ecs.describe_clusters(clusters=["c"])["clusters"][0]
    assert (cluster["capacityProviders"], cluster["defaultCapacityProviderStrategy"]) == ([], [])


def test_a_provider_the_cluster_does_not_use_is_refused_in_words(ecs, network):
    ecs.create_cluster(clusterName="c", capacityProviders=["FARGATE"])
    error = error_of(ecs.run_task, cluster="c", taskDefinition="web",
                     networkConfiguration=network,
                     capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}])
    assert error["Message"] == (
        "The specified capacity provider strategy cannot contain a capacity provider that is not "
        "associated with the cluster. Associate the capacity provider with the cluster or "
        "specify a valid capacity provider and try again."
    )  # fmt: skip


def test_a_launch_type_and_a_strategy_together_are_refused(ecs, network):
    ecs.create_cluster(clusterName="c", capacityProviders=["FARGATE"])
    for call in (ecs.run_task, ecs.create_service):
        extra = {"serviceName": "s", "desiredCount": 0} if call == ecs.create_service else {}
        error = error_of(call, cluster="c", taskDefinition="web", launchType="FARGATE",
                         networkConfiguration=network,
                         capacityProviderStrategy=[{"capacityProvider": "FARGATE"}], **extra)
        assert error["Code"] == "InvalidParameterException"
        assert error["Message"].startswith("Specifying both a launch type and capacity provider")
    assert ecs.list_services(cluster="c")["serviceArns"] == []
    assert ecs.list_tasks(cluster="c")["taskArns"] == []


def test_a_service_of_a_strategy_shows_it_and_no_launch_type(ecs, network):
    ecs.create_cluster(clusterName="c", capacityProviders=BOTH)
    strategy = [{"capacityProvider": "FARGATE", "weight": 1, "base": 1},
                {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0}]  # fmt: skip
    service = ecs.create_service(cluster="c", serviceName="s", taskDefinition="web",
                                 desiredCount=5, networkConfiguration=network,
                                 capacityProviderStrategy=strategy)["service"]  # fmt: skip
    assert "launchType" not in service
    assert service["capacityProviderStrategy"] == strategy
    assert service["platformVersion"] == "LATEST"
    assert "launchType" not in service["deployments"][0]
    assert service["deployments"][0]["capacityProviderStrategy"] == strategy
    assert ecs.list_services(cluster="c", launchType="FARGATE")["serviceArns"] == []
    assert len(ecs.list_services(cluster="c")["serviceArns"]) == 1
    # the scheduler places the service's tasks by the strategy: one on the base, four 1:3
    arns = ecs.list_tasks(cluster="c", serviceName="s")["taskArns"]
    tasks = ecs.describe_tasks(cluster="c", tasks=arns)["tasks"]
    assert Counter(t["capacityProviderName"] for t in tasks) == {"FARGATE": 2, "FARGATE_SPOT": 3}


def test_run_task_places_the_base_then_by_weight(ecs, network):
    ecs.create_cluster(clusterName="c", capacityProviders=BOTH)
    strategy = [{"capacityProvider": "FARGATE", "base": 2, "weight": 1},
                {"capacityProvider": "FARGATE_SPOT", "weight": 3}]  # fmt: skip
    tasks = ecs.run_task(cluster="c", taskDefinition="web", count=10, networkConfiguration=network,
                         capacityProviderStrategy=strategy)["tasks"]  # fmt: skip
    # two on the base, the other eight one to three
    assert Counter(t["capacityProviderName"] for t in tasks) == {"FARGATE": 4, "FARGATE_SPOT": 6}
    assert {t["launchType"] for t in tasks} == {"FARGATE"}
    assert {t["platformVersion"] for t in tasks} == {"1.4.0"}


def test_the_clusters_default_strategy_places_what_names_neither(ecs, network):
    ecs.create_cluster(clusterName="c", capacityProviders=BOTH,
                       defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT",
                                                         "weight": 1}])  # fmt: skip
    task = ecs.run_task(cluster="c", taskDefinition="web", networkConfiguration=network)["tasks"][0]
    assert task["capacityProviderName"] == "FARGATE_SPOT"
    service = ecs.create_service(cluster="c", serviceName="s", taskDefinition="web",
                                 desiredCount=0, networkConfiguration=network)["service"]
    assert service["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}
    ]
    # without a default strategy, EC2 is the default launch type
    ecs.create_cluster(clusterName="plain")
    plain = ecs.create_service(cluster="plain", serviceName="s", taskDefinition="web",
                               desiredCount=0, networkConfiguration=network)["service"]
    assert plain["launchType"] == "EC2" and "capacityProviderStrategy" not in plain


def test_update_service_to_a_strategy_starts_a_deployment(ecs, network):
    ecs.create_cluster(clusterName="c", capacityProviders=BOTH)
    ecs.create_service(cluster="c", serviceName="s", taskDefinition="web", desiredCount=0,
                       launchType="FARGATE", networkConfiguration=network)  # fmt: skip
    updated = ecs.update_service(cluster="c", service="s", capacityProviderStrategy=[
        {"capacityProvider": "FARGATE_SPOT", "weight": 1}])["service"]  # fmt: skip
    assert "launchType" not in updated
    assert [d["status"] for d in updated["deployments"]] == ["PRIMARY", "ACTIVE"]
    assert "capacityProviderStrategy" in updated["deployments"][0]


def test_a_provider_in_use_cannot_be_removed(ecs, network):
    ecs.create_cluster(clusterName="c", capacityProviders=BOTH)
    ecs.create_service(cluster="c", serviceName="s", taskDefinition="web", desiredCount=0,
                       networkConfiguration=network,
                       capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT",
                                                  "weight": 1}])  # fmt: skip
    error = error_of(ecs.put_cluster_capacity_providers, cluster="c",
                     capacityProviders=["FARGATE"], defaultCapacityProviderStrategy=[])
    assert error["Code"] == "ResourceInUseException"
    assert ecs.describe_clusters(clusters=["c"])["clusters"][0]["capacityProviders"] == BOTH

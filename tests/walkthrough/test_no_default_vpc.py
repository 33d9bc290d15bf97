"""Issue 21: the whole walkthrough in a region without a default VPC, as in many AWS accounts.

Notebook 01's step makes a small VPC of the kit's own (two public subnets in two zones, an
internet gateway, a route table sending 0.0.0.0/0 to it, all tagged by the kit); the service
comes up in it, a blue/green deployment reroutes, and the clean-up deletes it all in AWS's order
(route table, gateway, subnets, VPC), leaving nothing of the kit's behind.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bgkit import observe
from bgkit import walkthrough as wt
from bgkit.local.server import LocalCloud
from bgkit.tour import free_offset
from bgkit.walkthrough.tags import is_ours

pytestmark = pytest.mark.slow


@pytest.fixture
def cloud(tmp_path) -> Iterator[LocalCloud]:
    """Overrides the walkthrough tests' fixture: a local cloud without default VPCs."""
    with LocalCloud(
        tmp_path / "state", port=0, listener_offset=free_offset(), clock=60, default_vpc=False
    ) as running:
        yield running


def test_network_is_the_kits_own_and_made_once(kit):
    ec2 = kit.client("ec2")
    vpc_id, subnet_ids = wt.default_network(kit)
    assert wt.default_network(kit) == (vpc_id, subnet_ids)  # get-or-create
    (vpc,) = ec2.describe_vpcs()["Vpcs"]
    assert vpc["VpcId"] == vpc_id and vpc["IsDefault"] is False
    assert is_ours(vpc["Tags"], "test")
    subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    assert all(s["MapPublicIpOnLaunch"] for s in subnets)
    (gateway,) = ec2.describe_internet_gateways()["InternetGateways"]
    assert gateway["Attachments"] == [{"State": "available", "VpcId": vpc_id}]
    (table,) = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": subnet_ids}]
    )["RouteTables"]
    routes = {r["DestinationCidrBlock"]: r["GatewayId"] for r in table["Routes"]}
    assert routes == {"10.0.0.0/16": "local", "0.0.0.0/0": gateway["InternetGatewayId"]}
    assert {a["SubnetId"] for a in table["Associations"]} == set(subnet_ids)
    attribute = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    assert attribute["EnableDnsHostnames"] == {"Value": True}


def test_the_whole_walkthrough_runs_and_cleans_up_its_vpc(kit):
    pre = wt.prepare(kit)
    wt.wait_load_balancer_active(kit, pre.load_balancer_arn)
    role = wt.codedeploy_role(kit)
    wt.service(kit, task_definition_arn=pre.task_definition_arn,
               target_group_arn=pre.target_group_arns[0], subnet_ids=pre.subnet_ids,
               security_group_id=pre.security_group_id)  # fmt: skip
    wt.wait_service_healthy(kit, timeout=60)
    assert observe.compare_ports(kit)["revision"].tolist() == ["nginx", "nginx"]
    enis = kit.client("ec2").describe_network_interfaces(
        Filters=[{"Name": "vpc-id", "Values": [pre.vpc_id]}]
    )["NetworkInterfaces"]
    kinds = {e["Description"].split(":attachment/")[0].split(" ")[0] for e in enis}
    assert kinds == {"ELB", "arn:aws:ecs:us-east-1:123456789012"}  # the balancer's, the tasks'
    assert all(e["RequesterManaged"] and e["Status"] == "in-use" for e in enis)
    wt.application(kit)
    wt.deployment_group(kit, service_role_arn=role["Arn"],
                        production_listener_arn=pre.listener_arns[80],
                        test_listener_arn=pre.listener_arns[8080])  # fmt: skip
    fizzbuzz = wt.task_definition(kit, "fizzbuzz", pre.execution_role_arn)
    deployment_id = wt.create_deployment(kit, fizzbuzz["taskDefinitionArn"])
    wt.wait_deployment(kit, deployment_id, until="Ready", timeout=120)
    kit.client("codedeploy").continue_deployment(
        deploymentId=deployment_id, deploymentWaitType="READY_WAIT"
    )
    wt.wait_deployment(kit, deployment_id, until="Succeeded", timeout=120)
    assert observe.compare_ports(kit)["revision"].tolist()[0] == "fizzbuzz"

    listed = wt.created_resources(kit)
    network = listed[listed["service"] == "ec2"]
    assert sorted(network["kind"]) == [
        "internet gateway", "route table", "security group", "subnet", "subnet", "vpc",
    ]  # fmt: skip
    deleted = wt.clean_up(kit, timeout=120)
    assert {"test-vpc", "test-vpc-igw", "test-vpc-public", "test-alb"} <= set(deleted["name"])
    assert wt.created_resources(kit).empty
    ec2 = kit.client("ec2")
    assert ec2.describe_vpcs()["Vpcs"] == []
    assert ec2.describe_subnets()["Subnets"] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []
    assert ec2.describe_route_tables()["RouteTables"] == []
    assert ec2.describe_security_groups()["SecurityGroups"] == []
    assert wt.clean_up(kit, timeout=60).empty

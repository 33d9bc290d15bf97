"""EC2 networking through real boto3 clients: VPCs and their attributes, subnets, internet
gateways, route tables and routes, network interfaces, and a region without a default VPC.

Sources: the Amazon EC2 API Reference (the operations, their shapes in botocore's model, and
*Error codes for the Amazon EC2 API*: ``DependencyViolation``, ``InvalidSubnet.Range``,
``InvalidSubnet.Conflict``, ``InvalidVpc.Range``, ``Resource.AlreadyAssociated``,
``Gateway.NotAttached``, ``RouteAlreadyExists``, ``InvalidRoute.NotFound``,
``DefaultVpcAlreadyExists``, ``VpcLimitExceeded``, ``VPCIdNotSpecified``); the Amazon VPC User
Guide (*VPC CIDR blocks*: /16 to /28, five addresses reserved in each subnet; *Route tables*:
the main route table and the local route; *Default VPCs*: 172.31.0.0/16, a /20 default subnet
in each zone, an internet gateway and a 0.0.0.0/0 route to it; *Internet gateways*: "detach
... you must first ... disassociate any Elastic IP addresses", the mapped-public-address
refusal).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bgkit.local.server import LocalCloud
from tests.conftest import free_listener_offset

pytestmark = pytest.mark.control_plane


@pytest.fixture
def ec2(client: Any) -> Iterator[Any]:
    made = client("ec2")
    yield made
    made.close()


def refused(call: Any, code: str, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    assert caught.value.response["Error"]["Code"] == code
    return caught.value.response["Error"]["Message"]


def make_vpc(ec2: Any, cidr: str = "10.0.0.0/16", **params: Any) -> str:
    return ec2.create_vpc(CidrBlock=cidr, **params)["Vpc"]["VpcId"]


def make_subnet(ec2: Any, vpc_id: str, cidr: str, zone: str = "us-east-1a") -> str:
    made = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)
    return made["Subnet"]["SubnetId"]


def state(ec2: Any) -> dict[str, Any]:
    """Everything the networking calls can change, to compare before and after a refusal."""
    return {
        "vpcs": ec2.describe_vpcs()["Vpcs"],
        "subnets": ec2.describe_subnets()["Subnets"],
        "gateways": ec2.describe_internet_gateways()["InternetGateways"],
        "tables": ec2.describe_route_tables()["RouteTables"],
        "groups": ec2.describe_security_groups()["SecurityGroups"],
    }


# VPCs ------------------------------------------------------------------------------------------


def test_create_vpc_comes_with_default_group_and_main_route_table(ec2: Any) -> None:
    vpc = ec2.create_vpc(
        CidrBlock="10.0.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "kit"}]}],
    )["Vpc"]
    assert vpc["IsDefault"] is False and vpc["State"] == "available"
    assert vpc["Tags"] == [{"Key": "Name", "Value": "kit"}]
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
        "SecurityGroups"
    ]
    assert [g["GroupName"] for g in groups] == ["default"]
    (table,) = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
        "RouteTables"
    ]
    assert table["Associations"][0]["Main"] is True
    assert table["Routes"] == [
        {
            "DestinationCidrBlock": "10.0.0.0/16",
            "GatewayId": "local",
            "Origin": "CreateRouteTable",
            "State": "active",
        }
    ]


def test_create_vpc_refuses_bad_blocks(ec2: Any) -> None:
    before = state(ec2)
    assert "10.0.0.0/8" in refused(ec2.create_vpc, "InvalidVpc.Range", CidrBlock="10.0.0.0/8")
    refused(ec2.create_vpc, "InvalidVpc.Range", CidrBlock="10.0.0.0/29")
    message = refused(ec2.create_vpc, "InvalidParameterValue", CidrBlock="10.0.0.1/16")
    assert "not a valid CIDR block" in message
    refused(ec2.create_vpc, "MissingParameter")
    assert state(ec2) == before


def test_create_vpc_quota_is_five_a_region(ec2: Any) -> None:
    for n in range(4):  # with the default VPC, five
        make_vpc(ec2, f"10.{n}.0.0/16")
    assert "maximum number of VPCs" in refused(
        ec2.create_vpc, "VpcLimitExceeded", CidrBlock="10.9.0.0/16"
    )


def test_vpc_attributes_dns(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    got = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    assert got["EnableDnsHostnames"] == {"Value": False}
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")[
        "EnableDnsSupport"
    ] == {"Value": True}
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    got = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    assert got["EnableDnsHostnames"] == {"Value": True}
    default = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    got = ec2.describe_vpc_attribute(VpcId=default["VpcId"], Attribute="enableDnsHostnames")
    assert got["EnableDnsHostnames"] == {"Value": True}


def test_modify_vpc_attribute_one_at_a_time(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    refused(
        ec2.modify_vpc_attribute,
        "InvalidParameterCombination",
        VpcId=vpc_id,
        EnableDnsHostnames={"Value": True},
        EnableDnsSupport={"Value": True},
    )
    got = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    assert got["EnableDnsHostnames"] == {"Value": False}
    refused(
        ec2.describe_vpc_attribute, "InvalidParameterValue", VpcId=vpc_id, Attribute="enableDns"
    )


def test_delete_vpc_with_subnet_is_dependency_violation(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    make_subnet(ec2, vpc_id, "10.0.1.0/24")
    before = state(ec2)
    message = refused(ec2.delete_vpc, "DependencyViolation", VpcId=vpc_id)
    assert message == f"The vpc '{vpc_id}' has dependencies and cannot be deleted."
    assert state(ec2) == before


def test_delete_vpc_with_gateway_or_group_is_dependency_violation(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    group_id = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc_id)[
        "GroupId"
    ]
    refused(ec2.delete_vpc, "DependencyViolation", VpcId=vpc_id)
    ec2.delete_security_group(GroupId=group_id)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    refused(ec2.delete_vpc, "DependencyViolation", VpcId=vpc_id)


def test_delete_vpc_takes_its_default_group_and_main_table(ec2: Any) -> None:
    before = state(ec2)
    vpc_id = make_vpc(ec2)
    ec2.delete_vpc(VpcId=vpc_id)
    assert state(ec2) == before
    refused(ec2.describe_vpcs, "InvalidVpcID.NotFound", VpcIds=[vpc_id])


def test_default_vpc_has_internet_gateway_and_route(ec2: Any) -> None:
    default = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    (igw,) = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [default["VpcId"]]}]
    )["InternetGateways"]
    (main,) = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [default["VpcId"]]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"]
    assert {r["DestinationCidrBlock"]: r["GatewayId"] for r in main["Routes"]} == {
        "172.31.0.0/16": "local",
        "0.0.0.0/0": igw["InternetGatewayId"],
    }


def test_create_default_vpc_when_one_exists(ec2: Any) -> None:
    assert "already exists" in refused(ec2.create_default_vpc, "DefaultVpcAlreadyExists")


# subnets ---------------------------------------------------------------------------------------


def test_create_subnet_counts_addresses_and_is_not_public(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    subnet = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1b"
    )["Subnet"]
    assert subnet["AvailableIpAddressCount"] == 251  # 256 less the five AWS reserves
    assert subnet["AvailabilityZone"] == "us-east-1b" and subnet["AvailabilityZoneId"] == "use1-az2"
    assert subnet["DefaultForAz"] is False and subnet["MapPublicIpOnLaunch"] is False


def test_create_subnet_refuses_blocks_outside_or_overlapping(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    make_subnet(ec2, vpc_id, "10.0.0.0/24")
    before = state(ec2)
    message = refused(
        ec2.create_subnet, "InvalidSubnet.Range", VpcId=vpc_id, CidrBlock="10.1.0.0/24"
    )
    assert message == "The CIDR '10.1.0.0/24' is invalid."
    refused(ec2.create_subnet, "InvalidSubnet.Range", VpcId=vpc_id, CidrBlock="10.0.0.0/29")
    message = refused(
        ec2.create_subnet, "InvalidSubnet.Conflict", VpcId=vpc_id, CidrBlock="10.0.0.128/25"
    )
    assert message == "The CIDR '10.0.0.128/25' conflicts with another subnet"
    message = refused(
        ec2.create_subnet,
        "InvalidParameterValue",
        VpcId=vpc_id,
        CidrBlock="10.0.9.0/24",
        AvailabilityZone="us-east-1z",
    )
    assert "us-east-1a, us-east-1b, us-east-1c" in message
    refused(
        ec2.create_subnet,
        "InvalidVpcID.NotFound",
        VpcId="vpc-0123456789abcdef0",
        CidrBlock="10.0.9.0/24",
    )
    assert state(ec2) == before


def test_modify_subnet_attribute_map_public_ip(ec2: Any) -> None:
    subnet_id = make_subnet(ec2, make_vpc(ec2), "10.0.1.0/24")
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    (subnet,) = ec2.describe_subnets(
        Filters=[
            {"Name": "map-public-ip-on-launch", "Values": ["true"]},
            {"Name": "subnet-id", "Values": [subnet_id]},
        ]
    )["Subnets"]
    assert subnet["MapPublicIpOnLaunch"] is True


def test_delete_subnet_with_load_balancer_is_dependency_violation(client: Any, ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    subnets = [
        make_subnet(ec2, vpc_id, "10.0.1.0/24", "us-east-1a"),
        make_subnet(ec2, vpc_id, "10.0.2.0/24", "us-east-1b"),
    ]
    elbv2 = client("elbv2")
    elbv2.create_load_balancer(Name="net-alb", Subnets=subnets, Scheme="internal")
    message = refused(ec2.delete_subnet, "DependencyViolation", SubnetId=subnets[0])
    assert message == f"The subnet '{subnets[0]}' has dependencies and cannot be deleted."
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    found = enis["NetworkInterfaces"]
    assert sorted(e["SubnetId"] for e in found) == sorted(subnets)
    assert all(e["Description"].startswith("ELB app/net-alb/") for e in found)
    assert all(e["RequesterId"] == "amazon-elb" and e["Status"] == "in-use" for e in found)
    again = ec2.describe_network_interfaces(NetworkInterfaceIds=[found[0]["NetworkInterfaceId"]])
    assert again["NetworkInterfaces"] == [found[0]]
    elbv2.close()


def test_describe_network_interfaces_unknown_id(ec2: Any) -> None:
    refused(
        ec2.describe_network_interfaces,
        "InvalidNetworkInterfaceID.NotFound",
        NetworkInterfaceIds=["eni-0123456789abcdef0"],
    )


# internet gateways and route tables ------------------------------------------------------------


def test_internet_gateway_attach_detach_delete(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    igw = ec2.create_internet_gateway()["InternetGateway"]
    assert igw["Attachments"] == [] and igw["InternetGatewayId"].startswith("igw-")
    igw_id = igw["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    (found,) = ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"]
    assert found["Attachments"] == [{"State": "available", "VpcId": vpc_id}]
    message = refused(ec2.delete_internet_gateway, "DependencyViolation", InternetGatewayId=igw_id)
    assert message == f"The internetGateway '{igw_id}' has dependencies and cannot be deleted."
    refused(
        ec2.attach_internet_gateway, "Resource.AlreadyAssociated", InternetGatewayId=igw_id,
        VpcId=vpc_id,
    )  # fmt: skip
    other = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    refused(
        ec2.attach_internet_gateway, "Resource.AlreadyAssociated", InternetGatewayId=other,
        VpcId=vpc_id,
    )  # fmt: skip
    refused(
        ec2.detach_internet_gateway, "Gateway.NotAttached", InternetGatewayId=other, VpcId=vpc_id
    )
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    refused(
        ec2.describe_internet_gateways,
        "InvalidInternetGatewayID.NotFound",
        InternetGatewayIds=[igw_id],
    )


def test_detach_gateway_with_internet_facing_balancer_is_refused(client: Any, ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    subnets = [
        make_subnet(ec2, vpc_id, "10.0.1.0/24", "us-east-1a"),
        make_subnet(ec2, vpc_id, "10.0.2.0/24", "us-east-1b"),
    ]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    elbv2 = client("elbv2")
    elbv2.create_load_balancer(Name="pub-alb", Subnets=subnets)
    message = refused(
        ec2.detach_internet_gateway, "DependencyViolation", InternetGatewayId=igw, VpcId=vpc_id
    )
    assert "mapped public address(es)" in message
    elbv2.close()


def test_route_table_routes_and_associations(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    subnet_id = make_subnet(ec2, vpc_id, "10.0.1.0/24")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]
    table_id = table["RouteTableId"]
    assert table["Associations"] == [] and table["Routes"][0]["GatewayId"] == "local"
    message = refused(
        ec2.create_route, "InvalidParameterValue", RouteTableId=table_id,
        DestinationCidrBlock="0.0.0.0/0", GatewayId=igw,
    )  # fmt: skip
    assert "belong to different networks" in message
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    assert ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)[
        "Return"
    ]
    refused(
        ec2.create_route, "RouteAlreadyExists", RouteTableId=table_id,
        DestinationCidrBlock="0.0.0.0/0", GatewayId=igw,
    )  # fmt: skip
    refused(
        ec2.create_route, "InvalidParameterValue", RouteTableId=table_id,
        DestinationCidrBlock="10.0.5.0/24", GatewayId=igw,
    )  # fmt: skip
    association = ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    assert association["AssociationState"] == {"State": "associated"}
    again = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    refused(
        ec2.associate_route_table, "Resource.AlreadyAssociated", RouteTableId=again,
        SubnetId=subnet_id,
    )  # fmt: skip
    (found,) = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["RouteTables"]
    assert found["RouteTableId"] == table_id
    message = refused(ec2.delete_route_table, "DependencyViolation", RouteTableId=table_id)
    assert message == f"The routeTable '{table_id}' has dependencies and cannot be deleted."
    ec2.disassociate_route_table(AssociationId=association["AssociationId"])
    ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0")
    refused(
        ec2.delete_route, "InvalidRoute.NotFound", RouteTableId=table_id,
        DestinationCidrBlock="0.0.0.0/0",
    )  # fmt: skip
    refused(
        ec2.delete_route, "InvalidParameterValue", RouteTableId=table_id,
        DestinationCidrBlock="10.0.0.0/16",
    )  # fmt: skip
    ec2.delete_route_table(RouteTableId=table_id)


def test_main_route_table_stays(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    (main,) = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "RouteTables"
    ]
    refused(ec2.delete_route_table, "DependencyViolation", RouteTableId=main["RouteTableId"])
    refused(
        ec2.disassociate_route_table,
        "InvalidParameterValue",
        AssociationId=main["Associations"][0]["RouteTableAssociationId"],
    )
    refused(
        ec2.disassociate_route_table,
        "InvalidAssociationID.NotFound",
        AssociationId="rtbassoc-0123456789abcdef0",
    )


def test_detached_gateway_turns_its_routes_to_blackholes(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    (found,) = ec2.describe_route_tables(
        Filters=[{"Name": "route.state", "Values": ["blackhole"]}]
    )["RouteTables"]
    assert found["RouteTableId"] == table_id


def test_tags_on_gateways_and_route_tables(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)
    igw = ec2.create_internet_gateway(
        TagSpecifications=[
            {"ResourceType": "internet-gateway", "Tags": [{"Key": "k", "Value": "v"}]}
        ]
    )["InternetGateway"]["InternetGatewayId"]
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_tags(Resources=[table_id], Tags=[{"Key": "k", "Value": "w"}])
    tags = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["k"]}])["Tags"]
    assert {(t["ResourceId"], t["ResourceType"], t["Value"]) for t in tags} == {
        (igw, "internet-gateway", "v"),
        (table_id, "route-table", "w"),
    }
    ec2.delete_tags(Resources=[igw], Tags=[{"Key": "k"}])
    assert (
        ec2.describe_internet_gateways(Filters=[{"Name": "tag:k", "Values": ["v"]}])[
            "InternetGateways"
        ]
        == []
    )


def test_describe_availability_zones(ec2: Any) -> None:
    found = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [z["ZoneName"] for z in found] == ["us-east-1a", "us-east-1b", "us-east-1c"]


# a region without a default VPC ----------------------------------------------------------------


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[Any]:
    """An EC2 client of a local cloud started without default VPCs."""
    with LocalCloud(
        tmp_path / "bare", port=0, listener_offset=free_listener_offset(), dataplane=False,
        default_vpc=False,
    ) as cloud:  # fmt: skip
        made = cloud.client("ec2")
        yield made
        made.close()


def test_no_default_vpc_region_is_empty_but_has_zones(bare: Any) -> None:
    assert bare.describe_vpcs()["Vpcs"] == []
    assert bare.describe_subnets()["Subnets"] == []
    assert bare.describe_security_groups()["SecurityGroups"] == []
    assert len(bare.describe_availability_zones()["AvailabilityZones"]) == 3


def test_no_default_vpc_security_group_needs_a_vpc(bare: Any) -> None:
    message = refused(
        bare.create_security_group, "VPCIdNotSpecified", GroupName="web", Description="web"
    )
    assert message.startswith("No default VPC for this user")


def test_no_default_vpc_create_default_vpc(bare: Any) -> None:
    vpc = bare.create_default_vpc()["Vpc"]
    assert vpc["IsDefault"] is True and vpc["CidrBlock"] == "172.31.0.0/16"
    subnets = bare.describe_subnets()["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == [
        "172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20",
    ]  # fmt: skip


def test_deleted_default_vpc_stays_deleted(ec2: Any) -> None:
    default = ec2.describe_vpcs()["Vpcs"][0]
    for subnet in ec2.describe_subnets()["Subnets"]:
        ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    (igw,) = ec2.describe_internet_gateways()["InternetGateways"]
    ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=default["VpcId"])
    ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])
    ec2.delete_vpc(VpcId=default["VpcId"])
    assert ec2.describe_vpcs()["Vpcs"] == []


# every answer fits its output shape ------------------------------------------------------------


def test_networking_answers_fit_their_output_shapes(client: Any) -> None:
    """Required members present, no member the shape lacks, types and enums right (botocore's
    model, as :mod:`protocol.output_shapes` reads it)."""
    from protocol.output_shapes import output_problems

    answers: list[tuple[Any, dict[str, Any]]] = []

    def record(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if 200 <= http_response.status_code < 300:
            answers.append((model, parsed))

    ec2, elbv2 = client("ec2"), client("elbv2")
    ec2.meta.events.register_first("after-call.ec2", record)
    vpc_id = make_vpc(ec2)
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    subnets = [
        make_subnet(ec2, vpc_id, "10.0.1.0/24", "us-east-1a"),
        make_subnet(ec2, vpc_id, "10.0.2.0/24", "us-east-1b"),
    ]
    ec2.modify_subnet_attribute(SubnetId=subnets[0], MapPublicIpOnLaunch={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    association = ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnets[0])
    elbv2.create_load_balancer(Name="shape-alb", Subnets=subnets)
    for call in (
        ec2.describe_vpcs, ec2.describe_subnets, ec2.describe_internet_gateways,
        ec2.describe_route_tables, ec2.describe_network_interfaces,
        ec2.describe_availability_zones, ec2.describe_tags,
    ):  # fmt: skip
        call()
    ec2.disassociate_route_table(AssociationId=association["AssociationId"])
    ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0")
    ec2.delete_route_table(RouteTableId=table_id)
    problems = [
        f"{model.name}{line}"
        for model, parsed in answers
        for line in output_problems(model.output_shape, parsed)
        # the EC2 API Reference, InternetGatewayAttachment: "For an internet gateway, the state
        # is available when attached to a VPC" — a value the model's AttachmentStatus enum lacks
        if not line.endswith("'available' is no value of AttachmentStatus (attaching, "
                             "attached, detaching, detached)")
    ]  # fmt: skip
    assert len(answers) >= 20
    assert problems == []
    ec2.close()
    elbv2.close()

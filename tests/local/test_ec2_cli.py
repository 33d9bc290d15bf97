"""EC2 networking through the AWS CLI (``aws ec2 …``, the version-1 CLI of the dev extra), with the
environment ``bgkit local env`` prints: a VPC, a subnet, an internet gateway and a route table
made, described (``--query``, ``--filters``) and deleted, and a refusal's exit status (255, the
CLI's for a service error) and AWS's error code on stderr.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from test_s3_cli import aws as cli  # noqa: F401  (the AWS CLI against the local cloud)

pytestmark = pytest.mark.control_plane


@pytest.fixture
def aws(cli: Any) -> Any:  # noqa: F811
    """``aws("create-vpc", …)``: ``aws ec2 create-vpc … --output json``."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return cli("ec2", *args, "--output", "json", check=check)

    return run


def value(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)


def test_aws_ec2_builds_and_deletes_a_public_network(aws: Any) -> None:
    vpc = value(aws("create-vpc", "--cidr-block", "10.0.0.0/16", "--query", "Vpc.VpcId"))
    aws("modify-vpc-attribute", "--vpc-id", vpc, "--enable-dns-hostnames", '{"Value": true}')
    subnet = value(aws(
        "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.1.0/24",
        "--availability-zone", "us-east-1a", "--query", "Subnet.SubnetId",
    ))  # fmt: skip
    aws("modify-subnet-attribute", "--subnet-id", subnet, "--map-public-ip-on-launch")
    igw = value(aws("create-internet-gateway", "--query", "InternetGateway.InternetGatewayId"))
    aws("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
    table = value(aws("create-route-table", "--vpc-id", vpc, "--query", "RouteTable.RouteTableId"))
    aws("create-route", "--route-table-id", table, "--destination-cidr-block", "0.0.0.0/0",
        "--gateway-id", igw)  # fmt: skip
    association = value(aws(
        "associate-route-table", "--route-table-id", table, "--subnet-id", subnet,
        "--query", "AssociationId",
    ))  # fmt: skip
    routes = value(aws(
        "describe-route-tables", "--filters", f"Name=association.subnet-id,Values={subnet}",
        "--query", "RouteTables[0].Routes[].[DestinationCidrBlock,GatewayId]",
    ))  # fmt: skip
    assert routes == [["10.0.0.0/16", "local"], ["0.0.0.0/0", igw]]
    public = value(aws(
        "describe-subnets", "--subnet-ids", subnet, "--query", "Subnets[0].MapPublicIpOnLaunch"
    ))  # fmt: skip
    assert public is True

    refused = aws("delete-vpc", "--vpc-id", vpc, check=False)
    assert refused.returncode == 255 and "DependencyViolation" in refused.stderr

    aws("disassociate-route-table", "--association-id", association)
    aws("delete-route-table", "--route-table-id", table)
    aws("detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
    aws("delete-internet-gateway", "--internet-gateway-id", igw)
    aws("delete-subnet", "--subnet-id", subnet)
    aws("delete-vpc", "--vpc-id", vpc)
    left = value(aws("describe-vpcs", "--filters", "Name=is-default,Values=false",
                     "--query", "Vpcs[].VpcId"))  # fmt: skip
    assert left == []


def test_aws_ec2_describe_availability_zones(aws: Any) -> None:
    zones = value(aws("describe-availability-zones", "--query", "AvailabilityZones[].ZoneName"))
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1c"]

"""ELBv2's SetSubnets, SetSecurityGroups and SetIpAddressType through real boto3 clients, and the
AWS CLI's ``elbv2 set-subnets``.

Sources: the ELB API reference (*SetSubnets*: "Enables the Availability Zones for the specified
public subnets … You must specify subnets from at least two Availability Zones" for an
Application Load Balancer; *SetSecurityGroups*; *SetIpAddressType*: ``dualstack`` needs IPv6
CIDR blocks in the subnets, ``dualstack-without-public-ipv4`` an internet-facing load
balancer); the User Guide, *Availability Zones for your Application Load Balancer* (one subnet
a zone).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_s3_cli import aws  # noqa: F401  (the AWS CLI fixture)

pytestmark = pytest.mark.control_plane


def error_of(call: Any, **params: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]


@pytest.fixture
def subnets(ec2: Any) -> list[str]:
    found = ec2.describe_subnets()["Subnets"]
    return [s["SubnetId"] for s in sorted(found, key=lambda s: s["AvailabilityZone"])]


@pytest.fixture
def balancer(elbv2: Any, subnets: list[str]) -> dict[str, Any]:
    return elbv2.create_load_balancer(Name="bgkit-alb", Subnets=subnets[:2])["LoadBalancers"][0]


def described(elbv2: Any, arn: str) -> dict[str, Any]:
    return elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]


def test_set_subnets_moves_the_availability_zones(elbv2, balancer, subnets):
    assert len(subnets) >= 3
    arn = balancer["LoadBalancerArn"]
    answer = elbv2.set_subnets(LoadBalancerArn=arn, Subnets=subnets[1:3])
    assert [z["SubnetId"] for z in answer["AvailabilityZones"]] == subnets[1:3]
    assert answer["IpAddressType"] == "ipv4"
    zones = described(elbv2, arn)["AvailabilityZones"]
    assert [(z["ZoneName"], z["SubnetId"]) for z in zones] == [
        (z["ZoneName"], z["SubnetId"]) for z in answer["AvailabilityZones"]
    ]


def test_set_subnets_refusals_leave_the_zones(elbv2, ec2, balancer, subnets):
    arn = balancer["LoadBalancerArn"]
    before = described(elbv2, arn)["AvailabilityZones"]
    other_vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    made = [ec2.create_subnet(VpcId=other_vpc, CidrBlock=f"10.9.{i}.0/24",
                              AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
            for i, z in enumerate("ab")]  # fmt: skip
    cases = [
        ({"Subnets": subnets[:1]}, "ValidationError"),  # one zone only
        ({"Subnets": [subnets[0], "subnet-0000000000000dead"]}, "SubnetNotFound"),
        ({"Subnets": made}, "InvalidSubnet"),  # another VPC
        ({"Subnets": subnets[:2], "IpAddressType": "dualstack"}, "InvalidSubnet"),  # no IPv6
    ]
    for params, code in cases:
        assert error_of(elbv2.set_subnets, LoadBalancerArn=arn, **params)["Code"] == code
    assert described(elbv2, arn)["AvailabilityZones"] == before


def test_set_security_groups(elbv2, ec2, balancer, vpc):
    arn = balancer["LoadBalancerArn"]
    group = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    answer = elbv2.set_security_groups(LoadBalancerArn=arn, SecurityGroups=[group, group])
    assert answer["SecurityGroupIds"] == [group]
    assert described(elbv2, arn)["SecurityGroups"] == [group]
    missing = error_of(elbv2.set_security_groups, LoadBalancerArn=arn,
                       SecurityGroups=["sg-00000000000000bad"])  # fmt: skip
    assert missing["Code"] == "InvalidSecurityGroup"
    empty = error_of(elbv2.set_security_groups, LoadBalancerArn=arn, SecurityGroups=[])
    assert empty["Code"] == "InvalidConfigurationRequest"
    assert described(elbv2, arn)["SecurityGroups"] == [group]


def test_set_ip_address_type(elbv2, balancer, subnets):
    arn = balancer["LoadBalancerArn"]
    assert (
        elbv2.set_ip_address_type(LoadBalancerArn=arn, IpAddressType="ipv4")["IpAddressType"]
        == "ipv4"
    )
    error = error_of(elbv2.set_ip_address_type, LoadBalancerArn=arn, IpAddressType="dualstack")
    assert error["Code"] == "InvalidSubnet"
    assert "IPv6 CIDR" in error["Message"]
    internal = elbv2.create_load_balancer(Name="inside", Subnets=subnets[:2],
                                          Scheme="internal")["LoadBalancers"][0]  # fmt: skip
    refused = error_of(elbv2.set_ip_address_type, LoadBalancerArn=internal["LoadBalancerArn"],
                       IpAddressType="dualstack-without-public-ipv4")  # fmt: skip
    assert refused["Code"] == "InvalidConfigurationRequest"
    assert described(elbv2, arn)["IpAddressType"] == "ipv4"
    unknown = error_of(elbv2.set_ip_address_type,
                       LoadBalancerArn=arn.replace("/app/bgkit-alb/", "/app/gone/"),
                       IpAddressType="ipv4")  # fmt: skip
    assert unknown["Code"] == "LoadBalancerNotFound"


def test_the_aws_cli_sets_subnets(aws, elbv2, balancer, subnets):  # noqa: F811
    done = aws("elbv2", "set-subnets", "--load-balancer-arn", balancer["LoadBalancerArn"],
               "--subnets", *subnets[1:3], "--output", "json")  # fmt: skip
    zones = json.loads(done.stdout)["AvailabilityZones"]
    assert sorted(z["SubnetId"] for z in zones) == sorted(subnets[1:3])

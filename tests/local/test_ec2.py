"""The local cloud's EC2 through real boto3 clients: one test a behaviour, refusals included."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

HTTP = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
TEST_PORT = {
    "IpProtocol": "tcp",
    "FromPort": 8080,
    "ToPort": 8080,
    "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "test traffic"}],
}


@pytest.fixture
def regional(client: Any) -> Iterator[Callable[[str], Any]]:
    """``regional("eu-west-1")``: an EC2 client for a region, closed after the test.

    Closing matters: an idle keep-alive connection left open can stall the local cloud's stop.
    """
    made: list[Any] = []

    def make(region: str) -> Any:
        made.append(client("ec2", region=region))
        return made[-1]

    yield make
    for each in made:
        each.close()


@pytest.fixture
def ec2(regional: Callable[[str], Any]) -> Any:
    return regional("us-east-1")


def refused(call: Any, code: str, **params: Any) -> str:
    """Call, expect AWS's error ``code``, and return its message."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    assert caught.value.response["Error"]["Code"] == code
    return caught.value.response["Error"]["Message"]


def groups(ec2: Any) -> list[dict[str, Any]]:
    return ec2.describe_security_groups()["SecurityGroups"]


def group(ec2: Any, group_id: str) -> dict[str, Any]:
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


def make_group(ec2: Any, name: str = "bgkit-web", **params: Any) -> str:
    return ec2.create_security_group(GroupName=name, Description=f"{name} group", **params)[
        "GroupId"
    ]


def default_vpc_id(ec2: Any) -> str:
    return ec2.describe_vpcs()["Vpcs"][0]["VpcId"]


# VPCs ------------------------------------------------------------------------------------------


def test_describe_vpcs_default_vpc(ec2: Any) -> None:
    (vpc,) = ec2.describe_vpcs()["Vpcs"]
    assert vpc["VpcId"].startswith("vpc-") and len(vpc["VpcId"]) == 21
    assert vpc["CidrBlock"] == "172.31.0.0/16"
    assert vpc["IsDefault"] is True
    assert vpc["State"] == "available"
    assert vpc["InstanceTenancy"] == "default"
    assert vpc["DhcpOptionsId"].startswith("dopt-")
    assert vpc["CidrBlockAssociationSet"][0]["CidrBlock"] == "172.31.0.0/16"
    assert vpc["CidrBlockAssociationSet"][0]["CidrBlockState"]["State"] == "associated"
    assert "Tags" not in vpc


def test_describe_vpcs_filter_is_default(ec2: Any) -> None:
    for name in ("is-default", "isDefault"):
        assert len(ec2.describe_vpcs(Filters=[{"Name": name, "Values": ["true"]}])["Vpcs"]) == 1
        assert ec2.describe_vpcs(Filters=[{"Name": name, "Values": ["false"]}])["Vpcs"] == []


def test_describe_vpcs_filter_tag(ec2: Any) -> None:
    vpc_id = default_vpc_id(ec2)
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": "bgkit-default"}])
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["bgkit-*"]}])["Vpcs"]
    assert [vpc["VpcId"] for vpc in found] == [vpc_id]
    assert found[0]["Tags"] == [{"Key": "Name", "Value": "bgkit-default"}]
    assert ec2.describe_vpcs(Filters=[{"Name": "tag-key", "Values": ["Other"]}])["Vpcs"] == []


def test_describe_vpcs_by_id(ec2: Any) -> None:
    vpc_id = default_vpc_id(ec2)
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["VpcId"] == vpc_id


def test_describe_vpcs_unknown_id(ec2: Any) -> None:
    message = refused(ec2.describe_vpcs, "InvalidVpcID.NotFound", VpcIds=["vpc-0123456789abcdef0"])
    assert message == "The vpc ID 'vpc-0123456789abcdef0' does not exist"


def test_describe_vpcs_unknown_filter(ec2: Any) -> None:
    message = refused(
        ec2.describe_vpcs, "InvalidParameterValue", Filters=[{"Name": "colour", "Values": ["x"]}]
    )
    assert "The filter 'colour' is invalid" in message


def test_describe_vpcs_dry_run(ec2: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ec2.describe_vpcs(DryRun=True)
    error = caught.value.response
    assert error["Error"]["Code"] == "DryRunOperation"
    assert error["Error"]["Message"] == "Request would have succeeded, but DryRun flag is set."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 412


# subnets and zones ----------------------------------------------------------------------------


def test_describe_subnets_default_subnets(ec2: Any) -> None:
    subnets = ec2.describe_subnets()["Subnets"]
    vpc_id = default_vpc_id(ec2)
    assert [s["AvailabilityZone"] for s in subnets] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert [s["AvailabilityZoneId"] for s in subnets] == ["use1-az1", "use1-az2", "use1-az3"]
    assert [s["CidrBlock"] for s in subnets] == [
        "172.31.0.0/20",
        "172.31.16.0/20",
        "172.31.32.0/20",
    ]
    for subnet in subnets:
        assert subnet["SubnetId"].startswith("subnet-") and len(subnet["SubnetId"]) == 24
        assert subnet["VpcId"] == vpc_id
        assert subnet["DefaultForAz"] is True
        assert subnet["MapPublicIpOnLaunch"] is True
        assert subnet["AvailableIpAddressCount"] == 4091
        assert subnet["State"] == "available"


def test_describe_subnets_filter_vpc_and_default_for_az(ec2: Any) -> None:
    filters = [
        {"Name": "vpc-id", "Values": [default_vpc_id(ec2)]},
        {"Name": "default-for-az", "Values": ["true"]},
    ]
    assert len(ec2.describe_subnets(Filters=filters)["Subnets"]) == 3
    other = [{"Name": "vpc-id", "Values": ["vpc-0123456789abcdef0"]}]
    assert ec2.describe_subnets(Filters=other)["Subnets"] == []


def test_describe_subnets_filter_availability_zone(ec2: Any) -> None:
    found = ec2.describe_subnets(Filters=[{"Name": "availability-zone", "Values": ["us-east-1b"]}])
    assert [s["CidrBlock"] for s in found["Subnets"]] == ["172.31.16.0/20"]


def test_describe_subnets_by_id(ec2: Any) -> None:
    subnet_id = ec2.describe_subnets()["Subnets"][2]["SubnetId"]
    found = ec2.describe_subnets(
        SubnetIds=[subnet_id], Filters=[{"Name": "subnet-id", "Values": [subnet_id]}]
    )
    assert [s["SubnetId"] for s in found["Subnets"]] == [subnet_id]


def test_describe_subnets_unknown_id(ec2: Any) -> None:
    message = refused(ec2.describe_subnets, "InvalidSubnetID.NotFound", SubnetIds=["subnet-0abc"])
    assert message == "The subnet ID 'subnet-0abc' does not exist"


def test_describe_availability_zones_three_zones(regional: Any) -> None:
    zones = regional("eu-west-1").describe_availability_zones()["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert [z["ZoneId"] for z in zones] == ["euw1-az1", "euw1-az2", "euw1-az3"]
    for zone in zones:
        assert zone["State"] == "available"
        assert zone["RegionName"] == "eu-west-1"
        assert zone["ZoneType"] == "availability-zone"
        assert zone["OptInStatus"] == "opt-in-not-required"
        assert zone["NetworkBorderGroup"] == "eu-west-1"
        assert zone["GroupName"] == "eu-west-1"


def test_describe_availability_zones_filter_and_names(ec2: Any) -> None:
    by_filter = ec2.describe_availability_zones(
        Filters=[{"Name": "zone-name", "Values": ["us-east-1c"]}]
    )["AvailabilityZones"]
    by_name = ec2.describe_availability_zones(ZoneNames=["us-east-1c"])["AvailabilityZones"]
    assert [z["ZoneId"] for z in by_filter] == [z["ZoneId"] for z in by_name] == ["use1-az3"]


def test_describe_availability_zones_unknown_zone(ec2: Any) -> None:
    message = refused(
        ec2.describe_availability_zones, "InvalidParameterValue", ZoneNames=["us-east-1z"]
    )
    assert "us-east-1z" in message


def test_regions_are_apart(regional: Any) -> None:
    east, west = regional("us-east-1"), regional("eu-west-1")
    east_vpc, west_vpc = default_vpc_id(east), default_vpc_id(west)
    assert east_vpc != west_vpc
    assert west.describe_subnets()["Subnets"][0]["AvailabilityZone"] == "eu-west-1a"
    group_id = make_group(east)
    assert [g["GroupName"] for g in groups(west)] == ["default"]
    refused(west.describe_security_groups, "InvalidGroup.NotFound", GroupIds=[group_id])
    refused(west.describe_vpcs, "InvalidVpcID.NotFound", VpcIds=[east_vpc])
    make_group(west)  # the same name is free in another region


# security groups ------------------------------------------------------------------------------


def test_describe_security_groups_default_group(ec2: Any) -> None:
    (default,) = groups(ec2)
    assert default["GroupName"] == "default"
    assert default["Description"] == "default VPC security group"
    assert default["VpcId"] == default_vpc_id(ec2)
    assert default["OwnerId"] == "123456789012"
    assert default["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == default["GroupId"]
    assert default["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]


def test_create_security_group_in_default_vpc(ec2: Any) -> None:
    created = ec2.create_security_group(GroupName="bgkit-web", Description="web traffic")
    assert created["GroupId"].startswith("sg-") and len(created["GroupId"]) == 20
    assert created["SecurityGroupArn"].endswith(f":security-group/{created['GroupId']}")
    found = group(ec2, created["GroupId"])
    assert found["VpcId"] == default_vpc_id(ec2)
    assert found["GroupName"] == "bgkit-web"
    assert found["Description"] == "web traffic"
    assert found["IpPermissions"] == []
    assert found["IpPermissionsEgress"] == [
        {
            "IpProtocol": "-1",
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [],
            "PrefixListIds": [],
            "UserIdGroupPairs": [],
        }
    ]


def test_create_security_group_with_tags(ec2: Any) -> None:
    tags = [{"Key": "Project", "Value": "bgkit"}]
    created = ec2.create_security_group(
        GroupName="bgkit-web",
        Description="web",
        VpcId=default_vpc_id(ec2),
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
    )
    assert created["Tags"] == tags
    assert group(ec2, created["GroupId"])["Tags"] == tags


def test_create_security_group_duplicate(ec2: Any) -> None:
    make_group(ec2)
    message = refused(
        ec2.create_security_group, "InvalidGroup.Duplicate", GroupName="bgkit-web", Description="x"
    )
    assert (
        message == f"The security group 'bgkit-web' already exists for VPC '{default_vpc_id(ec2)}'"
    )
    assert len(groups(ec2)) == 2


def test_create_security_group_unknown_vpc(ec2: Any) -> None:
    message = refused(
        ec2.create_security_group,
        "InvalidVpcID.NotFound",
        GroupName="bgkit-web",
        Description="x",
        VpcId="vpc-0123456789abcdef0",
    )
    assert message == "The vpc ID 'vpc-0123456789abcdef0' does not exist"
    assert len(groups(ec2)) == 1


def test_create_security_group_sg_prefix_name(ec2: Any) -> None:
    message = refused(
        ec2.create_security_group, "InvalidParameterValue", GroupName="sg-web", Description="x"
    )
    assert "Group names may not be in the format sg-*." in message
    assert len(groups(ec2)) == 1


def test_create_security_group_dry_run(ec2: Any) -> None:
    refused(
        ec2.create_security_group,
        "DryRunOperation",
        GroupName="bgkit-web",
        Description="x",
        DryRun=True,
    )
    assert len(groups(ec2)) == 1


def test_describe_security_groups_by_name(ec2: Any) -> None:
    group_id = make_group(ec2)
    found = ec2.describe_security_groups(GroupNames=["bgkit-web"])["SecurityGroups"]
    assert [g["GroupId"] for g in found] == [group_id]


def test_describe_security_groups_filters(ec2: Any) -> None:
    group_id = make_group(
        ec2,
        TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "Role", "Value": "web"}]}
        ],
    )
    make_group(ec2, "bgkit-other")
    for name, value in [
        ("group-name", "bgkit-web"),
        ("group-id", group_id),
        ("description", "bgkit-web*"),
        ("tag:Role", "web"),
        ("tag-key", "Role"),
    ]:
        found = ec2.describe_security_groups(Filters=[{"Name": name, "Values": [value]}])
        assert [g["GroupId"] for g in found["SecurityGroups"]] == [group_id], name
    in_vpc = [{"Name": "vpc-id", "Values": [default_vpc_id(ec2)]}]
    assert len(ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]) == 3


def test_describe_security_groups_pages(ec2: Any) -> None:
    for index in range(6):
        make_group(ec2, f"bgkit-{index}")
    first = ec2.describe_security_groups(MaxResults=5)
    second = ec2.describe_security_groups(MaxResults=5, NextToken=first["NextToken"])
    assert len(first["SecurityGroups"]) == 5 and len(second["SecurityGroups"]) == 2
    assert "NextToken" not in second
    names = [g["GroupName"] for g in first["SecurityGroups"] + second["SecurityGroups"]]
    assert sorted(names) == sorted(g["GroupName"] for g in groups(ec2))


def test_describe_security_groups_unknown_id(ec2: Any) -> None:
    message = refused(
        ec2.describe_security_groups, "InvalidGroup.NotFound", GroupIds=["sg-0123456789abcdef0"]
    )
    assert message == "The security group 'sg-0123456789abcdef0' does not exist"


def test_describe_security_groups_malformed_id(ec2: Any) -> None:
    refused(ec2.describe_security_groups, "InvalidGroupId.Malformed", GroupIds=["web"])


def test_describe_security_groups_unknown_name(ec2: Any) -> None:
    message = refused(
        ec2.describe_security_groups, "InvalidGroup.NotFound", GroupNames=["bgkit-missing"]
    )
    assert f"default VPC '{default_vpc_id(ec2)}'" in message


def test_delete_security_group_by_id(ec2: Any) -> None:
    group_id = make_group(ec2)
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[HTTP])
    assert ec2.delete_security_group(GroupId=group_id)["GroupId"] == group_id
    assert [g["GroupName"] for g in groups(ec2)] == ["default"]
    rules = ec2.describe_security_group_rules()["SecurityGroupRules"]
    assert all(rule["GroupId"] != group_id for rule in rules)


def test_delete_security_group_by_name(ec2: Any) -> None:
    make_group(ec2)
    ec2.delete_security_group(GroupName="bgkit-web")
    assert [g["GroupName"] for g in groups(ec2)] == ["default"]


def test_delete_security_group_default(ec2: Any) -> None:
    default_id = groups(ec2)[0]["GroupId"]
    message = refused(ec2.delete_security_group, "CannotDelete", GroupId=default_id)
    assert (
        message
        == f'the specified group: "{default_id}" name: "default" cannot be deleted by a user'
    )
    assert len(groups(ec2)) == 1


def test_delete_security_group_referenced(ec2: Any) -> None:
    balancer, tasks = make_group(ec2, "bgkit-alb"), make_group(ec2, "bgkit-tasks")
    pair = {
        "IpProtocol": "tcp",
        "FromPort": 80,
        "ToPort": 80,
        "UserIdGroupPairs": [{"GroupId": balancer}],
    }
    ec2.authorize_security_group_ingress(GroupId=tasks, IpPermissions=[pair])
    message = refused(ec2.delete_security_group, "DependencyViolation", GroupId=balancer)
    assert message.startswith(f"resource {balancer} has a dependent object")
    assert len(groups(ec2)) == 3
    ec2.delete_security_group(GroupId=tasks)
    ec2.delete_security_group(GroupId=balancer)


def test_delete_security_group_unknown(ec2: Any) -> None:
    refused(ec2.delete_security_group, "InvalidGroup.NotFound", GroupId="sg-0123456789abcdef0")
    refused(ec2.delete_security_group, "InvalidGroup.NotFound", GroupName="bgkit-missing")


# rules ----------------------------------------------------------------------------------------


def test_authorize_security_group_ingress_ip_permissions(ec2: Any) -> None:
    group_id = make_group(ec2)
    answer = ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[HTTP, TEST_PORT])
    assert answer["Return"] is True
    rules = answer["SecurityGroupRules"]
    assert [(r["FromPort"], r["CidrIpv4"], r["IsEgress"]) for r in rules] == [
        (80, "0.0.0.0/0", False),
        (8080, "10.0.0.0/8", False),
    ]
    assert all(r["SecurityGroupRuleId"].startswith("sgr-") for r in rules)
    assert group(ec2, group_id)["IpPermissions"] == [
        {**HTTP, "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []},
        {**TEST_PORT, "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []},
    ]


def test_authorize_security_group_ingress_flat_form(ec2: Any) -> None:
    group_id = make_group(ec2)
    ec2.authorize_security_group_ingress(
        GroupName="bgkit-web", IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="0.0.0.0/0"
    )
    (permission,) = group(ec2, group_id)["IpPermissions"]
    assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == (
        "tcp",
        80,
        80,
    )
    assert permission["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]


def test_authorize_security_group_ingress_group_pair(ec2: Any) -> None:
    balancer, tasks = make_group(ec2, "bgkit-alb"), make_group(ec2, "bgkit-tasks")
    pair = {
        "IpProtocol": "tcp",
        "FromPort": 0,
        "ToPort": 65535,
        "UserIdGroupPairs": [{"GroupId": balancer, "Description": "from the load balancer"}],
    }
    (rule,) = ec2.authorize_security_group_ingress(GroupId=tasks, IpPermissions=[pair])[
        "SecurityGroupRules"
    ]
    assert rule["ReferencedGroupInfo"]["GroupId"] == balancer
    (permission,) = group(ec2, tasks)["IpPermissions"]
    assert permission["UserIdGroupPairs"] == [
        {"GroupId": balancer, "UserId": "123456789012", "Description": "from the load balancer"}
    ]


def test_authorize_security_group_ingress_duplicate(ec2: Any) -> None:
    group_id = make_group(ec2)
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[HTTP])
    before = group(ec2, group_id)
    message = refused(
        ec2.authorize_security_group_ingress,
        "InvalidPermission.Duplicate",
        GroupId=group_id,
        IpPermissions=[TEST_PORT, HTTP],
    )
    assert message == (
        'the specified rule "peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW" '
        "already exists"
    )
    assert group(ec2, group_id) == before  # the new 8080 rule was not added either


def test_authorize_security_group_ingress_invalid_ports(ec2: Any) -> None:
    group_id = make_group(ec2)
    bad = {**HTTP, "FromPort": 90, "ToPort": 80}
    refused(
        ec2.authorize_security_group_ingress,
        "InvalidParameterValue",
        GroupId=group_id,
        IpPermissions=[bad],
    )
    assert group(ec2, group_id)["IpPermissions"] == []


def test_authorize_security_group_ingress_invalid_cidr(ec2: Any) -> None:
    group_id = make_group(ec2)
    bad = {**HTTP, "IpRanges": [{"CidrIp": "10.0.0.300/8"}]}
    refused(
        ec2.authorize_security_group_ingress,
        "InvalidParameterValue",
        GroupId=group_id,
        IpPermissions=[bad],
    )
    assert group(ec2, group_id)["IpPermissions"] == []


def test_authorize_security_group_ingress_unknown_group(ec2: Any) -> None:
    refused(
        ec2.authorize_security_group_ingress,
        "InvalidGroup.NotFound",
        GroupId="sg-0123456789abcdef0",
        IpPermissions=[HTTP],
    )


def test_authorize_security_group_ingress_dry_run(ec2: Any) -> None:
    group_id = make_group(ec2)
    refused(
        ec2.authorize_security_group_ingress,
        "DryRunOperation",
        GroupId=group_id,
        IpPermissions=[HTTP],
        DryRun=True,
    )
    assert group(ec2, group_id)["IpPermissions"] == []


def test_authorize_security_group_egress_then_revoke(ec2: Any) -> None:
    group_id = make_group(ec2)
    everything = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    refused(
        ec2.authorize_security_group_egress,
        "InvalidPermission.Duplicate",
        GroupId=group_id,
        IpPermissions=[everything],
    )
    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[everything])
    assert group(ec2, group_id)["IpPermissionsEgress"] == []
    ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[HTTP])
    (permission,) = group(ec2, group_id)["IpPermissionsEgress"]
    assert permission["FromPort"] == 80


def test_revoke_security_group_ingress_by_permission(ec2: Any) -> None:
    group_id = make_group(ec2)
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[HTTP, TEST_PORT])
    answer = ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[HTTP])
    assert answer["Return"] is True
    assert [r["FromPort"] for r in answer["RevokedSecurityGroupRules"]] == [80]
    assert [p["FromPort"] for p in group(ec2, group_id)["IpPermissions"]] == [8080]


def test_revoke_security_group_ingress_by_rule_id(ec2: Any) -> None:
    group_id = make_group(ec2)
    rules = ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[HTTP])[
        "SecurityGroupRules"
    ]
    ec2.revoke_security_group_ingress(
        GroupId=group_id, SecurityGroupRuleIds=[rules[0]["SecurityGroupRuleId"]]
    )
    assert group(ec2, group_id)["IpPermissions"] == []


def test_revoke_security_group_ingress_unknown_rule(ec2: Any) -> None:
    group_id = make_group(ec2)
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[TEST_PORT])
    before = group(ec2, group_id)
    message = refused(
        ec2.revoke_security_group_ingress,
        "InvalidPermission.NotFound",
        GroupId=group_id,
        IpPermissions=[TEST_PORT, HTTP],
    )
    assert message.startswith("The specified rule does not exist in this security group.")
    assert group(ec2, group_id) == before


def test_revoke_security_group_ingress_unknown_rule_id(ec2: Any) -> None:
    group_id = make_group(ec2)
    refused(
        ec2.revoke_security_group_ingress,
        "InvalidSecurityGroupRuleId.NotFound",
        GroupId=group_id,
        SecurityGroupRuleIds=["sgr-0123456789abcdef0"],
    )


def test_describe_security_group_rules_filter_group(ec2: Any) -> None:
    group_id = make_group(ec2)
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[HTTP])
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])[
        "SecurityGroupRules"
    ]
    assert sorted((r["IsEgress"], r["IpProtocol"]) for r in rules) == [
        (False, "tcp"),
        (True, "-1"),
    ]


# tags -----------------------------------------------------------------------------------------


def test_create_tags_and_describe_tags(ec2: Any) -> None:
    group_id = make_group(ec2)
    subnet_id = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    ec2.create_tags(Resources=[group_id, subnet_id], Tags=[{"Key": "Project", "Value": "bgkit"}])
    found = ec2.describe_tags()["Tags"]
    assert sorted((t["ResourceType"], t["ResourceId"]) for t in found) == [
        ("security-group", group_id),
        ("subnet", subnet_id),
    ]
    assert all((t["Key"], t["Value"]) == ("Project", "bgkit") for t in found)


def test_create_tags_overwrites_value(ec2: Any) -> None:
    group_id = make_group(ec2)
    ec2.create_tags(Resources=[group_id], Tags=[{"Key": "Stage", "Value": "blue"}])
    ec2.create_tags(Resources=[group_id], Tags=[{"Key": "Stage", "Value": "green"}])
    assert group(ec2, group_id)["Tags"] == [{"Key": "Stage", "Value": "green"}]


def test_create_tags_malformed_id(ec2: Any) -> None:
    message = refused(ec2.create_tags, "InvalidID", Resources=["x"], Tags=[{"Key": "k"}])
    assert message.startswith("The ID 'x' is not valid")


def test_create_tags_unknown_id(ec2: Any) -> None:
    group_id = make_group(ec2)
    refused(
        ec2.create_tags,
        "InvalidSubnetID.NotFound",
        Resources=[group_id, "subnet-0123456789abcdef0"],
        Tags=[{"Key": "k", "Value": "v"}],
    )
    assert "Tags" not in group(ec2, group_id)  # the known resource was not tagged either


def test_create_tags_reserved_key(ec2: Any) -> None:
    group_id = make_group(ec2)
    refused(
        ec2.create_tags,
        "InvalidParameterValue",
        Resources=[group_id],
        Tags=[{"Key": "aws:owner", "Value": "me"}],
    )
    assert ec2.describe_tags()["Tags"] == []


def test_delete_tags_by_key_and_value(ec2: Any) -> None:
    group_id = make_group(ec2)
    tags = [{"Key": "A", "Value": "1"}, {"Key": "B", "Value": "2"}, {"Key": "C", "Value": "3"}]
    ec2.create_tags(Resources=[group_id], Tags=tags)
    ec2.delete_tags(Resources=[group_id], Tags=[{"Key": "A"}, {"Key": "B", "Value": "other"}])
    assert group(ec2, group_id)["Tags"] == tags[1:]
    ec2.delete_tags(Resources=[group_id])
    assert "Tags" not in group(ec2, group_id)


def test_describe_tags_filters(ec2: Any) -> None:
    group_id = make_group(ec2)
    vpc_id = default_vpc_id(ec2)
    ec2.create_tags(Resources=[group_id, vpc_id], Tags=[{"Key": "Project", "Value": "bgkit"}])
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": "main"}])
    for name, value, expected in [
        ("resource-id", vpc_id, 2),
        ("resource-type", "security-group", 1),
        ("key", "Name", 1),
        ("value", "bgkit", 2),
    ]:
        found = ec2.describe_tags(Filters=[{"Name": name, "Values": [value]}])["Tags"]
        assert len(found) == expected, name


def test_delete_security_group_used_by_a_load_balancer_is_a_dependency_violation(client):
    ec2, elbv2 = client("ec2"), client("elbv2")
    group = ec2.create_security_group(GroupName="alb", Description="the ALB's")["GroupId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    elbv2.create_load_balancer(Name="uses-it", Subnets=subnets, SecurityGroups=[group])
    with pytest.raises(ClientError) as raised:
        ec2.delete_security_group(GroupId=group)
    assert raised.value.response["Error"]["Code"] == "DependencyViolation"
    assert "load balancer uses-it" in raised.value.response["Error"]["Message"]
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]

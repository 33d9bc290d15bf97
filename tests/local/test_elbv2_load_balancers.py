"""ELBv2 load balancers, their attributes and tags through real boto3 clients."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from elb import error_code

from bgkit.local.server import LocalCloud
from bgkit.local.services.elbv2.models import PROVISIONING_SECONDS

pytestmark = pytest.mark.control_plane


@pytest.fixture
def subnets(ec2: Any) -> list[str]:
    found = ec2.describe_subnets()["Subnets"]
    return [s["SubnetId"] for s in sorted(found, key=lambda s: s["AvailabilityZone"])]


def _make(elbv2: Any, subnets: list[str], name: str = "bgkit-alb", **extra: Any) -> dict[str, Any]:
    return elbv2.create_load_balancer(Name=name, Subnets=subnets[:2], **extra)["LoadBalancers"][0]


def _names(elbv2: Any) -> list[str]:
    return [b["LoadBalancerName"] for b in elbv2.describe_load_balancers()["LoadBalancers"]]


def test_create_load_balancer_answers_aws_shape(elbv2: Any, ec2: Any, subnets: list[str]) -> None:
    balancer = _make(elbv2, subnets)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    default_group = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
    assert balancer["LoadBalancerArn"].startswith(
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/bgkit-alb/"
    )
    assert len(balancer["LoadBalancerArn"].rsplit("/", 1)[1]) == 16
    assert balancer["DNSName"].startswith("bgkit-alb-")
    assert balancer["DNSName"].endswith(".us-east-1.elb.amazonaws.com")
    assert balancer["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    assert balancer["Scheme"] == "internet-facing"
    assert balancer["Type"] == "application"
    assert balancer["IpAddressType"] == "ipv4"
    assert balancer["VpcId"] == vpc
    assert balancer["State"] == {"Code": "provisioning"}
    assert balancer["SecurityGroups"] == [default_group["GroupId"]]
    assert [z["SubnetId"] for z in balancer["AvailabilityZones"]] == subnets[:2]
    assert [z["ZoneName"] for z in balancer["AvailabilityZones"]] == ["us-east-1a", "us-east-1b"]
    assert "_attributes" not in balancer


def test_create_load_balancer_internal_dns_name(elbv2: Any, subnets: list[str]) -> None:
    balancer = _make(elbv2, subnets, Scheme="internal")
    assert balancer["Scheme"] == "internal"
    assert balancer["DNSName"].startswith("internal-bgkit-alb-")


def test_create_load_balancer_with_subnet_mappings_and_group(
    elbv2: Any, ec2: Any, subnets: list[str]
) -> None:
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    balancer = elbv2.create_load_balancer(
        Name="mapped",
        SubnetMappings=[{"SubnetId": s} for s in subnets],
        SecurityGroups=[group],
    )["LoadBalancers"][0]
    assert balancer["SecurityGroups"] == [group]
    assert len(balancer["AvailabilityZones"]) == 3


def test_describe_load_balancers_active_after_provisioning(
    cloud: LocalCloud, elbv2: Any, subnets: list[str]
) -> None:
    arn = _make(elbv2, subnets)["LoadBalancerArn"]
    cloud.clock.advance(PROVISIONING_SECONDS)
    found = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    assert found[0]["State"] == {"Code": "active"}


def test_create_load_balancer_one_subnet_refused(elbv2: Any, subnets: list[str]) -> None:
    with pytest.raises(ClientError) as error:
        elbv2.create_load_balancer(Name="lonely", Subnets=subnets[:1])
    assert error_code(error) == "ValidationError"
    assert "At least two subnets in two different Availability Zones" in str(error.value)
    assert _names(elbv2) == []


def test_create_load_balancer_unknown_subnet_refused(elbv2: Any, subnets: list[str]) -> None:
    with pytest.raises(ClientError) as error:
        elbv2.create_load_balancer(Name="ghost", Subnets=[subnets[0], "subnet-0123456789abcdef0"])
    assert error_code(error) == "SubnetNotFound"
    assert _names(elbv2) == []


def test_create_load_balancer_unknown_security_group_refused(
    elbv2: Any, subnets: list[str]
) -> None:
    with pytest.raises(ClientError) as error:
        _make(elbv2, subnets, SecurityGroups=["sg-0123456789abcdef0"])
    assert error_code(error) == "InvalidSecurityGroup"
    assert _names(elbv2) == []


def test_create_load_balancer_duplicate_name_refused(elbv2: Any, subnets: list[str]) -> None:
    """The same name and settings answer the existing load balancer (botocore's documentation
    of CreateLoadBalancer: "If you attempt to create multiple load balancers with the same
    settings, each call succeeds"); other settings are refused in AWS's words, quoted in
    kubernetes-sigs/aws-load-balancer-controller#3173."""
    first = _make(elbv2, subnets)
    again = _make(elbv2, subnets)
    assert again["LoadBalancerArn"] == first["LoadBalancerArn"]
    assert again["DNSName"] == first["DNSName"]
    for other in ({"Scheme": "internal"}, {"name": "bgkit-alb", "subnets": subnets[1:]}):
        with pytest.raises(ClientError) as error:
            _make(elbv2, other.pop("subnets", subnets), **other)
        assert error_code(error) == "DuplicateLoadBalancerName"
    assert error.value.response["Error"]["Message"] == (
        "A load balancer with the same name 'bgkit-alb' exists, but with different settings"
    )
    assert _names(elbv2) == ["bgkit-alb"]


@pytest.mark.parametrize("name", ["-starts", "ends-", "internal-alb", "under_score", "x" * 33])
def test_create_load_balancer_bad_name_refused(elbv2: Any, subnets: list[str], name: str) -> None:
    with pytest.raises(ClientError) as error:
        _make(elbv2, subnets, name=name)
    assert error_code(error) == "ValidationError"
    assert _names(elbv2) == []


def test_create_load_balancer_network_type_refused(elbv2: Any, subnets: list[str]) -> None:
    with pytest.raises(ClientError) as error:
        _make(elbv2, subnets, Type="network")
    assert error_code(error) == "InvalidConfigurationRequest"
    assert "application" in str(error.value)
    assert _names(elbv2) == []


def test_create_load_balancer_too_many_tags_refused(elbv2: Any, subnets: list[str]) -> None:
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    with pytest.raises(ClientError) as error:
        _make(elbv2, subnets, Tags=tags)
    assert error_code(error) == "TooManyTags"
    assert _names(elbv2) == []


def test_describe_load_balancers_by_name(elbv2: Any, subnets: list[str]) -> None:
    _make(elbv2, subnets, name="one")
    _make(elbv2, subnets, name="two")
    found = elbv2.describe_load_balancers(Names=["two"])["LoadBalancers"]
    assert [b["LoadBalancerName"] for b in found] == ["two"]


def test_describe_load_balancers_unknown_name_refused(elbv2: Any) -> None:
    with pytest.raises(ClientError) as error:
        elbv2.describe_load_balancers(Names=["nope"])
    assert error_code(error) == "LoadBalancerNotFound"


def test_describe_load_balancers_unknown_arn_refused(elbv2: Any, subnets: list[str]) -> None:
    arn = _make(elbv2, subnets)["LoadBalancerArn"]
    with pytest.raises(ClientError) as error:
        elbv2.describe_load_balancers(LoadBalancerArns=[arn[:-1] + "0"])
    assert error_code(error) == "LoadBalancerNotFound"


def test_describe_load_balancers_pages(elbv2: Any, subnets: list[str]) -> None:
    for name in ("a1", "a2", "a3"):
        _make(elbv2, subnets, name=name)
    first = elbv2.describe_load_balancers(PageSize=2)
    second = elbv2.describe_load_balancers(PageSize=2, Marker=first["NextMarker"])
    assert [b["LoadBalancerName"] for b in first["LoadBalancers"]] == ["a1", "a2"]
    assert [b["LoadBalancerName"] for b in second["LoadBalancers"]] == ["a3"]
    assert "NextMarker" not in second
    pages = elbv2.get_paginator("describe_load_balancers").paginate(
        PaginationConfig={"PageSize": 1}
    )
    assert [b["LoadBalancerName"] for p in pages for b in p["LoadBalancers"]] == ["a1", "a2", "a3"]


def test_delete_load_balancer_removes_it_and_its_listeners(elbv2: Any, subnets: list[str]) -> None:
    arn = _make(elbv2, subnets)["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
    )
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert _names(elbv2) == []
    with pytest.raises(ClientError) as error:
        elbv2.describe_listeners(LoadBalancerArn=arn)
    assert error_code(error) == "LoadBalancerNotFound"


def test_delete_load_balancer_unknown_arn_succeeds(elbv2: Any, subnets: list[str]) -> None:
    arn = _make(elbv2, subnets)["LoadBalancerArn"]
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert _names(elbv2) == []


def test_delete_load_balancer_deletion_protection_refused(elbv2: Any, subnets: list[str]) -> None:
    arn = _make(elbv2, subnets)["LoadBalancerArn"]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}]
    )
    with pytest.raises(ClientError) as error:
        elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert error_code(error) == "OperationNotPermitted"
    assert _names(elbv2) == ["bgkit-alb"]


def test_describe_load_balancer_attributes_defaults(elbv2: Any, subnets: list[str]) -> None:
    arn = _make(elbv2, subnets)["LoadBalancerArn"]
    attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    values = {a["Key"]: a["Value"] for a in attributes}
    assert values["idle_timeout.timeout_seconds"] == "60"
    assert values["deletion_protection.enabled"] == "false"
    assert values["routing.http2.enabled"] == "true"


def test_modify_load_balancer_attributes_changes_value(elbv2: Any, subnets: list[str]) -> None:
    arn = _make(elbv2, subnets)["LoadBalancerArn"]
    answer = elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "120"}]
    )
    assert {"Key": "idle_timeout.timeout_seconds", "Value": "120"} in answer["Attributes"]
    attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    assert {"Key": "idle_timeout.timeout_seconds", "Value": "120"} in attributes


@pytest.mark.parametrize(
    ("key", "value"),
    [("idle_timeout.timeout_seconds", "0"), ("no.such.key", "1"), ("routing.http2.enabled", "yes")],
)
def test_modify_load_balancer_attributes_bad_value_refused(
    elbv2: Any, subnets: list[str], key: str, value: str
) -> None:
    arn = _make(elbv2, subnets)["LoadBalancerArn"]
    with pytest.raises(ClientError) as error:
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=arn,
            Attributes=[
                {"Key": "deletion_protection.enabled", "Value": "true"},
                {"Key": key, "Value": value},
            ],
        )
    assert error_code(error) == "ValidationError"
    attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    assert {"Key": "deletion_protection.enabled", "Value": "false"} in attributes


def test_describe_load_balancer_attributes_unknown_refused(elbv2: Any, subnets: list[str]) -> None:
    arn = _make(elbv2, subnets)["LoadBalancerArn"]
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    with pytest.raises(ClientError) as error:
        elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)
    assert error_code(error) == "LoadBalancerNotFound"


def test_add_tags_and_describe_tags(elbv2: Any, subnets: list[str]) -> None:
    arn = _make(elbv2, subnets, Tags=[{"Key": "owner", "Value": "bgkit"}])["LoadBalancerArn"]
    elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": "owner", "Value": "me"}, {"Key": "x"}])
    described = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"]
    assert described == [
        {"ResourceArn": arn, "Tags": [{"Key": "owner", "Value": "me"}, {"Key": "x", "Value": ""}]}
    ]


def test_remove_tags_removes_keys(elbv2: Any, subnets: list[str]) -> None:
    arn = _make(elbv2, subnets, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])[
        "LoadBalancerArn"
    ]
    elbv2.remove_tags(ResourceArns=[arn], TagKeys=["a"])
    tags = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "b", "Value": "2"}]


def test_add_tags_duplicate_keys_refused(elbv2: Any, subnets: list[str]) -> None:
    arn = _make(elbv2, subnets)["LoadBalancerArn"]
    with pytest.raises(ClientError) as error:
        elbv2.add_tags(
            ResourceArns=[arn], Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]
        )
    assert error_code(error) == "DuplicateTagKeys"
    assert elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"] == []


def test_add_tags_too_many_refused(elbv2: Any, subnets: list[str]) -> None:
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    arn = _make(elbv2, subnets, Tags=tags)["LoadBalancerArn"]
    with pytest.raises(ClientError) as error:
        elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": "one-more", "Value": "v"}])
    assert error_code(error) == "TooManyTags"
    assert len(elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]) == 50


def test_add_tags_unknown_load_balancer_refused(elbv2: Any, subnets: list[str]) -> None:
    arn = _make(elbv2, subnets)["LoadBalancerArn"]
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    with pytest.raises(ClientError) as error:
        elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": "a", "Value": "1"}])
    assert error_code(error) == "LoadBalancerNotFound"


def test_security_group_in_use_names_the_load_balancer(
    cloud: LocalCloud, elbv2: Any, ec2: Any, subnets: list[str]
) -> None:
    from bgkit.local.services.elbv2.models import security_group_in_use

    balancer = _make(elbv2, subnets)
    group = balancer["SecurityGroups"][0]
    ctx = cloud.context("ec2", "DeleteSecurityGroup", "us-east-1")
    assert security_group_in_use(ctx, group) == "bgkit-alb"
    elbv2.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])
    assert security_group_in_use(ctx, group) is None

"""EC2 refuses a security group without a description and rules past the rules-per-group quota.

Sources: AWS's answer to CreateSecurityGroup without a description, as quoted from its XML in
getmoto/moto#112 (``MissingParameter``, "The request must contain the parameter
GroupDescription"); Amazon VPC quotas, *Security groups*: "Inbound or outbound rules per security
group: 60" by default, enforced separately for IPv4 and IPv6 rules, a rule referencing a security
group counting as one of each; the refusal's code and message as SDK users quote them
(aws-samples/aws-cloudfront-samples#53: ``RulesPerSecurityGroupLimitExceeded``, "The maximum
number of rules per security group has been reached.").
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.control_plane


def ranges(start: int, count: int) -> list[dict[str, str]]:
    return [{"CidrIp": f"10.0.{n}.0/24"} for n in range(start, start + count)]


def ingress(ec2, group: str, start: int, count: int) -> None:
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": ranges(start, count)}
        ],
    )


@pytest.fixture
def group(ec2):
    return ec2.create_security_group(GroupName="bgkit-web", Description="web")["GroupId"]


def rules_of(ec2, group: str) -> list[dict]:
    filters = [{"Name": "group-id", "Values": [group]}]
    return ec2.describe_security_group_rules(Filters=filters)["SecurityGroupRules"]


def test_an_empty_description_is_a_missing_parameter(ec2):
    with pytest.raises(ClientError) as caught:
        ec2.create_security_group(GroupName="bgkit-web", Description="")
    error = caught.value.response["Error"]
    assert error["Code"] == "MissingParameter"
    assert error["Message"] == "The request must contain the parameter GroupDescription"
    assert [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]] == ["default"]


def test_sixty_inbound_rules_fit_and_the_sixty_first_is_refused(ec2, group):
    ingress(ec2, group, 0, 59)
    ingress(ec2, group, 59, 1)
    before = rules_of(ec2, group)
    with pytest.raises(ClientError) as caught:
        ingress(ec2, group, 60, 1)
    error = caught.value.response["Error"]
    assert error["Code"] == "RulesPerSecurityGroupLimitExceeded"
    assert error["Message"] == "The maximum number of rules per security group has been reached."
    assert rules_of(ec2, group) == before  # the refusal left the group as it was


def test_a_request_past_the_limit_adds_none_of_its_rules(ec2, group):
    ingress(ec2, group, 0, 30)
    with pytest.raises(ClientError):
        ingress(ec2, group, 30, 31)
    assert sum(not r["IsEgress"] for r in rules_of(ec2, group)) == 30


def test_inbound_and_outbound_rules_are_counted_apart(ec2, group):
    ingress(ec2, group, 0, 60)
    # the default egress rule (all to 0.0.0.0/0) and 59 more: sixty outbound
    ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": ranges(0, 59)}
        ],
    )
    assert len(rules_of(ec2, group)) == 120


def test_ipv6_rules_have_a_limit_of_their_own(ec2, group):
    ingress(ec2, group, 0, 60)
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 80,
                "ToPort": 80,
                "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/64"}],
            }
        ],
    )
    assert sum(not r["IsEgress"] for r in rules_of(ec2, group)) == 61

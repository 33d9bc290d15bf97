"""What every region of the local cloud's EC2 has from the start.

A region has three availability zones ``<region>a/b/c``, a default VPC (``172.31.0.0/16``) with one
default subnet in each zone, and the VPC's ``default`` security group. They are made lazily, the
first time a call touches the region, inside that call's transaction: every region name works and
regions stay apart.

Records (read directly by the ELBv2 and ECS providers, so their shapes are botocore's):

- kind ``vpc``, keyed by ``VpcId``: the EC2 ``Vpc`` shape;
- kind ``subnet``, keyed by ``SubnetId``: the EC2 ``Subnet`` shape;
- kind ``security-group``, keyed by ``GroupId``: the EC2 ``SecurityGroup`` shape;
- kind ``security-group-rule``, keyed by ``SecurityGroupRuleId``: the ``SecurityGroupRule`` shape
  (the rules a group's ``IpPermissions`` and ``IpPermissionsEgress`` are drawn from).
"""

from __future__ import annotations

from typing import Any

from bgkit.local.provider import RequestContext
from bgkit.local.services.ec2.rules import add_default_rules, new_group

VPC_CIDR = "172.31.0.0/16"
SUBNET_CIDRS = ("172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20")
ZONE_LETTERS = ("a", "b", "c")
#: 4096 addresses in a /20, less the five AWS reserves in every subnet
SUBNET_FREE_ADDRESSES = 4091
DEFAULT_GROUP = "default"
DEFAULT_GROUP_DESCRIPTION = "default VPC security group"

#: compass words that AWS abbreviates to one letter in zone ids (``southeast`` → ``se``)
_COMPASS = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c"}


def region_code(region: str) -> str:
    """A region as zone ids abbreviate it: ``us-east-1`` → ``use1``, ``ap-southeast-2`` → ``apse2``.

    Args:
        region: a region name.
    """
    parts = region.split("-")
    if len(parts) < 3:
        return region.replace("-", "")
    letters = ""
    for word in parts[1:-1]:
        rest = word
        for compass in ("north", "south", "east", "west", "central"):
            if rest.startswith(compass):
                letters += _COMPASS[compass]
                rest = rest[len(compass) :]
        if rest:
            letters += rest[0]
    return f"{parts[0]}{letters}{parts[-1]}"


def zones(region: str) -> list[dict[str, Any]]:
    """The region's availability zones, as the ``AvailabilityZone`` shape."""
    code = region_code(region)
    return [
        {
            "ZoneName": f"{region}{letter}",
            "ZoneId": f"{code}-az{index}",
            "State": "available",
            "OptInStatus": "opt-in-not-required",
            "Messages": [],
            "RegionName": region,
            "GroupName": region,
            "NetworkBorderGroup": region,
            "ZoneType": "availability-zone",
        }
        for index, letter in enumerate(ZONE_LETTERS, start=1)
    ]


def ensure_defaults(ctx: RequestContext) -> None:
    """Make the region's default VPC, subnets and security group unless they exist."""
    if any(vpc.get("IsDefault") for vpc in ctx.records("vpc").list()):
        return
    vpc_id = f"vpc-{ctx.ids.hex('vpc', 17)}"
    vpc = {
        "VpcId": vpc_id,
        "CidrBlock": VPC_CIDR,
        "State": "available",
        "DhcpOptionsId": f"dopt-{ctx.ids.hex('dopt', 17)}",
        "InstanceTenancy": "default",
        "IsDefault": True,
        "OwnerId": ctx.account,
        "CidrBlockAssociationSet": [
            {
                "AssociationId": f"vpc-cidr-assoc-{ctx.ids.hex('vpc-cidr-assoc', 17)}",
                "CidrBlock": VPC_CIDR,
                "CidrBlockState": {"State": "associated"},
            }
        ],
        "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
        "Tags": [],
    }
    ctx.records("vpc").put(vpc_id, vpc)
    for zone, cidr in zip(zones(ctx.region), SUBNET_CIDRS, strict=True):
        subnet_id = f"subnet-{ctx.ids.hex('subnet', 17)}"
        ctx.records("subnet").put(
            subnet_id,
            {
                "SubnetId": subnet_id,
                "SubnetArn": ctx.arn("ec2", f"subnet/{subnet_id}"),
                "VpcId": vpc_id,
                "State": "available",
                "AvailabilityZone": zone["ZoneName"],
                "AvailabilityZoneId": zone["ZoneId"],
                "CidrBlock": cidr,
                "AvailableIpAddressCount": SUBNET_FREE_ADDRESSES,
                "DefaultForAz": True,
                "MapPublicIpOnLaunch": True,
                "MapCustomerOwnedIpOnLaunch": False,
                "AssignIpv6AddressOnCreation": False,
                "Ipv6CidrBlockAssociationSet": [],
                "Ipv6Native": False,
                "EnableDns64": False,
                "OwnerId": ctx.account,
                "PrivateDnsNameOptionsOnLaunch": {
                    "HostnameType": "ip-name",
                    "EnableResourceNameDnsARecord": False,
                    "EnableResourceNameDnsAAAARecord": False,
                },
                "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
                "Tags": [],
            },
        )
    group = new_group(ctx, DEFAULT_GROUP, DEFAULT_GROUP_DESCRIPTION, vpc_id, [])
    add_default_rules(ctx, group, self_reference=True)


def default_vpc(ctx: RequestContext) -> dict[str, Any]:
    """The region's default VPC record (the ``Vpc`` shape), made first if need be.

    Other providers (ELBv2, ECS) call this to place resources when the caller names no VPC.
    """
    ensure_defaults(ctx)
    return next(vpc for vpc in ctx.records("vpc").list() if vpc.get("IsDefault"))


def default_subnets(ctx: RequestContext) -> list[dict[str, Any]]:
    """The default VPC's default subnets (``Subnet`` records), one a zone, in zone order."""
    vpc_id = default_vpc(ctx)["VpcId"]
    subnets = [
        s for s in ctx.records("subnet").list() if s["VpcId"] == vpc_id and s.get("DefaultForAz")
    ]
    return sorted(subnets, key=lambda s: s["AvailabilityZone"])

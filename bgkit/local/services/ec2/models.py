"""What every region of the local cloud's EC2 has from the start, and what others read of it.

A region has three availability zones ``<region>a/b/c`` and, unless the local cloud was started
without default VPCs (``LocalCloud(default_vpc=False)``, ``bgkit local up --no-default-vpc``), a
default VPC (``172.31.0.0/16``) with one default subnet in each zone, an internet gateway, the
main route table routing ``0.0.0.0/0`` to it, and the VPC's ``default`` security group. They are
made lazily, the first time a call touches the region, inside that call's transaction: every
region name works and regions stay apart.

Records (read directly by the ELBv2 and ECS providers, so their shapes are botocore's):

- kind ``vpc``, keyed by ``VpcId``: the EC2 ``Vpc`` shape;
- kind ``subnet``, keyed by ``SubnetId``: the EC2 ``Subnet`` shape;
- kind ``security-group``, keyed by ``GroupId``: the EC2 ``SecurityGroup`` shape;
- kind ``security-group-rule``, keyed by ``SecurityGroupRuleId``: the ``SecurityGroupRule`` shape
  (the rules a group's ``IpPermissions`` and ``IpPermissionsEgress`` are drawn from);
- route tables, internet gateways and VPC attributes: see :mod:`.network`.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ec2.network import DEFAULT_GROUP, make_default_vpc

__all__ = [
    "DEFAULT_GROUP",
    "DEFAULT_VPC_META",
    "default_subnets",
    "default_vpc",
    "ensure_defaults",
    "no_default_vpc",
    "region_code",
    "zones",
]

ZONE_LETTERS = ("a", "b", "c")
#: the store's setting (``LocalCloud(default_vpc=…)``): whether a region gets a default VPC
DEFAULT_VPC_META = "ec2_default_vpc"
#: a region's record saying its defaults were made (or, without default VPCs, not made)
REGION_SETUP = "ec2-region-setup"

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
    """Make the region's default VPC, subnets, security group, internet gateway and main route
    table the first time an EC2 call touches the region — unless the local cloud was started
    without default VPCs (:data:`DEFAULT_VPC_META` false), as many AWS accounts have none.

    Either way the region is then set up for good: a default VPC deleted later stays deleted.
    """
    setup = ctx.records(REGION_SETUP)
    if setup.get("defaults") is not None:
        return
    made = any(vpc.get("IsDefault") for vpc in ctx.records("vpc").list())
    if not made and ctx.store.get_meta(DEFAULT_VPC_META, True):
        make_default_vpc(ctx, zones(ctx.region))
        made = True
    setup.put("defaults", {"DefaultVpc": made})


def no_default_vpc(ctx: RequestContext) -> ServiceError:
    """EC2's refusal of a call that needs the default VPC in a region that has none."""
    return ServiceError(
        "VPCIdNotSpecified",
        f"No default VPC for this user. {ctx.region} has none: name a VPC (VpcId) or subnets, "
        "or create a default VPC with CreateDefaultVpc",
    )


def default_vpc(ctx: RequestContext) -> dict[str, Any]:
    """The region's default VPC record (the ``Vpc`` shape), made first if need be.

    Other providers (ELBv2, ECS) call this to place resources when the caller names no VPC.

    Raises:
        ServiceError: ``VPCIdNotSpecified`` when the region has no default VPC.
    """
    ensure_defaults(ctx)
    found = next((vpc for vpc in ctx.records("vpc").list() if vpc.get("IsDefault")), None)
    if found is None:
        raise no_default_vpc(ctx)
    return found


def default_subnets(ctx: RequestContext) -> list[dict[str, Any]]:
    """The default VPC's default subnets (``Subnet`` records), one a zone, in zone order."""
    vpc_id = default_vpc(ctx)["VpcId"]
    subnets = [
        s for s in ctx.records("subnet").list() if s["VpcId"] == vpc_id and s.get("DefaultForAz")
    ]
    return sorted(subnets, key=lambda s: s["AvailabilityZone"])

"""The records of a VPC's network, made the way EC2 makes them.

A VPC comes with what EC2 gives every VPC: its ``default`` security group (all in from itself,
all out) and its *main* route table, whose one route is the ``local`` route of the VPC's CIDR
block. A subnet gets the addresses of its CIDR block less the five AWS reserves. The builders here
store records in botocore's shapes (``Vpc``, ``Subnet``, ``RouteTable``, ``InternetGateway``);
the operations that check a request and call them live in :mod:`.vpcs` and :mod:`.routes`.

Kinds of record (beside ``vpc``, ``subnet`` and ``security-group``):

- ``route-table``, keyed by ``RouteTableId``: the ``RouteTable`` shape;
- ``internet-gateway``, keyed by ``InternetGatewayId``: the ``InternetGateway`` shape;
- ``vpc-attributes``, keyed by ``VpcId``: ``{"enableDnsSupport": bool, "enableDnsHostnames":
  bool, "enableNetworkAddressUsageMetrics": bool}`` (``DescribeVpcAttribute``'s answers).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ec2.rules import add_default_rules, new_group

ROUTE_TABLE = "route-table"
INTERNET_GATEWAY = "internet-gateway"
VPC_ATTRIBUTES = "vpc-attributes"
DEFAULT_GROUP = "default"
DEFAULT_GROUP_DESCRIPTION = "default VPC security group"
#: addresses AWS keeps in every subnet: network, router, DNS, future use, broadcast
RESERVED_ADDRESSES = 5
#: the netmasks a VPC's and a subnet's IPv4 block may have (Amazon VPC User Guide, *VPC CIDR
#: blocks*: "between /16 and /28")
NETMASKS = range(16, 29)
ANYWHERE = "0.0.0.0/0"

Tags = list[dict[str, str]]


def cidr_block(value: str | None, member: str = "cidrBlock") -> ipaddress.IPv4Network:
    """An IPv4 CIDR block as a request gives it, or EC2's refusal of it.

    Raises:
        ServiceError: ``InvalidParameterValue`` for anything but ``a.b.c.d/n`` with no host bits.
    """
    try:
        network = ipaddress.IPv4Network(value or "", strict=True)
        if "/" not in (value or ""):
            raise ValueError(value)
    except ValueError:
        raise ServiceError(
            "InvalidParameterValue",
            f"Value ({value}) for parameter {member} is invalid. This is not a valid CIDR block.",
        ) from None
    return network


def local_route(cidr: str) -> dict[str, Any]:
    """The route every route table of a VPC has to the VPC's own block."""
    return {
        "DestinationCidrBlock": cidr,
        "GatewayId": "local",
        "Origin": "CreateRouteTable",
        "State": "active",
    }


def new_vpc(
    ctx: RequestContext, cidr: str, *, is_default: bool, tenancy: str, tags: Tags
) -> dict[str, Any]:
    """Store a VPC with its ``default`` security group and its main route table."""
    vpc_id = f"vpc-{ctx.ids.hex('vpc', 17)}"
    vpc = {
        "VpcId": vpc_id,
        "CidrBlock": cidr,
        "State": "available",
        "DhcpOptionsId": f"dopt-{ctx.ids.hex('dopt', 17)}",
        "InstanceTenancy": tenancy,
        "IsDefault": is_default,
        "OwnerId": ctx.account,
        "CidrBlockAssociationSet": [
            {
                "AssociationId": f"vpc-cidr-assoc-{ctx.ids.hex('vpc-cidr-assoc', 17)}",
                "CidrBlock": cidr,
                "CidrBlockState": {"State": "associated"},
            }
        ],
        "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
        "Tags": tags,
    }
    ctx.records("vpc").put(vpc_id, vpc)
    ctx.records(VPC_ATTRIBUTES).put(
        vpc_id,
        {
            "enableDnsSupport": True,
            "enableDnsHostnames": is_default,
            "enableNetworkAddressUsageMetrics": False,
        },
    )
    group = new_group(ctx, DEFAULT_GROUP, DEFAULT_GROUP_DESCRIPTION, vpc_id, [])
    add_default_rules(ctx, group, self_reference=True)
    new_route_table(ctx, vpc, main=True, tags=[])
    return vpc


def new_subnet(
    ctx: RequestContext,
    vpc_id: str,
    zone: dict[str, Any],
    cidr: ipaddress.IPv4Network,
    *,
    default_for_az: bool,
    tags: Tags,
) -> dict[str, Any]:
    """Store a subnet of ``vpc_id`` in ``zone`` (an ``AvailabilityZone``) with ``cidr``."""
    subnet_id = f"subnet-{ctx.ids.hex('subnet', 17)}"
    return ctx.records("subnet").put(
        subnet_id,
        {
            "SubnetId": subnet_id,
            "SubnetArn": ctx.arn("ec2", f"subnet/{subnet_id}"),
            "VpcId": vpc_id,
            "State": "available",
            "AvailabilityZone": zone["ZoneName"],
            "AvailabilityZoneId": zone["ZoneId"],
            "CidrBlock": str(cidr),
            "AvailableIpAddressCount": cidr.num_addresses - RESERVED_ADDRESSES,
            "DefaultForAz": default_for_az,
            "MapPublicIpOnLaunch": default_for_az,
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
            "Tags": tags,
        },
    )


def new_route_table(
    ctx: RequestContext, vpc: dict[str, Any], *, main: bool, tags: Tags
) -> dict[str, Any]:
    """Store a route table of ``vpc`` with its local route; the main one is associated with the
    VPC itself (``Main: true``), so every subnet without a table of its own uses it."""
    table_id = f"rtb-{ctx.ids.hex('rtb', 17)}"
    associations = []
    if main:
        associations.append(
            {
                "Main": True,
                "RouteTableAssociationId": f"rtbassoc-{ctx.ids.hex('rtbassoc', 17)}",
                "RouteTableId": table_id,
                "AssociationState": {"State": "associated"},
            }
        )
    return ctx.records(ROUTE_TABLE).put(
        table_id,
        {
            "RouteTableId": table_id,
            "VpcId": vpc["VpcId"],
            "OwnerId": ctx.account,
            "Associations": associations,
            "PropagatingVgws": [],
            "Routes": [local_route(vpc["CidrBlock"])],
            "Tags": tags,
        },
    )


def new_internet_gateway(ctx: RequestContext, tags: Tags) -> dict[str, Any]:
    """Store an internet gateway, attached to nothing."""
    gateway_id = f"igw-{ctx.ids.hex('igw', 17)}"
    return ctx.records(INTERNET_GATEWAY).put(
        gateway_id,
        {"InternetGatewayId": gateway_id, "OwnerId": ctx.account, "Attachments": [], "Tags": tags},
    )


def attach_gateway(ctx: RequestContext, gateway: dict[str, Any], vpc_id: str) -> None:
    """Attach an internet gateway to a VPC; routes to it that were blackholes are active again."""
    gateway["Attachments"] = [{"State": "available", "VpcId": vpc_id}]
    ctx.records(INTERNET_GATEWAY).put(gateway["InternetGatewayId"], gateway)
    _set_route_state(ctx, gateway["InternetGatewayId"], vpc_id, "active")


def detach_gateway(ctx: RequestContext, gateway: dict[str, Any], vpc_id: str) -> None:
    """Detach an internet gateway; the VPC's routes to it become blackholes, as on AWS."""
    gateway["Attachments"] = []
    ctx.records(INTERNET_GATEWAY).put(gateway["InternetGatewayId"], gateway)
    _set_route_state(ctx, gateway["InternetGatewayId"], vpc_id, "blackhole")


def _set_route_state(ctx: RequestContext, gateway_id: str, vpc_id: str, state: str) -> None:
    records = ctx.records(ROUTE_TABLE)
    for table in records.list():
        if table["VpcId"] != vpc_id:
            continue
        changed = False
        for route in table["Routes"]:
            if route.get("GatewayId") == gateway_id and route["State"] != state:
                route["State"] = state
                changed = True
        if changed:
            records.put(table["RouteTableId"], table)


def attached_gateway(ctx: RequestContext, vpc_id: str) -> dict[str, Any] | None:
    """The internet gateway attached to ``vpc_id``, or ``None``."""
    for gateway in ctx.records(INTERNET_GATEWAY).list():
        if any(a["VpcId"] == vpc_id for a in gateway["Attachments"]):
            return gateway
    return None


def main_route_table(ctx: RequestContext, vpc_id: str) -> dict[str, Any] | None:
    """The VPC's main route table, or ``None``."""
    for table in ctx.records(ROUTE_TABLE).list():
        if table["VpcId"] == vpc_id and any(a.get("Main") for a in table["Associations"]):
            return table
    return None


def make_default_vpc(ctx: RequestContext, zones: list[dict[str, Any]]) -> dict[str, Any]:
    """A default VPC as AWS makes one (``172.31.0.0/16``): a default subnet (``/20``) in each
    zone, an internet gateway attached, and the main route table's ``0.0.0.0/0`` route to it."""
    vpc = new_vpc(ctx, "172.31.0.0/16", is_default=True, tenancy="default", tags=[])
    blocks = ipaddress.IPv4Network("172.31.0.0/16").subnets(new_prefix=20)
    for zone, block in zip(zones, blocks, strict=False):
        new_subnet(ctx, vpc["VpcId"], zone, block, default_for_az=True, tags=[])
    gateway = new_internet_gateway(ctx, [])
    attach_gateway(ctx, gateway, vpc["VpcId"])
    table = main_route_table(ctx, vpc["VpcId"])
    assert table is not None
    table["Routes"].append(
        {
            "DestinationCidrBlock": ANYWHERE,
            "GatewayId": gateway["InternetGatewayId"],
            "Origin": "CreateRoute",
            "State": "active",
        }
    )
    ctx.records(ROUTE_TABLE).put(table["RouteTableId"], table)
    return vpc

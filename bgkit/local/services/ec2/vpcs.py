"""VPCs and subnets made and deleted by callers: :class:`VpcOperations`.

``CreateVpc`` makes a VPC with its ``default`` security group and main route table
(:mod:`.network`); ``DeleteVpc`` refuses with ``DependencyViolation`` while the VPC still has
subnets, an internet gateway, security groups or route tables of its own, and otherwise takes the
``default`` group and the main table with it. ``CreateSubnet`` checks the block (a ``/16`` to
``/28`` inside the VPC's, overlapping no other subnet) and the zone; ``DeleteSubnet`` refuses
while a task's or a load balancer's network interface is in the subnet. Each refusal changes
nothing: the checks run before the first record is written.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ec2 import network
from bgkit.local.services.ec2.filters import NOT_FOUND, prepare, public, tags_for
from bgkit.local.services.ec2.interfaces import interfaces
from bgkit.local.services.ec2.models import zones

Params = list[dict[str, Any]] | None
#: VPCs a region may have (the Amazon VPC quota "VPCs per Region", 5 by default)
MAX_VPCS = 5
TENANCIES = ("default", "dedicated")
VPC_ATTRIBUTES = {
    "enableDnsSupport": "EnableDnsSupport",
    "enableDnsHostnames": "EnableDnsHostnames",
    "enableNetworkAddressUsageMetrics": "EnableNetworkAddressUsageMetrics",
}


def find(ctx: RequestContext, kind: str, prefix: str, resource_id: str) -> dict[str, Any]:
    """The record of ``resource_id`` or EC2's ``…NotFound`` for it."""
    code, message = NOT_FOUND[prefix]
    return ctx.records(kind).require(resource_id, code, message.format(resource_id))


def has_dependencies(kind: str, resource_id: str) -> ServiceError:
    """EC2's ``DependencyViolation`` for a resource that others still use (``vpc``, ``subnet``,
    ``internetGateway``, ``routeTable``)."""
    return ServiceError(
        "DependencyViolation",
        f"The {kind} '{resource_id}' has dependencies and cannot be deleted.",
    )


def _range(code: str, cidr: str) -> ServiceError:
    return ServiceError(code, f"The CIDR '{cidr}' is invalid.")


class VpcOperations:
    """CreateVpc, DeleteVpc, CreateDefaultVpc, Modify/DescribeVpcAttribute, and subnets."""

    # VPCs -------------------------------------------------------------------------------------

    def create_vpc(
        self,
        ctx: RequestContext,
        cidr_block: str | None = None,
        instance_tenancy: str | None = None,
        tag_specifications: Params = None,
        dry_run: bool = False,
        amazon_provided_ipv6_cidr_block: bool | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        given = sorted(name for name, value in others.items() if value is not None)
        if given or amazon_provided_ipv6_cidr_block:
            raise ServiceError(
                "InvalidParameterValue",
                f"{', '.join(given) or 'amazon_provided_ipv6_cidr_block'}: IPv6 blocks, IPAM "
                "pools and encryption controls are not available on the local cloud; give an "
                "IPv4 CidrBlock",
            )
        if not cidr_block:  # AWS's words for a CreateVpc without a block
            raise ServiceError(
                "MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided."
            )
        block = network.cidr_block(cidr_block)
        if block.prefixlen not in network.NETMASKS:
            raise _range("InvalidVpc.Range", cidr_block)
        tenancy = instance_tenancy or "default"
        if tenancy not in TENANCIES:
            raise ServiceError(
                "InvalidParameterValue",
                f"Value ({tenancy}) for parameter instanceTenancy is invalid. Valid values: "
                f"{', '.join(TENANCIES)}",
            )
        _check_vpc_quota(ctx)
        tags = tags_for(tag_specifications, "vpc")
        vpc = network.new_vpc(ctx, str(block), is_default=False, tenancy=tenancy, tags=tags)
        return {"Vpc": public(vpc)}

    def create_default_vpc(self, ctx: RequestContext, dry_run: bool = False) -> dict[str, Any]:
        prepare(ctx, dry_run)
        if any(vpc.get("IsDefault") for vpc in ctx.records("vpc").list()):
            raise ServiceError(
                "DefaultVpcAlreadyExists",
                "A Default VPC already exists for this account in this region.",
            )
        _check_vpc_quota(ctx)
        return {"Vpc": public(network.make_default_vpc(ctx, zones(ctx.region)))}

    def delete_vpc(self, ctx: RequestContext, vpc_id: str, dry_run: bool = False) -> None:
        prepare(ctx, dry_run)
        find(ctx, "vpc", "vpc", vpc_id)
        subnets = [s for s in ctx.records("subnet").list() if s["VpcId"] == vpc_id]
        groups = [g for g in ctx.records("security-group").list() if g["VpcId"] == vpc_id]
        own_groups = [g for g in groups if g["GroupName"] != network.DEFAULT_GROUP]
        tables = [t for t in ctx.records(network.ROUTE_TABLE).list() if t["VpcId"] == vpc_id]
        own_tables = [t for t in tables if not any(a.get("Main") for a in t["Associations"])]
        gateway = network.attached_gateway(ctx, vpc_id)
        if subnets or own_groups or own_tables or gateway is not None:
            raise has_dependencies("vpc", vpc_id)
        rules = ctx.records("security-group-rule")
        for group in groups:
            for rule in rules.list():
                if rule["GroupId"] == group["GroupId"]:
                    rules.delete(rule["SecurityGroupRuleId"])
            ctx.records("security-group").delete(group["GroupId"])
        for table in tables:
            ctx.records(network.ROUTE_TABLE).delete(table["RouteTableId"])
        ctx.records(network.VPC_ATTRIBUTES).delete(vpc_id)
        ctx.records("vpc").delete(vpc_id)

    def describe_vpc_attribute(
        self, ctx: RequestContext, attribute: str, vpc_id: str, dry_run: bool = False
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        if attribute not in VPC_ATTRIBUTES:
            raise ServiceError(
                "InvalidParameterValue",
                f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute; "
                f"use one of {', '.join(VPC_ATTRIBUTES)}",
            )
        find(ctx, "vpc", "vpc", vpc_id)
        values = _attributes(ctx, vpc_id)
        return {"VpcId": vpc_id, VPC_ATTRIBUTES[attribute]: {"Value": values[attribute]}}

    def modify_vpc_attribute(
        self,
        ctx: RequestContext,
        vpc_id: str,
        enable_dns_hostnames: dict[str, Any] | None = None,
        enable_dns_support: dict[str, Any] | None = None,
        enable_network_address_usage_metrics: dict[str, Any] | None = None,
    ) -> None:
        prepare(ctx, False)
        given = {
            name: value
            for name, value in (
                ("enableDnsHostnames", enable_dns_hostnames),
                ("enableDnsSupport", enable_dns_support),
                ("enableNetworkAddressUsageMetrics", enable_network_address_usage_metrics),
            )
            if value is not None
        }
        if len(given) != 1:  # "You can only modify one attribute at a time" (the API reference)
            raise ServiceError(
                "InvalidParameterCombination",
                f"Exactly one attribute can be modified at a time, not {len(given)}; call "
                "ModifyVpcAttribute once for each of EnableDnsSupport, EnableDnsHostnames and "
                "EnableNetworkAddressUsageMetrics",
            )
        find(ctx, "vpc", "vpc", vpc_id)
        ((name, value),) = given.items()
        if "Value" not in value:
            raise ServiceError(
                "MissingParameter", f"The request must contain the parameter {name}.Value"
            )
        values = _attributes(ctx, vpc_id)
        values[name] = bool(value["Value"])
        ctx.records(network.VPC_ATTRIBUTES).put(vpc_id, values)

    # subnets ----------------------------------------------------------------------------------

    def create_subnet(
        self,
        ctx: RequestContext,
        vpc_id: str,
        cidr_block: str | None = None,
        availability_zone: str | None = None,
        availability_zone_id: str | None = None,
        tag_specifications: Params = None,
        dry_run: bool = False,
        **others: Any,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        given = sorted(name for name, value in others.items() if value not in (None, False))
        if given:
            raise ServiceError(
                "InvalidParameterValue",
                f"{', '.join(given)}: IPv6 blocks, IPAM pools and Outposts are not available on "
                "the local cloud; give an IPv4 CidrBlock",
            )
        vpc = find(ctx, "vpc", "vpc", vpc_id)
        if not cidr_block:
            raise ServiceError(
                "MissingParameter", "The request must contain the parameter cidrBlock"
            )
        block = network.cidr_block(cidr_block)
        if block.prefixlen not in network.NETMASKS or not block.subnet_of(
            network.cidr_block(vpc["CidrBlock"])
        ):
            raise _range("InvalidSubnet.Range", cidr_block)
        siblings = [s for s in ctx.records("subnet").list() if s["VpcId"] == vpc_id]
        if any(block.overlaps(network.cidr_block(s["CidrBlock"])) for s in siblings):
            raise ServiceError(
                "InvalidSubnet.Conflict", f"The CIDR '{cidr_block}' conflicts with another subnet"
            )
        zone = _zone(ctx, availability_zone, availability_zone_id, siblings)
        tags = tags_for(tag_specifications, "subnet")
        subnet = network.new_subnet(ctx, vpc_id, zone, block, default_for_az=False, tags=tags)
        return {"Subnet": public(subnet)}

    def delete_subnet(self, ctx: RequestContext, subnet_id: str, dry_run: bool = False) -> None:
        prepare(ctx, dry_run)
        find(ctx, "subnet", "subnet", subnet_id)
        if any(eni["SubnetId"] == subnet_id for eni in interfaces(ctx)):
            raise has_dependencies("subnet", subnet_id)
        records = ctx.records(network.ROUTE_TABLE)
        for table in records.list():
            kept = [a for a in table["Associations"] if a.get("SubnetId") != subnet_id]
            if len(kept) != len(table["Associations"]):
                table["Associations"] = kept
                records.put(table["RouteTableId"], table)
        ctx.records("subnet").delete(subnet_id)

    def modify_subnet_attribute(
        self,
        ctx: RequestContext,
        subnet_id: str,
        map_public_ip_on_launch: dict[str, Any] | None = None,
        enable_dns64: dict[str, Any] | None = None,
        **others: Any,
    ) -> None:
        prepare(ctx, False)
        given = sorted(name for name, value in others.items() if value is not None)
        if given:
            raise ServiceError(
                "InvalidParameterValue",
                f"{', '.join(given)}: the local cloud modifies MapPublicIpOnLaunch and "
                "EnableDns64 only",
            )
        changes = {
            member: value
            for member, value in (
                ("MapPublicIpOnLaunch", map_public_ip_on_launch),
                ("EnableDns64", enable_dns64),
            )
            if value is not None
        }
        if len(changes) != 1:
            raise ServiceError(
                "InvalidParameterCombination",
                f"Exactly one attribute can be modified at a time, not {len(changes)}",
            )
        subnet = find(ctx, "subnet", "subnet", subnet_id)
        ((member, value),) = changes.items()
        subnet[member] = bool(value.get("Value"))
        ctx.records("subnet").put(subnet_id, subnet)


# helpers --------------------------------------------------------------------------------------


def _check_vpc_quota(ctx: RequestContext) -> None:
    if len(ctx.records("vpc").list()) >= MAX_VPCS:
        raise ServiceError(
            "VpcLimitExceeded",
            f"The maximum number of VPCs has been reached. {ctx.region} has {MAX_VPCS}; delete "
            "one you no longer need",
        )


def _attributes(ctx: RequestContext, vpc_id: str) -> dict[str, bool]:
    found = ctx.records(network.VPC_ATTRIBUTES).get(vpc_id)
    if found is not None:
        return found
    vpc = ctx.records("vpc").get(vpc_id) or {}
    return {
        "enableDnsSupport": True,
        "enableDnsHostnames": bool(vpc.get("IsDefault")),
        "enableNetworkAddressUsageMetrics": False,
    }


def _zone(
    ctx: RequestContext,
    name: str | None,
    zone_id: str | None,
    siblings: list[dict[str, Any]],
) -> dict[str, Any]:
    """The zone a CreateSubnet names, or (naming none) the one where the VPC has fewest subnets."""
    known = zones(ctx.region)
    if name or zone_id:
        member, wanted = ("ZoneName", name) if name else ("ZoneId", zone_id)
        for zone in known:
            if zone[member] == wanted and (not zone_id or zone["ZoneId"] == zone_id):
                return zone
        parameter = "availabilityZone" if name else "availabilityZoneId"
        choices = ", ".join(zone[member] for zone in known)
        raise ServiceError(
            "InvalidParameterValue",
            f"Value ({wanted}) for parameter {parameter} is invalid. Subnets can currently only "
            f"be created in the following availability zones: {choices}.",
        )
    used = [s["AvailabilityZone"] for s in siblings]
    return min(known, key=lambda zone: used.count(zone["ZoneName"]))

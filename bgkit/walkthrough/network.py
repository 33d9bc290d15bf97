"""The network the walkthrough runs in: the region's default VPC, or a small VPC of the kit's own.

Many AWS accounts — most in organisations — have no default VPC. There :func:`own_network` makes,
get-or-create, what the walkthrough needs and no more: a VPC (``10.0.0.0/16``, DNS hostnames on),
two public subnets in two Availability Zones (``10.0.0.0/24`` and ``10.0.1.0/24``, public
addresses on launch), an internet gateway attached to the VPC, and a route table sending
``0.0.0.0/0`` to the gateway, associated with both subnets. Each carries the kit's tags
(:mod:`.tags`) and a ``Name``, so :func:`network_resources` finds them and :func:`delete_network`
deletes them — last, after the load balancer, the tasks and the security group that live in it,
in the order AWS requires: route table, gateway, subnets, VPC.
"""

from __future__ import annotations

from typing import Any

from bgkit.walkthrough import tags
from bgkit.walkthrough.naming import names
from bgkit.walkthrough.progress import retry
from bgkit.walkthrough.tags import KIT, KIT_VALUE, PREFIX, is_ours

__all__ = [
    "VPC_CIDR",
    "default_vpc_id",
    "delete_network",
    "network_resources",
    "own_network",
]

VPC_CIDR = "10.0.0.0/16"
SUBNET_CIDRS = ("10.0.0.0/24", "10.0.1.0/24")
ANYWHERE = "0.0.0.0/0"
#: what AWS answers while something still uses what is being deleted (an ENI going away)
IN_USE = ("DependencyViolation",)


def _ours(kit: Any) -> list[dict[str, Any]]:
    """EC2 filters for the kit's tags of this prefix."""
    return [
        {"Name": f"tag:{KIT}", "Values": [KIT_VALUE]},
        {"Name": f"tag:{PREFIX}", "Values": [kit.settings.prefix]},
    ]


def _specification(kit: Any, resource_type: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tags.key_value(kit, Name=name)}]


def default_vpc_id(kit: Any) -> str | None:
    """The region's default VPC, or ``None`` when it has none."""
    vpcs = kit.client("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])
    return vpcs["Vpcs"][0]["VpcId"] if vpcs["Vpcs"] else None


def _kit_vpc(kit: Any) -> dict[str, Any] | None:
    found = kit.client("ec2").describe_vpcs(Filters=_ours(kit))["Vpcs"]
    return found[0] if found else None


def _zones(kit: Any) -> list[str]:
    found = kit.client("ec2").describe_availability_zones(
        Filters=[
            {"Name": "state", "Values": ["available"]},
            {"Name": "zone-type", "Values": ["availability-zone"]},
        ]
    )["AvailabilityZones"]
    zones = sorted(zone["ZoneName"] for zone in found)
    if len(zones) < len(SUBNET_CIDRS):
        raise LookupError(
            f"{kit.settings.region} has {len(zones)} Availability Zone(s); a load balancer needs "
            "two: choose another region (`export AWS_REGION=...`)"
        )
    return zones[: len(SUBNET_CIDRS)]


def _subnets(kit: Any, vpc_id: str) -> list[str]:
    """The two public subnets, get-or-create, in zone order."""
    ec2 = kit.client("ec2")
    have = {
        s["CidrBlock"]: s
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    }
    made = []
    for number, (zone, cidr) in enumerate(zip(_zones(kit), SUBNET_CIDRS, strict=True), start=1):
        subnet = have.get(cidr) or ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone,
            TagSpecifications=_specification(kit, "subnet", f"{names(kit).vpc}-public-{number}"),
        )["Subnet"]  # fmt: skip
        if not subnet.get("MapPublicIpOnLaunch"):
            ec2.modify_subnet_attribute(
                SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True}
            )
        made.append(subnet)
    made.sort(key=lambda s: s["AvailabilityZone"])
    return [s["SubnetId"] for s in made]


def _gateway(kit: Any, vpc_id: str) -> str:
    """The internet gateway attached to the VPC, get-or-create (a kit's one left unattached by
    an interrupted run is attached rather than made again)."""
    ec2 = kit.client("ec2")
    attached = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    if attached:
        return attached[0]["InternetGatewayId"]
    loose = [
        g for g in ec2.describe_internet_gateways(Filters=_ours(kit))["InternetGateways"]
        if not g["Attachments"]
    ]  # fmt: skip
    gateway_id = (
        loose[0]["InternetGatewayId"]
        if loose
        else ec2.create_internet_gateway(
            TagSpecifications=_specification(kit, "internet-gateway", f"{names(kit).vpc}-igw")
        )["InternetGateway"]["InternetGatewayId"]
    )
    ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id)
    return gateway_id


def _routes(kit: Any, vpc_id: str, gateway_id: str, subnet_ids: list[str]) -> str:
    """The public route table, get-or-create: ``0.0.0.0/0`` to the gateway, both subnets."""
    ec2 = kit.client("ec2")
    found = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, *_ours(kit)]
    )["RouteTables"]
    table = found[0] if found else ec2.create_route_table(
        VpcId=vpc_id,
        TagSpecifications=_specification(kit, "route-table", f"{names(kit).vpc}-public"),
    )["RouteTable"]  # fmt: skip
    if not any(r.get("DestinationCidrBlock") == ANYWHERE for r in table["Routes"]):
        ec2.create_route(
            RouteTableId=table["RouteTableId"], DestinationCidrBlock=ANYWHERE, GatewayId=gateway_id
        )
    associated = {a.get("SubnetId") for a in table["Associations"]}
    for subnet_id in subnet_ids:
        if subnet_id not in associated:
            ec2.associate_route_table(RouteTableId=table["RouteTableId"], SubnetId=subnet_id)
    return table["RouteTableId"]


def own_network(kit: Any) -> tuple[str, list[str]]:
    """The kit's own VPC and its two public subnets, get-or-create (see the module's text)."""
    ec2 = kit.client("ec2")
    vpc = _kit_vpc(kit)
    if vpc is None:
        vpc = ec2.create_vpc(
            CidrBlock=VPC_CIDR, TagSpecifications=_specification(kit, "vpc", names(kit).vpc)
        )["Vpc"]
        ec2.modify_vpc_attribute(VpcId=vpc["VpcId"], EnableDnsHostnames={"Value": True})
    subnet_ids = _subnets(kit, vpc["VpcId"])
    gateway_id = _gateway(kit, vpc["VpcId"])
    _routes(kit, vpc["VpcId"], gateway_id, subnet_ids)
    return vpc["VpcId"], subnet_ids


def _name(resource: dict[str, Any], member: str) -> str:
    found = [t["Value"] for t in resource.get("Tags") or [] if t["Key"] == "Name"]
    return found[0] if found else resource[member]


def network_resources(kit: Any) -> list[tuple[str, str, str]]:
    """``(service, kind, name)`` of each piece of the kit's own network that exists."""
    ec2 = kit.client("ec2")
    mine = _ours(kit)
    prefix = kit.settings.prefix
    listed = [
        ("vpc", "VpcId", ec2.describe_vpcs(Filters=mine)["Vpcs"]),
        ("subnet", "SubnetId", ec2.describe_subnets(Filters=mine)["Subnets"]),
        ("internet gateway", "InternetGatewayId",
         ec2.describe_internet_gateways(Filters=mine)["InternetGateways"]),
        ("route table", "RouteTableId", ec2.describe_route_tables(Filters=mine)["RouteTables"]),
    ]  # fmt: skip
    return [
        ("ec2", kind, _name(item, member))
        for kind, member, items in listed
        for item in items
        if is_ours(item.get("Tags"), prefix)
    ]


def delete_network(kit: Any, timeout: float = 600.0) -> list[tuple[str, str, str]]:
    """Delete the kit's own network, in AWS's order; return ``(service, kind, name)`` of each
    piece deleted. Run it after what lives in the VPC is gone: on AWS the network interfaces of
    the load balancer and the tasks take a few minutes to go, so each step waits them out."""
    ec2 = kit.client("ec2")
    mine = _ours(kit)
    deleted: list[tuple[str, str, str]] = []
    for table in ec2.describe_route_tables(Filters=mine)["RouteTables"]:
        for association in table["Associations"]:
            if not association.get("Main"):
                ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
        ec2.delete_route_table(RouteTableId=table["RouteTableId"])
        deleted.append(("ec2", "route table", _name(table, "RouteTableId")))
    for gateway in ec2.describe_internet_gateways(Filters=mine)["InternetGateways"]:
        gateway_id = gateway["InternetGatewayId"]
        for attachment in gateway["Attachments"]:
            retry(lambda g=gateway_id, v=attachment["VpcId"]: ec2.detach_internet_gateway(
                InternetGatewayId=g, VpcId=v), IN_USE, timeout)  # fmt: skip
        ec2.delete_internet_gateway(InternetGatewayId=gateway_id)
        deleted.append(("ec2", "internet gateway", _name(gateway, "InternetGatewayId")))
    for subnet in ec2.describe_subnets(Filters=mine)["Subnets"]:
        retry(lambda s=subnet["SubnetId"]: ec2.delete_subnet(SubnetId=s), IN_USE, timeout)
        deleted.append(("ec2", "subnet", _name(subnet, "SubnetId")))
    for vpc in ec2.describe_vpcs(Filters=mine)["Vpcs"]:
        retry(lambda v=vpc["VpcId"]: ec2.delete_vpc(VpcId=v), IN_USE, timeout)
        deleted.append(("ec2", "vpc", _name(vpc, "VpcId")))
    return deleted

"""Internet gateways and route tables: :class:`RouteOperations`.

An internet gateway is attached to at most one VPC and a VPC has at most one; detaching it while
a public address is mapped in the VPC (an internet-facing load balancer, a task with a public
IP) is refused, as on AWS, and the routes to a detached gateway turn ``blackhole``. A route table
always keeps its ``local`` route; the main table of a VPC serves every subnet without a table of
its own and cannot be deleted or disassociated. Routes go to an internet gateway of the table's
VPC (the only target the local cloud has). Every refusal is decided before anything is written.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ec2 import network
from bgkit.local.services.ec2.filters import (
    GATEWAY_FILTERS,
    ROUTE_TABLE_FILTERS,
    by_ids,
    page_of,
    prepare,
    public,
    tags_for,
)
from bgkit.local.services.ec2.interfaces import interfaces
from bgkit.local.services.ec2.vpcs import find, has_dependencies

Params = list[dict[str, Any]] | None
#: targets of CreateRoute other than an internet gateway (not on the local cloud)
OTHER_TARGETS = (
    "carrier_gateway_id", "core_network_arn", "egress_only_internet_gateway_id", "instance_id",
    "local_gateway_id", "nat_gateway_id", "network_interface_id", "odb_network_arn",
    "transit_gateway_id", "vpc_endpoint_id", "vpc_peering_connection_id",
)  # fmt: skip


def _gateway(ctx: RequestContext, gateway_id: str) -> dict[str, Any]:
    return find(ctx, network.INTERNET_GATEWAY, "igw", gateway_id)


def _table(ctx: RequestContext, table_id: str) -> dict[str, Any]:
    return find(ctx, network.ROUTE_TABLE, "rtb", table_id)


def _destination(cidr: str | None, ipv6: str | None, prefix_list: str | None) -> str:
    if ipv6 or prefix_list:
        raise ServiceError(
            "InvalidParameterValue",
            "IPv6 and prefix-list destinations are not available on the local cloud; give "
            "DestinationCidrBlock",
        )
    if not cidr:
        raise ServiceError(
            "MissingParameter", "The request must contain the parameter destinationCidrBlock"
        )
    return str(network.cidr_block(cidr, "destinationCidrBlock"))


class RouteOperations:
    """Internet gateways and route tables of the local cloud's EC2."""

    # internet gateways ------------------------------------------------------------------------

    def create_internet_gateway(
        self, ctx: RequestContext, tag_specifications: Params = None, dry_run: bool = False
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        tags = tags_for(tag_specifications, "internet-gateway")
        gateway = network.new_internet_gateway(ctx, tags)
        return {"InternetGateway": public(gateway)}

    def attach_internet_gateway(
        self, ctx: RequestContext, internet_gateway_id: str, vpc_id: str, dry_run: bool = False
    ) -> None:
        prepare(ctx, dry_run)
        gateway = _gateway(ctx, internet_gateway_id)
        find(ctx, "vpc", "vpc", vpc_id)
        for attachment in gateway["Attachments"]:
            raise ServiceError(
                "Resource.AlreadyAssociated",
                f"resource {internet_gateway_id} is already attached to network "
                f"{attachment['VpcId']}",
            )
        other = network.attached_gateway(ctx, vpc_id)
        if other is not None:
            raise ServiceError(
                "Resource.AlreadyAssociated",
                f"resource {vpc_id} already has internet gateway {other['InternetGatewayId']} "
                "attached; detach it first",
            )
        network.attach_gateway(ctx, gateway, vpc_id)

    def detach_internet_gateway(
        self, ctx: RequestContext, internet_gateway_id: str, vpc_id: str, dry_run: bool = False
    ) -> None:
        prepare(ctx, dry_run)
        gateway = _gateway(ctx, internet_gateway_id)
        if not any(a["VpcId"] == vpc_id for a in gateway["Attachments"]):
            raise ServiceError(
                "Gateway.NotAttached",
                f"resource {internet_gateway_id} is not attached to network {vpc_id}",
            )
        mapped = [eni for eni in interfaces(ctx) if eni["VpcId"] == vpc_id and eni["_public"]]
        if mapped:  # AWS's words; the interfaces named so the caller knows what to delete
            named = ", ".join(f"{e['NetworkInterfaceId']} ({e['Description']})" for e in mapped)
            raise ServiceError(
                "DependencyViolation",
                f"Network {vpc_id} has some mapped public address(es). Please unmap those "
                "public address(es) before detaching the gateway. (Interfaces: "
                f"{named})",
            )
        network.detach_gateway(ctx, gateway, vpc_id)

    def delete_internet_gateway(
        self, ctx: RequestContext, internet_gateway_id: str, dry_run: bool = False
    ) -> None:
        prepare(ctx, dry_run)
        gateway = _gateway(ctx, internet_gateway_id)
        if gateway["Attachments"]:
            raise has_dependencies("internetGateway", internet_gateway_id)
        ctx.records(network.INTERNET_GATEWAY).delete(internet_gateway_id)

    def describe_internet_gateways(
        self,
        ctx: RequestContext,
        internet_gateway_ids: list[str] | None = None,
        filters: Params = None,
        dry_run: bool = False,
        **paging: Any,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        found = by_ids(ctx, network.INTERNET_GATEWAY, internet_gateway_ids, "igw")
        return page_of("DescribeInternetGateways", found, filters, GATEWAY_FILTERS, paging)

    # route tables -----------------------------------------------------------------------------

    def create_route_table(
        self,
        ctx: RequestContext,
        vpc_id: str,
        tag_specifications: Params = None,
        client_token: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        vpc = find(ctx, "vpc", "vpc", vpc_id)
        tags = tags_for(tag_specifications, "route-table")
        table = network.new_route_table(ctx, vpc, main=False, tags=tags)
        result: dict[str, Any] = {"RouteTable": public(table)}
        if client_token:
            result["ClientToken"] = client_token
        return result

    def delete_route_table(
        self, ctx: RequestContext, route_table_id: str, dry_run: bool = False
    ) -> None:
        prepare(ctx, dry_run)
        table = _table(ctx, route_table_id)
        if table["Associations"]:
            raise has_dependencies("routeTable", route_table_id)
        ctx.records(network.ROUTE_TABLE).delete(route_table_id)

    def create_route(
        self,
        ctx: RequestContext,
        route_table_id: str,
        destination_cidr_block: str | None = None,
        gateway_id: str | None = None,
        destination_ipv6_cidr_block: str | None = None,
        destination_prefix_list_id: str | None = None,
        dry_run: bool = False,
        **targets: Any,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        table = _table(ctx, route_table_id)
        destination = _destination(
            destination_cidr_block, destination_ipv6_cidr_block, destination_prefix_list_id
        )
        others = sorted(name for name in OTHER_TARGETS if targets.get(name))
        if others:
            raise ServiceError(
                "InvalidParameterValue",
                f"{', '.join(others)}: the local cloud routes to internet gateways only; give "
                "GatewayId",
            )
        if not gateway_id:
            raise ServiceError(
                "MissingParameter",
                "The request must contain exactly one target: GatewayId (an internet gateway "
                "attached to the route table's VPC)",
            )
        gateway = _gateway(ctx, gateway_id)
        if not any(a["VpcId"] == table["VpcId"] for a in gateway["Attachments"]):
            raise ServiceError(
                "InvalidParameterValue",
                f"route table {route_table_id} and network gateway {gateway_id} belong to "
                "different networks",
            )
        vpc = find(ctx, "vpc", "vpc", table["VpcId"])
        if network.cidr_block(destination).subnet_of(network.cidr_block(vpc["CidrBlock"])):
            raise ServiceError(
                "InvalidParameterValue",
                f"The destination CIDR block {destination} is equal to or more specific than "
                f"one of this VPC's CIDR blocks ({vpc['CidrBlock']}). This route can target "
                "only an interface or an instance.",
            )
        if any(r.get("DestinationCidrBlock") == destination for r in table["Routes"]):
            raise ServiceError(
                "RouteAlreadyExists", f"The route identified by {destination} already exists."
            )
        table["Routes"].append(
            {
                "DestinationCidrBlock": destination,
                "GatewayId": gateway_id,
                "Origin": "CreateRoute",
                "State": "active",
            }
        )
        ctx.records(network.ROUTE_TABLE).put(route_table_id, table)
        return {"Return": True}

    def delete_route(
        self,
        ctx: RequestContext,
        route_table_id: str,
        destination_cidr_block: str | None = None,
        destination_ipv6_cidr_block: str | None = None,
        destination_prefix_list_id: str | None = None,
        dry_run: bool = False,
    ) -> None:
        prepare(ctx, dry_run)
        table = _table(ctx, route_table_id)
        destination = _destination(
            destination_cidr_block, destination_ipv6_cidr_block, destination_prefix_list_id
        )
        found = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == destination]
        if not found:
            raise ServiceError(
                "InvalidRoute.NotFound",
                f"no route with destination-cidr-block {destination} in route table "
                f"{route_table_id}",
            )
        if found[0].get("GatewayId") == "local":
            raise ServiceError(
                "InvalidParameterValue",
                f"cannot remove local route {destination} in route table {route_table_id}",
            )
        table["Routes"] = [r for r in table["Routes"] if r is not found[0]]
        ctx.records(network.ROUTE_TABLE).put(route_table_id, table)

    def associate_route_table(
        self,
        ctx: RequestContext,
        route_table_id: str,
        subnet_id: str | None = None,
        gateway_id: str | None = None,
        public_ipv4_pool: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        table = _table(ctx, route_table_id)
        if gateway_id or public_ipv4_pool:
            raise ServiceError(
                "InvalidParameterValue",
                "Gateway route tables (edge associations) are not available on the local "
                "cloud; associate the route table with a SubnetId",
            )
        if not subnet_id:
            raise ServiceError(
                "MissingParameter", "The request must contain the parameter subnetId"
            )
        subnet = find(ctx, "subnet", "subnet", subnet_id)
        if subnet["VpcId"] != table["VpcId"]:
            raise ServiceError(
                "InvalidParameterValue",
                f"Route table {route_table_id} and subnet {subnet_id} belong to different networks",
            )
        for other in ctx.records(network.ROUTE_TABLE).list():
            if any(a.get("SubnetId") == subnet_id for a in other["Associations"]):
                raise ServiceError(
                    "Resource.AlreadyAssociated",
                    f"the specified association for route table {other['RouteTableId']} "
                    f"conflicts with an existing association (subnet {subnet_id}); use "
                    "ReplaceRouteTableAssociation or disassociate it first",
                )
        association_id = f"rtbassoc-{ctx.ids.hex('rtbassoc', 17)}"
        state = {"State": "associated"}
        table["Associations"].append(
            {
                "Main": False,
                "RouteTableAssociationId": association_id,
                "RouteTableId": route_table_id,
                "SubnetId": subnet_id,
                "AssociationState": state,
            }
        )
        ctx.records(network.ROUTE_TABLE).put(route_table_id, table)
        return {"AssociationId": association_id, "AssociationState": state}

    def disassociate_route_table(
        self, ctx: RequestContext, association_id: str, dry_run: bool = False
    ) -> None:
        prepare(ctx, dry_run)
        for table in ctx.records(network.ROUTE_TABLE).list():
            for association in table["Associations"]:
                if association["RouteTableAssociationId"] != association_id:
                    continue
                if association.get("Main"):
                    raise ServiceError(
                        "InvalidParameterValue",
                        f"cannot disassociate the main route table association {association_id}",
                    )
                table["Associations"].remove(association)
                ctx.records(network.ROUTE_TABLE).put(table["RouteTableId"], table)
                return
        raise ServiceError(
            "InvalidAssociationID.NotFound", f"The association ID '{association_id}' does not exist"
        )

    def describe_route_tables(
        self,
        ctx: RequestContext,
        route_table_ids: list[str] | None = None,
        filters: Params = None,
        dry_run: bool = False,
        **paging: Any,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        found = by_ids(ctx, network.ROUTE_TABLE, route_table_ids, "rtb")
        return page_of("DescribeRouteTables", found, filters, ROUTE_TABLE_FILTERS, paging)

"""A load balancer's subnets, security groups and IP address type after it is made: SetSubnets,
SetSecurityGroups and SetIpAddressType, and what makes two CreateLoadBalancer calls the same.

The rules (the ELB API reference for each operation, and the User Guide, *Availability Zones for
your Application Load Balancer*): an Application Load Balancer keeps subnets in at least two
Availability Zones, one subnet a zone, all in its VPC; its security groups are groups of its
VPC; ``dualstack`` needs every subnet to have an IPv6 CIDR block, and
``dualstack-without-public-ipv4`` an internet-facing load balancer as well. A refusal leaves the
load balancer as it was.

``CreateLoadBalancer`` is idempotent (botocore's documentation of the operation: "If you attempt
to create multiple load balancers with the same settings, each call succeeds"); the same name
with different settings is refused with ``DuplicateLoadBalancerName`` in AWS's words "A load
balancer with the same name '<name>' exists, but with different settings" (quoted in
kubernetes-sigs/aws-load-balancer-controller#3173). The settings compared are the ones the
request sets: subnets, security groups, scheme, type and IP address type.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.elbv2.models import LOAD_BALANCER, check_enum, find_load_balancer

__all__ = ["BalancerSettingOperations", "check_ip_address_type", "same_settings", "zones_of"]

IP_ADDRESS_TYPES = ("ipv4", "dualstack", "dualstack-without-public-ipv4")


def zones_of(subnets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A load balancer's ``AvailabilityZones``, one entry a subnet."""
    return [
        {"ZoneName": s["AvailabilityZone"], "SubnetId": s["SubnetId"], "LoadBalancerAddresses": []}
        for s in subnets
    ]


def same_settings(record: dict[str, Any], settings: dict[str, Any]) -> bool:
    """Whether an existing load balancer has the settings a new request asks for."""
    return (
        sorted(z["SubnetId"] for z in record["AvailabilityZones"]) == sorted(settings["subnets"])
        and sorted(record["SecurityGroups"]) == sorted(settings["groups"])
        and record["Scheme"] == settings["scheme"]
        and record["Type"] == settings["type"]
        and record["IpAddressType"] == settings["ip_address_type"]
    )


def check_ip_address_type(ip_address_type: str, subnets: list[dict[str, Any]], scheme: str) -> None:
    """Refuse an IP address type the subnets or the scheme cannot carry."""
    check_enum(ip_address_type, "ipAddressType", IP_ADDRESS_TYPES)
    if ip_address_type == "ipv4":
        return
    if ip_address_type == "dualstack-without-public-ipv4" and scheme != "internet-facing":
        raise ServiceError(
            "InvalidConfigurationRequest",
            "The IP address type 'dualstack-without-public-ipv4' is for internet-facing load "
            "balancers only",
        )
    for subnet in subnets:
        if not subnet.get("Ipv6CidrBlockAssociationSet"):
            raise ServiceError(
                "InvalidSubnet",
                f"Subnet '{subnet['SubnetId']}' has no IPv6 CIDR block: a '{ip_address_type}' "
                "load balancer needs one in each of its subnets (AssociateSubnetCidrBlock)",
            )


class BalancerSettingOperations:
    """SetSubnets, SetSecurityGroups and SetIpAddressType, mixed into the ELBv2 provider (which
    gives ``_subnets`` and ``_security_groups``, the checks CreateLoadBalancer makes)."""

    def set_subnets(
        self,
        ctx: RequestContext,
        load_balancer_arn: str,
        subnets: list[str] | None = None,
        subnet_mappings: list[dict[str, Any]] | None = None,
        ip_address_type: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        record = find_load_balancer(ctx, load_balancer_arn)
        found = self._subnets(ctx, subnets, subnet_mappings)  # type: ignore[attr-defined]
        outside = [s["SubnetId"] for s in found if s["VpcId"] != record["VpcId"]]
        if outside:
            raise ServiceError(
                "InvalidSubnet",
                f"Subnet '{outside[0]}' is not in the load balancer's VPC '{record['VpcId']}'",
            )
        kind = ip_address_type or record["IpAddressType"]
        check_ip_address_type(kind, found, record["Scheme"])
        record["AvailabilityZones"] = zones_of(found)
        record["IpAddressType"] = kind
        ctx.records(LOAD_BALANCER).put(load_balancer_arn, record)
        return {"AvailabilityZones": record["AvailabilityZones"], "IpAddressType": kind}

    def set_security_groups(
        self, ctx: RequestContext, load_balancer_arn: str, security_groups: list[str], **_: Any
    ) -> dict[str, Any]:
        record = find_load_balancer(ctx, load_balancer_arn)
        if not security_groups:
            raise ServiceError(
                "InvalidConfigurationRequest",
                "An Application Load Balancer needs at least one security group",
            )
        groups = self._security_groups(ctx, security_groups, record["VpcId"])  # type: ignore[attr-defined]
        record["SecurityGroups"] = groups
        ctx.records(LOAD_BALANCER).put(load_balancer_arn, record)
        return {"SecurityGroupIds": groups}

    def set_ip_address_type(
        self, ctx: RequestContext, load_balancer_arn: str, ip_address_type: str
    ) -> dict[str, Any]:
        record = find_load_balancer(ctx, load_balancer_arn)
        subnets = [
            ctx.records("subnet").get(z["SubnetId"]) or {"SubnetId": z["SubnetId"]}
            for z in record["AvailabilityZones"]
        ]
        check_ip_address_type(ip_address_type, subnets, record["Scheme"])
        record["IpAddressType"] = ip_address_type
        ctx.records(LOAD_BALANCER).put(load_balancer_arn, record)
        return {"IpAddressType": ip_address_type}

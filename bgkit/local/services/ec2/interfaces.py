"""Network interfaces: those of ECS tasks (``awsvpc``) and of load balancers, as EC2 shows them.

The local cloud keeps no interface records of its own: an interface is drawn, each time it is
asked for, from what owns it, as on AWS where the owner makes and deletes it.

- A task that has not stopped has the interface its ``ElasticNetworkInterface`` attachment
  names (id, MAC address, private address in its subnet), with its set's or service's security
  groups, described by the attachment's ARN and requester-managed (AWS names an account of its
  own as the requester, which the local cloud does not know, so ``RequesterId`` is left out).
- A load balancer has one interface in each of its subnets, described ``ELB app/<name>/<id>``,
  requested by ``amazon-elb``; its id and address are derived from the balancer and the subnet,
  so they stay the same from one call to the next (addresses from the top of the subnet, where
  tasks, numbered from the bottom, do not reach).

:func:`interfaces` is what ``DeleteSubnet`` and ``DetachInternetGateway`` check;
:class:`InterfaceOperations` answers ``DescribeNetworkInterfaces``.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ec2.filters import Getter, field, page_of, prepare
from bgkit.local.services.ecs.models import SERVICE, TASK
from bgkit.local.services.elbv2.models import LOAD_BALANCER

Params = list[dict[str, Any]] | None


def _awsvpc(ctx: RequestContext, task: dict[str, Any]) -> dict[str, Any]:
    """The ``awsvpcConfiguration`` a task was started with: its set's, else its service's."""
    owner = None
    if task.get("_task_set_arn") and task.get("_set_kind"):
        owner = ctx.records(task["_set_kind"]).get(task["_task_set_arn"])
    if owner is None and task.get("_service_key"):
        owner = ctx.records(SERVICE).get(task["_service_key"])
    return ((owner or {}).get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}


def _interface(
    ctx: RequestContext,
    eni_id: str,
    subnet: dict[str, Any],
    address: str,
    mac: str,
    description: str,
    requester: str | None,
    groups: list[str],
    public: bool,
) -> dict[str, Any]:
    names = {g: (ctx.records("security-group").get(g) or {}).get("GroupName", "") for g in groups}
    suffix = "ec2.internal" if ctx.region == "us-east-1" else f"{ctx.region}.compute.internal"
    private_dns = f"ip-{address.replace('.', '-')}.{suffix}"
    return {
        "NetworkInterfaceId": eni_id,
        "SubnetId": subnet["SubnetId"],
        "VpcId": subnet["VpcId"],
        "AvailabilityZone": subnet["AvailabilityZone"],
        "AvailabilityZoneId": subnet["AvailabilityZoneId"],
        "Description": description,
        "Groups": [{"GroupId": g, "GroupName": names[g]} for g in groups],
        "InterfaceType": "interface",
        "Ipv6Addresses": [],
        "MacAddress": mac,
        "OwnerId": ctx.account,
        "PrivateDnsName": private_dns,
        "PrivateIpAddress": address,
        "PrivateIpAddresses": [
            {"Primary": True, "PrivateIpAddress": address, "PrivateDnsName": private_dns}
        ],
        **({"RequesterId": requester} if requester else {}),
        "RequesterManaged": True,
        "SourceDestCheck": True,
        "Status": "in-use",
        "TagSet": [],
        "_public": public,
    }


def _task_interfaces(ctx: RequestContext) -> list[dict[str, Any]]:
    found = []
    for task in ctx.records(TASK).list():
        if task.get("lastStatus") == "STOPPED" or not task.get("_subnet"):
            continue
        subnet = ctx.records("subnet").get(task["_subnet"])
        details = {
            d["name"]: d["value"]
            for attachment in task.get("attachments") or []
            if attachment.get("type") == "ElasticNetworkInterface"
            for d in attachment.get("details") or []
        }
        if subnet is None or "networkInterfaceId" not in details:
            continue
        network = _awsvpc(ctx, task)
        found.append(
            _interface(
                ctx,
                details["networkInterfaceId"],
                subnet,
                task["_private_ip"],
                details.get("macAddress", ""),
                f"arn:{ctx.partition}:ecs:{ctx.region}:{ctx.account}:attachment/"
                + next(a["id"] for a in task["attachments"]),
                None,
                list(network.get("securityGroups") or []),
                public=network.get("assignPublicIp") == "ENABLED",
            )
        )
    return found


def _balancer_interfaces(ctx: RequestContext) -> list[dict[str, Any]]:
    found = []
    for balancer in ctx.records(LOAD_BALANCER).list():
        resource = balancer["LoadBalancerArn"].split(":loadbalancer/", 1)[-1]
        for zone in balancer.get("AvailabilityZones") or []:
            subnet = ctx.records("subnet").get(zone["SubnetId"])
            if subnet is None:
                continue
            digest = hashlib.sha256(f"{balancer['LoadBalancerArn']}/{zone['SubnetId']}".encode())
            hexed = digest.hexdigest()
            block = ipaddress.IPv4Network(subnet["CidrBlock"])
            # from the top down (broadcast excluded), never where tasks are numbered from
            address = str(block.broadcast_address - 1 - int(hexed[17:21], 16) % 8)
            mac = ":".join(hexed[21 + i : 23 + i] for i in range(0, 12, 2))
            found.append(
                _interface(
                    ctx,
                    f"eni-{hexed[:17]}",
                    subnet,
                    address,
                    mac,
                    f"ELB {resource}",
                    "amazon-elb",
                    list(balancer.get("SecurityGroups") or []),
                    public=balancer.get("Scheme") == "internet-facing",
                )
            )
    return found


def interfaces(ctx: RequestContext) -> list[dict[str, Any]]:
    """Every network interface of the region (``NetworkInterface`` shapes plus ``_public``:
    whether a public address is mapped to it), ordered by id."""
    found = _task_interfaces(ctx) + _balancer_interfaces(ctx)
    return sorted(found, key=lambda eni: eni["NetworkInterfaceId"])


INTERFACE_FILTERS: dict[str, Getter] = {
    "network-interface-id": field("NetworkInterfaceId"),
    "subnet-id": field("SubnetId"),
    "vpc-id": field("VpcId"),
    "availability-zone": field("AvailabilityZone"),
    "description": field("Description"),
    "group-id": lambda r: [g["GroupId"] for g in r["Groups"]],
    "group-name": lambda r: [g["GroupName"] for g in r["Groups"]],
    "interface-type": field("InterfaceType"),
    "mac-address": field("MacAddress"),
    "owner-id": field("OwnerId"),
    "private-ip-address": field("PrivateIpAddress"),
    "private-dns-name": field("PrivateDnsName"),
    "requester-id": lambda r: [r.get("RequesterId")],
    "requester-managed": field("RequesterManaged"),
    "status": field("Status"),
}


class InterfaceOperations:
    """DescribeNetworkInterfaces."""

    def describe_network_interfaces(
        self,
        ctx: RequestContext,
        network_interface_ids: list[str] | None = None,
        filters: Params = None,
        dry_run: bool = False,
        include_managed_resources: bool | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        found = interfaces(ctx)
        known = {eni["NetworkInterfaceId"] for eni in found}
        for eni_id in network_interface_ids or []:
            if eni_id not in known:
                raise ServiceError(
                    "InvalidNetworkInterfaceID.NotFound",
                    f"The networkInterface ID '{eni_id}' does not exist",
                )
        if network_interface_ids:
            found = [eni for eni in found if eni["NetworkInterfaceId"] in network_interface_ids]
        shown = [{k: v for k, v in eni.items() if not k.startswith("_")} for eni in found]
        return page_of("DescribeNetworkInterfaces", shown, filters, INTERFACE_FILTERS, paging)

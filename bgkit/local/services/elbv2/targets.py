"""ELBv2 targets: registering, draining, and their health — :class:`TargetOperations`.

Targets of an ``ip`` group are private addresses as on AWS — within the VPC, RFC 1918
(``10/8``, ``172.16/12``, ``192.168/16``) or RFC 6598 (``100.64/10``) — and, as a **local
extension**, loopback addresses (``127.0.0.0/8``), so tests and learners can register servers
running on this machine. The local cloud runs no EC2 instances, so an ``instance`` group accepts
no target (``InvalidTarget``, as AWS answers for an instance that does not exist).

A registration is a ``target`` record; ``DeregisterTargets`` marks it draining
(``_deregistered_at``) and it ends after the group's deregistration delay on the local clock
(:func:`bgkit.local.services.elbv2.models.expire_drained_targets`, run first by every call here).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.elbv2.models import (
    TARGET,
    TARGET_HEALTH,
    balancers_of_group,
    check_range,
    expire_drained_targets,
    find_target_group,
    not_registered,
    registrations,
    target_health,
    target_key,
)

Targets = list[dict[str, Any]]
PRIVATE_RANGES = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def _vpc_networks(ctx: RequestContext, vpc_id: str) -> list[Any]:
    vpc = ctx.records("vpc").get(vpc_id) or {}
    blocks = [vpc.get("CidrBlock")] + [
        a.get("CidrBlock") for a in vpc.get("CidrBlockAssociationSet", [])
    ]
    return [ipaddress.ip_network(b) for b in blocks if b]


def _zone_of(ctx: RequestContext, vpc_id: str, address: Any) -> str | None:
    for subnet in ctx.records("subnet").list():
        cidr = subnet.get("CidrBlock")
        if subnet.get("VpcId") == vpc_id and cidr and address in ipaddress.ip_network(cidr):
            return subnet["AvailabilityZone"]
    return None


def _current_group(ctx: RequestContext, arn: str) -> dict[str, Any]:
    """The target group ``arn`` names, once the registrations whose draining ended are gone."""
    group = find_target_group(ctx, arn)
    expire_drained_targets(ctx)
    return group


def _port_of(group: dict[str, Any], target: dict[str, Any]) -> int:
    """The port of a ``TargetDescription``: its own, else the group's."""
    return target.get("Port") if target.get("Port") is not None else group["Port"]


class TargetOperations:
    """RegisterTargets, DeregisterTargets, DescribeTargetHealth, mixed into the provider."""

    def _target_of(
        self, ctx: RequestContext, group: dict[str, Any], target: dict[str, Any]
    ) -> dict[str, Any]:
        """A ``TargetDescription`` as sent, checked for the group; ``Port`` filled in."""
        target_id = target.get("Id", "")
        port = _port_of(group, target)
        check_range(port, "port", 1, 65535)
        if group["TargetType"] == "instance":
            raise ServiceError(
                "InvalidTarget",
                f"The following targets are not valid instances: '{target_id}' (the bgkit "
                "local cloud runs no EC2 instances; use a target group of target type 'ip')",
            )
        try:
            address = ipaddress.ip_address(target_id)
        except ValueError:
            raise ServiceError(
                "InvalidTarget", f"The IP address '{target_id}' is not a valid IPv4 address"
            ) from None
        networks = _vpc_networks(ctx, group["VpcId"])
        allowed = (*networks, *PRIVATE_RANGES, LOOPBACK)
        if address.version != 4 or not any(address in network for network in allowed):
            raise ServiceError(
                "InvalidTarget",
                f"The IP address '{target_id}' is not within the CIDR of the target group's VPC "
                f"'{group['VpcId']}' nor in the RFC 1918 or RFC 6598 ranges (the bgkit local "
                "cloud also accepts loopback addresses 127.0.0.0/8)",
            )
        described: dict[str, Any] = {"Id": target_id, "Port": port}
        zone = target.get("AvailabilityZone") or _zone_of(ctx, group["VpcId"], address)
        if zone:
            described["AvailabilityZone"] = zone
        return described

    def register_targets(
        self, ctx: RequestContext, target_group_arn: str, targets: Targets
    ) -> None:
        group = _current_group(ctx, target_group_arn)
        described = [self._target_of(ctx, group, target) for target in targets]
        records = ctx.records(TARGET)
        for target in described:
            key = target_key(target_group_arn, target["Id"], target["Port"])
            existing = records.get(key)
            if existing is not None and existing.get("_deregistered_at") is None:
                continue
            ctx.records(TARGET_HEALTH).delete(key)
            records.put(
                key,
                {
                    "TargetGroupArn": target_group_arn,
                    **target,
                    "_registered_at": ctx.now(),
                    "_deregistered_at": None,
                },
            )
        return None

    def deregister_targets(
        self, ctx: RequestContext, target_group_arn: str, targets: Targets
    ) -> None:
        group = _current_group(ctx, target_group_arn)
        records = ctx.records(TARGET)
        found = []
        for target in targets:
            port = _port_of(group, target)
            record = records.get(target_key(target_group_arn, target.get("Id", ""), port))
            if record is None:
                raise ServiceError(
                    "InvalidTarget",
                    "The specified target does not exist or is not in the same VPC as the target "
                    f"group: '{target.get('Id')}' on port {port} is not registered with "
                    f"'{target_group_arn}'",
                )
            found.append(record)
        for record in found:
            if record.get("_deregistered_at") is None:
                record["_deregistered_at"] = ctx.now()
                records.put(target_key(target_group_arn, record["Id"], record["Port"]), record)
        expire_drained_targets(ctx)
        return None

    def describe_target_health(
        self,
        ctx: RequestContext,
        target_group_arn: str,
        targets: Targets | None = None,
        include: list[str] | None = None,
    ) -> dict[str, Any]:
        group = _current_group(ctx, target_group_arn)
        held = registrations(ctx, target_group_arn)
        in_use = bool(balancers_of_group(ctx, target_group_arn))
        descriptions = []
        if targets is None:
            chosen: list[tuple[dict[str, Any], dict[str, Any] | None]] = [(t, t) for t in held]
        else:
            chosen = []
            for target in targets:
                wanted = self._target_of(ctx, group, target)
                matches = [
                    t
                    for t in held
                    if t["Id"] == wanted["Id"]
                    and (target.get("Port") is None or t["Port"] == wanted["Port"])
                ]
                chosen.extend((t, t) for t in matches)
                if not matches:
                    chosen.append((wanted, None))
        for target, record in chosen:
            shown = {k: target[k] for k in ("Id", "Port", "AvailabilityZone") if k in target}
            port = group["HealthCheckPort"]
            health = (
                target_health(ctx, group, record, in_use)
                if record is not None
                else not_registered()
            )
            descriptions.append(
                {
                    "Target": shown,
                    "HealthCheckPort": str(target["Port"]) if port == "traffic-port" else port,
                    "TargetHealth": health,
                }
            )
        return {"TargetHealthDescriptions": descriptions}

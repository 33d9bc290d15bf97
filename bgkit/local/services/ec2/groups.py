"""Finding security groups and changing their rules: what Authorize… and Revoke… do.

A call names its group by ``GroupId``, or by ``GroupName`` — which, as in EC2, only finds groups of
the region's default VPC. Authorizing refuses a rule the group already has
(``InvalidPermission.Duplicate``); revoking refuses one it does not have
(``InvalidPermission.NotFound``) or a rule id it does not know
(``InvalidSecurityGroupRuleId.NotFound``). Either way nothing changes unless every rule is fine.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ec2 import rules
from bgkit.local.services.ec2.filters import by_ids, prepare, public, tags_for
from bgkit.local.services.ec2.models import default_vpc

Params = list[dict[str, Any]] | None


def group_named(ctx: RequestContext, name: str, vpc_id: str) -> dict[str, Any] | None:
    """The security group called ``name`` in ``vpc_id``, or ``None``."""
    for group in ctx.records("security-group").list():
        if group["GroupName"] == name and group["VpcId"] == vpc_id:
            return group
    return None


def find_group(ctx: RequestContext, group_id: str | None, group_name: str | None) -> dict[str, Any]:
    """The group a call names, by id or (in the default VPC, as EC2 does) by name."""
    if group_id:
        found = by_ids(ctx, "security-group", [group_id], "sg")
        return found[0]
    if not group_name:
        raise ServiceError(
            "MissingParameter", "The request must contain the parameter groupName or groupId"
        )
    vpc_id = default_vpc(ctx)["VpcId"]
    group = group_named(ctx, group_name, vpc_id)
    if group is None:
        raise ServiceError(
            "InvalidGroup.NotFound",
            f"The security group '{group_name}' does not exist in default VPC '{vpc_id}'; "
            "groups of other VPCs are named by GroupId",
        )
    return group


def rule_not_found(rule_id: str) -> tuple[str, str]:
    """EC2's code and message for a security group rule id it does not know."""
    return (
        "InvalidSecurityGroupRuleId.NotFound",
        f"The security group rule ID '{rule_id}' does not exist",
    )


def authorize(
    ctx: RequestContext,
    egress: bool,
    group_id: str | None = None,
    group_name: str | None = None,
    ip_permissions: Params = None,
    tag_specifications: Params = None,
    dry_run: bool = False,
    **flat: Any,
) -> dict[str, Any]:
    """AuthorizeSecurityGroupIngress (``egress=False``) or …Egress: add rules, all or none."""
    prepare(ctx, dry_run)
    group = find_group(ctx, group_id, group_name)
    wanted = rules.requested(ctx, group, egress, ip_permissions, _flat(flat))
    current = rules.rules_of(ctx, group["GroupId"])
    existing = {rules.identity(rule) for rule in current}
    for rule in wanted:
        if rules.identity(rule) in existing:
            raise ServiceError(
                "InvalidPermission.Duplicate",
                f'the specified rule "{rules.describe(rule)}" already exists',
            )
        existing.add(rules.identity(rule))
    rules.check_rule_limit(current, wanted, egress)
    tags = tags_for(tag_specifications, "security-group-rule")
    stored = rules.store(ctx, group["GroupId"], wanted, tags)
    return {"Return": True, "SecurityGroupRules": [public(rule) for rule in stored]}


def revoke(
    ctx: RequestContext,
    egress: bool,
    group_id: str | None = None,
    group_name: str | None = None,
    ip_permissions: Params = None,
    security_group_rule_ids: list[str] | None = None,
    dry_run: bool = False,
    **flat: Any,
) -> dict[str, Any]:
    """RevokeSecurityGroupIngress (``egress=False``) or …Egress: remove rules, all or none."""
    prepare(ctx, dry_run)
    group = find_group(ctx, group_id, group_name)
    current = rules.rules_of(ctx, group["GroupId"])
    gone: list[dict[str, Any]] = []
    if security_group_rule_ids:
        by_id = {r["SecurityGroupRuleId"]: r for r in current if r["IsEgress"] == egress}
        for rule_id in security_group_rule_ids:
            if rule_id not in by_id:
                raise ServiceError(*rule_not_found(rule_id))
            gone.append(by_id[rule_id])
    if ip_permissions or any(value is not None for value in _flat(flat).values()):
        by_identity = {rules.identity(r): r for r in current}
        for rule in rules.requested(ctx, group, egress, ip_permissions, _flat(flat)):
            if rules.identity(rule) not in by_identity:
                raise ServiceError(
                    "InvalidPermission.NotFound",
                    "The specified rule does not exist in this security group. "
                    f'No rule "{rules.describe(rule)}" in {group["GroupId"]}; describe the '
                    "group to see its rules",
                )
            gone.append(by_identity[rules.identity(rule)])
    if not gone:
        raise ServiceError(
            "MissingParameter",
            "The request must contain IpPermissions, SecurityGroupRuleIds or the flat form "
            "(IpProtocol, FromPort, ToPort, CidrIp)",
        )
    rules.remove(ctx, group["GroupId"], [rule["SecurityGroupRuleId"] for rule in gone])
    return {"Return": True, "RevokedSecurityGroupRules": [rules.revoked(rule) for rule in gone]}


def _flat(params: dict[str, Any]) -> dict[str, Any]:
    """The flat-form members of a rules call, by their AWS names."""
    names = {
        "cidr_ip": "CidrIp",
        "ip_protocol": "IpProtocol",
        "from_port": "FromPort",
        "to_port": "ToPort",
        "source_security_group_name": "SourceSecurityGroupName",
    }
    unknown = set(params) - set(names) - {"source_security_group_owner_id"}
    if unknown:
        raise TypeError(f"unexpected parameters: {sorted(unknown)}")
    return {names[key]: value for key, value in params.items() if key in names}

"""Security groups and their rules, as EC2 keeps them.

Each rule is a record of kind ``security-group-rule`` (the ``SecurityGroupRule`` shape, one peer a
rule: ``CidrIpv4``, ``CidrIpv6``, ``PrefixListId`` or ``ReferencedGroupInfo``). A group's
``IpPermissions`` and ``IpPermissionsEgress`` are redrawn from its rules after every change, grouped
the way EC2 answers them: one ``IpPermission`` per protocol and port range, its peers listed in it.

Two rules are the same when direction, protocol, ports and peer agree (descriptions do not count):
that is what ``InvalidPermission.Duplicate`` and ``InvalidPermission.NotFound`` compare.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext

Rule = dict[str, Any]

#: IpProtocol as given → as EC2 keeps it
PROTOCOLS = {
    "tcp": "tcp",
    "6": "tcp",
    "udp": "udp",
    "17": "udp",
    "icmp": "icmp",
    "1": "icmp",
    "icmpv6": "icmpv6",
    "58": "icmpv6",
    "-1": "-1",
    "all": "-1",
}
ANYWHERE = "0.0.0.0/0"


def new_group(
    ctx: RequestContext, name: str, description: str, vpc_id: str, tags: list[dict[str, str]]
) -> dict[str, Any]:
    """Store a new security group (no rules yet) and return its record."""
    group_id = f"sg-{ctx.ids.hex('sg', 17)}"
    return ctx.records("security-group").put(
        group_id,
        {
            "GroupId": group_id,
            "GroupName": name,
            "Description": description,
            "VpcId": vpc_id,
            "OwnerId": ctx.account,
            "SecurityGroupArn": ctx.arn("ec2", f"security-group/{group_id}"),
            "IpPermissions": [],
            "IpPermissionsEgress": [],
            "Tags": tags,
        },
    )


def add_default_rules(ctx: RequestContext, group: dict[str, Any], *, self_reference: bool) -> None:
    """Give a new group EC2's default rules: all out; for ``default``, all in from itself."""
    rules = [_rule(True, "-1", -1, -1, {"CidrIpv4": ANYWHERE}, None)]
    if self_reference:
        peer = {"ReferencedGroupInfo": {"GroupId": group["GroupId"], "UserId": ctx.account}}
        rules.append(_rule(False, "-1", -1, -1, peer, None))
    store(ctx, group["GroupId"], rules, [])


def _rule(
    egress: bool, protocol: str, from_port: int, to_port: int, peer: dict, description: str | None
) -> Rule:
    rule: Rule = {
        "IsEgress": egress,
        "IpProtocol": protocol,
        "FromPort": from_port,
        "ToPort": to_port,
        **peer,
    }
    if description is not None:
        rule["Description"] = description
    return rule


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def _ports(protocol: str, permission: dict[str, Any]) -> tuple[int, int]:
    from_port, to_port = permission.get("FromPort"), permission.get("ToPort")
    if protocol in ("tcp", "udp"):
        if from_port is None or to_port is None:
            raise _invalid(
                "Invalid value for portRange. Must specify both from and to ports with TCP/UDP."
            )
        if not (0 <= from_port <= to_port <= 65535):
            raise _invalid(
                f"Invalid TCP/UDP port range {from_port}-{to_port}: ports run from 0 to 65535 "
                "and FromPort must not be greater than ToPort"
            )
        return from_port, to_port
    if protocol in ("icmp", "icmpv6"):
        icmp_type = -1 if from_port is None else from_port
        icmp_code = -1 if to_port is None else to_port
        if not (-1 <= icmp_type <= 255 and -1 <= icmp_code <= 255):
            raise _invalid(
                f"Invalid ICMP type {icmp_type} or code {icmp_code}: FromPort is the ICMP type "
                "and ToPort the code, each from -1 (all) to 255"
            )
        return icmp_type, icmp_code
    return -1, -1


def _protocol(value: Any) -> str:
    text = str(value if value is not None else "").strip().lower()
    if text in PROTOCOLS:
        return PROTOCOLS[text]
    if text.isdigit() and 0 <= int(text) <= 255:
        return text
    raise _invalid(
        f"Invalid value '{value}' for IP protocol. Unknown protocol. Use tcp, udp, icmp, "
        "icmpv6, a protocol number, or -1 for all"
    )


def _cidr(value: str, version: int, member: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        network = None
    if network is None or network.version != version or "/" not in value:
        raise _invalid(
            f"Value ({value}) for parameter {member} is invalid. This is not a valid "
            f"IPv{version} CIDR block (for example {'10.0.0.0/16' if version == 4 else '::/0'})."
        )
    return value


def _peer_group(ctx: RequestContext, pair: dict[str, Any], vpc_id: str) -> dict[str, Any]:
    groups = ctx.records("security-group")
    if pair.get("GroupId"):
        found = groups.get(pair["GroupId"])
        if found is None:
            raise ServiceError(
                "InvalidGroup.NotFound", f"The security group '{pair['GroupId']}' does not exist"
            )
        return found
    name = pair.get("GroupName")
    for group in groups.list():
        if group["GroupName"] == name and group["VpcId"] == vpc_id:
            return group
    raise ServiceError(
        "InvalidGroup.NotFound",
        f"The security group '{name}' does not exist in VPC '{vpc_id}'; name a group of the "
        "same VPC or give its GroupId",
    )


def requested(
    ctx: RequestContext,
    group: dict[str, Any],
    egress: bool,
    permissions: list[dict[str, Any]] | None,
    flat: dict[str, Any],
) -> list[Rule]:
    """The rules a call asks for, one a peer, checked and normalised (not stored).

    Args:
        ctx: the call.
        group: the security group record the rules are for.
        egress: outbound rules rather than inbound.
        permissions: the call's ``IpPermissions``.
        flat: the old flat form: ``CidrIp``, ``IpProtocol``, ``FromPort``, ``ToPort``,
            ``SourceSecurityGroupName`` (only the members given).

    Raises:
        ServiceError: ``InvalidParameterValue``, ``InvalidParameterCombination``,
            ``MissingParameter`` or ``InvalidGroup.NotFound``.
    """
    flat = {key: value for key, value in flat.items() if value is not None}
    if permissions and flat:
        raise ServiceError(
            "InvalidParameterCombination",
            "The parameter IpPermissions cannot be used with the parameters "
            f"{', '.join(sorted(flat))}; give either IpPermissions or the flat form",
        )
    if flat:
        permission: dict[str, Any] = {
            key: flat[key] for key in ("IpProtocol", "FromPort", "ToPort") if key in flat
        }
        permission.setdefault("IpProtocol", "-1")
        if "CidrIp" in flat:
            permission["IpRanges"] = [{"CidrIp": flat["CidrIp"]}]
        if "SourceSecurityGroupName" in flat:
            permission["UserIdGroupPairs"] = [{"GroupName": flat["SourceSecurityGroupName"]}]
        permissions = [permission]
    if not permissions:
        raise ServiceError(
            "MissingParameter",
            "The request must contain the parameter IpPermissions (or the flat form: "
            "IpProtocol, FromPort, ToPort and CidrIp)",
        )
    rules: list[Rule] = []
    for permission in permissions:
        protocol = _protocol(permission.get("IpProtocol"))
        from_port, to_port = _ports(protocol, permission)

        peers: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for item in permission.get("IpRanges") or []:
            peers.append(({"CidrIpv4": _cidr(item.get("CidrIp", ""), 4, "cidrIp")}, item))
        for item in permission.get("Ipv6Ranges") or []:
            peers.append(({"CidrIpv6": _cidr(item.get("CidrIpv6", ""), 6, "cidrIpv6")}, item))
        for item in permission.get("PrefixListIds") or []:
            peers.append(({"PrefixListId": item.get("PrefixListId", "")}, item))
        for item in permission.get("UserIdGroupPairs") or []:
            peer = _peer_group(ctx, item, group["VpcId"])
            info = {"GroupId": peer["GroupId"], "UserId": item.get("UserId") or ctx.account}
            peers.append(({"ReferencedGroupInfo": info}, item))
        if not peers:
            raise ServiceError(
                "MissingParameter",
                "Each IpPermission must name at least one peer: IpRanges, Ipv6Ranges, "
                "PrefixListIds or UserIdGroupPairs",
            )
        rules.extend(
            _rule(egress, protocol, from_port, to_port, peer, item.get("Description"))
            for peer, item in peers
        )
    return rules


#: Amazon VPC quotas, "Inbound or outbound rules per security group": 60 by default
MAX_RULES = 60


def check_rule_limit(existing: list[Rule], added: list[Rule], egress: bool) -> None:
    """Refuse rules past the rules-per-group quota, as AWS does.

    Amazon VPC quotas: 60 inbound and 60 outbound rules per security group, "enforced separately
    for IPv4 rules and IPv6 rules"; "a rule that references a security group or prefix list ID
    counts as one rule for IPv4 and one rule for IPv6". The code and message are AWS's, as SDK
    users quote them (aws-samples/aws-cloudfront-samples#53).
    """
    rules = [r for r in existing if r["IsEgress"] == egress] + added
    ipv4 = sum("CidrIpv6" not in r for r in rules)
    ipv6 = sum("CidrIpv4" not in r for r in rules)
    if max(ipv4, ipv6) > MAX_RULES:
        raise ServiceError(
            "RulesPerSecurityGroupLimitExceeded",
            "The maximum number of rules per security group has been reached.",
        )


def identity(rule: Rule) -> tuple:
    """What makes two rules the same rule (descriptions and ids aside)."""
    peer = rule.get("ReferencedGroupInfo", {}).get("GroupId")
    for member in ("CidrIpv4", "CidrIpv6", "PrefixListId"):
        peer = rule.get(member, peer)
    return (rule["IsEgress"], rule["IpProtocol"], rule["FromPort"], rule["ToPort"], peer)


def describe(rule: Rule) -> str:
    """A rule as EC2 quotes it in its error messages."""
    peer = identity(rule)[4]
    protocol = rule["IpProtocol"]
    if protocol == "-1":
        text = f"peer: {peer}, ALL"
    elif protocol in ("tcp", "udp", "icmp", "icmpv6"):
        text = (
            f"peer: {peer}, {protocol.upper()}, from port: {rule['FromPort']}, "
            f"to port: {rule['ToPort']}"
        )
    else:
        text = f"peer: {peer}, protocol: {protocol}"
    return f"{text}, ALLOW"


def rules_of(ctx: RequestContext, group_id: str) -> list[Rule]:
    """The rule records of a group, oldest first."""
    return [r for r in ctx.records("security-group-rule").list() if r["GroupId"] == group_id]


def store(
    ctx: RequestContext, group_id: str, rules: list[Rule], tags: list[dict[str, str]]
) -> list[Rule]:
    """Give ``rules`` ids and store them under the group; returns the stored records."""
    stored = []
    for rule in rules:
        rule_id = f"sgr-{ctx.ids.hex('sgr', 17)}"
        record = {
            "SecurityGroupRuleId": rule_id,
            "SecurityGroupRuleArn": ctx.arn("ec2", f"security-group-rule/{rule_id}"),
            "GroupId": group_id,
            "GroupOwnerId": ctx.account,
            **rule,
            "Tags": tags,
        }
        stored.append(ctx.records("security-group-rule").put(rule_id, record))
    redraw(ctx, group_id)
    return stored


def remove(ctx: RequestContext, group_id: str, rule_ids: list[str]) -> None:
    """Delete rules of a group by id and redraw the group's permissions."""
    for rule_id in rule_ids:
        ctx.records("security-group-rule").delete(rule_id)
    redraw(ctx, group_id)


def redraw(ctx: RequestContext, group_id: str) -> None:
    """Rewrite the group record's ``IpPermissions`` and ``IpPermissionsEgress`` from its rules."""
    groups = ctx.records("security-group")
    group = groups.get(group_id)
    if group is None:
        return
    rules = rules_of(ctx, group_id)
    group["IpPermissions"] = permissions([r for r in rules if not r["IsEgress"]])
    group["IpPermissionsEgress"] = permissions([r for r in rules if r["IsEgress"]])
    groups.put(group_id, group)


def permissions(rules: list[Rule]) -> list[dict[str, Any]]:
    """Rules grouped into ``IpPermission`` shapes, one per protocol and port range."""
    grouped: dict[tuple, dict[str, Any]] = {}
    for rule in rules:
        key = (rule["IpProtocol"], rule["FromPort"], rule["ToPort"])
        if key not in grouped:
            permission: dict[str, Any] = {"IpProtocol": rule["IpProtocol"]}
            if rule["IpProtocol"] in ("tcp", "udp", "icmp", "icmpv6"):
                permission["FromPort"] = rule["FromPort"]
                permission["ToPort"] = rule["ToPort"]
            permission.update(IpRanges=[], Ipv6Ranges=[], PrefixListIds=[], UserIdGroupPairs=[])
            grouped[key] = permission
        permission = grouped[key]
        described = {"Description": rule["Description"]} if "Description" in rule else {}
        if "CidrIpv4" in rule:
            permission["IpRanges"].append({"CidrIp": rule["CidrIpv4"], **described})
        elif "CidrIpv6" in rule:
            permission["Ipv6Ranges"].append({"CidrIpv6": rule["CidrIpv6"], **described})
        elif "PrefixListId" in rule:
            permission["PrefixListIds"].append({"PrefixListId": rule["PrefixListId"], **described})
        else:
            info = rule["ReferencedGroupInfo"]
            permission["UserIdGroupPairs"].append(
                {"GroupId": info["GroupId"], "UserId": info["UserId"], **described}
            )
    return list(grouped.values())


def revoked(rule: Rule) -> dict[str, Any]:
    """A removed rule as the ``RevokedSecurityGroupRule`` shape."""
    result = {
        key: rule[key]
        for key in (
            "SecurityGroupRuleId",
            "GroupId",
            "IsEgress",
            "IpProtocol",
            "FromPort",
            "ToPort",
            "CidrIpv4",
            "CidrIpv6",
            "PrefixListId",
            "Description",
        )
        if key in rule
    }
    if "ReferencedGroupInfo" in rule:
        result["ReferencedGroupId"] = rule["ReferencedGroupInfo"]["GroupId"]
    return result

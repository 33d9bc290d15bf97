"""The local cloud's EC2: the networking a blue/green walkthrough needs, and its neighbours.

Each region has its default VPC, three default subnets and the ``default`` security group from the
start, unless the local cloud was started without default VPCs (see
:mod:`bgkit.local.services.ec2.models`). Callers make VPCs and subnets (:mod:`.vpcs`), internet
gateways and route tables (:mod:`.routes`), describe network interfaces (:mod:`.interfaces`), make
security groups, open ports on them, and tag all of these here. Records keep botocore's shapes
(``Vpc``, ``Subnet``, ``SecurityGroup`` …), so the ELBv2 and ECS providers read them directly;
they find the default VPC with :func:`default_vpc`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bgkit.errors import ServiceError
from bgkit.local.provider import Provider, RequestContext
from bgkit.local.services.ec2 import rules
from bgkit.local.services.ec2.filters import (
    GROUP_FILTERS,
    KINDS,
    NOT_FOUND,
    PAGER,
    RESOURCE_TYPES,
    RULE_FILTERS,
    SUBNET_FILTERS,
    TAG_FILTERS,
    VPC_FILTERS,
    ZONE_FILTERS,
    by_ids,
    check_dry_run,
    check_tags,
    id_prefix,
    matches,
    page_of,
    prepare,
    tags_for,
)
from bgkit.local.services.ec2.groups import (
    authorize,
    find_group,
    group_named,
    revoke,
    rule_not_found,
)
from bgkit.local.services.ec2.interfaces import InterfaceOperations
from bgkit.local.services.ec2.models import (
    DEFAULT_GROUP,
    default_subnets,
    default_vpc,
    zones,
)
from bgkit.local.services.ec2.routes import RouteOperations
from bgkit.local.services.ec2.vpcs import VpcOperations
from bgkit.local.services.elbv2.models import security_group_in_use
from bgkit.local.tagging import merge

__all__ = ["Ec2Provider", "default_subnets", "default_vpc"]

Params = list[dict[str, Any]] | None  # a list of structures (Filters, TagSpecifications)
MAX_TAGS = 50
MAX_NAME = 255


class Ec2Provider(VpcOperations, RouteOperations, InterfaceOperations, Provider):
    """EC2's networking: VPCs, subnets, zones, internet gateways, route tables, network
    interfaces, security groups and their rules, tags."""

    service: ClassVar[str] = "ec2"

    # VPCs, subnets, zones -------------------------------------------------------------------

    def describe_vpcs(
        self,
        ctx: RequestContext,
        filters: Params = None,
        vpc_ids: list[str] | None = None,
        dry_run: bool = False,
        **paging: Any,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        found = by_ids(ctx, "vpc", vpc_ids, "vpc")
        return page_of("DescribeVpcs", found, filters, VPC_FILTERS, paging)

    def describe_subnets(
        self,
        ctx: RequestContext,
        filters: Params = None,
        subnet_ids: list[str] | None = None,
        dry_run: bool = False,
        **paging: Any,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        found = by_ids(ctx, "subnet", subnet_ids, "subnet")
        return page_of("DescribeSubnets", found, filters, SUBNET_FILTERS, paging)

    def describe_availability_zones(
        self,
        ctx: RequestContext,
        zone_names: list[str] | None = None,
        zone_ids: list[str] | None = None,
        all_availability_zones: bool | None = None,
        dry_run: bool = False,
        filters: Params = None,
    ) -> dict[str, Any]:
        check_dry_run(dry_run)
        found = zones(ctx.region)
        for wanted, member in ((zone_names, "ZoneName"), (zone_ids, "ZoneId")):
            known = {zone[member] for zone in found}
            for value in wanted or []:
                if value not in known:
                    raise ServiceError(
                        "InvalidParameterValue",
                        f"Invalid availability zone: [{value}]; {ctx.region} has "
                        f"{', '.join(sorted(known))}",
                    )
            if wanted:
                found = [zone for zone in found if zone[member] in wanted]
        return {"AvailabilityZones": [z for z in found if matches(z, filters, ZONE_FILTERS)]}

    # security groups --------------------------------------------------------------------------

    def create_security_group(
        self,
        ctx: RequestContext,
        description: str,
        group_name: str,
        vpc_id: str | None = None,
        tag_specifications: Params = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        _check_group_text(group_name, "GroupName")
        if not description:  # AWS's code and words (quoted in getmoto/moto#112)
            raise ServiceError(
                "MissingParameter", "The request must contain the parameter GroupDescription"
            )
        _check_group_text(description, "GroupDescription")
        if group_name.lower().startswith("sg-"):
            raise ServiceError(
                "InvalidParameterValue",
                f"Value ({group_name}) for parameter GroupName is invalid. Group names may not "
                "be in the format sg-*.",
            )
        if vpc_id is None:
            vpc_id = default_vpc(ctx)["VpcId"]
        code, message = NOT_FOUND["vpc"]
        ctx.records("vpc").require(vpc_id, code, message.format(vpc_id))
        if group_named(ctx, group_name, vpc_id) is not None:
            raise ServiceError(
                "InvalidGroup.Duplicate",
                f"The security group '{group_name}' already exists for VPC '{vpc_id}'",
            )
        tags = tags_for(tag_specifications, "security-group")
        group = rules.new_group(ctx, group_name, description, vpc_id, tags)
        rules.add_default_rules(ctx, group, self_reference=False)
        result: dict[str, Any] = {
            "GroupId": group["GroupId"],
            "SecurityGroupArn": group["SecurityGroupArn"],
        }
        if tags:
            result["Tags"] = tags
        return result

    def describe_security_groups(
        self,
        ctx: RequestContext,
        group_ids: list[str] | None = None,
        group_names: list[str] | None = None,
        dry_run: bool = False,
        filters: Params = None,
        **paging: Any,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        found = by_ids(ctx, "security-group", group_ids, "sg")
        if group_names:
            named = {find_group(ctx, None, name)["GroupId"] for name in group_names}
            found = [group for group in found if group["GroupId"] in named]
        return page_of("DescribeSecurityGroups", found, filters, GROUP_FILTERS, paging)

    def delete_security_group(
        self,
        ctx: RequestContext,
        group_id: str | None = None,
        group_name: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        group = find_group(ctx, group_id, group_name)
        group_id = group["GroupId"]
        if group["GroupName"] == DEFAULT_GROUP:
            raise ServiceError(
                "CannotDelete",
                f'the specified group: "{group_id}" name: "default" cannot be deleted by a user',
            )
        for rule in ctx.records("security-group-rule").list():
            referenced = rule.get("ReferencedGroupInfo", {}).get("GroupId")
            if referenced == group_id and rule["GroupId"] != group_id:
                raise ServiceError(
                    "DependencyViolation",
                    f"resource {group_id} has a dependent object: a rule of security group "
                    f"{rule['GroupId']} ({rule['SecurityGroupRuleId']}) refers to it; revoke "
                    "that rule first",
                )
        balancer = security_group_in_use(ctx, group_id)
        if balancer is not None:
            raise ServiceError(
                "DependencyViolation",
                f"resource {group_id} has a dependent object: load balancer {balancer} uses it; "
                "delete the load balancer or change its security groups first",
            )
        rules.remove(
            ctx, group_id, [r["SecurityGroupRuleId"] for r in rules.rules_of(ctx, group_id)]
        )
        ctx.records("security-group").delete(group_id)
        return {"Return": True, "GroupId": group_id}

    # rules ------------------------------------------------------------------------------------

    def authorize_security_group_ingress(
        self, ctx: RequestContext, **params: Any
    ) -> dict[str, Any]:
        return authorize(ctx, False, **params)

    def authorize_security_group_egress(self, ctx: RequestContext, **params: Any) -> dict[str, Any]:
        return authorize(ctx, True, **params)

    def revoke_security_group_ingress(self, ctx: RequestContext, **params: Any) -> dict[str, Any]:
        return revoke(ctx, False, **params)

    def revoke_security_group_egress(self, ctx: RequestContext, **params: Any) -> dict[str, Any]:
        return revoke(ctx, True, **params)

    def describe_security_group_rules(
        self,
        ctx: RequestContext,
        filters: Params = None,
        security_group_rule_ids: list[str] | None = None,
        dry_run: bool = False,
        **paging: Any,
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        records = ctx.records("security-group-rule")
        for rule_id in security_group_rule_ids or []:
            records.require(rule_id, *rule_not_found(rule_id))
        wanted = set(security_group_rule_ids or [])
        found = [r for r in records.list() if not wanted or r["SecurityGroupRuleId"] in wanted]
        return page_of("DescribeSecurityGroupRules", found, filters, RULE_FILTERS, paging)

    # tags -------------------------------------------------------------------------------------

    def create_tags(
        self,
        ctx: RequestContext,
        resources: list[str],
        tags: list[dict[str, Any]],
        dry_run: bool = False,
    ) -> None:
        prepare(ctx, dry_run)
        new = check_tags(tags)
        for records, record in [_taggable(ctx, resource_id) for resource_id in resources]:
            record["Tags"] = merge(record.get("Tags") or [], new)
            if len(record["Tags"]) > MAX_TAGS:
                raise ServiceError(
                    "TagLimitExceeded",
                    f"The maximum number of Tags for a resource has been reached: "
                    f"{_id_of(record)} may have at most {MAX_TAGS}; delete some first",
                )
            records.put(_id_of(record), record)

    def delete_tags(
        self,
        ctx: RequestContext,
        resources: list[str],
        tags: list[dict[str, Any]] | None = None,
        dry_run: bool = False,
    ) -> None:
        prepare(ctx, dry_run)
        for records, record in [_taggable(ctx, resource_id) for resource_id in resources]:
            if tags is None:
                record["Tags"] = []
            else:
                record["Tags"] = [t for t in record.get("Tags") or [] if not _tag_named(t, tags)]
            records.put(_id_of(record), record)

    def describe_tags(
        self, ctx: RequestContext, dry_run: bool = False, filters: Params = None, **paging: Any
    ) -> dict[str, Any]:
        prepare(ctx, dry_run)
        found = []
        for prefix, kind in KINDS.items():
            for record in ctx.records(kind).list():
                for tag in record.get("Tags") or []:
                    item = {
                        "ResourceId": _id_of(record),
                        "ResourceType": RESOURCE_TYPES[prefix],
                        "Key": tag["Key"],
                        "Value": tag["Value"],
                    }
                    if matches(item, filters, TAG_FILTERS):
                        found.append(item)
        return PAGER.page("DescribeTags", found, paging)


# helpers --------------------------------------------------------------------------------------


def _check_group_text(value: str, member: str) -> None:
    if not value or len(value) > MAX_NAME or not value.isascii():
        raise ServiceError(
            "InvalidParameterValue",
            f"Value ({value}) for parameter {member} is invalid: it must be 1 to {MAX_NAME} "
            "ASCII characters",
        )


def _id_of(record: dict[str, Any]) -> str:
    """The id of a VPC, subnet, security group, route table or internet gateway record."""
    for member in ("GroupId", "SubnetId", "RouteTableId", "InternetGatewayId", "VpcId"):
        if member in record:
            return record[member]
    raise KeyError("not a VPC, subnet or security group record")


def _taggable(ctx: RequestContext, resource_id: str) -> tuple[Any, dict[str, Any]]:
    """The records and record of a taggable resource id, or EC2's refusal for it."""
    prefix = id_prefix(resource_id)
    if prefix is None:
        raise ServiceError(
            "InvalidID",
            f"The ID '{resource_id}' is not valid; the local cloud tags VPCs (vpc-…), "
            "subnets (subnet-…), security groups (sg-…), internet gateways (igw-…) and route "
            "tables (rtb-…)",
        )
    records = ctx.records(KINDS[prefix])
    code, message = NOT_FOUND[prefix]
    return records, records.require(resource_id, code, message.format(resource_id))


def _tag_named(tag: dict[str, str], wanted: list[dict[str, Any]]) -> bool:
    """Whether DeleteTags' ``wanted`` names ``tag`` (by key, and by value when one is given)."""
    return any(
        tag["Key"] == w.get("Key") and ("Value" not in w or tag["Value"] == w["Value"])
        for w in wanted
    )

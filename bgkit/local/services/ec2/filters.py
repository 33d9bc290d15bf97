"""EC2's describe machinery: filters, tags, its pager, and the checks every call shares.

A filter is ``{"Name": …, "Values": […]}``; a record passes when, for every filter, one of the
record's values for that name matches one of the filter's values (``*`` and ``?`` are wildcards, as
in EC2). Each describe operation names the filters it knows as a table of functions from a record
to its values; ``tag:<key>``, ``tag-key`` and ``tag-value`` work everywhere there are tags.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.paging import Pager
from bgkit.local.provider import RequestContext
from bgkit.local.services.ec2.models import ensure_defaults
from bgkit.local.tagging import merge

Getter = Callable[[dict[str, Any]], Iterable[Any]]

#: resource types EC2 names in DescribeTags, by id prefix and by record kind
RESOURCE_TYPES = {
    "vpc": "vpc",
    "subnet": "subnet",
    "sg": "security-group",
    "igw": "internet-gateway",
    "rtb": "route-table",
}
KINDS = {
    "vpc": "vpc",
    "subnet": "subnet",
    "sg": "security-group",
    "igw": "internet-gateway",
    "rtb": "route-table",
}
NOT_FOUND = {
    "vpc": ("InvalidVpcID.NotFound", "The vpc ID '{}' does not exist"),
    "subnet": ("InvalidSubnetID.NotFound", "The subnet ID '{}' does not exist"),
    "sg": ("InvalidGroup.NotFound", "The security group '{}' does not exist"),
    "igw": ("InvalidInternetGatewayID.NotFound", "The internetGateway ID '{}' does not exist"),
    "rtb": ("InvalidRouteTableID.NotFound", "The routeTable ID '{}' does not exist"),
}
RESERVED_TAG_PREFIX = "aws:"
KEYS = {
    "vpc": "VpcId",
    "subnet": "SubnetId",
    "security-group": "GroupId",
    "internet-gateway": "InternetGatewayId",
    "route-table": "RouteTableId",
}


def field(name: str) -> Getter:
    """A getter of one member of the record."""
    return lambda record: [record.get(name)]


def tag_keys(record: dict[str, Any]) -> list[str]:
    return [tag["Key"] for tag in record.get("Tags") or []]


def tag_values(record: dict[str, Any]) -> list[str]:
    return [tag.get("Value", "") for tag in record.get("Tags") or []]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def matches(
    record: dict[str, Any], filters: list[dict[str, Any]] | None, getters: dict[str, Getter]
) -> bool:
    """Whether ``record`` passes every filter.

    Raises:
        ServiceError: ``InvalidParameterValue`` for a filter name the operation does not know.
    """
    for item in filters or []:
        name = item.get("Name", "")
        wanted = [str(value) for value in item.get("Values") or []]
        if name.startswith("tag:"):
            key = name[4:]
            have = [t.get("Value", "") for t in record.get("Tags") or [] if t["Key"] == key]
        elif name == "tag-key":
            have = tag_keys(record)
        elif name == "tag-value":
            have = tag_values(record)
        elif name in getters:
            have = [_text(value) for value in getters[name](record)]
        else:
            known = ", ".join(sorted([*getters, "tag:<key>", "tag-key", "tag-value"]))
            raise ServiceError(
                "InvalidParameterValue", f"The filter '{name}' is invalid; known filters: {known}"
            )
        if not any(fnmatch.fnmatchcase(value, pattern) for value in have for pattern in wanted):
            return False
    return True


#: EC2's pages: decimal offsets; a call that names no ``MaxResults`` gets every item
PAGER = Pager(
    "ec2",
    lambda token: ServiceError(
        "InvalidPaginationToken",
        f"The pagination token '{token}' is not valid; pass the NextToken of the previous page, "
        "or none to start over",
    ),
)


def check_dry_run(dry_run: bool | None) -> None:
    """Refuse with ``DryRunOperation`` (HTTP 412) when the caller only asked whether it may."""
    if dry_run:
        raise ServiceError(
            "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", status=412
        )


def prepare(ctx: RequestContext, dry_run: bool | None) -> None:
    """What an EC2 call does first: refuse a dry run (:func:`check_dry_run`), then make the
    region's default VPC, subnets and security group if it has none yet."""
    check_dry_run(dry_run)
    ensure_defaults(ctx)


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A record as EC2 answers it: without a ``Tags`` member when it has no tags."""
    if record.get("Tags"):
        return record
    return {key: value for key, value in record.items() if key != "Tags"}


def id_prefix(resource_id: str) -> str | None:
    """``vpc``, ``subnet`` or ``sg`` for a well-formed id of a taggable resource, else ``None``."""
    prefix, _, rest = resource_id.partition("-")
    if prefix in KINDS and rest and all(c in "0123456789abcdef" for c in rest):
        return prefix
    return None


def check_tags(tags: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """Tags as records keep them; refuses reserved or empty keys.

    Raises:
        ServiceError: ``InvalidParameterValue`` for a key that is empty or starts with ``aws:``.
    """
    checked = []
    for tag in tags or []:
        key = tag.get("Key", "")
        if not key:
            raise ServiceError(
                "InvalidParameterValue", "Tag keys must not be empty; give each tag a Key"
            )
        if key.lower().startswith(RESERVED_TAG_PREFIX):
            raise ServiceError(
                "InvalidParameterValue",
                f"Tag key '{key}' is invalid: keys starting with 'aws:' are reserved for AWS; "
                "choose another key",
            )
        checked.append({"Key": key, "Value": tag.get("Value", "")})
    return checked


def tags_for(
    tag_specifications: list[dict[str, Any]] | None, resource_type: str
) -> list[dict[str, str]]:
    """The tags a create call's ``TagSpecifications`` give a resource of ``resource_type``.

    Raises:
        ServiceError: ``InvalidParameterValue`` for a specification of another resource type.
    """
    tags: list[dict[str, str]] = []
    for spec in tag_specifications or []:
        kind = spec.get("ResourceType")
        if kind != resource_type:
            raise ServiceError(
                "InvalidParameterValue",
                f"'{kind}' is not a valid taggable resource type for this operation; "
                f"use ResourceType '{resource_type}'",
            )
        tags = merge(tags, check_tags(spec.get("Tags")))
    return tags


def page_of(
    operation: str,
    records: Iterable[dict[str, Any]],
    filters: list[dict[str, Any]] | None,
    getters: dict[str, Getter],
    paging: dict[str, Any],
) -> dict[str, Any]:
    """A describe operation's page of the ``records`` that pass every filter, as EC2 shows them."""
    found = [public(record) for record in records if matches(record, filters, getters)]
    return PAGER.page(operation, found, paging)


def by_ids(
    ctx: RequestContext, kind: str, ids: list[str] | None, prefix: str
) -> list[dict[str, Any]]:
    """Records of a kind, all or those named (each must exist)."""
    records = ctx.records(kind)
    if not ids:
        return records.list()
    code, message = NOT_FOUND[prefix]
    for resource_id in ids:
        if prefix == "sg" and id_prefix(resource_id) != "sg":
            raise ServiceError(
                "InvalidGroupId.Malformed",
                f'Invalid id: "{resource_id}" (expecting "sg-..."); security group ids look '
                "like sg-0123456789abcdef0",
            )
        records.require(resource_id, code, message.format(resource_id))
    wanted = set(ids)
    return [record for record in records.list() if record[KEYS[kind]] in wanted]


# the filters each describe operation knows -----------------------------------------------------

VPC_FILTERS: dict[str, Getter] = {
    "vpc-id": field("VpcId"),
    "cidr": field("CidrBlock"),
    "cidr-block-association.cidr-block": lambda r: [
        a["CidrBlock"] for a in r.get("CidrBlockAssociationSet", [])
    ],
    "dhcp-options-id": field("DhcpOptionsId"),
    "is-default": field("IsDefault"),
    "isDefault": field("IsDefault"),
    "owner-id": field("OwnerId"),
    "state": field("State"),
}
SUBNET_FILTERS: dict[str, Getter] = {
    "subnet-id": field("SubnetId"),
    "subnet-arn": field("SubnetArn"),
    "vpc-id": field("VpcId"),
    "availability-zone": field("AvailabilityZone"),
    "availabilityZone": field("AvailabilityZone"),
    "availability-zone-id": field("AvailabilityZoneId"),
    "cidr-block": field("CidrBlock"),
    "cidrBlock": field("CidrBlock"),
    "cidr": field("CidrBlock"),
    "default-for-az": field("DefaultForAz"),
    "defaultForAz": field("DefaultForAz"),
    "map-public-ip-on-launch": field("MapPublicIpOnLaunch"),
    "available-ip-address-count": field("AvailableIpAddressCount"),
    "owner-id": field("OwnerId"),
    "state": field("State"),
}
GROUP_FILTERS: dict[str, Getter] = {
    "group-id": field("GroupId"),
    "group-name": field("GroupName"),
    "description": field("Description"),
    "vpc-id": field("VpcId"),
    "owner-id": field("OwnerId"),
}
RULE_FILTERS: dict[str, Getter] = {
    "group-id": field("GroupId"),
    "security-group-rule-id": field("SecurityGroupRuleId"),
}
ZONE_FILTERS: dict[str, Getter] = {
    "zone-name": field("ZoneName"),
    "zone-id": field("ZoneId"),
    "region-name": field("RegionName"),
    "state": field("State"),
    "zone-type": field("ZoneType"),
    "group-name": field("GroupName"),
    "network-border-group": field("NetworkBorderGroup"),
    "opt-in-status": field("OptInStatus"),
}
GATEWAY_FILTERS: dict[str, Getter] = {
    "internet-gateway-id": field("InternetGatewayId"),
    "attachment.vpc-id": lambda r: [a["VpcId"] for a in r["Attachments"]],
    "attachment.state": lambda r: [a["State"] for a in r["Attachments"]],
    "owner-id": field("OwnerId"),
}
ROUTE_TABLE_FILTERS: dict[str, Getter] = {
    "route-table-id": field("RouteTableId"),
    "vpc-id": field("VpcId"),
    "owner-id": field("OwnerId"),
    "association.main": lambda r: [a.get("Main", False) for a in r["Associations"]] or [False],
    "association.subnet-id": lambda r: [a.get("SubnetId") for a in r["Associations"]],
    "association.route-table-association-id": lambda r: [
        a["RouteTableAssociationId"] for a in r["Associations"]
    ],
    "association.route-table-id": lambda r: [a["RouteTableId"] for a in r["Associations"]],
    "route.destination-cidr-block": lambda r: [x.get("DestinationCidrBlock") for x in r["Routes"]],
    "route.gateway-id": lambda r: [x.get("GatewayId") for x in r["Routes"]],
    "route.origin": lambda r: [x.get("Origin") for x in r["Routes"]],
    "route.state": lambda r: [x.get("State") for x in r["Routes"]],
}
TAG_FILTERS: dict[str, Getter] = {
    "resource-id": field("ResourceId"),
    "resource-type": field("ResourceType"),
    "key": field("Key"),
    "value": field("Value"),
}

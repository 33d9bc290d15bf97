"""The local cloud's ELBv2: Application Load Balancers, listeners, rules, target groups, targets.

This is the control plane; :mod:`bgkit.local.dataplane.alb` makes it real (listeners as HTTP
reverse proxies, health checks, draining) by reading the same records. Records, per region
(``ctx.records(kind)``), keep botocore's output shapes plus private ``_`` keys:

- ``load-balancer`` (key ``LoadBalancerArn``): ``LoadBalancer`` + ``_attributes``, ``_tags``,
  ``_active_at`` (its ``State`` is computed: see :func:`load_balancer_state`);
- ``target-group`` (key ``TargetGroupArn``): ``TargetGroup`` + ``_attributes``, ``_tags``
  (``LoadBalancerArns`` is computed);
- ``listener`` (key ``ListenerArn``): ``Listener`` with normalised ``DefaultActions``
  (:mod:`.actions`) + ``_tags``;
- ``rule`` (key ``RuleArn``): non-default ``Rule`` + ``_listener_arn``, ``_tags``;
- ``target`` (key ``TargetGroupArn|Id|Port``): a registration ``{TargetGroupArn, Id, Port,
  AvailabilityZone?, _registered_at, _deregistered_at}``;
- ``target-health`` (same key): written by the data plane's health checker.

Only ``application`` load balancers exist locally, and only HTTP listeners and target groups;
``ip`` targets may be loopback addresses (a local extension, see :mod:`.target_groups`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from bgkit.errors import ServiceError
from bgkit.local.provider import Provider, Records, RequestContext
from bgkit.local.services.ec2.models import ensure_defaults
from bgkit.local.services.elbv2.attributes import (
    LOAD_BALANCER_ATTRIBUTES,
    MAX_TAGS,
    change_attributes,
    check_tags,
    describe_attributes,
    too_many_tags,
)
from bgkit.local.services.elbv2.balancer_settings import (
    BalancerSettingOperations,
    check_ip_address_type,
    same_settings,
    zones_of,
)
from bgkit.local.services.elbv2.listeners import ListenerOperations
from bgkit.local.services.elbv2.models import (
    LISTENER,
    LOAD_BALANCER,
    PAGER,
    PROVISIONING_SECONDS,
    RULE,
    TARGET,
    TARGET_GROUP,
    check_enum,
    check_name,
    expire_drained_targets,
    listeners_of,
    load_balancer_arn,
    load_balancer_state,
    pick,
    public,
    resource_of,
    rules_of,
    security_group_in_use,
    target_health,
)
from bgkit.local.services.elbv2.target_groups import TargetGroupOperations
from bgkit.local.services.elbv2.targets import TargetOperations
from bgkit.local.tagging import merge, remove

__all__ = [
    "Elbv2Provider",
    "expire_drained_targets",
    "load_balancer_state",
    "security_group_in_use",
    "target_health",
]

#: Route 53 hosted zone of Application Load Balancers, by region (AWS's published values)
#: an Application Load Balancer's Route 53 hosted zone by region, as the Elastic Load Balancing
#: endpoints page of the AWS General Reference lists them
HOSTED_ZONES = {
    "us-east-1": "Z35SXDOTRQ7X7K",
    "us-east-2": "Z3AADJGX6KTTL2",
    "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5",
    "ca-central-1": "ZQSVJUPU6J1EY",
    "eu-west-1": "Z32O12XQLNTSW2",
    "eu-west-2": "ZHURV8PSTC4K8",
    "eu-west-3": "Z3Q77PNBQS71R4",
    "eu-central-1": "Z215JYRZR1TBD5",
    "eu-north-1": "Z23TAZ6LKFMNIO",
    "ap-northeast-1": "Z14GRHDCWA56QT",
    "ap-northeast-2": "ZWKZPGTI48KDX",
    "ap-southeast-1": "Z1LMS91P8CMLE5",
    "ap-southeast-2": "Z1GM3OXH4ZPM65",
    "ap-south-1": "ZP97RAFLXTNZK",
    "sa-east-1": "Z2P70J7HTTTPLU",
    "cn-north-1": "Z1GDH35T77C1KE",
    "cn-northwest-1": "ZM7IZAIOVVDZF",
    "us-gov-west-1": "Z33AYJ8TM3BH4J",
    "us-gov-east-1": "Z166TLBEWOO7G0",
}
SCHEMES = ("internet-facing", "internal")
TYPES = ("application", "network", "gateway")
IP_ADDRESS_TYPES = ("ipv4", "dualstack", "dualstack-without-public-ipv4")
INTERNAL_PREFIX = "internal-"
MAX_DESCRIBE_TAGS = 20


class Elbv2Provider(
    BalancerSettingOperations, ListenerOperations, TargetGroupOperations, TargetOperations, Provider
):
    """ELBv2 for Application Load Balancers (the listener, target group and target operations
    are mixed in from :mod:`.listeners`, :mod:`.target_groups`, :mod:`.targets`).
    """

    service: ClassVar[str] = "elbv2"
    advancing: ClassVar[tuple[str, ...]] = (TARGET,)

    def advance(self, ctx: RequestContext) -> None:
        """Registrations whose draining has ended on the local clock go."""
        expire_drained_targets(ctx)

    # load balancers ---------------------------------------------------------------------------

    def create_load_balancer(
        self,
        ctx: RequestContext,
        name: str,
        subnets: list[str] | None = None,
        subnet_mappings: list[dict[str, Any]] | None = None,
        security_groups: list[str] | None = None,
        scheme: str | None = None,
        tags: list[dict[str, str]] | None = None,
        type: str | None = None,
        ip_address_type: str | None = None,
        customer_owned_ipv4_pool: str | None = None,
        enable_prefix_for_ipv6_source_nat: str | None = None,
        ipam_pools: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        ensure_defaults(ctx)
        check_name(name, "Load balancer")
        if name.startswith(INTERNAL_PREFIX):
            raise ServiceError(
                "ValidationError", f"Load balancer name '{name}' cannot begin with 'internal-'"
            )
        kind = type or "application"
        check_enum(kind, "type", TYPES)
        if kind != "application":
            raise ServiceError(
                "InvalidConfigurationRequest",
                f"Load balancers of type '{kind}' are not available in the bgkit local cloud; "
                "use Type 'application' (an Application Load Balancer)",
            )
        scheme = scheme or "internet-facing"
        check_enum(scheme, "scheme", SCHEMES)
        ip_address_type = ip_address_type or "ipv4"
        found = self._subnets(ctx, subnets, subnet_mappings)
        check_ip_address_type(ip_address_type, found, scheme)
        vpc_id = found[0]["VpcId"]
        groups = self._security_groups(ctx, security_groups, vpc_id)
        tags = check_tags(tags)
        records = ctx.records(LOAD_BALANCER)
        asked = {"subnets": [s["SubnetId"] for s in found], "groups": groups, "scheme": scheme,
                 "type": "application", "ip_address_type": ip_address_type}  # fmt: skip
        for existing in records.list():
            if existing["LoadBalancerName"] != name:
                continue
            if same_settings(existing, asked):  # idempotent (botocore's documentation)
                return {"LoadBalancers": [self._show_balancer(ctx, existing)]}
            raise ServiceError(
                "DuplicateLoadBalancerName",
                f"A load balancer with the same name '{name}' exists, but with different settings",
            )
        arn = load_balancer_arn(ctx, name)
        digits = ctx.ids.draw("elbv2-dns", "0123456789", 10).lstrip("0") or "1"
        prefix = INTERNAL_PREFIX if scheme == "internal" else ""
        created = ctx.now()
        record = {
            "LoadBalancerArn": arn,
            "DNSName": f"{prefix}{name}-{digits}.{ctx.region}.elb.{ctx.dns_suffix}",
            "CanonicalHostedZoneId": HOSTED_ZONES.get(ctx.region, HOSTED_ZONES["us-east-1"]),
            "CreatedTime": created,
            "LoadBalancerName": name,
            "Scheme": scheme,
            "VpcId": vpc_id,
            "State": {"Code": "provisioning"},
            "Type": "application",
            "AvailabilityZones": zones_of(found),
            "SecurityGroups": groups,
            "IpAddressType": ip_address_type,
            "_active_at": created + PROVISIONING_SECONDS,
            "_attributes": dict(LOAD_BALANCER_ATTRIBUTES),
            "_tags": tags,
        }
        records.put(arn, record)
        return {"LoadBalancers": [self._show_balancer(ctx, record)]}

    def _subnets(
        self,
        ctx: RequestContext,
        subnets: list[str] | None,
        subnet_mappings: list[dict[str, Any]] | None,
    ) -> list[dict[str, Any]]:
        if subnets and subnet_mappings:
            raise ServiceError(
                "ValidationError", "You can specify either subnets or subnet mappings, not both"
            )
        ids = list(subnets or []) + [m.get("SubnetId", "") for m in subnet_mappings or []]
        found = []
        for subnet_id in dict.fromkeys(ids):
            subnet = ctx.records("subnet").get(subnet_id)
            if subnet is None:
                raise ServiceError("SubnetNotFound", f"The subnet ID '{subnet_id}' does not exist")
            found.append(subnet)
        if len({s["VpcId"] for s in found}) > 1:
            raise ServiceError(
                "InvalidConfigurationRequest",
                "The subnets of a load balancer must all belong to the same VPC; these belong "
                f"to {', '.join(sorted({s['VpcId'] for s in found}))}",
            )
        zones = [s["AvailabilityZone"] for s in found]
        if len(set(zones)) != len(zones):
            raise ServiceError(
                "InvalidConfigurationRequest",
                "A load balancer cannot be attached to multiple subnets in the same Availability "
                "Zone",
            )
        if len(found) < 2:
            raise ServiceError(
                "ValidationError",
                "At least two subnets in two different Availability Zones must be specified",
            )
        return sorted(found, key=lambda s: s["AvailabilityZone"])

    def _security_groups(
        self, ctx: RequestContext, security_groups: list[str] | None, vpc_id: str
    ) -> list[str]:
        records = ctx.records("security-group")
        if not security_groups:
            default = [
                g["GroupId"]
                for g in records.list()
                if g["VpcId"] == vpc_id and g["GroupName"] == "default"
            ]
            return default[:1]
        for group_id in security_groups:
            group = records.get(group_id)
            if group is None or group["VpcId"] != vpc_id:
                where = "does not exist" if group is None else f"is not in VPC '{vpc_id}'"
                raise ServiceError(
                    "InvalidSecurityGroup",
                    f"Security group '{group_id}' {where}; use a security group of the load "
                    "balancer's VPC",
                )
        return list(dict.fromkeys(security_groups))

    def _show_balancer(self, ctx: RequestContext, record: dict[str, Any]) -> dict[str, Any]:
        shown = public(record)
        shown["State"] = {"Code": load_balancer_state(record, ctx.now())}
        return shown

    def describe_load_balancers(
        self,
        ctx: RequestContext,
        load_balancer_arns: list[str] | None = None,
        names: list[str] | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        if load_balancer_arns and names:
            raise ServiceError(
                "ValidationError", "Specify either LoadBalancerArns or Names, not both"
            )
        found = ctx.records(LOAD_BALANCER).list()
        if load_balancer_arns:
            found = pick(
                found, load_balancer_arns, "LoadBalancerArn", "LoadBalancerNotFound",
                "One or more load balancers not found: {missing}",
            )  # fmt: skip
        elif names:
            found = pick(
                found, names, "LoadBalancerName", "LoadBalancerNotFound",
                "Load balancers '[{missing}]' not found",
            )  # fmt: skip
        return PAGER.page(
            "DescribeLoadBalancers", found, paging, show=lambda b: self._show_balancer(ctx, b)
        )

    def delete_load_balancer(self, ctx: RequestContext, load_balancer_arn: str) -> None:
        """Deletes the load balancer, its listeners and rules; an unknown ARN succeeds."""
        if not resource_of(load_balancer_arn).startswith("loadbalancer/"):
            raise ServiceError(
                "ValidationError", f"'{load_balancer_arn}' is not a valid load balancer ARN"
            )
        balancer = ctx.records(LOAD_BALANCER).get(load_balancer_arn)
        if balancer is None:
            return None
        if balancer["_attributes"].get("deletion_protection.enabled") == "true":
            raise ServiceError(
                "OperationNotPermitted",
                f"Load balancer '{load_balancer_arn}' cannot be deleted because deletion "
                "protection is enabled",
            )
        for listener in listeners_of(ctx, load_balancer_arn):
            for rule in rules_of(ctx, listener["ListenerArn"]):
                ctx.records(RULE).delete(rule["RuleArn"])
            ctx.records(LISTENER).delete(listener["ListenerArn"])
        ctx.records(LOAD_BALANCER).delete(load_balancer_arn)
        return None

    def describe_load_balancer_attributes(
        self, ctx: RequestContext, load_balancer_arn: str
    ) -> dict[str, Any]:
        return describe_attributes(ctx, LOAD_BALANCER, load_balancer_arn)

    def modify_load_balancer_attributes(
        self, ctx: RequestContext, load_balancer_arn: str, attributes: list[dict[str, str]]
    ) -> dict[str, Any]:
        return change_attributes(ctx, LOAD_BALANCER, load_balancer_arn, attributes)

    # tags -------------------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, arn: str) -> tuple[Records, dict[str, Any]]:
        """The records and the record a taggable ARN names."""
        resource = resource_of(arn)
        kinds = (
            ("loadbalancer/", LOAD_BALANCER, "LoadBalancerNotFound", "Load balancer"),
            ("targetgroup/", TARGET_GROUP, "TargetGroupNotFound", "Target group"),
            ("listener/", LISTENER, "ListenerNotFound", "Listener"),
            ("listener-rule/", RULE, "RuleNotFound", "Rule"),
        )
        for prefix, kind, code, what in kinds:
            if resource.startswith(prefix):
                records = ctx.records(kind)
                return records, records.require(arn, code, f"{what} '{arn}' not found")
        raise ServiceError(
            "ValidationError",
            f"'{arn}' is not the ARN of a load balancer, target group, listener or rule",
        )

    def add_tags(
        self, ctx: RequestContext, resource_arns: list[str], tags: list[dict[str, str]]
    ) -> None:
        tags = check_tags(tags)
        for arn in resource_arns:
            records, record = self._tagged(ctx, arn)
            record["_tags"] = merge(record.get("_tags", []), tags)
            if len(record["_tags"]) > MAX_TAGS:
                raise too_many_tags()
            records.put(arn, record)
        return None

    def remove_tags(
        self, ctx: RequestContext, resource_arns: list[str], tag_keys: list[str]
    ) -> None:
        for arn in resource_arns:
            records, record = self._tagged(ctx, arn)
            record["_tags"] = remove(record.get("_tags", []), tag_keys)
            records.put(arn, record)
        return None

    def describe_tags(self, ctx: RequestContext, resource_arns: list[str]) -> dict[str, Any]:
        if len(resource_arns) > MAX_DESCRIBE_TAGS:
            raise ServiceError(
                "ValidationError",
                f"At most {MAX_DESCRIBE_TAGS} resource ARNs can be described at once",
            )
        descriptions = []
        for arn in resource_arns:
            _, record = self._tagged(ctx, arn)
            descriptions.append({"ResourceArn": arn, "Tags": record.get("_tags", [])})
        return {"TagDescriptions": descriptions}

"""ELBv2 target groups: the operations of :class:`TargetGroupOperations`.

A target group is HTTP, of target type ``ip`` or ``instance``, with AWS's health check defaults for
HTTP (every 30 s, 5 s timeout, 5 healthy and 2 unhealthy checks, path ``/``, code ``200``) and
AWS's attributes (:mod:`.attributes`; deregistration delay 300 s). Its targets are in
:mod:`.targets`. Creating a group whose name exists answers that group when the settings
match, as AWS does, and ``DuplicateTargetGroupName`` otherwise.
"""

from __future__ import annotations

import re
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.elbv2.attributes import (
    TARGET_GROUP_ATTRIBUTES,
    change_attributes,
    check_tags,
    describe_attributes,
)
from bgkit.local.services.elbv2.models import (
    PAGER,
    TARGET,
    TARGET_GROUP,
    TARGET_HEALTH,
    balancers_of_group,
    check_enum,
    check_name,
    check_range,
    find_load_balancer,
    find_target_group,
    pick,
    public,
    registrations,
    target_group_arn,
    target_key,
)

Targets = list[dict[str, Any]]
TARGET_TYPES = ("instance", "ip", "lambda", "alb")
PROTOCOLS = ("HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC")
HEALTH_DEFAULTS: dict[str, Any] = {
    "HealthCheckProtocol": "HTTP",
    "HealthCheckPort": "traffic-port",
    "HealthCheckEnabled": True,
    "HealthCheckIntervalSeconds": 30,
    "HealthCheckTimeoutSeconds": 5,
    "HealthyThresholdCount": 5,
    "UnhealthyThresholdCount": 2,
    "HealthCheckPath": "/",
    "Matcher": {"HttpCode": "200"},
}
HTTP_CODES = re.compile(r"\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*")


def check_health_settings(settings: dict[str, Any]) -> None:
    """Refuse health check settings AWS refuses for an HTTP target group."""
    check_enum(settings.get("HealthCheckProtocol"), "healthCheckProtocol", PROTOCOLS)
    if settings.get("HealthCheckProtocol") not in (None, "HTTP"):
        raise ServiceError(
            "InvalidConfigurationRequest",
            f"Health check protocol '{settings['HealthCheckProtocol']}' is not available in the "
            "bgkit local cloud; use HTTP",
        )
    port = settings.get("HealthCheckPort")
    if port not in (None, "traffic-port") and (not port.isdigit() or not 1 <= int(port) <= 65535):
        raise ServiceError(
            "ValidationError",
            f"Health check port '{port}' must be 'traffic-port' or a port from 1 to 65535",
        )
    path = settings.get("HealthCheckPath")
    if path is not None and (not path.startswith("/") or len(path) > 1024):
        raise ServiceError(
            "ValidationError",
            f"Health check path '{path}' must begin with '/' and be at most 1024 characters",
        )
    check_range(settings.get("HealthCheckIntervalSeconds"), "healthCheckIntervalSeconds", 5, 300)
    check_range(settings.get("HealthCheckTimeoutSeconds"), "healthCheckTimeoutSeconds", 2, 120)
    check_range(settings.get("HealthyThresholdCount"), "healthyThresholdCount", 2, 10)
    check_range(settings.get("UnhealthyThresholdCount"), "unhealthyThresholdCount", 2, 10)
    interval = settings.get("HealthCheckIntervalSeconds")
    timeout = settings.get("HealthCheckTimeoutSeconds")
    if interval is not None and timeout is not None and timeout >= interval:
        raise ServiceError(
            "ValidationError",
            f"Health check timeout '{timeout}' must be smaller than the interval '{interval}'",
        )
    matcher = settings.get("Matcher")
    if matcher is not None:
        code = matcher.get("HttpCode")
        if (
            not code
            or not HTTP_CODES.fullmatch(code)
            or not all(200 <= int(part) <= 499 for part in re.split(r"[,-]", code))
        ):
            raise ServiceError(
                "ValidationError",
                f"Health check matcher HTTP code '{code}' must be one code, a list or a range "
                "of codes from 200 to 499 (200 | 200,202 | 200-299)",
            )


class TargetGroupOperations:
    """CreateTargetGroup … DescribeTargetHealth, mixed into the ELBv2 provider."""

    # target groups ----------------------------------------------------------------------------

    def create_target_group(
        self,
        ctx: RequestContext,
        name: str,
        protocol: str | None = None,
        protocol_version: str | None = None,
        port: int | None = None,
        vpc_id: str | None = None,
        health_check_protocol: str | None = None,
        health_check_port: str | None = None,
        health_check_enabled: bool | None = None,
        health_check_path: str | None = None,
        health_check_interval_seconds: int | None = None,
        health_check_timeout_seconds: int | None = None,
        healthy_threshold_count: int | None = None,
        unhealthy_threshold_count: int | None = None,
        matcher: dict[str, Any] | None = None,
        target_type: str | None = None,
        tags: list[dict[str, str]] | None = None,
        ip_address_type: str | None = None,
        target_control_port: int | None = None,
    ) -> dict[str, Any]:
        check_name(name, "Target group")
        target_type = target_type or "instance"
        check_enum(target_type, "targetType", TARGET_TYPES)
        if target_type not in ("ip", "instance"):
            raise ServiceError(
                "InvalidConfigurationRequest",
                f"Target type '{target_type}' is not available in the bgkit local cloud; use "
                "'ip' (or 'instance')",
            )
        check_enum(protocol, "protocol", PROTOCOLS)
        for value, member in ((protocol, "protocol"), (port, "port"), (vpc_id, "VPC ID")):
            if value is None:
                raise ServiceError("ValidationError", f"A {member} must be specified")
        if protocol != "HTTP":
            raise ServiceError(
                "InvalidConfigurationRequest",
                f"Target group protocol '{protocol}' is not available in the bgkit local cloud, "
                "which serves Application Load Balancers over HTTP; use HTTP",
            )
        check_range(port, "port", 1, 65535)
        if protocol_version not in (None, "HTTP1"):
            raise ServiceError(
                "InvalidConfigurationRequest",
                f"Protocol version '{protocol_version}' is not available in the bgkit local "
                "cloud; use HTTP1",
            )
        check_enum(ip_address_type, "ipAddressType", ("ipv4", "ipv6"))
        if ip_address_type == "ipv6":
            raise ServiceError(
                "InvalidConfigurationRequest",
                "IPv6 target groups are not available in the bgkit local cloud; use ipv4",
            )
        if ctx.records("vpc").get(vpc_id or "") is None:
            raise ServiceError("ValidationError", f"The VPC ID '{vpc_id}' is not found")
        given = {
            "HealthCheckProtocol": health_check_protocol,
            "HealthCheckPort": health_check_port,
            "HealthCheckEnabled": health_check_enabled,
            "HealthCheckIntervalSeconds": health_check_interval_seconds,
            "HealthCheckTimeoutSeconds": health_check_timeout_seconds,
            "HealthyThresholdCount": healthy_threshold_count,
            "UnhealthyThresholdCount": unhealthy_threshold_count,
            "HealthCheckPath": health_check_path,
            "Matcher": matcher,
        }
        settings = {k: v if v is not None else HEALTH_DEFAULTS[k] for k, v in given.items()}
        check_health_settings(settings)
        record: dict[str, Any] = {
            "TargetGroupName": name,
            "Protocol": protocol,
            "Port": port,
            "VpcId": vpc_id,
            **settings,
            "TargetType": target_type,
            "ProtocolVersion": "HTTP1",
            "IpAddressType": "ipv4",
        }
        tags = check_tags(tags)
        for existing in ctx.records(TARGET_GROUP).list():
            if existing["TargetGroupName"] != name:
                continue
            if any(existing.get(k) != v for k, v in record.items()):
                raise ServiceError(
                    "DuplicateTargetGroupName",
                    f"A target group with the same name '{name}' exists, but with different "
                    "settings",
                )
            return {"TargetGroups": [self._show_group(ctx, existing)]}
        arn = target_group_arn(ctx, name)
        record = {
            "TargetGroupArn": arn,
            **record,
            "_attributes": dict(TARGET_GROUP_ATTRIBUTES),
            "_tags": tags,
        }
        ctx.records(TARGET_GROUP).put(arn, record)
        return {"TargetGroups": [self._show_group(ctx, record)]}

    def _show_group(self, ctx: RequestContext, group: dict[str, Any]) -> dict[str, Any]:
        shown = public(group)
        shown["LoadBalancerArns"] = balancers_of_group(ctx, group["TargetGroupArn"])
        return shown

    def describe_target_groups(
        self,
        ctx: RequestContext,
        load_balancer_arn: str | None = None,
        target_group_arns: list[str] | None = None,
        names: list[str] | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        if sum(bool(x) for x in (load_balancer_arn, target_group_arns, names)) > 1:
            raise ServiceError(
                "ValidationError",
                "Specify only one of LoadBalancerArn, TargetGroupArns or Names",
            )
        groups = ctx.records(TARGET_GROUP).list()
        if target_group_arns:
            groups = pick(
                groups, target_group_arns, "TargetGroupArn", "TargetGroupNotFound",
                "One or more target groups not found: {missing}",
            )  # fmt: skip
        elif names:
            groups = pick(
                groups, names, "TargetGroupName", "TargetGroupNotFound",
                "Target groups '[{missing}]' not found",
            )  # fmt: skip
        elif load_balancer_arn:
            find_load_balancer(ctx, load_balancer_arn)
            groups = [
                g
                for g in groups
                if load_balancer_arn in balancers_of_group(ctx, g["TargetGroupArn"])
            ]
        return PAGER.page(
            "DescribeTargetGroups", groups, paging, show=lambda g: self._show_group(ctx, g)
        )

    def modify_target_group(
        self,
        ctx: RequestContext,
        target_group_arn: str,
        health_check_protocol: str | None = None,
        health_check_port: str | None = None,
        health_check_path: str | None = None,
        health_check_enabled: bool | None = None,
        health_check_interval_seconds: int | None = None,
        health_check_timeout_seconds: int | None = None,
        healthy_threshold_count: int | None = None,
        unhealthy_threshold_count: int | None = None,
        matcher: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        group = find_target_group(ctx, target_group_arn)
        changes = {
            "HealthCheckProtocol": health_check_protocol,
            "HealthCheckPort": health_check_port,
            "HealthCheckPath": health_check_path,
            "HealthCheckEnabled": health_check_enabled,
            "HealthCheckIntervalSeconds": health_check_interval_seconds,
            "HealthCheckTimeoutSeconds": health_check_timeout_seconds,
            "HealthyThresholdCount": healthy_threshold_count,
            "UnhealthyThresholdCount": unhealthy_threshold_count,
            "Matcher": matcher,
        }
        changes = {k: v for k, v in changes.items() if v is not None}
        updated = {**group, **changes}
        check_health_settings(updated)
        ctx.records(TARGET_GROUP).put(target_group_arn, updated)
        return {"TargetGroups": [self._show_group(ctx, updated)]}

    def delete_target_group(self, ctx: RequestContext, target_group_arn: str) -> None:
        """Deletes the group and its registrations; an unknown ARN succeeds, as on AWS."""
        if ctx.records(TARGET_GROUP).get(target_group_arn) is None:
            return None
        if balancers_of_group(ctx, target_group_arn):
            raise ServiceError(
                "ResourceInUse",
                f"Target group '{target_group_arn}' is currently in use by a listener or a rule",
            )
        for target in registrations(ctx, target_group_arn):
            key = target_key(target_group_arn, target["Id"], target["Port"])
            ctx.records(TARGET).delete(key)
            ctx.records(TARGET_HEALTH).delete(key)
        ctx.records(TARGET_GROUP).delete(target_group_arn)
        return None

    def describe_target_group_attributes(
        self, ctx: RequestContext, target_group_arn: str
    ) -> dict[str, Any]:
        return describe_attributes(ctx, TARGET_GROUP, target_group_arn)

    def modify_target_group_attributes(
        self, ctx: RequestContext, target_group_arn: str, attributes: list[dict[str, str]]
    ) -> dict[str, Any]:
        return change_attributes(ctx, TARGET_GROUP, target_group_arn, attributes)

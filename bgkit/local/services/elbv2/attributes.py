"""Attributes and tags of load balancers and target groups: AWS's defaults and checks.

Attributes are kept in a record's ``_attributes`` (key → value, both text, as the API carries
them) and tags in its ``_tags`` (``[{Key, Value}]``). :func:`describe_attributes` and
:func:`change_attributes` answer the ``Describe…Attributes`` and ``Modify…Attributes`` operations
of both kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.elbv2.models import (
    LOAD_BALANCER,
    TARGET_GROUP,
    find_load_balancer,
    find_target_group,
)

MAX_TAGS = 50

#: an Application Load Balancer's attributes as AWS makes them
LOAD_BALANCER_ATTRIBUTES = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "client_keep_alive.seconds": "3600",
    "connection_logs.s3.enabled": "false",
    "connection_logs.s3.bucket": "",
    "connection_logs.s3.prefix": "",
    "deletion_protection.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "load_balancing.cross_zone.enabled": "true",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
    "zonal_shift.config.enabled": "false",
}

#: an HTTP target group's attributes as AWS makes them
TARGET_GROUP_ATTRIBUTES = {
    "deregistration_delay.timeout_seconds": "300",
    "stickiness.enabled": "false",
    "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400",
    "stickiness.app_cookie.cookie_name": "",
    "stickiness.app_cookie.duration_seconds": "86400",
    "load_balancing.algorithm.type": "round_robin",
    "load_balancing.algorithm.anomaly_mitigation": "off",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "slow_start.duration_seconds": "0",
    "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
}


def _boolean(key: str, value: str) -> None:
    if value not in ("true", "false"):
        raise ServiceError("ValidationError", f"'{key}' value '{value}' must be 'true' or 'false'")


def _between(low: int, high: int) -> Callable[[str, str], None]:
    def check(key: str, value: str) -> None:
        if not value.lstrip("-").isdigit() or not low <= int(value) <= high:
            raise ServiceError(
                "ValidationError",
                f"'{key}' value '{value}' must be between '{low}-{high}' inclusive",
            )

    return check


def _one_of(*allowed: str) -> Callable[[str, str], None]:
    def check(key: str, value: str) -> None:
        if value not in allowed:
            raise ServiceError(
                "ValidationError", f"'{key}' value '{value}' must be one of [{', '.join(allowed)}]"
            )

    return check


def _slow_start(key: str, value: str) -> None:
    if value != "0":
        _between(30, 900)(key, value)


#: the value check of each attribute key that has one
Checks = dict[str, Callable[[str, str], None]]

LOAD_BALANCER_CHECKS: Checks = {
    "access_logs.s3.enabled": _boolean,
    "connection_logs.s3.enabled": _boolean,
    "client_keep_alive.seconds": _between(60, 604800),
    "deletion_protection.enabled": _boolean,
    "idle_timeout.timeout_seconds": _between(1, 4000),
    "load_balancing.cross_zone.enabled": _one_of("true"),
    "routing.http.desync_mitigation_mode": _one_of("monitor", "defensive", "strictest"),
    "routing.http.drop_invalid_header_fields.enabled": _boolean,
    "routing.http.preserve_host_header.enabled": _boolean,
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": _boolean,
    "routing.http.xff_client_port.enabled": _boolean,
    "routing.http.xff_header_processing.mode": _one_of("append", "preserve", "remove"),
    "routing.http2.enabled": _boolean,
    "waf.fail_open.enabled": _boolean,
    "zonal_shift.config.enabled": _boolean,
}

TARGET_GROUP_CHECKS: Checks = {
    "deregistration_delay.timeout_seconds": _between(0, 3600),
    "stickiness.enabled": _boolean,
    "stickiness.type": _one_of("lb_cookie", "app_cookie"),
    "stickiness.lb_cookie.duration_seconds": _between(1, 604800),
    "stickiness.app_cookie.duration_seconds": _between(1, 604800),
    "load_balancing.algorithm.type": _one_of(
        "round_robin", "least_outstanding_requests", "weighted_random"
    ),
    "load_balancing.algorithm.anomaly_mitigation": _one_of("on", "off"),
    "load_balancing.cross_zone.enabled": _one_of(
        "true", "false", "use_load_balancer_configuration"
    ),
    "slow_start.duration_seconds": _slow_start,
}


def modify_attributes(
    record: dict[str, Any],
    attributes: list[dict[str, str]],
    checks: Checks,
    what: str,
) -> list[dict[str, str]]:
    """Check and apply ``attributes`` to ``record``; returns all of them as ``[{Key, Value}]``.

    Args:
        record: a load balancer or target group record (its ``_attributes`` change).
        attributes: ``[{Key, Value}]`` as sent.
        checks: the value check of each key that may change.
        what: ``Load balancer`` or ``Target group``, for messages.
    """
    if not attributes:
        raise ServiceError("ValidationError", "At least one attribute must be specified")
    current = record["_attributes"]
    changes = {}
    for attribute in attributes:
        key, value = attribute.get("Key", ""), attribute.get("Value", "")
        if key not in current:
            raise ServiceError("ValidationError", f"{what} attribute key '{key}' is not recognized")
        check = checks.get(key)
        if check is not None:
            check(key, value)
        changes[key] = value
    if what == "Target group" and changes.get("stickiness.type") == "app_cookie":
        name = changes.get(
            "stickiness.app_cookie.cookie_name", current.get("stickiness.app_cookie.cookie_name")
        )
        if not name:
            raise ServiceError(
                "InvalidConfigurationRequest",
                "You must set an application cookie name to enable stickiness of type 'app_cookie'",
            )
    current.update(changes)
    return attribute_list(record)


def attribute_list(record: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in record["_attributes"].items()]


#: the record kinds with attributes: how a call finds one, the checks of its keys, its name
ATTRIBUTED: dict[str, tuple[Callable[[RequestContext, str], dict[str, Any]], Checks, str]] = {
    LOAD_BALANCER: (find_load_balancer, LOAD_BALANCER_CHECKS, "Load balancer"),
    TARGET_GROUP: (find_target_group, TARGET_GROUP_CHECKS, "Target group"),
}


def describe_attributes(ctx: RequestContext, kind: str, arn: str) -> dict[str, Any]:
    """``Describe…Attributes``: the attributes of the ``kind`` record ``arn`` names."""
    find, _, _ = ATTRIBUTED[kind]
    return {"Attributes": attribute_list(find(ctx, arn))}


def change_attributes(
    ctx: RequestContext, kind: str, arn: str, attributes: list[dict[str, str]]
) -> dict[str, Any]:
    """``Modify…Attributes``: check and apply ``attributes`` to the ``kind`` record ``arn``
    names, store it, and answer all its attributes."""
    find, checks, what = ATTRIBUTED[kind]
    record = find(ctx, arn)
    result = modify_attributes(record, attributes, checks, what)
    ctx.records(kind).put(arn, record)
    return {"Attributes": result}


# --- tags ------------------------------------------------------------------------------------


def check_tags(tags: list[dict[str, str]] | None) -> list[dict[str, str]]:
    """Tags as sent, refused when a key repeats or there are too many."""
    tags = tags or []
    seen: set[str] = set()
    for tag in tags:
        key = tag.get("Key", "")
        if key in seen:
            raise ServiceError("DuplicateTagKeys", f"Tag key was specified more than once: {key}")
        if key.lower().startswith("aws:"):
            raise ServiceError(
                "ValidationError", f"Tag key '{key}' cannot start with 'aws:' (reserved by AWS)"
            )
        seen.add(key)
    if len(tags) > MAX_TAGS:
        raise too_many_tags()
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]


def too_many_tags() -> ServiceError:
    return ServiceError(
        "TooManyTags",
        f"The quota for the number of tags that can be assigned to a resource ({MAX_TAGS}) has "
        "been reached; remove tags first",
    )

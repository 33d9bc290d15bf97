"""Listener and rule actions: checking them and storing them as AWS shows them (conditions are
:mod:`.conditions`'s).

AWS answers a ``forward`` action in one form whatever form it was given: a single
``TargetGroupArn`` becomes ``ForwardConfig {TargetGroups: [{TargetGroupArn, Weight: 1}],
TargetGroupStickinessConfig: {Enabled: false}}`` and keeps its ``TargetGroupArn``; a
``ForwardConfig`` gets ``TargetGroupArn`` too when it holds exactly one group. ``redirect``
actions get their ``#{…}`` defaults filled in. :func:`normalise_actions` stores them that way, so
the data plane reads one form only.

Locally an action is ``forward``, ``fixed-response`` or ``redirect``: the ``authenticate-*``
actions need an identity provider the local cloud does not have.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.elbv2.models import (
    balancers_of_group,
    check_range,
    find_target_group,
    invalid,
)

ACTION_TYPES = (
    "forward",
    "authenticate-oidc",
    "authenticate-cognito",
    "redirect",
    "fixed-response",
    "jwt-validation",
)
LOCAL_ACTION_TYPES = ("forward", "fixed-response", "redirect")
MAX_FORWARD_GROUPS = 5
MAX_WEIGHT = 999
CONTENT_TYPES = (
    "text/plain",
    "text/css",
    "text/html",
    "application/javascript",
    "application/json",
)
STATUS_CODE = re.compile(r"^(2|4|5)\d\d$")
REDIRECT_DEFAULTS = {
    "Protocol": "#{protocol}",
    "Port": "#{port}",
    "Host": "#{host}",
    "Path": "/#{path}",
    "Query": "#{query}",
}


def normalise_actions(
    ctx: RequestContext, actions: list[dict[str, Any]], balancer: dict[str, Any], member: str
) -> list[dict[str, Any]]:
    """Check the actions of a listener or rule of ``balancer`` and return them as AWS stores them.

    Args:
        ctx: the call.
        actions: the ``Action`` structures as sent.
        balancer: the load balancer record the listener belongs to.
        member: ``defaultActions`` or ``actions``, for messages.

    Raises:
        ServiceError: ``ValidationError``, ``TooManyActions``, ``InvalidLoadBalancerAction``,
            ``TargetGroupNotFound``, ``TargetGroupAssociationLimit``,
            ``InvalidConfigurationRequest``.
    """
    if not actions:
        raise ServiceError("ValidationError", f"At least one action must be specified in {member}")
    if len(actions) > 1:
        raise ServiceError(
            "TooManyActions",
            "The bgkit local cloud allows one action per listener or rule (forward, "
            "fixed-response or redirect); authentication actions are not available locally",
        )
    normalised = []
    for index, action in enumerate(actions, start=1):
        kind = action.get("Type")
        if kind not in ACTION_TYPES:
            raise invalid(
                kind,
                f"{member}.{index}.member.type",
                f"Member must satisfy enum value set: [{', '.join(ACTION_TYPES)}]",
            )
        if kind not in LOCAL_ACTION_TYPES:
            raise ServiceError(
                "InvalidLoadBalancerAction",
                f"Action type '{kind}' is not available in the bgkit local cloud (it has no "
                "identity provider); use forward, fixed-response or redirect",
            )
        check_range(action.get("Order"), f"{member}.{index}.member.order", 1, 50000)
        if kind == "forward":
            result = _forward(ctx, action, balancer)
        elif kind == "fixed-response":
            result = _fixed_response(action, index, member)
        else:
            result = _redirect(action, index, member)
        if action.get("Order") is not None:
            result["Order"] = action["Order"]
        normalised.append(result)
    return normalised


def _forward(
    ctx: RequestContext, action: dict[str, Any], balancer: dict[str, Any]
) -> dict[str, Any]:
    single = action.get("TargetGroupArn")
    config = action.get("ForwardConfig")
    if not single and not config:
        raise ServiceError(
            "ValidationError",
            "A forward action must specify a TargetGroupArn or a ForwardConfig with target groups",
        )
    if config is not None:
        tuples = config.get("TargetGroups") or []
        if not tuples:
            raise ServiceError(
                "ValidationError", "A ForwardConfig must contain at least one target group"
            )
        if single and (len(tuples) != 1 or tuples[0].get("TargetGroupArn") != single):
            raise ServiceError(
                "InvalidLoadBalancerAction",
                "If you specify both ForwardConfig and TargetGroupArn, you can specify only one "
                "target group using ForwardConfig and it must be the same target group "
                "specified in TargetGroupArn",
            )
        stickiness = dict(config.get("TargetGroupStickinessConfig") or {"Enabled": False})
    else:
        tuples = [{"TargetGroupArn": single, "Weight": 1}]
        stickiness = {"Enabled": False}
    if len(tuples) > MAX_FORWARD_GROUPS:
        raise ServiceError(
            "ValidationError",
            f"A forward action can have at most {MAX_FORWARD_GROUPS} target groups, not "
            f"{len(tuples)}",
        )
    groups: list[dict[str, Any]] = []
    for item in tuples:
        arn = item.get("TargetGroupArn")
        weight = item.get("Weight", 1)
        if any(g["TargetGroupArn"] == arn for g in groups):
            raise ServiceError(
                "ValidationError",
                f"Target group '{arn}' is specified more than once in the forward action",
            )
        if not 0 <= weight <= MAX_WEIGHT:
            raise ServiceError(
                "ValidationError",
                f"Target group weight '{weight}' must be between 0 and {MAX_WEIGHT} inclusive",
            )
        _check_group_for(ctx, arn, balancer)
        groups.append({"TargetGroupArn": arn, "Weight": weight})
    if stickiness.get("Enabled"):
        check_range(
            stickiness.get("DurationSeconds"),
            "targetGroupStickinessConfig.durationSeconds",
            1,
            604800,
        )
        if stickiness.get("DurationSeconds") is None:
            raise ServiceError(
                "ValidationError",
                "A duration must be specified when target group stickiness is enabled",
            )
    result: dict[str, Any] = {"Type": "forward"}
    if len(groups) == 1:
        result["TargetGroupArn"] = groups[0]["TargetGroupArn"]
    result["ForwardConfig"] = {"TargetGroups": groups, "TargetGroupStickinessConfig": stickiness}
    return result


def _check_group_for(ctx: RequestContext, arn: str | None, balancer: dict[str, Any]) -> None:
    """A target group a listener of ``balancer`` may forward to."""
    group = find_target_group(ctx, arn or "")
    owners = [b for b in balancers_of_group(ctx, group["TargetGroupArn"])]
    if any(owner != balancer["LoadBalancerArn"] for owner in owners):
        raise ServiceError(
            "TargetGroupAssociationLimit",
            "The following target groups cannot be associated with more than one load "
            f"balancer: {group['TargetGroupArn']}",
        )
    if group["VpcId"] != balancer["VpcId"]:
        raise ServiceError(
            "InvalidConfigurationRequest",
            f"Target group '{group['TargetGroupArn']}' is in VPC '{group['VpcId']}' but the load "
            f"balancer is in VPC '{balancer['VpcId']}'; a listener forwards only to target "
            "groups of its load balancer's VPC",
        )


def _fixed_response(action: dict[str, Any], index: int, member: str) -> dict[str, Any]:
    config = action.get("FixedResponseConfig")
    if not config or not config.get("StatusCode"):
        raise ServiceError(
            "ValidationError",
            "A fixed-response action must have a FixedResponseConfig with a StatusCode",
        )
    status = config["StatusCode"]
    if not STATUS_CODE.match(status):
        raise invalid(
            status,
            f"{member}.{index}.member.fixedResponseConfig.statusCode",
            f"Member must satisfy regular expression pattern: {STATUS_CODE.pattern}",
        )
    content_type = config.get("ContentType")
    if content_type is not None and content_type not in CONTENT_TYPES:
        raise ServiceError(
            "InvalidLoadBalancerAction",
            "The ContentType must be one of:'text/html', 'application/json', "
            "'application/javascript', 'text/css', 'text/plain'",
        )
    body = config.get("MessageBody")
    if body is not None and len(body) > 1024:
        raise invalid(
            "...",
            f"{member}.{index}.member.fixedResponseConfig.messageBody",
            "Member must have length less than or equal to 1024",
        )
    return {"Type": "fixed-response", "FixedResponseConfig": copy.deepcopy(config)}


def _redirect(action: dict[str, Any], index: int, member: str) -> dict[str, Any]:
    config = action.get("RedirectConfig")
    if not config or not config.get("StatusCode"):
        raise ServiceError(
            "ValidationError", "A redirect action must have a RedirectConfig with a StatusCode"
        )
    if config["StatusCode"] not in ("HTTP_301", "HTTP_302"):
        raise invalid(
            config["StatusCode"],
            f"{member}.{index}.member.redirectConfig.statusCode",
            "Member must satisfy enum value set: [HTTP_301, HTTP_302]",
        )
    filled = {**REDIRECT_DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
    return {"Type": "redirect", "RedirectConfig": filled}

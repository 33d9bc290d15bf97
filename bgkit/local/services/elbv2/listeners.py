"""ELBv2 listeners and their rules: the operations of :class:`ListenerOperations`.

A listener is HTTP (HTTPS needs certificates from ACM, which the local cloud does not have). Its
default rule is not stored: it is derived from the listener (``Priority`` ``default``, its
``DefaultActions``, an ARN derived from the listener's), and ``ModifyRule`` on that ARN rewrites
the listener's default actions — CodeDeploy rewrites either. Other rules match the conditions of
:mod:`.conditions` and are kept as ``rule`` records with their ``_listener_arn``. A listener
whose port changes (``ModifyListener``) moves: the data plane serves it on its new host port.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.elbv2.actions import normalise_actions
from bgkit.local.services.elbv2.attributes import check_tags
from bgkit.local.services.elbv2.conditions import normalise_conditions
from bgkit.local.services.elbv2.models import (
    LISTENER,
    PAGER,
    RULE,
    check_range,
    default_rule,
    default_rule_arn,
    find_listener,
    find_load_balancer,
    listener_arn,
    listener_of_rule,
    listeners_of,
    public,
    rule_arn,
    rules_of,
)

Actions = list[dict[str, Any]]
LISTENER_PROTOCOLS = ("HTTP", "HTTPS")
MAX_PRIORITY = 50000
MAX_RULES = 100


def _check_protocol(protocol: str | None, certificates: list[dict[str, Any]] | None) -> None:
    if protocol is None:
        raise ServiceError("ValidationError", "A listener protocol must be specified")
    if protocol not in LISTENER_PROTOCOLS:
        raise ServiceError(
            "ValidationError",
            f"Listener protocol '{protocol}' must be one of '{', '.join(LISTENER_PROTOCOLS)}'",
        )
    if protocol == "HTTPS":
        if not certificates:
            raise ServiceError(
                "ValidationError", "A certificate must be specified for HTTPS listeners"
            )
        raise ServiceError(
            "CertificateNotFound",
            f"Certificate '{certificates[0].get('CertificateArn')}' not found: the bgkit local "
            "cloud has no certificates (ACM); use an HTTP listener locally",
        )


#: the store's meta entry the local cloud keeps its listener offset in (host port = offset + port)
OFFSET_META = "listener_offset"
LAST_PORT = 65535


def check_host_port(ctx: RequestContext, port: int) -> None:
    """Refuse a listener port the local cloud cannot serve: offset + port past 65535."""
    offset = int(ctx.store.get_meta(OFFSET_META, 0) or 0)
    if offset + port > LAST_PORT:
        raise ServiceError(
            "ValidationError",
            f"Listener port {port} would be served on host port {offset + port} (listener offset "
            f"{offset} + port), past the last TCP port {LAST_PORT}: use a port of at most "
            f"{LAST_PORT - offset}, or start the local cloud with a smaller listener offset "
            "(BGKIT_LISTENER_OFFSET).",
        )


class ListenerOperations:
    """CreateListener … SetRulePriorities, mixed into the ELBv2 provider."""

    # listeners --------------------------------------------------------------------------------

    def create_listener(
        self,
        ctx: RequestContext,
        load_balancer_arn: str,
        default_actions: Actions,
        protocol: str | None = None,
        port: int | None = None,
        ssl_policy: str | None = None,
        certificates: list[dict[str, Any]] | None = None,
        alpn_policy: list[str] | None = None,
        tags: list[dict[str, str]] | None = None,
        mutual_authentication: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        balancer = find_load_balancer(ctx, load_balancer_arn)
        if port is None:
            raise ServiceError("ValidationError", "A listener port must be specified")
        check_range(port, "port", 1, 65535)
        check_host_port(ctx, port)
        _check_protocol(protocol, certificates)
        actions = normalise_actions(ctx, default_actions, balancer, "defaultActions")
        tags = check_tags(tags)
        for existing in listeners_of(ctx, load_balancer_arn):
            if existing["Port"] != port:
                continue
            if existing["Protocol"] == protocol and existing["DefaultActions"] == actions:
                return {"Listeners": [public(existing)]}  # idempotent, as on AWS
            raise ServiceError(
                "DuplicateListener", "A listener already exists on this port for this load balancer"
            )
        arn = listener_arn(ctx, load_balancer_arn)
        record = {
            "ListenerArn": arn,
            "LoadBalancerArn": load_balancer_arn,
            "Port": port,
            "Protocol": protocol,
            "DefaultActions": actions,
            "_tags": tags,
        }
        ctx.records(LISTENER).put(arn, record)
        return {"Listeners": [public(record)]}

    def describe_listeners(
        self,
        ctx: RequestContext,
        load_balancer_arn: str | None = None,
        listener_arns: list[str] | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        if bool(load_balancer_arn) == bool(listener_arns):
            raise ServiceError(
                "ValidationError", "You must specify either listener ARNs or a load balancer ARN"
            )
        if load_balancer_arn:
            find_load_balancer(ctx, load_balancer_arn)
            found = listeners_of(ctx, load_balancer_arn)
        else:
            records = ctx.records(LISTENER)
            missing = [arn for arn in listener_arns or [] if records.get(arn) is None]
            if missing:
                raise ServiceError(
                    "ListenerNotFound", f"One or more listeners not found: {', '.join(missing)}"
                )
            found = [records.get(arn) for arn in dict.fromkeys(listener_arns or [])]
        return PAGER.page(
            "DescribeListeners", [item for item in found if item], paging, show=public
        )

    def modify_listener(
        self,
        ctx: RequestContext,
        listener_arn: str,
        port: int | None = None,
        protocol: str | None = None,
        ssl_policy: str | None = None,
        certificates: list[dict[str, Any]] | None = None,
        default_actions: Actions | None = None,
        alpn_policy: list[str] | None = None,
        mutual_authentication: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        listener = find_listener(ctx, listener_arn)
        balancer = find_load_balancer(ctx, listener["LoadBalancerArn"])
        if protocol is not None:
            _check_protocol(protocol, certificates)
            listener["Protocol"] = protocol
        if port is not None:
            check_range(port, "port", 1, 65535)
            check_host_port(ctx, port)
            for other in listeners_of(ctx, listener["LoadBalancerArn"]):
                if other["Port"] == port and other["ListenerArn"] != listener_arn:
                    raise ServiceError(
                        "DuplicateListener",
                        "A listener already exists on this port for this load balancer",
                    )
            listener["Port"] = port
        if default_actions is not None:
            listener["DefaultActions"] = normalise_actions(
                ctx, default_actions, balancer, "defaultActions"
            )
        ctx.records(LISTENER).put(listener_arn, listener)
        return {"Listeners": [public(listener)]}

    def delete_listener(self, ctx: RequestContext, listener_arn: str) -> None:
        find_listener(ctx, listener_arn)
        for rule in rules_of(ctx, listener_arn):
            ctx.records(RULE).delete(rule["RuleArn"])
        ctx.records(LISTENER).delete(listener_arn)
        return None

    # rules ------------------------------------------------------------------------------------

    def _find_rule(self, ctx: RequestContext, arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(rule, listener)``; the default rule comes as derived from its listener."""
        listener = ctx.records(LISTENER).get(listener_of_rule(arn))
        if listener is not None and default_rule_arn(listener["ListenerArn"]) == arn:
            return default_rule(listener), listener
        rule = ctx.records(RULE).get(arn)
        if rule is None or listener is None:
            raise ServiceError("RuleNotFound", f"One or more rules not found: {arn}")
        return rule, listener

    def describe_rules(
        self,
        ctx: RequestContext,
        listener_arn: str | None = None,
        rule_arns: list[str] | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        if bool(listener_arn) == bool(rule_arns):
            raise ServiceError(
                "ValidationError", "You must specify either a listener ARN or rule ARNs"
            )
        if listener_arn:
            listener = find_listener(ctx, listener_arn)
            found = [*rules_of(ctx, listener_arn), default_rule(listener)]
        else:
            found = [self._find_rule(ctx, arn)[0] for arn in dict.fromkeys(rule_arns or [])]
        return PAGER.page("DescribeRules", found, paging, show=public)

    def modify_rule(
        self,
        ctx: RequestContext,
        rule_arn: str,
        conditions: list[dict[str, Any]] | None = None,
        actions: Actions | None = None,
        transforms: list[dict[str, Any]] | None = None,
        reset_transforms: bool | None = None,
    ) -> dict[str, Any]:
        rule, listener = self._find_rule(ctx, rule_arn)
        balancer = find_load_balancer(ctx, listener["LoadBalancerArn"])
        if conditions is None and actions is None:
            raise ServiceError("ValidationError", "Either conditions or actions must be specified")
        if rule["IsDefault"]:
            if conditions:
                raise ServiceError(
                    "OperationNotPermitted", "Conditions cannot be specified for the default rule"
                )
            if actions is not None:
                listener["DefaultActions"] = normalise_actions(ctx, actions, balancer, "actions")
                ctx.records(LISTENER).put(listener["ListenerArn"], listener)
            return {"Rules": [default_rule(listener)]}
        if conditions is not None:
            rule["Conditions"] = normalise_conditions(conditions)
        if actions is not None:
            rule["Actions"] = normalise_actions(ctx, actions, balancer, "actions")
        ctx.records(RULE).put(rule_arn, rule)
        return {"Rules": [public(rule)]}

    def create_rule(
        self,
        ctx: RequestContext,
        listener_arn: str,
        conditions: list[dict[str, Any]],
        priority: int,
        actions: Actions,
        tags: list[dict[str, str]] | None = None,
        transforms: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        listener = find_listener(ctx, listener_arn)
        balancer = find_load_balancer(ctx, listener["LoadBalancerArn"])
        check_range(priority, "priority", 1, MAX_PRIORITY)
        normalised_conditions = normalise_conditions(conditions)
        normalised_actions = normalise_actions(ctx, actions, balancer, "actions")
        tags = check_tags(tags)
        existing = rules_of(ctx, listener_arn)
        if any(int(rule["Priority"]) == priority for rule in existing):
            raise ServiceError("PriorityInUse", f"Priority '{priority}' is currently in use")
        if len(existing) >= MAX_RULES:
            raise ServiceError(
                "TooManyRules", f"A listener can have at most {MAX_RULES} rules besides its default"
            )
        arn = rule_arn(ctx, listener_arn)
        rule = {
            "RuleArn": arn,
            "Priority": str(priority),
            "Conditions": normalised_conditions,
            "Actions": normalised_actions,
            "IsDefault": False,
            "_listener_arn": listener_arn,
            "_tags": tags,
        }
        ctx.records(RULE).put(arn, rule)
        return {"Rules": [public(rule)]}

    def delete_rule(self, ctx: RequestContext, rule_arn: str) -> None:
        rule, _ = self._find_rule(ctx, rule_arn)
        if rule["IsDefault"]:
            raise ServiceError(
                "OperationNotPermitted", "A listener's default rule cannot be deleted"
            )
        ctx.records(RULE).delete(rule_arn)
        return None

    def set_rule_priorities(
        self, ctx: RequestContext, rule_priorities: list[dict[str, Any]]
    ) -> dict[str, Any]:
        wanted: dict[str, int] = {}
        seen: set[tuple[str, int]] = set()
        for pair in rule_priorities:
            arn, priority = pair.get("RuleArn", ""), pair.get("Priority")
            rule, listener = self._find_rule(ctx, arn)
            if rule["IsDefault"]:
                raise ServiceError(
                    "OperationNotPermitted", "The priority of a default rule cannot be changed"
                )
            check_range(priority, "priority", 1, MAX_PRIORITY)
            if (listener["ListenerArn"], priority) in seen:
                raise ServiceError(
                    "ValidationError", f"Priority '{priority}' was provided multiple times"
                )
            seen.add((listener["ListenerArn"], priority))
            wanted[arn] = priority
        changed = []
        for arn, priority in wanted.items():
            rule = ctx.records(RULE).get(arn) or {}
            for other in rules_of(ctx, rule["_listener_arn"]):
                if other["RuleArn"] not in wanted and int(other["Priority"]) == priority:
                    raise ServiceError(
                        "PriorityInUse", f"Priority '{priority}' is currently in use"
                    )
            rule["Priority"] = str(priority)
            changed.append(rule)
        for rule in changed:
            ctx.records(RULE).put(rule["RuleArn"], rule)
        return {"Rules": [public(rule) for rule in changed]}

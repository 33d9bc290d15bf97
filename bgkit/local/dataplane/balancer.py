"""The choice an ALB makes for each request: listener, rule, action, target group, target.

Everything here is plain, synchronous Python built from the store's records by :func:`build_routes`
and read by the listener servers (:mod:`.alb`). A request's whole choice — listener by ``Host``,
rule by priority, target group by weight, target by round robin — is made without ``await``, so a
routing table swapped in between two requests is seen whole by each request.

Objects whose state must outlive a rebuild (round-robin positions, weighted round-robin counters,
health and in-flight counts) are kept by :class:`Router` and reused when their records did not
change, so weight shares stay exact across reconciliations.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bgkit.local.forwarding import forward_weights

#: target states a target is routed to while at least one target of its group is in one
ROUTABLE = frozenset({"healthy", "unavailable"})

Address = tuple[str, int]
Condition = Callable[["RequestView"], bool]


@dataclass(frozen=True)
class RequestView:
    """What rules look at in a request."""

    method: str
    path: str
    host: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    #: the client's address (``source-ip`` conditions)
    source: str = ""


@dataclass(eq=False)
class Target:
    """One registration of a target group, with its health and traffic.

    The health fields are written by :mod:`.health` and read when choosing a target.
    """

    key: str
    group_arn: str
    id: str
    port: int
    partition: str
    address: Address | None = None
    draining: bool = False
    state: str = "initial"
    reason: str | None = "Elb.RegistrationInProgress"
    description: str | None = "Target registration is in progress"
    successes: int = 0
    failures: int = 0
    checked_at: float | None = None
    next_check_at: float = 0.0
    checking: bool = False
    in_flight: int = 0


@dataclass(eq=False)
class TargetGroup:
    """A target group: its settings (the record) and the targets that take new requests."""

    arn: str
    record: dict[str, Any]
    targets: list[Target] = field(default_factory=list)
    _next: int = 0

    def choose(self) -> Target | None:
        """A routable target round robin; every target when none is routable (ALB fails open).

        ALB: "If a target group contains only unhealthy registered targets, the load balancer
        routes requests to all those targets, regardless of their health status"
        (docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks
        .html). Targets in ``initial`` count as not healthy, so they take traffic only then.
        """
        targets = self.targets
        if not targets:
            return None
        candidates = [t for t in targets if t.state in ROUTABLE and t.address is not None]
        if not candidates:
            candidates = [t for t in targets if t.address is not None] or targets
        target = candidates[self._next % len(candidates)]
        self._next += 1
        return target


class SmoothWeighted:
    """Smooth weighted round robin (as nginx does it): deterministic and evenly interleaved.

    Over any run of ``sum(weights)`` picks each item is picked exactly ``weight`` times.
    """

    def __init__(self, items: Iterable[tuple[Any, int]]) -> None:
        self._items = [(item, weight) for item, weight in items if weight > 0]
        self._current = [0] * len(self._items)
        self._total = sum(weight for _, weight in self._items)

    def pick(self) -> Any | None:
        if not self._items:
            return None
        best = 0
        current = self._current
        for index, (_, weight) in enumerate(self._items):
            current[index] += weight
            if current[index] > current[best]:
                best = index
        current[best] -= self._total
        return self._items[best][0]


@dataclass(eq=False)
class Forward:
    """A forward action: target groups by weight."""

    choice: SmoothWeighted

    def pick(self) -> TargetGroup | None:
        return self.choice.pick()


@dataclass(frozen=True, eq=False)
class FixedResponse:
    status: int
    content_type: str
    body: str


@dataclass(frozen=True, eq=False)
class Redirect:
    """A redirect action: ``RedirectConfig`` with its ``#{protocol}``-style placeholders."""

    config: dict[str, Any]

    def location(self, host: str, path: str, query: str, port: int, offset: int) -> tuple[int, str]:
        """The status and ``Location`` of the redirect of a request to listener ``port``.

        An HTTP location's port is moved by ``offset``, to where that listener is served here.
        """
        values = {
            "protocol": "http",
            "host": host.rsplit(":", 1)[0],
            "port": str(port),
            "path": path.lstrip("/"),
            "query": query,
        }

        def fill(name: str, default: str) -> str:
            text = str(self.config.get(name) or default)
            for key, value in values.items():
                text = text.replace(f"#{{{key}}}", value)
            return text

        protocol, to_host, to_port = (
            fill("Protocol", "#{protocol}").lower(),
            fill("Host", "#{host}"),
            fill("Port", "#{port}"),
        )
        to_path, to_query = fill("Path", "/#{path}"), fill("Query", "#{query}")
        if protocol == "http" and to_port.isdigit():
            to_port = str(offset + int(to_port))
        location = f"{protocol}://{to_host}:{to_port}{to_path}" + (
            f"?{to_query}" if to_query else ""
        )
        return (301 if self.config.get("StatusCode") == "HTTP_301" else 302), location


Action = Forward | FixedResponse | Redirect


@dataclass(eq=False)
class ListenerRoute:
    """A listener: its rules by priority, then its default action."""

    arn: str
    lb_arn: str
    port: int
    dns_name: str
    created: float
    rules: list[tuple[list[Condition], Action | None]]
    default: Action | None

    def action_for(self, request: RequestView) -> Action | None:
        for conditions, action in self.rules:
            if all(condition(request) for condition in conditions):
                return action
        return self.default


@dataclass(eq=False)
class PortRoute:
    """The listeners sharing one host port (several load balancers or regions)."""

    listeners: list[ListenerRoute]

    def listener_for(self, host: str) -> ListenerRoute:
        """The listener whose load balancer's DNS name is ``host``, else the oldest one's."""
        if len(self.listeners) > 1:
            name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
            for listener in self.listeners:
                if listener.dns_name == name:
                    return listener
        return self.listeners[0]


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is an IPv4 loopback address (127.0.0.0/8) — the only ones we connect to."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return address.version == 4 and address.is_loopback


# -- conditions ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def wildcard(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    """A regex for an ELB pattern: ``*`` any characters, ``?`` exactly one."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"(?s:{body})\\Z", 0 if case_sensitive else re.IGNORECASE)


def _values(condition: dict[str, Any], config: str) -> list[str]:
    return list((condition.get(config) or {}).get("Values") or condition.get("Values") or [])


def compile_condition(condition: dict[str, Any]) -> Condition:
    """A predicate for one rule condition; an unsupported field never matches."""
    kind = condition.get("Field")
    if kind == "path-pattern":
        patterns = [wildcard(v, True) for v in _values(condition, "PathPatternConfig")]
        return lambda r: any(p.match(r.path) for p in patterns)
    if kind == "host-header":
        patterns = [wildcard(v, False) for v in _values(condition, "HostHeaderConfig")]
        return lambda r: any(p.match(r.host.rsplit(":", 1)[0]) for p in patterns)
    if kind == "http-request-method":
        methods = set(_values(condition, "HttpRequestMethodConfig"))
        return lambda r: r.method in methods
    if kind == "http-header":
        config = condition.get("HttpHeaderConfig") or {}
        name = config.get("HttpHeaderName", "")
        patterns = [wildcard(v, False) for v in config.get("Values") or []]
        return lambda r: name in r.headers and any(p.match(r.headers[name]) for p in patterns)
    if kind == "query-string":
        pairs = [
            (p.get("Key"), wildcard(p.get("Value", "*"), False))
            for p in (condition.get("QueryStringConfig") or {}).get("Values") or []
        ]
        return lambda r: any(
            any(pattern.match(v) for k, v in r.query.items() if key is None or k == key)
            for key, pattern in pairs
        )
    if kind == "source-ip":
        networks = [ipaddress.ip_network(v, strict=False)
                    for v in _values(condition, "SourceIpConfig")]  # fmt: skip
        return lambda r: _from(r.source, networks)
    return lambda r: False


def _from(source: str, networks: list[Any]) -> bool:
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return False
    return any(address in network for network in networks if network.version == address.version)


# -- building the routing table ----------------------------------------------------------------


def _is_active(lb: dict[str, Any], now: float) -> bool:
    active_at = lb.get("_active_at")
    if active_at is not None:
        return now >= active_at
    return (lb.get("State") or {}).get("Code", "active") == "active"


def terminal_action(actions: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The action that answers: the first forward, fixed-response or redirect by ``Order``."""
    ordered = sorted(actions or [], key=lambda a: a.get("Order", 0))
    for action in ordered:
        if action.get("Type") in ("forward", "fixed-response", "redirect"):
            return action
    return None


class Router:
    """Builds routing tables from records, reusing the objects that carry routing state."""

    def __init__(self) -> None:
        self.groups: dict[str, TargetGroup] = {}
        self._forwards: dict[tuple[Any, ...], Forward] = {}

    def build(
        self,
        now: float,
        offset: int,
        load_balancers: list[dict[str, Any]],
        listeners: list[dict[str, Any]],
        rules: list[dict[str, Any]],
    ) -> tuple[dict[int, PortRoute], list[dict[str, Any]], set[str]]:
        """The routing table by host port, the listeners of active load balancers, and the
        ARNs of the target groups they use.

        ``self.groups`` must already hold every target group (see :meth:`update_groups`).
        """
        active = {lb["LoadBalancerArn"]: lb for lb in load_balancers if _is_active(lb, now)}
        by_listener: dict[str, list[dict[str, Any]]] = {}
        for rule in rules:
            by_listener.setdefault(rule.get("_listener_arn", ""), []).append(rule)
        forwards: dict[tuple[Any, ...], Forward] = {}
        used: set[str] = set()
        ports: dict[int, list[ListenerRoute]] = {}
        serving: list[dict[str, Any]] = []

        def action_of(scope: tuple[str, ...], action: dict[str, Any] | None) -> Action | None:
            if action is None:
                return None
            kind = action["Type"]
            if kind == "fixed-response":
                config = action.get("FixedResponseConfig") or {}
                return FixedResponse(
                    int(config.get("StatusCode", 200)),
                    config.get("ContentType") or "text/plain",
                    config.get("MessageBody") or "",
                )
            if kind == "redirect":
                return Redirect(dict(action.get("RedirectConfig") or {}))
            weights = list(forward_weights([action]).items())
            used.update(arn for arn, _ in weights)
            key = (*scope, json.dumps(weights), *(id(self.groups.get(a)) for a, _ in weights))
            forward = self._forwards.get(key)
            if forward is None:
                pairs = [(self.groups[a], w) for a, w in weights if a in self.groups]
                forward = Forward(SmoothWeighted(pairs))
            forwards[key] = forward
            return forward

        for listener in listeners:
            lb = active.get(listener.get("LoadBalancerArn", ""))
            if lb is None:
                continue
            arn = listener["ListenerArn"]
            ordered = sorted(
                by_listener.get(arn, []), key=lambda r: int(r.get("Priority") or 50001)
            )
            route = ListenerRoute(
                arn=arn,
                lb_arn=lb["LoadBalancerArn"],
                port=int(listener["Port"]),
                dns_name=str(lb.get("DNSName", "")).lower(),
                created=float(lb.get("CreatedTime") or 0),
                rules=[
                    (
                        [compile_condition(c) for c in rule.get("Conditions") or []],
                        action_of(
                            (arn, rule.get("RuleArn", "")), terminal_action(rule.get("Actions"))
                        ),
                    )
                    for rule in ordered
                ],
                default=action_of(
                    (arn, "default"), terminal_action(listener.get("DefaultActions"))
                ),
            )
            ports.setdefault(offset + route.port, []).append(route)
            serving.append(listener)
        self._forwards = forwards
        table = {
            port: PortRoute(sorted(routes, key=lambda r: (r.created, r.arn)))
            for port, routes in ports.items()
        }
        return table, serving, used

    def update_groups(self, records: list[dict[str, Any]], targets: dict[str, Target]) -> None:
        """Keep one :class:`TargetGroup` a record; give each its targets that take requests."""
        groups: dict[str, TargetGroup] = {}
        members: dict[str, list[Target]] = {}
        for target in targets.values():
            if not target.draining:
                members.setdefault(target.group_arn, []).append(target)
        for record in records:
            arn = record["TargetGroupArn"]
            group = self.groups.get(arn) or TargetGroup(arn, record)
            group.record = record
            group.targets = members.get(arn, [])
            groups[arn] = group
        self.groups = groups

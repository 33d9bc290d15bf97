"""IAM's policy evaluation: matching actions and resources, conditions, and the decision.

The core is pure: :func:`evaluate` takes policy documents (a role's identity policies: attached
AWS-managed and customer-managed ones and its inline ones), an action, a resource ARN and the
request's condition keys, and returns a :class:`Decision` saying whether IAM would allow it and
why. :func:`trust_decision` answers whether a role's trust policy lets a service principal
``sts:AssumeRole``. The rules are IAM's: an explicit ``Deny`` wins over any ``Allow``; without an
``Allow`` the request is implicitly denied; ``Action``/``NotAction`` match case-insensitively with
``*`` and ``?``; ``Resource``/``NotResource`` match case-sensitively; every condition operator
and every key of a statement must hold, any one value of a key suffices.

:func:`matches` lists every statement that applies to a request (IAM's policy simulator reports
them all), :func:`condition_keys` the keys their conditions read. Parsing and validating
documents is :mod:`.documents`'s concern; where a role's policies are, and the questions other
services ask of a role, are in :mod:`.models`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from operator import eq, ge, gt, le, lt
from typing import Any

from bgkit.local.services.iam.documents import as_list, principal_names, statements

__all__ = [
    "Decision",
    "Match",
    "NamedPolicy",
    "applies",
    "arn_like",
    "condition_holds",
    "condition_keys",
    "conditions_hold",
    "evaluate",
    "known_operator",
    "like",
    "matches",
    "not_authorized_message",
    "parse_date",
    "trust_decision",
]

# --- matching --------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """``text`` lower-cased character by character (its length kept, so ``?`` stays one)."""
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


def _at(segment: str, value: str, start: int) -> bool:
    """Whether ``segment`` (``?`` any one character, no ``*``) matches ``value`` at ``start``."""
    if start < 0 or start + len(segment) > len(value):
        return False
    return all(p == "?" or p == v for p, v in zip(segment, value[start:], strict=False))


def _find(segment: str, value: str, start: int, end: int) -> int:
    """The first index ``>= start`` where ``segment`` matches inside ``value[:end]``, or -1."""
    if "?" not in segment:
        return value.find(segment, start, end)
    for index in range(start, end - len(segment) + 1):
        if _at(segment, value, index):
            return index
    return -1


def like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcard match: ``*`` any run of characters, ``?`` any one character.

    No backtracking: the pieces between ``*`` are found leftmost, one after the other, which is
    at most ``len(pattern) * len(value)`` steps whatever the pattern.
    """
    if ignore_case:
        pattern, value = _fold(pattern), _fold(value)
    first, *middle = pattern.split("*")
    if not middle:
        return len(value) == len(first) and _at(first, value, 0)
    last = middle.pop()
    end = len(value) - len(last)
    if end < len(first) or not _at(first, value, 0) or not _at(last, value, end):
        return False
    position = len(first)
    for segment in middle:
        found = _find(segment, value, position, end)
        if found < 0:
            return False
        position = found + len(segment)
    return True


def arn_like(pattern: str, value: str) -> bool:
    """``ArnLike``: each of the six colon-separated parts is matched on its own."""
    if pattern == "*":
        return True
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return False
    return all(like(p, v) for p, v in zip(p_parts, v_parts, strict=True))


def _matches_any(patterns: Any, value: str, *, ignore_case: bool) -> bool:
    return any(like(p, value, ignore_case=ignore_case) for p in as_list(patterns))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- conditions ------------------------------------------------------------------------------


def parse_date(text: str) -> float:
    """A date condition value: ISO 8601 (``2026-01-01T12:00:00Z``, ``2026-01-01``) or epoch
    seconds."""
    try:
        return float(text)
    except ValueError:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return stamp.replace(tzinfo=stamp.tzinfo or timezone.utc).timestamp()


def _ordered(parse: Callable[[str], Any], compare: Callable[[Any, Any], bool]) -> Callable:
    """A test comparing the request's value to the policy's, both read by ``parse``; a value
    that does not parse never matches."""

    def test(pattern: str, value: str) -> bool:
        try:
            return compare(parse(value), parse(pattern))
        except ValueError:
            return False

    return test


def _in_network(pattern: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return False


_COMPARISONS = {"Equals": eq, "LessThan": lt, "LessThanEquals": le, "GreaterThan": gt,
                "GreaterThanEquals": ge}  # fmt: skip
_TESTS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: like(p, v),
    "ArnEquals": arn_like,
    "ArnLike": arn_like,
    "Bool": lambda p, v: p.lower() == v.lower(),
    "IpAddress": _in_network,
    "BinaryEquals": lambda p, v: p == v,  # both base64 text
    **{f"Numeric{name}": _ordered(float, compare) for name, compare in _COMPARISONS.items()},
    **{f"Date{name}": _ordered(parse_date, compare) for name, compare in _COMPARISONS.items()},
}
_NEGATIONS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}


def _lookup(context: Mapping[str, Any], key: str) -> list[str] | None:
    """A condition key's values in the request (keys are case-insensitive), or ``None``."""
    for name, value in context.items():
        if name.lower() == key.lower():
            if value is None:
                return None
            return [_text(v) for v in as_list(value)]
    return None


def known_operator(operator: str) -> bool:
    """Whether the local evaluator knows a condition operator (``ForAnyValue:StringLike`` …)."""
    qualifier, _, base = operator.rpartition(":")
    base = base.removesuffix("IfExists")
    known = base == "Null" or _NEGATIONS.get(base, base) in _TESTS
    return known and qualifier in ("", "ForAnyValue", "ForAllValues")


def condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    """Whether one ``"<operator>": {"<key>": <expected>}`` condition holds for the request.

    Supports the String*, Arn*, Numeric*, Date*, ``Bool``, ``BinaryEquals``, ``IpAddress``,
    ``NotIpAddress`` and ``Null`` operators with the ``IfExists`` suffix and the
    ``ForAnyValue:`` / ``ForAllValues:`` set qualifiers. A key absent from the request makes a
    positive operator false and a negated one (``StringNotEquals`` …) true, as IAM documents;
    ``...IfExists`` makes it true. An operator the local cloud does not know never holds.
    """
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    values = _lookup(context, key)
    patterns = [_text(p) for p in as_list(expected)]
    if base == "Null":
        return (values is None) == (patterns[0].lower() == "true")
    negated = base in _NEGATIONS
    test = _TESTS.get(_NEGATIONS.get(base, base))
    if test is None:
        return False
    if values is None:
        if if_exists or qualifier == "ForAllValues":
            return True
        return negated and qualifier != "ForAnyValue"

    def one(value: str) -> bool:
        hit = any(test(p, value) for p in patterns)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in values)
    return any(one(v) for v in values)


def conditions_hold(condition: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """Every operator and key of a statement's ``Condition`` block holds."""
    return all(
        condition_holds(operator, key, expected, context)
        for operator, block in condition.items()
        for key, expected in block.items()
    )


def applies(statement: Mapping[str, Any], action: str, resource: str | None) -> bool:
    """Whether a statement's ``Action``/``NotAction`` and ``Resource``/``NotResource`` cover the
    request (``resource=None`` skips the resource, as for a trust policy)."""
    if "Action" in statement:
        if not _matches_any(statement["Action"], action, ignore_case=True):
            return False
    elif "NotAction" in statement:
        if _matches_any(statement["NotAction"], action, ignore_case=True):
            return False
    else:
        return False
    if resource is None:
        return True
    if "Resource" in statement:
        return _matches_any(statement["Resource"], resource, ignore_case=False)
    if "NotResource" in statement:
        return not _matches_any(statement["NotResource"], resource, ignore_case=False)
    return True


# --- evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamedPolicy:
    """A policy document with the name a decision cites (a policy name or ARN)."""

    name: str
    document: Mapping[str, Any]


@dataclass(frozen=True)
class Match:
    """A statement that applies to a request: its policy, its index there (0-based), itself."""

    policy: NamedPolicy
    index: int
    statement: Mapping[str, Any]

    @property
    def effect(self) -> str:
        return str(self.statement.get("Effect"))


@dataclass(frozen=True)
class Decision:
    """IAM's answer to one request, and why.

    Attributes:
        allowed: whether the request is allowed.
        effect: ``"Allow"``, ``"Deny"`` (an explicit deny) or ``"ImplicitDeny"``.
        policy: the name of the policy whose statement decided, if any.
        statement: the index of that statement in its policy (0-based), if any.
        sid: that statement's ``Sid``, if it has one.
        reason: a sentence saying why.
        layer: the kind of policy that decided, in AWS's words: ``identity-based policy`` or
            ``permissions boundary``.
    """

    allowed: bool
    effect: str
    reason: str
    policy: str | None = None
    statement: int | None = None
    sid: str | None = None
    layer: str = "identity-based policy"

    def __bool__(self) -> bool:
        return self.allowed


def _cite(policy: NamedPolicy, index: int, statement: Mapping[str, Any]) -> str:
    sid = f" ({statement['Sid']})" if statement.get("Sid") else ""
    return f"statement {index}{sid} of policy {policy.name}"


def _as_named(policies: Iterable[NamedPolicy | Mapping[str, Any]]) -> list[NamedPolicy]:
    return [
        p if isinstance(p, NamedPolicy) else NamedPolicy(f"#{i}", p) for i, p in enumerate(policies)
    ]


def matches(
    policies: Iterable[NamedPolicy | Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> list[Match]:
    """Every statement, in order, that covers the request and whose conditions hold."""
    context = context or {}
    return [
        Match(policy, index, statement)
        for policy in _as_named(policies)
        for index, statement in enumerate(statements(policy.document))
        if applies(statement, action, resource)
        and conditions_hold(statement.get("Condition", {}), context)
    ]


def condition_keys(
    policies: Iterable[NamedPolicy | Mapping[str, Any]], action: str, resource: str
) -> list[str]:
    """The condition keys (as first spelt) of the statements that cover action and resource."""
    keys: dict[str, str] = {}
    for policy in _as_named(policies):
        for statement in statements(policy.document):
            if applies(statement, action, resource):
                for block in statement.get("Condition", {}).values():
                    for key in block:
                        keys.setdefault(key.lower(), key)
    return list(keys.values())


def evaluate(
    policies: Iterable[NamedPolicy | Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> Decision:
    """Decide one request against identity policies, as IAM does.

    Args:
        policies: the documents (``NamedPolicy`` or bare documents, which are cited by index).
        action: ``service:Action``, e.g. ``iam:PassRole``.
        resource: the resource ARN, e.g. the role passed.
        context: condition keys of the request, e.g. ``{"iam:PassedToService": "..."}``; a
            value may be a string, a bool or a list (a multivalued key).

    Returns:
        The :class:`Decision`: the first explicit deny if any, else the first allow, else an
        implicit deny.
    """
    found = matches(policies, action, resource, context)
    for effect, verb in (("Deny", "explicitly denied"), ("Allow", "allowed")):
        for match in found:
            if match.effect == effect:
                cite = _cite(match.policy, match.index, match.statement)
                return Decision(
                    effect == "Allow", effect, f"{action} on {resource} is {verb} by {cite}",
                    match.policy.name, match.index, match.statement.get("Sid"),
                )  # fmt: skip
    return Decision(
        False, "ImplicitDeny", f"no statement allows {action} on {resource}" + (
            f" with {dict(context)}" if context else ""
        ),
    )  # fmt: skip


def trust_decision(
    document: Mapping[str, Any],
    service: str,
    context: Mapping[str, Any] | None = None,
    action: str = "sts:AssumeRole",
    *,
    kind: str = "Service",
    aliases: Iterable[str] = (),
) -> Decision:
    """Whether a trust policy lets the service principal ``service`` perform ``action``.

    Args:
        document: the role's ``AssumeRolePolicyDocument``, parsed.
        service: a service principal, e.g. ``codedeploy.amazonaws.com``; with ``kind="AWS"``
            the ARN of the calling user, role session or account.
        context: condition keys of the request (``aws:SourceAccount`` …).
        action: the STS action, ``sts:AssumeRole`` unless told.
        kind: the key of the ``Principal`` element that names the caller (``AWS`` for IAM
            principals).
        aliases: other names the caller matches by (its account's id and root ARN, an assumed
            role session's role ARN).
    """
    context = context or {}
    callers = (service, *aliases)
    allow: Decision | None = None
    policy = NamedPolicy("trust policy", document)
    for index, statement in enumerate(statements(document)):
        if "Principal" in statement:
            names = principal_names(statement["Principal"], kind)
            if not any(like(n, c, ignore_case=True) for n in names for c in callers):
                continue
        elif "NotPrincipal" in statement:
            names = principal_names(statement["NotPrincipal"], kind)
            if any(like(n, c, ignore_case=True) for n in names for c in callers):
                continue
        else:
            continue
        if not applies(statement, action, None):
            continue
        if not conditions_hold(statement.get("Condition", {}), context):
            continue
        cite = _cite(policy, index, statement)
        if statement.get("Effect") == "Deny":
            return Decision(
                False, "Deny", f"{service} is explicitly denied {action} by {cite}",
                policy.name, index, statement.get("Sid"),
            )  # fmt: skip
        if allow is None and statement.get("Effect") == "Allow":
            allow = Decision(
                True, "Allow", f"{service} may {action} by {cite}",
                policy.name, index, statement.get("Sid"),
            )  # fmt: skip
    return allow or Decision(False, "ImplicitDeny", f"the trust policy does not trust {service}")


def not_authorized_message(
    principal_arn: str, action: str, resource: str, decision: Decision
) -> str:
    """AWS's ``AccessDenied`` wording for a refused request."""
    article = "an" if decision.layer[0] in "aeiou" else "a"
    why = (
        f"with an explicit deny in {article} {decision.layer}: {decision.policy}"
        if decision.effect == "Deny"
        else f"because no {decision.layer} allows the {action} action"
    )
    return (
        f"User: {principal_arn} is not authorized to perform: {action} "
        f"on resource: {resource} {why}"
    )

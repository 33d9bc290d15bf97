"""IAM policy documents: their validation, their evaluation, and where a role's policies are.

The core is pure: :func:`evaluate` takes policy documents (a role's identity policies: attached
AWS-managed and customer-managed ones and its inline ones), an action, a resource ARN and the
request's condition keys, and returns a :class:`Decision` saying whether IAM would allow it and
why. :func:`trust_decision` answers whether a role's trust policy lets a service principal
``sts:AssumeRole``. The rules are IAM's: an explicit ``Deny`` wins over any ``Allow``; without an
``Allow`` the request is implicitly denied; ``Action``/``NotAction`` match case-insensitively with
``*`` and ``?``; ``Resource``/``NotResource`` match case-sensitively; every condition operator
and every key of a statement must hold, any one value of a key suffices.

:func:`parse_document` validates a document the way IAM does when it is stored, with IAM's
``MalformedPolicyDocument`` messages.

Where a role's policies are kept, and the questions other services ask of a role, are in
:mod:`.models`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from bgkit.data import DATA
from bgkit.errors import ServiceError

#: where the AWS managed policies the local cloud knows are kept, one JSON file each.
MANAGED_DIR = DATA / "iam" / "managed"

MALFORMED = "MalformedPolicyDocument"

TRUST_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
_TOP_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
    "NotResource", "Condition",
}  # fmt: skip


# --- validation ------------------------------------------------------------------------------


def _malformed(message: str) -> ServiceError:
    return ServiceError(MALFORMED, message)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A document's statements as a list (IAM accepts one statement object or a list)."""
    return [s for s in _as_list(document.get("Statement", [])) if isinstance(s, dict)]


def parse_document(text: str, *, trust: bool = False) -> dict[str, Any]:
    """Parse and validate a policy document as IAM does when it is stored.

    Args:
        text: the document as sent (JSON text).
        trust: ``True`` for a role's trust policy (``AssumeRolePolicyDocument``), which names a
            ``Principal`` and no ``Resource``; ``False`` for an identity policy, which names a
            ``Resource`` and no ``Principal``.

    Returns:
        The parsed document.

    Raises:
        ServiceError: ``MalformedPolicyDocument`` with IAM's message for the first problem.
    """
    try:
        document = json.loads(text)
    except ValueError:
        raise _malformed(
            "This policy contains invalid Json" if trust else "Syntax errors in policy."
        ) from None
    if not isinstance(document, dict) or not _TOP_KEYS.issuperset(document):
        raise _malformed("Syntax errors in policy.")
    body = document.get("Statement")
    if not body or not all(isinstance(s, dict) for s in _as_list(body)):
        raise _malformed("Syntax errors in policy.")
    for statement in _as_list(body):
        _check_statement_syntax(statement)
    if document.get("Version") != "2012-10-17":
        raise _malformed("Policy document must be version 2012-10-17 or greater.")
    sids = [s["Sid"] for s in _as_list(body) if s.get("Sid")]
    if len(sids) != len(set(sids)):
        raise _malformed("Statement IDs (SID) in a single policy must be unique.")
    for statement in _as_list(body):
        _check_statement_meaning(statement, trust=trust)
    return document


def _check_statement_syntax(statement: dict[str, Any]) -> None:
    effect = statement.get("Effect")
    if (
        not _STATEMENT_KEYS.issuperset(statement)
        or effect not in ("Allow", "Deny")
        or ("Action" in statement and "NotAction" in statement)
        or ("Resource" in statement and "NotResource" in statement)
    ):
        raise _malformed("Syntax errors in policy.")
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in statement and not all(isinstance(v, str) for v in _as_list(statement[key])):
            raise _malformed("Syntax errors in policy.")
    condition = statement.get("Condition", {})
    if not isinstance(condition, dict) or not all(isinstance(b, dict) for b in condition.values()):
        raise _malformed("Syntax errors in policy.")


def _check_statement_meaning(statement: dict[str, Any], *, trust: bool) -> None:
    actions = _as_list(statement.get("Action", statement.get("NotAction", [])))
    if not actions:
        raise _malformed("Policy statement must contain actions.")
    for action in actions:
        if action != "*" and ":" not in action:
            raise _malformed(
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
            )
    if trust:
        if "Resource" in statement or "NotResource" in statement:
            raise _malformed("Has prohibited field Resource.")
        if not all(a in TRUST_ACTIONS or a == "sts:*" for a in actions):
            raise _malformed(
                "Trust Policy statement actions can only be sts:AssumeRole, "
                "sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"
            )
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise _malformed("AssumeRolepolicy contained an invalid principal element.")
        for key in ("Principal", "NotPrincipal"):
            principal = statement.get(key)
            services = _principal_names(principal, "Service") if principal != "*" else []
            for name in services:
                if not known_service_principal(name):
                    raise _malformed(f'Invalid principal in policy: "SERVICE":"{name}"')
        return
    if "Principal" in statement or "NotPrincipal" in statement:
        raise _malformed("Policy document should not specify a principal.")
    resources = _as_list(statement.get("Resource", statement.get("NotResource", [])))
    if not resources:
        raise _malformed("Policy statement must contain resources.")
    for resource in resources:
        if resource != "*" and not resource.startswith("arn:"):
            raise _malformed(f'Resource {resource} must be in ARN format or "*".')


def known_service_principal(name: str) -> bool:
    """Whether IAM knows ``name`` (``codedeploy.amazonaws.com``, or a regional
    ``codedeploy.eu-west-1.amazonaws.com``) as a service principal (``data/iam/``)."""
    match = re.fullmatch(r"(.+?)(\.[a-z]{2}(?:-[a-z]+)+-\d)?\.amazonaws\.com", name)
    return bool(match) and match.group(1) in _service_principals()


@lru_cache(maxsize=1)
def _service_principals() -> frozenset[str]:
    return frozenset(json.loads((DATA / "iam" / "service-principals.json").read_text())["services"])


# --- matching --------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcard match: ``*`` any run of characters, ``?`` any one character."""
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def arn_like(pattern: str, value: str) -> bool:
    """``ArnLike``: each of the six colon-separated parts is matched on its own."""
    if pattern == "*":
        return True
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return False
    return all(like(p, v) for p, v in zip(p_parts, v_parts, strict=True))


def _matches_any(patterns: Any, value: str, *, ignore_case: bool) -> bool:
    return any(like(p, value, ignore_case=ignore_case) for p in _as_list(patterns))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_STRING_TESTS = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: like(p, v),
    "ArnEquals": arn_like,
    "ArnLike": arn_like,
    "Bool": lambda p, v: p.lower() == v.lower(),
}
_NEGATIONS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _lookup(context: Mapping[str, Any], key: str) -> list[str] | None:
    """A condition key's values in the request (keys are case-insensitive), or ``None``."""
    for name, value in context.items():
        if name.lower() == key.lower():
            if value is None:
                return None
            return [_text(v) for v in _as_list(value)]
    return None


def condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    """Whether one ``"<operator>": {"<key>": <expected>}`` condition holds for the request.

    Supports the String*, Arn*, ``Bool`` and ``Null`` operators with the ``IfExists`` suffix and
    the ``ForAnyValue:`` / ``ForAllValues:`` set qualifiers. A key absent from the request makes a
    positive operator false and a negated one (``StringNotEquals`` …) true, as IAM documents;
    ``...IfExists`` makes it true. An operator the local cloud does not know never holds.
    """
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    values = _lookup(context, key)
    patterns = [_text(p) for p in _as_list(expected)]
    if base == "Null":
        return (values is None) == (patterns[0].lower() == "true")
    negated = base in _NEGATIONS
    test = _STRING_TESTS.get(_NEGATIONS.get(base, base))
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


def _statement_applies(statement: Mapping[str, Any], action: str, resource: str | None) -> bool:
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
class Decision:
    """IAM's answer to one request, and why.

    Attributes:
        allowed: whether the request is allowed.
        effect: ``"Allow"``, ``"Deny"`` (an explicit deny) or ``"ImplicitDeny"``.
        policy: the name of the policy whose statement decided, if any.
        statement: the index of that statement in its policy (0-based), if any.
        sid: that statement's ``Sid``, if it has one.
        reason: a sentence saying why.
    """

    allowed: bool
    effect: str
    reason: str
    policy: str | None = None
    statement: int | None = None
    sid: str | None = None

    def __bool__(self) -> bool:
        return self.allowed


def _cite(policy: NamedPolicy, index: int, statement: Mapping[str, Any]) -> str:
    sid = f" ({statement['Sid']})" if statement.get("Sid") else ""
    return f"statement {index}{sid} of policy {policy.name}"


def _as_named(policies: Iterable[NamedPolicy | Mapping[str, Any]]) -> list[NamedPolicy]:
    return [
        p if isinstance(p, NamedPolicy) else NamedPolicy(f"#{i}", p) for i, p in enumerate(policies)
    ]


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
    context = context or {}
    allow: Decision | None = None
    for policy in _as_named(policies):
        for index, statement in enumerate(statements(policy.document)):
            if not _statement_applies(statement, action, resource):
                continue
            if not conditions_hold(statement.get("Condition", {}), context):
                continue
            cite = _cite(policy, index, statement)
            if statement.get("Effect") == "Deny":
                return Decision(
                    False, "Deny", f"{action} on {resource} is explicitly denied by {cite}",
                    policy.name, index, statement.get("Sid"),
                )  # fmt: skip
            if allow is None and statement.get("Effect") == "Allow":
                allow = Decision(
                    True, "Allow", f"{action} on {resource} is allowed by {cite}",
                    policy.name, index, statement.get("Sid"),
                )  # fmt: skip
    if allow is not None:
        return allow
    return Decision(
        False, "ImplicitDeny", f"no statement allows {action} on {resource}" + (
            f" with {dict(context)}" if context else ""
        ),
    )  # fmt: skip


def _principal_names(principal: Any, kind: str) -> list[str]:
    if principal == "*":
        return ["*"]
    if isinstance(principal, Mapping):
        return [str(v) for v in _as_list(principal.get(kind, []))]
    return []


def trust_decision(
    document: Mapping[str, Any],
    service: str,
    context: Mapping[str, Any] | None = None,
    action: str = "sts:AssumeRole",
) -> Decision:
    """Whether a trust policy lets the service principal ``service`` perform ``action``.

    Args:
        document: the role's ``AssumeRolePolicyDocument``, parsed.
        service: a service principal, e.g. ``codedeploy.amazonaws.com``.
        context: condition keys of the request (``aws:SourceAccount`` …).
        action: the STS action, ``sts:AssumeRole`` unless told.
    """
    context = context or {}
    allow: Decision | None = None
    policy = NamedPolicy("trust policy", document)
    for index, statement in enumerate(statements(document)):
        if "Principal" in statement:
            names = _principal_names(statement["Principal"], "Service")
            if not any(like(n, service, ignore_case=True) for n in names):
                continue
        elif "NotPrincipal" in statement:
            names = _principal_names(statement["NotPrincipal"], "Service")
            if any(like(n, service, ignore_case=True) for n in names):
                continue
        else:
            continue
        if not _statement_applies(statement, action, None):
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
    why = (
        f"with an explicit deny in an identity-based policy: {decision.policy}"
        if decision.effect == "Deny"
        else f"because no identity-based policy allows the {action} action"
    )
    return (
        f"User: {principal_arn} is not authorized to perform: {action} "
        f"on resource: {resource} {why}"
    )


# --- AWS managed policies --------------------------------------------------------------------


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@cache
def managed_policies() -> dict[str, dict[str, Any]]:
    """The AWS managed policies the local cloud knows, by ARN, from ``data/iam/managed``.

    Each is a record shaped like a customer managed policy's (``PolicyName``, ``Arn``, ``Path``,
    ``DefaultVersionId``, ``Description``, ``CreateDate``/``UpdateDate`` in epoch seconds,
    ``Document`` as JSON text), so the IAM provider answers both kinds alike.
    """
    catalogue: dict[str, dict[str, Any]] = {}
    for path in sorted(MANAGED_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        record = {
            **data,
            "CreateDate": _epoch(data["CreateDate"]),
            "UpdateDate": _epoch(data["UpdateDate"]),
            "Document": json.dumps(data["Document"], indent=2),
        }
        catalogue[record["Arn"]] = record
    return catalogue

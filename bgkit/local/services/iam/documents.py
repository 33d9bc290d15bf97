"""IAM policy documents: parsing and validating them, where their statements are, who IAM knows.

:func:`parse_document` validates a document the way IAM does when it is stored, with IAM's
``MalformedPolicyDocument`` messages; a trust policy (``AssumeRolePolicyDocument``) names a
``Principal``, an identity policy a ``Resource``. :func:`known_service_principal` says whether IAM
knows a service principal (``data/iam/service-principals.json``). :func:`statement_spans` finds
each statement in a document's text, for the ``StartPosition``/``EndPosition`` that IAM's policy
simulator reports. :func:`managed_policies` is the catalogue of the AWS managed policies the
local cloud knows (``data/iam/managed``).

How a document is evaluated is :mod:`.evaluation`'s concern.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from bgkit.data import DATA
from bgkit.errors import ServiceError

__all__ = [
    "MALFORMED",
    "MANAGED_DIR",
    "TRUST_ACTIONS",
    "as_list",
    "known_service_principal",
    "managed_policies",
    "parse_document",
    "principal_names",
    "statement_spans",
    "statements",
]

#: where the AWS managed policies the local cloud knows are kept, one JSON file each.
MANAGED_DIR = DATA / "iam" / "managed"

MALFORMED = "MalformedPolicyDocument"

#: the actions a trust policy may allow: the three its refusal names, and the ones a session
#: takes with it (IAM User Guide, *Passing session tags in AWS STS*: a trust policy allows
#: "sts:TagSession" beside "sts:AssumeRole"; *Monitor and control actions taken with assumed
#: roles*: "sts:SetSourceIdentity")
TRUST_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
                 "sts:TagSession", "sts:SetSourceIdentity")  # fmt: skip
_TOP_KEYS = {"Version", "Id", "Statement"}
#: the partitions IAM knows, as the ARNs of a policy's resources may name them
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f",
              "aws-eusc")  # fmt: skip
_VENDOR = re.compile(r"[A-Za-z0-9.-]+")
_STATEMENT_KEYS = {
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
    "NotResource", "Condition",
}  # fmt: skip


def _malformed(message: str) -> ServiceError:
    return ServiceError(MALFORMED, message)


def as_list(value: Any) -> list[Any]:
    """``value`` itself if it is a list, else a list of it (IAM accepts one value or a list)."""
    return list(value) if isinstance(value, list) else [value]


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A document's statements as a list (IAM accepts one statement object or a list)."""
    return [s for s in as_list(document.get("Statement", [])) if isinstance(s, dict)]


def principal_names(principal: Any, kind: str) -> list[str]:
    """The names of one kind (``Service``, ``AWS`` …) in a ``Principal`` element; ``["*"]``
    for ``"Principal": "*"``."""
    if principal == "*":
        return ["*"]
    if isinstance(principal, Mapping):
        return [str(v) for v in as_list(principal.get(kind, []))]
    return []


# --- validation ------------------------------------------------------------------------------


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
    if (
        not isinstance(document, dict)
        or not _TOP_KEYS.issuperset(document)
        or not isinstance(document.get("Id", ""), str)
        or not isinstance(document.get("Version", ""), str)
    ):
        raise _malformed("Syntax errors in policy.")
    body = document.get("Statement")
    if not body or not all(isinstance(s, dict) for s in as_list(body)):
        raise _malformed("Syntax errors in policy.")
    for statement in as_list(body):
        _check_statement_syntax(statement)
    if document.get("Version") != "2012-10-17":
        raise _malformed("Policy document must be version 2012-10-17 or greater.")
    sids = [s["Sid"] for s in as_list(body) if s.get("Sid")]
    if len(sids) != len(set(sids)):
        raise _malformed("Statement IDs (SID) in a single policy must be unique.")
    for statement in as_list(body):
        _check_statement_meaning(statement, trust=trust)
    return document


def _check_statement_syntax(statement: dict[str, Any]) -> None:
    effect = statement.get("Effect")
    if (
        not _STATEMENT_KEYS.issuperset(statement)
        or effect not in ("Allow", "Deny")
        or ("Action" in statement and "NotAction" in statement)
        or ("Resource" in statement and "NotResource" in statement)
        or not isinstance(statement.get("Sid", ""), str)
    ):
        raise _malformed("Syntax errors in policy.")
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in statement and not all(isinstance(v, str) for v in as_list(statement[key])):
            raise _malformed("Syntax errors in policy.")
    condition = statement.get("Condition", {})
    if not isinstance(condition, dict) or not all(isinstance(b, dict) for b in condition.values()):
        raise _malformed("Syntax errors in policy.")


def _check_statement_meaning(statement: dict[str, Any], *, trust: bool) -> None:
    actions = as_list(statement.get("Action", statement.get("NotAction", [])))
    if not actions:
        raise _malformed("Policy statement must contain actions.")
    for action in actions:
        _check_action(action)
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
            services = principal_names(principal, "Service") if principal != "*" else []
            for name in services:
                if not known_service_principal(name):
                    raise _malformed(f'Invalid principal in policy: "SERVICE":"{name}"')
        return
    if "Principal" in statement or "NotPrincipal" in statement:
        raise _malformed("Policy document should not specify a principal.")
    resources = as_list(statement.get("Resource", statement.get("NotResource", [])))
    if not resources:
        raise _malformed("Policy statement must contain resources.")
    for resource in resources:
        _check_resource(resource)


def _check_action(action: str) -> None:
    """IAM's checks of one action's form: ``vendor:Name`` (or ``*``), one colon, a vendor of
    letters, digits, dots and dashes."""
    parts = action.split(":")
    if len(parts) == 1 and action != "*":
        raise _malformed(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        )
    if len(parts) > 2:
        raise _malformed("Actions/Condition can contain only one colon.")
    if parts[0] != "*" and not _VENDOR.fullmatch(parts[0]):
        raise _malformed(f"Vendor {parts[0]} is not valid")


def _check_resource(resource: str) -> None:
    """IAM's checks of one resource: ``*`` or an ARN whose partition IAM knows."""
    if resource == "*":
        return
    _, colon, rest = resource.partition(":")
    if not colon:
        raise _malformed(f'Resource {resource} must be in ARN format or "*".')
    partition, _, rest = rest.partition(":")
    if partition != "*" and partition not in PARTITIONS:
        parts = rest.split(":")
        service = parts[0] if parts[0] or len(parts) > 1 else "*"
        region = parts[1] if len(parts) > 1 else "*"
        account = parts[2] if len(parts) > 2 else "*"
        name = ":".join(parts[3:]) if len(parts) > 3 else "*"
        raise _malformed(
            f'Partition "{partition}" is not valid for resource '
            f'"arn:{partition}:{service}:{region}:{account}:{name}".'
        )


def known_service_principal(name: str) -> bool:
    """Whether IAM knows ``name`` (``codedeploy.amazonaws.com``, or a regional
    ``codedeploy.eu-west-1.amazonaws.com``) as a service principal (``data/iam/``)."""
    match = re.fullmatch(r"(.+?)(\.[a-z]{2}(?:-[a-z]+)+-\d)?\.amazonaws\.com", name)
    return bool(match) and match.group(1) in _service_principals()


@lru_cache(maxsize=1)
def _service_principals() -> frozenset[str]:
    return frozenset(json.loads((DATA / "iam" / "service-principals.json").read_text())["services"])


# --- where the statements are ----------------------------------------------------------------

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _skip(text: str, index: int, punctuation: str = "") -> int:
    """The index past white space, then past one of ``punctuation`` if it is there."""
    index = _SPACE.match(text, index).end()
    if punctuation and text[index] in punctuation:
        index = _SPACE.match(text, index + 1).end()
    return index


def _members(text: str) -> Iterator[tuple[str, int, int, Any]]:
    """``(key, start, end, value)`` of each member of the JSON object that ``text`` holds."""
    index = _skip(text, 0, "{")
    while text[index] != "}":
        key, index = json.decoder.scanstring(text, index + 1)
        start = _skip(text, index, ":")
        value, end = _DECODER.raw_decode(text, start)
        yield key, start, end, value
        index = _skip(text, end, ",")


def _objects(text: str, index: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each object in the JSON array that starts at ``index``."""
    index = _skip(text, index, "[")
    while text[index] != "]":
        value, end = _DECODER.raw_decode(text, index)
        if isinstance(value, dict):
            yield index, end
        index = _skip(text, end, ",")


def _position(text: str, index: int) -> dict[str, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return {"Line": text.count("\n", 0, index) + 1, "Column": index - line_start + 1}


def statement_spans(text: str) -> list[tuple[dict[str, int], dict[str, int]]]:
    """Where each statement object of a valid document's text is, as IAM's simulator says it.

    IAM reports a statement by two ``{"Line": …, "Column": …}`` positions, both 1-based: the
    character just after the statement's opening ``{`` and the one just after its closing ``}``
    (AWS's example: a one-line document whose statement spans characters 37 to 166 is reported
    from column 38 to column 167).

    Returns:
        ``(StartPosition, EndPosition)`` for each statement, in the document's order.
    """
    spans: list[tuple[int, int]] = []
    for key, start, end, value in _members(text):
        if key == "Statement":  # the last one counts, as for json.loads
            spans = [(start, end)] if isinstance(value, dict) else list(_objects(text, start))
    return [(_position(text, start + 1), _position(text, end)) for start, end in spans]


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

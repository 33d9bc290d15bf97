"""A function's resource-based policy: who may invoke it (``AddPermission``, ``GetPolicy``).

The policy is kept as its statements in the function record (``_policy``) and shown as Lambda
shows it: ``{"Version": "2012-10-17", "Id": "default", "Statement": [...]}``, each statement with
its ``Sid``, ``Effect`` ``Allow``, the ``Principal`` (a service, an account or an ARN), the
``Action`` and the function's ARN as ``Resource``, and the conditions ``AddPermission`` was given
(``SourceArn`` → ``ArnLike AWS:SourceArn``, ``SourceAccount`` → ``StringEquals
AWS:SourceAccount``, ``PrincipalOrgID`` → ``StringEquals aws:PrincipalOrgID``).
"""

from __future__ import annotations

import re
from typing import Any

from bgkit.errors import ServiceError

__all__ = ["add_statement", "policy_of", "remove_statement"]

STATEMENT_ID = re.compile(r"([a-zA-Z0-9-_.]+)")
ACTION = re.compile(r"(lambda:[*]|lambda:[a-zA-Z]+|[*])")
_CONDITIONS = {
    "source_arn": ("ArnLike", "AWS:SourceArn"),
    "source_account": ("StringEquals", "AWS:SourceAccount"),
    "principal_org_id": ("StringEquals", "aws:PrincipalOrgID"),
    "event_source_token": ("StringEquals", "lambda:EventSourceToken"),
}


def _principal(principal: str, partition: str) -> dict[str, str] | str:
    if principal == "*":
        return "*"
    if principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
        return {"Service": principal}
    if principal.isdigit():
        return {"AWS": f"arn:{partition}:iam::{principal}:root"}
    return {"AWS": principal}


def add_statement(
    record: dict[str, Any],
    statement_id: str,
    action: str,
    principal: str,
    conditions: dict[str, Any],
) -> dict[str, Any]:
    """Add one statement to a function's policy (in place); the statement."""
    if not STATEMENT_ID.fullmatch(statement_id) or len(statement_id) > 100:
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{statement_id}' at 'statementId' failed to "
            f"satisfy constraint: Member must satisfy regular expression pattern: "
            f"{STATEMENT_ID.pattern}",
        )
    if not ACTION.fullmatch(action):
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{action}' at 'action' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {ACTION.pattern}",
        )
    statements = record.setdefault("_policy", [])
    if any(s["Sid"] == statement_id for s in statements):
        raise ServiceError(
            "ResourceConflictException",
            f"The statement id ({statement_id}) provided already exists. Please provide a new "
            "statement id, or remove the existing statement.",
        )
    statement: dict[str, Any] = {
        "Sid": statement_id,
        "Effect": "Allow",
        # an account's root in the function's own partition (its ARN's second part)
        "Principal": _principal(principal, record["FunctionArn"].split(":")[1]),
        "Action": action,
        "Resource": record["FunctionArn"],
    }
    condition: dict[str, dict[str, str]] = {}
    for member, (operator, key) in _CONDITIONS.items():
        if conditions.get(member):
            condition.setdefault(operator, {})[key] = conditions[member]
    if condition:
        statement["Condition"] = condition
    statements.append(statement)
    return statement


def policy_of(record: dict[str, Any]) -> dict[str, Any]:
    """The function's policy document, or Lambda's 404 when it has no statement."""
    if not record.get("_policy"):
        raise ServiceError(
            "ResourceNotFoundException", "The resource you requested does not exist."
        )
    return {"Version": "2012-10-17", "Id": "default", "Statement": record["_policy"]}


def remove_statement(record: dict[str, Any], statement_id: str) -> None:
    """Remove one statement (in place), or Lambda's 404 when it is not there."""
    statements = record.get("_policy") or []
    kept = [s for s in statements if s["Sid"] != statement_id]
    if len(kept) == len(statements):
        raise ServiceError(
            "ResourceNotFoundException",
            f"Statement {statement_id} is not found in resource policy.",
        )
    record["_policy"] = kept

"""IAM's records, and what other services ask of a role.

IAM is global: its records live in the account-wide partition. Kinds:

- ``role``, keyed by the role's lower-cased name (IAM role names are unique case-insensitively):
  the ``Role`` shape with its trust policy as sent (``AssumeRolePolicyDocument``, JSON text),
  ``AttachedPolicies`` (ARNs) and ``InlinePolicies`` (name → JSON text);
- ``policy``, keyed by ARN: a customer managed policy. AWS managed policies are not stored; they
  come from :func:`.evaluation.managed_policies`.

The ECS and CodeDeploy providers import this module (and only this one) to ask "may role R do A
on X with context C?" (:func:`role_decision`) and "does role R trust service S?"
(:func:`role_trusts`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bgkit.local.provider import RequestContext
from bgkit.local.services.iam.evaluation import (
    Decision,
    NamedPolicy,
    evaluate,
    managed_policies,
    not_authorized_message,
    trust_decision,
)

__all__ = [
    "POLICY",
    "ROLE",
    "Decision",
    "find_role",
    "managed_policy",
    "not_authorized_message",
    "role_decision",
    "role_name_of",
    "role_policies",
    "role_trusts",
]

ROLE = "role"
POLICY = "policy"


def role_name_of(role: str) -> str:
    """``my-role`` from ``my-role`` or ``arn:aws:iam::123456789012:role/some/path/my-role``."""
    return role.rsplit("/", 1)[-1] if role.startswith("arn:") else role


def find_role(ctx: RequestContext, role: str) -> dict[str, Any] | None:
    """The IAM role record named by ``role`` (a name or an ARN), or ``None``."""
    record = ctx.records(ROLE, global_=True).get(role_name_of(role).lower())
    if record is not None and role.startswith("arn:") and record["Arn"] != role:
        return None
    return record


def managed_policy(ctx: RequestContext, arn: str) -> dict[str, Any] | None:
    """An AWS managed or customer managed policy record by ARN, or ``None``."""
    return managed_policies().get(arn) or ctx.records(POLICY, global_=True).get(arn)


def role_policies(ctx: RequestContext, role: str) -> list[NamedPolicy]:
    """A role's identity policies: attached managed ones (by ARN) then inline ones (by name)."""
    record = find_role(ctx, role)
    if record is None:
        return []
    found = []
    for arn in record.get("AttachedPolicies", []):
        policy = managed_policy(ctx, arn)
        if policy is not None:
            found.append(NamedPolicy(arn, json.loads(policy["Document"])))
    for name, text in sorted(record.get("InlinePolicies", {}).items()):
        found.append(NamedPolicy(name, json.loads(text)))
    return found


def role_decision(
    ctx: RequestContext,
    role: str,
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> Decision:
    """May ``role`` (a name or ARN) perform ``action`` on ``resource`` with ``context``?"""
    if find_role(ctx, role) is None:
        return Decision(False, "ImplicitDeny", f"the role {role} does not exist")
    return evaluate(role_policies(ctx, role), action, resource, context)


def role_trusts(
    ctx: RequestContext, role: str, service: str, context: Mapping[str, Any] | None = None
) -> Decision:
    """Does the trust policy of ``role`` (a name or ARN) let ``service`` assume it?"""
    record = find_role(ctx, role)
    if record is None:
        return Decision(False, "ImplicitDeny", f"the role {role} does not exist")
    return trust_decision(json.loads(record["AssumeRolePolicyDocument"]), service, context)

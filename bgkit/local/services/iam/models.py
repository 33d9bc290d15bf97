"""IAM's records, and what other services ask of a role.

IAM is global: its records live in the account-wide partition. Kinds:

- ``role``, keyed by the role's lower-cased name (IAM role names are unique case-insensitively):
  the ``Role`` shape with its trust policy as sent (``AssumeRolePolicyDocument``, JSON text),
  ``AttachedPolicies`` (ARNs) and ``InlinePolicies`` (name → JSON text);
- ``policy``, keyed by ARN: a customer managed policy. AWS managed policies are not stored; they
  come from :func:`.documents.managed_policies`;
- ``user``, keyed by the user's lower-cased name: the ``User`` shape, ``AttachedPolicies``,
  ``InlinePolicies`` and ``AccessKeys`` (each with its secret, as IAM keeps it).

A role or a user may have a ``PermissionsBoundary`` (a managed policy's ARN): its effective
permissions are its identity policies capped by it (:mod:`.boundaries`).

The ECS and CodeDeploy providers import this module (and only this one) to ask "may role R do A
on X with context C?" (:func:`role_decision`) and "does role R trust service S?"
(:func:`role_trusts`). IAM's own operations find and save records here too (:func:`require_role`,
:func:`save_role`, :func:`require_policy` …).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import Records, RequestContext
from bgkit.local.services.iam.boundaries import bounded_decision
from bgkit.local.services.iam.checks import check_arn
from bgkit.local.services.iam.documents import managed_policies
from bgkit.local.services.iam.evaluation import (
    Decision,
    NamedPolicy,
    not_authorized_message,
    trust_decision,
)

__all__ = [
    "POLICY",
    "ROLE",
    "USER",
    "Decision",
    "attachment_count",
    "boundary_count",
    "boundary_policies",
    "customer_policies",
    "entity_policies",
    "find_role",
    "managed_policy",
    "not_authorized_message",
    "require_boundary",
    "require_policy",
    "require_role",
    "require_user",
    "role_decision",
    "role_name_of",
    "role_policies",
    "role_trusts",
    "roles",
    "save_role",
    "save_user",
    "user_by_access_key",
    "users",
]

ROLE = "role"
POLICY = "policy"
USER = "user"


def roles(ctx: RequestContext) -> Records:
    """The account's role records, keyed by lower-cased role name."""
    return ctx.records(ROLE, global_=True)


def customer_policies(ctx: RequestContext) -> Records:
    """The account's customer managed policy records, keyed by ARN."""
    return ctx.records(POLICY, global_=True)


def require_role(ctx: RequestContext, role_name: str) -> dict[str, Any]:
    """The role record named ``role_name``, or IAM's ``NoSuchEntity``."""
    return roles(ctx).require(
        role_name.lower(), "NoSuchEntity", f"The role with name {role_name} cannot be found."
    )


def save_role(ctx: RequestContext, record: dict[str, Any]) -> None:
    roles(ctx).put(record["RoleName"].lower(), record)


def require_policy(ctx: RequestContext, policy_arn: str) -> dict[str, Any]:
    """The managed policy (AWS or customer) ``policy_arn``, or ``InvalidInput`` for an ARN that
    is not one and ``NoSuchEntity`` for a policy that does not exist."""
    check_arn(policy_arn)
    record = managed_policy(ctx, policy_arn)
    if record is None:
        raise ServiceError("NoSuchEntity", f"Policy {policy_arn} was not found.")
    return record


def users(ctx: RequestContext) -> Records:
    """The account's user records, keyed by lower-cased user name."""
    return ctx.records(USER, global_=True)


def require_user(ctx: RequestContext, user_name: str) -> dict[str, Any]:
    """The user record named ``user_name``, or IAM's ``NoSuchEntity``."""
    return users(ctx).require(
        user_name.lower(), "NoSuchEntity", f"The user with name {user_name} cannot be found."
    )


def save_user(ctx: RequestContext, record: dict[str, Any]) -> None:
    users(ctx).put(record["UserName"].lower(), record)


def user_by_access_key(ctx: RequestContext, access_key_id: str) -> dict[str, Any] | None:
    """The user one of whose active access keys is ``access_key_id``, or ``None``."""
    for record in users(ctx).list():
        for key in record["AccessKeys"]:
            if key["AccessKeyId"] == access_key_id and key["Status"] == "Active":
                return record
    return None


def _entities(ctx: RequestContext) -> list[dict[str, Any]]:
    return roles(ctx).list() + users(ctx).list()


def attachment_count(ctx: RequestContext, policy_arn: str) -> int:
    """How many roles and users have ``policy_arn`` attached."""
    return sum(policy_arn in r.get("AttachedPolicies", []) for r in _entities(ctx))


def boundary_count(ctx: RequestContext, policy_arn: str) -> int:
    """How many roles and users have ``policy_arn`` as their permissions boundary."""
    return sum(r.get("PermissionsBoundary") == policy_arn for r in _entities(ctx))


def require_boundary(ctx: RequestContext, policy_arn: str) -> None:
    """Refuse, as IAM does, a permissions boundary that is not an existing managed policy."""
    check_arn(policy_arn)
    if managed_policy(ctx, policy_arn) is None:
        # IAM's wording for a boundary it cannot find (recalled, not checked against AWS)
        raise ServiceError(
            "NoSuchEntity", f"Scope ARN: {policy_arn} does not exist or is not attachable."
        )


def role_name_of(role: str) -> str:
    """``my-role`` from ``my-role`` or ``arn:aws:iam::123456789012:role/some/path/my-role``."""
    return role.rsplit("/", 1)[-1] if role.startswith("arn:") else role


def find_role(ctx: RequestContext, role: str) -> dict[str, Any] | None:
    """The IAM role record named by ``role`` (a name or an ARN), or ``None``."""
    record = roles(ctx).get(role_name_of(role).lower())
    if record is not None and role.startswith("arn:") and record["Arn"] != role:
        return None
    return record


def managed_policy(ctx: RequestContext, arn: str) -> dict[str, Any] | None:
    """An AWS managed or customer managed policy record by ARN, or ``None``."""
    return managed_policies().get(arn) or customer_policies(ctx).get(arn)


def role_policies(ctx: RequestContext, role: str) -> list[NamedPolicy]:
    """A role's identity policies: attached managed ones (by ARN) then inline ones (by name)."""
    record = find_role(ctx, role)
    return [] if record is None else entity_policies(ctx, record)


def entity_policies(ctx: RequestContext, record: Mapping[str, Any]) -> list[NamedPolicy]:
    """A role's or a user's identity policies: attached managed ones (by ARN) then inline ones
    (by name)."""
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
    record = find_role(ctx, role)
    if record is None:
        return Decision(False, "ImplicitDeny", f"the role {role} does not exist")
    return bounded_decision(
        entity_policies(ctx, record), boundary_policies(ctx, record), action, resource, context
    )


def boundary_policies(ctx: RequestContext, record: Mapping[str, Any]) -> list[NamedPolicy] | None:
    """The permissions boundary of a role or a user as a list of its one policy, ``[]`` when
    that policy is gone, ``None`` when the entity has no boundary."""
    arn = record.get("PermissionsBoundary")
    if not arn:
        return None
    policy = managed_policy(ctx, arn)
    return [] if policy is None else [NamedPolicy(arn, json.loads(policy["Document"]))]


def role_trusts(
    ctx: RequestContext,
    role: str,
    service: str,
    context: Mapping[str, Any] | None = None,
    **how: Any,
) -> Decision:
    """Does the trust policy of ``role`` (a name or ARN) let ``service`` assume it? ``how`` is
    :func:`.evaluation.trust_decision`'s ``action``, ``kind`` and ``aliases`` (STS asks for an
    IAM principal with ``kind="AWS"``)."""
    record = find_role(ctx, role)
    if record is None:
        return Decision(False, "ImplicitDeny", f"the role {role} does not exist")
    return trust_decision(json.loads(record["AssumeRolePolicyDocument"]), service, context, **how)

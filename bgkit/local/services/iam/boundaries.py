"""Permissions boundaries: what a role's or a user's effective permissions are.

A permissions boundary is a managed policy set on a role or a user (``PermissionsBoundary``): it
does not grant anything, it caps what the entity's identity policies grant. AWS's *Policy
evaluation logic* and *Permissions boundaries for IAM entities* pages say how the two combine,
and :func:`bounded_decision` follows them:

1. an explicit ``Deny`` in an identity policy or in the boundary denies the request;
2. else, when the entity has a boundary, the boundary must allow the request (without an
   ``Allow`` there the request is implicitly denied, whatever the identity policies say);
3. else an ``Allow`` in an identity policy allows it; without one it is implicitly denied.

A resource-based policy that names the entity itself would allow a request the boundary does not
cap (AWS's page); none of the local cloud's resources has one the walkthrough writes, so
:func:`bounded_decision` evaluates identity policies and boundaries only. A boundary whose policy
has been deleted allows nothing (AWS refuses to delete a policy in use as a boundary, so this
happens only to a boundary that is an AWS managed policy the local cloud does not know).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from bgkit.local.services.iam.evaluation import Decision, NamedPolicy, evaluate

__all__ = ["BOUNDARY_TYPE", "boundary_view", "bounded_decision"]

#: the only ``PermissionsBoundaryType`` IAM has
BOUNDARY_TYPE = "PermissionsBoundaryPolicy"
#: how AWS's AccessDenied messages name a boundary
LAYER = "permissions boundary"


def boundary_view(arn: str) -> dict[str, str]:
    """The ``AttachedPermissionsBoundary`` shape of a boundary set to the policy ``arn``."""
    return {"PermissionsBoundaryType": BOUNDARY_TYPE, "PermissionsBoundaryArn": arn}


def bounded_decision(
    identity: Iterable[NamedPolicy],
    boundary: list[NamedPolicy] | None,
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> Decision:
    """Decide one request against an entity's identity policies capped by its boundary.

    Args:
        identity: the entity's identity policies (attached managed ones, inline ones).
        boundary: the boundary's policy (a list of one), ``[]`` for a boundary whose policy is
            gone (nothing allowed), or ``None`` for an entity without a boundary.
        action: ``service:Action``.
        resource: the resource ARN (``*`` for an action without resource-level permissions).
        context: the request's condition keys.
    """
    decision = evaluate(list(identity), action, resource, context)
    if boundary is None or decision.effect == "Deny":
        return decision
    capped = replace(evaluate(boundary, action, resource, context), layer=LAYER)
    if capped.effect == "Deny":
        return capped
    if not capped.allowed:
        name = boundary[0].name if boundary else "(a policy that no longer exists)"
        return Decision(
            False, "ImplicitDeny",
            f"the permissions boundary {name} does not allow {action} on {resource}",
            name, layer=LAYER,
        )  # fmt: skip
    return decision

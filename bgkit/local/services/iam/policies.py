"""IAM policies: managed ones (AWS's and the customer's) and a role's inline ones —
:class:`PolicyOperations`.

AWS managed policies are not stored: they come from ``data/iam/managed``
(:func:`.documents.managed_policies`) and every account sees them. A customer managed policy is
kept under its ARN with its versions (:mod:`.versions`); a role or a user keeps the ARNs attached
to it and its inline policies by name. Documents are stored as the text the caller sent and go
out URL-encoded, as IAM sends them (botocore decodes them and parses the JSON).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.iam.checks import (
    MAX_ATTACHED,
    MAX_INLINE_BYTES,
    MAX_MANAGED_BYTES,
    PAGER,
    POLICY_PATH,
    check_arn,
    check_name,
    check_path,
    invalid,
    merge_tags,
)
from bgkit.local.services.iam.documents import managed_policies, parse_document
from bgkit.local.services.iam.models import (
    attachment_count,
    boundary_count,
    customer_policies,
    managed_policy,
    require_policy,
    require_role,
    save_role,
)

__all__ = ["PolicyOperations", "attach", "attached_views", "detach", "put_inline"]


def _policy_view(
    ctx: RequestContext, record: dict[str, Any], *, full: bool = True
) -> dict[str, Any]:
    view = {
        key: record[key] for key in ("PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId")
    }
    view.update(
        AttachmentCount=attachment_count(ctx, record["Arn"]),
        PermissionsBoundaryUsageCount=boundary_count(ctx, record["Arn"]),
        IsAttachable=True,
        CreateDate=record["CreateDate"],
        UpdateDate=record["UpdateDate"],
    )
    if full and record.get("Description"):
        view["Description"] = record["Description"]
    if full:
        view["Tags"] = record.get("Tags", [])
    return view


def attach(ctx: RequestContext, record: dict[str, Any], policy_arn: str, quota: str) -> bool:
    """Attach the managed policy ``policy_arn`` to a role's or a user's record (``quota`` names
    IAM's quota in its message: ``PoliciesPerRole`` …); ``False`` when it already was."""
    check_arn(policy_arn)
    if managed_policy(ctx, policy_arn) is None:
        raise ServiceError(
            "NoSuchEntity", f"Policy {policy_arn} does not exist or is not attachable."
        )
    if policy_arn in record["AttachedPolicies"]:
        return False
    if len(record["AttachedPolicies"]) >= MAX_ATTACHED:
        raise ServiceError("LimitExceeded", f"Cannot exceed quota for {quota}: {MAX_ATTACHED}.")
    record["AttachedPolicies"].append(policy_arn)
    return True


def detach(record: dict[str, Any], policy_arn: str) -> None:
    """Detach ``policy_arn`` from a role's or a user's record, or IAM's ``NoSuchEntity``."""
    check_arn(policy_arn)
    if policy_arn not in record["AttachedPolicies"]:
        raise ServiceError("NoSuchEntity", f"Policy {policy_arn} was not found.")
    record["AttachedPolicies"].remove(policy_arn)


def attached_views(
    ctx: RequestContext, record: dict[str, Any], path_prefix: str
) -> list[dict[str, str]]:
    """The ``AttachedPolicy`` shapes of a role's or a user's managed policies under a path."""
    attached = []
    for arn in record["AttachedPolicies"]:
        policy = managed_policy(ctx, arn)
        if policy is not None and policy["Path"].startswith(path_prefix):
            attached.append({"PolicyName": policy["PolicyName"], "PolicyArn": arn})
    return attached


def put_inline(
    record: dict[str, Any], policy_name: str, policy_document: str, limit: int, owner: str
) -> None:
    """Set the inline policy ``policy_name`` of a role's or a user's record, all of its inline
    policies together at most ``limit`` bytes without white space (``owner``: ``role r``)."""
    check_name(policy_name, "policyName", 128)
    parse_document(policy_document)
    inline = {**record["InlinePolicies"], policy_name: policy_document}
    size = sum(len(re.sub(r"\s", "", text)) for text in inline.values())
    if size > limit:
        raise ServiceError(
            "LimitExceeded", f"Maximum policy size of {limit} bytes exceeded for {owner}"
        )
    record["InlinePolicies"] = inline


def _inline(ctx: RequestContext, role_name: str, policy_name: str) -> dict[str, Any]:
    record = require_role(ctx, role_name)
    if policy_name not in record["InlinePolicies"]:
        raise ServiceError(
            "NoSuchEntity", f"The role policy with name {policy_name} cannot be found."
        )
    return record


class PolicyOperations:
    """Attaching managed policies to roles, a role's inline policies, customer managed
    policies: mixed into the provider."""

    # attached (managed) policies --------------------------------------------------------------

    def attach_role_policy(self, ctx: RequestContext, role_name: str, policy_arn: str) -> None:
        record = require_role(ctx, role_name)
        if attach(ctx, record, policy_arn, "PoliciesPerRole"):
            save_role(ctx, record)

    def detach_role_policy(self, ctx: RequestContext, role_name: str, policy_arn: str) -> None:
        record = require_role(ctx, role_name)
        detach(record, policy_arn)
        save_role(ctx, record)

    def list_attached_role_policies(
        self, ctx: RequestContext, role_name: str, path_prefix: str = "/", **paging: Any
    ) -> dict[str, Any]:
        attached = attached_views(ctx, require_role(ctx, role_name), path_prefix)
        return PAGER.page("ListAttachedRolePolicies", attached, paging)

    # inline policies --------------------------------------------------------------------------

    def put_role_policy(
        self, ctx: RequestContext, role_name: str, policy_name: str, policy_document: str
    ) -> None:
        record = require_role(ctx, role_name)
        put_inline(record, policy_name, policy_document, MAX_INLINE_BYTES, f"role {role_name}")
        save_role(ctx, record)

    def get_role_policy(
        self, ctx: RequestContext, role_name: str, policy_name: str
    ) -> dict[str, Any]:
        record = _inline(ctx, role_name, policy_name)
        return {
            "RoleName": record["RoleName"],
            "PolicyName": policy_name,
            "PolicyDocument": quote(record["InlinePolicies"][policy_name], safe=""),
        }

    def delete_role_policy(self, ctx: RequestContext, role_name: str, policy_name: str) -> None:
        record = _inline(ctx, role_name, policy_name)
        del record["InlinePolicies"][policy_name]
        save_role(ctx, record)

    def list_role_policies(
        self, ctx: RequestContext, role_name: str, **paging: Any
    ) -> dict[str, Any]:
        names = sorted(require_role(ctx, role_name)["InlinePolicies"])
        return PAGER.page("ListRolePolicies", names, paging)

    # customer managed policies ----------------------------------------------------------------

    def create_policy(
        self,
        ctx: RequestContext,
        policy_name: str,
        policy_document: str,
        path: str = "/",
        description: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        check_name(policy_name, "policyName", 128)
        check_path(path, POLICY_PATH)
        if any(p["PolicyName"] == policy_name for p in customer_policies(ctx).list()):
            raise ServiceError(
                "EntityAlreadyExists",
                f"A policy called {policy_name} already exists. Duplicate names are not allowed.",
            )
        parse_document(policy_document)
        if len(re.sub(r"\s", "", policy_document)) > MAX_MANAGED_BYTES:
            raise ServiceError(
                "LimitExceeded", f"Cannot exceed quota for PolicySize: {MAX_MANAGED_BYTES}"
            )
        now = ctx.now()
        record = {
            "PolicyName": policy_name,
            "PolicyId": "ANPA" + ctx.ids.upper("policy", 17),
            "Arn": ctx.arn("iam", f"policy{path}{policy_name}", global_=True),
            "Path": path,
            "DefaultVersionId": "v1",
            "Description": description,
            "CreateDate": now,
            "UpdateDate": now,
            "Tags": merge_tags([], tags or []),
            "Document": policy_document,
        }
        customer_policies(ctx).put(record["Arn"], record)
        view = _policy_view(ctx, record)
        view.pop("Description", None)
        if not view["Tags"]:
            view.pop("Tags")
        return {"Policy": view}

    def get_policy(self, ctx: RequestContext, policy_arn: str) -> dict[str, Any]:
        return {"Policy": _policy_view(ctx, require_policy(ctx, policy_arn))}

    def delete_policy(self, ctx: RequestContext, policy_arn: str) -> None:
        record = require_policy(ctx, policy_arn)
        if policy_arn in managed_policies():
            raise ServiceError(
                "InvalidInput",
                f"Policy {policy_arn} is an AWS managed policy and cannot be deleted; "
                "detach it from your roles instead.",
            )
        # a policy in use as a permissions boundary counts as attached (the refusal is IAM's
        # DeleteConflict; that its message is the attachment one is our reading)
        if attachment_count(ctx, policy_arn) or boundary_count(ctx, policy_arn):
            raise ServiceError("DeleteConflict", "Cannot delete a policy attached to entities.")
        customer_policies(ctx).delete(record["Arn"])

    def list_policies(
        self,
        ctx: RequestContext,
        scope: str = "All",
        only_attached: bool = False,
        path_prefix: str = "/",
        **paging: Any,
    ) -> dict[str, Any]:
        if scope not in ("All", "AWS", "Local"):
            raise invalid(scope, "scope", "Member must satisfy enum value set: [All, AWS, Local]")
        found = []
        if scope in ("All", "AWS"):
            found += list(managed_policies().values())
        if scope in ("All", "Local"):
            found += customer_policies(ctx).list()
        views = [
            _policy_view(ctx, p, full=False)
            for p in sorted(found, key=lambda p: p["PolicyName"])
            if p["Path"].startswith(path_prefix)
        ]
        if only_attached:
            views = [v for v in views if v["AttachmentCount"]]
        return PAGER.page("ListPolicies", views, paging)

"""IAM roles, their trust policy and their tags: :class:`RoleOperations`.

A role is kept under its lower-cased name (IAM role names are unique case-insensitively) with its
trust policy as the caller sent it; IAM's responses carry it URL-encoded (botocore decodes it and
parses the JSON). A role with policies, attached or inline, cannot be deleted. A role may have a
permissions boundary (:mod:`.boundaries`), given at creation or later.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.iam.boundaries import boundary_view
from bgkit.local.services.iam.checks import (
    PAGER,
    ROLE_PATH,
    check_name,
    check_path,
    check_session_duration,
    merge_tags,
)
from bgkit.local.services.iam.documents import parse_document
from bgkit.local.services.iam.models import require_boundary, require_role, roles, save_role
from bgkit.local.tagging import remove

__all__ = ["RoleOperations", "role_view"]


def role_view(record: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    """The ``Role`` shape of a record: ``full`` for GetRole (tags, ``RoleLastUsed``), not for
    ListRoles."""
    view = {
        "Path": record["Path"],
        "RoleName": record["RoleName"],
        "RoleId": record["RoleId"],
        "Arn": record["Arn"],
        "CreateDate": record["CreateDate"],
        "AssumeRolePolicyDocument": quote(record["AssumeRolePolicyDocument"], safe=""),
        "MaxSessionDuration": record["MaxSessionDuration"],
    }
    if record.get("Description") is not None:
        view["Description"] = record["Description"]
    if full and record.get("PermissionsBoundary"):
        view["PermissionsBoundary"] = boundary_view(record["PermissionsBoundary"])
    if full:
        if record.get("Tags"):
            view["Tags"] = record["Tags"]
        view["RoleLastUsed"] = {}
    return view


class RoleOperations:
    """CreateRole … DeleteRole and TagRole, UntagRole, ListRoleTags, mixed into the provider."""

    # roles ------------------------------------------------------------------------------------

    def create_role(
        self,
        ctx: RequestContext,
        role_name: str,
        assume_role_policy_document: str,
        path: str = "/",
        description: str | None = None,
        max_session_duration: int | None = None,
        tags: list[dict[str, str]] | None = None,
        permissions_boundary: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        check_name(role_name, "roleName", 64)
        check_path(path, ROLE_PATH)
        check_session_duration(max_session_duration)
        if role_name.lower() in roles(ctx):
            raise ServiceError("EntityAlreadyExists", f"Role with name {role_name} already exists.")
        parse_document(assume_role_policy_document, trust=True)
        if permissions_boundary is not None:
            require_boundary(ctx, permissions_boundary)
        record = {
            "Path": path,
            "RoleName": role_name,
            "RoleId": "AROA" + ctx.ids.upper("role", 17),
            "Arn": ctx.arn("iam", f"role{path}{role_name}", global_=True),
            "CreateDate": ctx.now(),
            "AssumeRolePolicyDocument": assume_role_policy_document,
            "Description": description,
            "MaxSessionDuration": max_session_duration or 3600,
            "Tags": merge_tags([], tags or []),
            "AttachedPolicies": [],
            "InlinePolicies": {},
            "PermissionsBoundary": permissions_boundary,
        }
        save_role(ctx, record)
        view = role_view(record)
        view.pop("RoleLastUsed")
        return {"Role": view}

    def get_role(self, ctx: RequestContext, role_name: str) -> dict[str, Any]:
        return {"Role": role_view(require_role(ctx, role_name))}

    def list_roles(
        self, ctx: RequestContext, path_prefix: str = "/", **paging: Any
    ) -> dict[str, Any]:
        found = sorted(
            (r for r in roles(ctx).list() if r["Path"].startswith(path_prefix)),
            key=lambda r: r["RoleName"],
        )
        return PAGER.page("ListRoles", found, paging, show=lambda r: role_view(r, full=False))

    def update_role(
        self,
        ctx: RequestContext,
        role_name: str,
        description: str | None = None,
        max_session_duration: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        record = require_role(ctx, role_name)
        check_session_duration(max_session_duration)
        if description is not None:
            record["Description"] = description
        if max_session_duration is not None:
            record["MaxSessionDuration"] = max_session_duration
        save_role(ctx, record)
        return {}

    def update_assume_role_policy(
        self, ctx: RequestContext, role_name: str, policy_document: str
    ) -> None:
        record = require_role(ctx, role_name)
        parse_document(policy_document, trust=True)
        record["AssumeRolePolicyDocument"] = policy_document
        save_role(ctx, record)

    def delete_role(self, ctx: RequestContext, role_name: str) -> None:
        record = require_role(ctx, role_name)
        if record["InlinePolicies"]:
            raise ServiceError(
                "DeleteConflict", "Cannot delete entity, must delete policies first."
            )
        if record["AttachedPolicies"]:
            raise ServiceError(
                "DeleteConflict", "Cannot delete entity, must detach all policies first."
            )
        roles(ctx).delete(role_name.lower())

    def put_role_permissions_boundary(
        self, ctx: RequestContext, role_name: str, permissions_boundary: str
    ) -> None:
        record = require_role(ctx, role_name)
        require_boundary(ctx, permissions_boundary)
        record["PermissionsBoundary"] = permissions_boundary
        save_role(ctx, record)

    def delete_role_permissions_boundary(self, ctx: RequestContext, role_name: str) -> None:
        record = require_role(ctx, role_name)
        record["PermissionsBoundary"] = None
        save_role(ctx, record)

    # role tags --------------------------------------------------------------------------------

    def tag_role(self, ctx: RequestContext, role_name: str, tags: list[dict[str, str]]) -> None:
        record = require_role(ctx, role_name)
        record["Tags"] = merge_tags(record["Tags"], tags)
        save_role(ctx, record)

    def untag_role(self, ctx: RequestContext, role_name: str, tag_keys: list[str]) -> None:
        record = require_role(ctx, role_name)
        record["Tags"] = remove(record["Tags"], tag_keys, fold=str.lower)
        save_role(ctx, record)

    def list_role_tags(self, ctx: RequestContext, role_name: str, **paging: Any) -> dict[str, Any]:
        return PAGER.page("ListRoleTags", require_role(ctx, role_name)["Tags"], paging)

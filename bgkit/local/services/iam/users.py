"""IAM users, their policies, permissions boundary, access keys and tags: :class:`UserOperations`.

A facilitator makes one user a workshop participant (``bgkit workshop``): a user is kept under its
lower-cased name (user names are unique case-insensitively, as role names are) with its attached
managed policies, its inline ones, its permissions boundary and its access keys. A request signed
with one of those keys is evaluated as the user (:mod:`.authorization`). A user with policies or
access keys cannot be deleted, as IAM refuses it.
"""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import quote

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.iam.boundaries import boundary_view
from bgkit.local.services.iam.checks import PAGER, ROLE_PATH, check_name, check_path, merge_tags
from bgkit.local.services.iam.models import (
    require_boundary,
    require_user,
    save_user,
    users,
)
from bgkit.local.services.iam.policies import attach, attached_views, detach, put_inline
from bgkit.local.tagging import remove

__all__ = ["CALLER", "UserOperations", "user_view"]

#: ``ctx.extras`` key under which the authorizer leaves the calling user's name
CALLER = "iam_user"
#: IAM's quotas: inline policies of a user together, access keys a user
MAX_USER_INLINE_BYTES = 2048
MAX_ACCESS_KEYS = 2
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def user_view(record: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    """The ``User`` shape of a record: ``full`` for GetUser and CreateUser (tags, boundary)."""
    view = {key: record[key] for key in ("Path", "UserName", "UserId", "Arn", "CreateDate")}
    if full and record.get("PermissionsBoundary"):
        view["PermissionsBoundary"] = boundary_view(record["PermissionsBoundary"])
    if full and record.get("Tags"):
        view["Tags"] = record["Tags"]
    return view


def _inline(ctx: RequestContext, user_name: str, policy_name: str) -> dict[str, Any]:
    record = require_user(ctx, user_name)
    if policy_name not in record["InlinePolicies"]:
        raise ServiceError(
            "NoSuchEntity", f"The user policy with name {policy_name} cannot be found."
        )
    return record


class UserOperations:
    """CreateUser … DeleteUser, a user's policies, boundary, access keys and tags, mixed into
    the provider."""

    # users ------------------------------------------------------------------------------------

    def create_user(
        self,
        ctx: RequestContext,
        user_name: str,
        path: str = "/",
        permissions_boundary: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        check_name(user_name, "userName", 64)
        check_path(path, ROLE_PATH)
        if user_name.lower() in users(ctx):
            raise ServiceError("EntityAlreadyExists", f"User with name {user_name} already exists.")
        if permissions_boundary is not None:
            require_boundary(ctx, permissions_boundary)
        record = {
            "Path": path,
            "UserName": user_name,
            "UserId": "AIDA" + ctx.ids.upper("user", 17),
            "Arn": ctx.arn("iam", f"user{path}{user_name}", global_=True),
            "CreateDate": ctx.now(),
            "Tags": merge_tags([], tags or []),
            "PermissionsBoundary": permissions_boundary,
            "AttachedPolicies": [],
            "InlinePolicies": {},
            "AccessKeys": [],
        }
        save_user(ctx, record)
        return {"User": user_view(record)}

    def get_user(self, ctx: RequestContext, user_name: str | None = None) -> dict[str, Any]:
        if user_name is None:
            user_name = ctx.extras.get(CALLER)
            if user_name is None:
                raise ServiceError(
                    "ValidationError",
                    "Must specify userName when calling with non-User credentials (the local "
                    "cloud's default caller is the account itself, not an IAM user).",
                )
        return {"User": user_view(require_user(ctx, user_name))}

    def list_users(
        self, ctx: RequestContext, path_prefix: str = "/", **paging: Any
    ) -> dict[str, Any]:
        found = sorted(
            (u for u in users(ctx).list() if u["Path"].startswith(path_prefix)),
            key=lambda u: u["UserName"],
        )
        return PAGER.page("ListUsers", found, paging, show=lambda u: user_view(u, full=False))

    def delete_user(self, ctx: RequestContext, user_name: str) -> None:
        record = require_user(ctx, user_name)
        for held, what in (
            ("AccessKeys", "must delete access keys first"),
            ("InlinePolicies", "must delete policies first"),
            ("AttachedPolicies", "must detach all policies first"),
        ):
            if record[held]:
                raise ServiceError("DeleteConflict", f"Cannot delete entity, {what}.")
        users(ctx).delete(user_name.lower())

    def put_user_permissions_boundary(
        self, ctx: RequestContext, user_name: str, permissions_boundary: str
    ) -> None:
        record = require_user(ctx, user_name)
        require_boundary(ctx, permissions_boundary)
        record["PermissionsBoundary"] = permissions_boundary
        save_user(ctx, record)

    def delete_user_permissions_boundary(self, ctx: RequestContext, user_name: str) -> None:
        record = require_user(ctx, user_name)
        record["PermissionsBoundary"] = None
        save_user(ctx, record)

    # a user's policies ------------------------------------------------------------------------

    def attach_user_policy(self, ctx: RequestContext, user_name: str, policy_arn: str) -> None:
        record = require_user(ctx, user_name)
        if attach(ctx, record, policy_arn, "PoliciesPerUser"):
            save_user(ctx, record)

    def detach_user_policy(self, ctx: RequestContext, user_name: str, policy_arn: str) -> None:
        record = require_user(ctx, user_name)
        detach(record, policy_arn)
        save_user(ctx, record)

    def list_attached_user_policies(
        self, ctx: RequestContext, user_name: str, path_prefix: str = "/", **paging: Any
    ) -> dict[str, Any]:
        attached = attached_views(ctx, require_user(ctx, user_name), path_prefix)
        return PAGER.page("ListAttachedUserPolicies", attached, paging)

    def put_user_policy(
        self, ctx: RequestContext, user_name: str, policy_name: str, policy_document: str
    ) -> None:
        record = require_user(ctx, user_name)
        owner = f"user {user_name}"
        put_inline(record, policy_name, policy_document, MAX_USER_INLINE_BYTES, owner)
        save_user(ctx, record)

    def get_user_policy(
        self, ctx: RequestContext, user_name: str, policy_name: str
    ) -> dict[str, Any]:
        record = _inline(ctx, user_name, policy_name)
        return {
            "UserName": record["UserName"],
            "PolicyName": policy_name,
            "PolicyDocument": quote(record["InlinePolicies"][policy_name], safe=""),
        }

    def delete_user_policy(self, ctx: RequestContext, user_name: str, policy_name: str) -> None:
        record = _inline(ctx, user_name, policy_name)
        del record["InlinePolicies"][policy_name]
        save_user(ctx, record)

    def list_user_policies(
        self, ctx: RequestContext, user_name: str, **paging: Any
    ) -> dict[str, Any]:
        names = sorted(require_user(ctx, user_name)["InlinePolicies"])
        return PAGER.page("ListUserPolicies", names, paging)

    # access keys ------------------------------------------------------------------------------

    def create_access_key(
        self, ctx: RequestContext, user_name: str | None = None
    ) -> dict[str, Any]:
        record = require_user(ctx, user_name or ctx.extras.get(CALLER) or "")
        if len(record["AccessKeys"]) >= MAX_ACCESS_KEYS:
            raise ServiceError(
                "LimitExceeded", f"Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}"
            )
        key = {
            "AccessKeyId": "AKIA" + ctx.ids.upper("access-key", 16),
            "SecretAccessKey": ctx.ids.draw("secret-access-key", SECRET_ALPHABET, 40),
            "Status": "Active",
            "CreateDate": ctx.now(),
        }
        record["AccessKeys"].append(key)
        save_user(ctx, record)
        return {"AccessKey": {"UserName": record["UserName"], **key}}

    def list_access_keys(
        self, ctx: RequestContext, user_name: str | None = None, **paging: Any
    ) -> dict[str, Any]:
        record = require_user(ctx, user_name or ctx.extras.get(CALLER) or "")
        keys = [
            {
                "UserName": record["UserName"],
                **{k: v for k, v in key.items() if k != "SecretAccessKey"},
            }
            for key in record["AccessKeys"]
        ]
        return PAGER.page("ListAccessKeys", keys, paging)

    def delete_access_key(
        self, ctx: RequestContext, access_key_id: str, user_name: str | None = None
    ) -> None:
        record = require_user(ctx, user_name or ctx.extras.get(CALLER) or "")
        kept = [k for k in record["AccessKeys"] if k["AccessKeyId"] != access_key_id]
        if len(kept) == len(record["AccessKeys"]):
            raise ServiceError(
                "NoSuchEntity", f"The Access Key with id {access_key_id} cannot be found."
            )
        record["AccessKeys"] = kept
        save_user(ctx, record)

    # user tags --------------------------------------------------------------------------------

    def tag_user(self, ctx: RequestContext, user_name: str, tags: list[dict[str, str]]) -> None:
        record = require_user(ctx, user_name)
        record["Tags"] = merge_tags(record["Tags"], tags)
        save_user(ctx, record)

    def untag_user(self, ctx: RequestContext, user_name: str, tag_keys: list[str]) -> None:
        record = require_user(ctx, user_name)
        record["Tags"] = remove(record["Tags"], tag_keys, fold=str.lower)
        save_user(ctx, record)

    def list_user_tags(self, ctx: RequestContext, user_name: str, **paging: Any) -> dict[str, Any]:
        return PAGER.page("ListUserTags", require_user(ctx, user_name)["Tags"], paging)

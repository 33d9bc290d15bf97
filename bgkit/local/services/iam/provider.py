"""The IAM provider: roles, their trust, managed and inline policies, and tags.

IAM is global: its records live in the account-wide partition (``ctx.records(kind,
global_=True)``). A role is kept under its lower-cased name (IAM role names are unique
case-insensitively) with its trust policy as sent, its attached policy ARNs and its inline
policies; a customer managed policy under its ARN. AWS managed policies are not stored: they come
from ``data/iam/managed`` (:func:`.evaluation.managed_policies`) and every account
sees them.

Policy documents travel URL-encoded in IAM's responses (botocore decodes them and parses the
JSON), so documents are stored as the text the caller sent and quoted on the way out.
"""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import quote

from bgkit.errors import ServiceError
from bgkit.local.provider import Provider, Records, RequestContext
from bgkit.local.services.iam.evaluation import managed_policies, parse_document
from bgkit.local.services.iam.models import POLICY, ROLE, managed_policy

ROLE_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)
ROLE_PATH = re.compile(r"/|/[\u0021-\u007E]+/")
POLICY_PATH = re.compile(r"((/[A-Za-z0-9.,+@=_-]+)*)/")
TAG = re.compile(r"[\w\s.:/=+\-@]*")

MAX_ATTACHED = 10  # managed policies per role (IAM's default quota)
MAX_TAGS = 50
MAX_INLINE_BYTES = 10240  # all inline policies of a role together
MAX_MANAGED_BYTES = 6144
DEFAULT_MAX_ITEMS = 100


# --- checks ----------------------------------------------------------------------------------


def _invalid(value: Any, member: str, constraint: str) -> ServiceError:
    return ServiceError(
        "ValidationError",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}",
    )


def _check_name(value: str, member: str, max_len: int) -> None:
    if len(value) > max_len:
        raise _invalid(value, member, f"Member must have length less than or equal to {max_len}")
    if not ROLE_NAME.fullmatch(value):
        raise _invalid(
            value, member, f"Member must satisfy regular expression pattern: {ROLE_NAME.pattern}"
        )


def _check_path(value: str, pattern: re.Pattern[str]) -> None:
    if len(value) > 512:
        raise _invalid(value, "path", "Member must have length less than or equal to 512")
    if not pattern.fullmatch(value):
        raise _invalid(
            value, "path", f"Member must satisfy regular expression pattern: {pattern.pattern}"
        )


def _check_session_duration(value: int | None) -> None:
    if value is not None and not 3600 <= value <= 43200:
        bound = "greater than or equal to 3600" if value < 3600 else "less than or equal to 43200"
        raise _invalid(value, "maxSessionDuration", f"Member must have value {bound}")


def _check_arn(arn: str) -> None:
    if not arn.startswith("arn:") or len(arn.split(":", 5)) != 6:
        raise ServiceError("InvalidInput", f"ARN {arn} is not valid.")


def _merge_tags(current: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    """Tags after adding ``new`` (a key already there, in any case, takes the new value)."""
    if len(new) > MAX_TAGS:
        raise _invalid(new, "tags", f"Member must have length less than or equal to {MAX_TAGS}")
    keys = [t["Key"].lower() for t in new]
    if len(keys) != len(set(keys)):
        raise ServiceError(
            "InvalidInput",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        )
    for tag in new:
        for member, value, limit in (("key", tag["Key"], 128), ("value", tag["Value"], 256)):
            if len(value) > limit:
                raise _invalid(
                    value,
                    f"tags.{member}",
                    f"Member must have length less than or equal to {limit}",
                )
            if not TAG.fullmatch(value):
                raise _invalid(
                    value, f"tags.{member}",
                    r"Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*",
                )  # fmt: skip
    merged = [t for t in current if t["Key"].lower() not in keys] + [
        {"Key": t["Key"], "Value": t["Value"]} for t in new
    ]
    if len(merged) > MAX_TAGS:
        raise ServiceError("LimitExceeded", f"Cannot exceed quota for TagsPerRole: {MAX_TAGS}.")
    return merged


def _page(items: list[Any], marker: str | None, max_items: int | None) -> tuple[list[Any], dict]:
    """One page of ``items`` and the ``IsTruncated``/``Marker`` members that go with it."""
    start = 0
    if marker is not None:
        try:
            start = int(base64.b64decode(marker.encode(), validate=True).decode().split(":")[1])
        except (ValueError, IndexError):
            raise ServiceError(
                "ValidationError", f"Invalid Marker: {marker}; pass the Marker of the last page."
            ) from None
    end = start + (max_items or DEFAULT_MAX_ITEMS)
    more: dict[str, Any] = {"IsTruncated": end < len(items)}
    if end < len(items):
        more["Marker"] = base64.b64encode(f"bgkit:{end}".encode()).decode()
    return items[start:end], more


# --- views -----------------------------------------------------------------------------------


def _role_view(record: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
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
    if full:
        if record.get("Tags"):
            view["Tags"] = record["Tags"]
        view["RoleLastUsed"] = {}
    return view


class IamProvider(Provider):
    """AWS Identity and Access Management, the part the walkthrough and its neighbours use."""

    service = "iam"

    # helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _roles(ctx: RequestContext) -> Records:
        return ctx.records(ROLE, global_=True)

    @staticmethod
    def _policies(ctx: RequestContext) -> Records:
        return ctx.records(POLICY, global_=True)

    def _role(self, ctx: RequestContext, role_name: str) -> dict[str, Any]:
        return self._roles(ctx).require(
            role_name.lower(), "NoSuchEntity", f"The role with name {role_name} cannot be found."
        )

    def _save_role(self, ctx: RequestContext, record: dict[str, Any]) -> None:
        self._roles(ctx).put(record["RoleName"].lower(), record)

    def _policy(self, ctx: RequestContext, policy_arn: str) -> dict[str, Any]:
        _check_arn(policy_arn)
        record = managed_policy(ctx, policy_arn)
        if record is None:
            raise ServiceError("NoSuchEntity", f"Policy {policy_arn} was not found.")
        return record

    def _attachment_count(self, ctx: RequestContext, policy_arn: str) -> int:
        return sum(policy_arn in r.get("AttachedPolicies", []) for r in self._roles(ctx).list())

    def _policy_view(
        self, ctx: RequestContext, record: dict[str, Any], *, full: bool = True
    ) -> dict[str, Any]:
        view = {
            key: record[key]
            for key in ("PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId")
        }
        view.update(
            AttachmentCount=self._attachment_count(ctx, record["Arn"]),
            PermissionsBoundaryUsageCount=0,
            IsAttachable=True,
            CreateDate=record["CreateDate"],
            UpdateDate=record["UpdateDate"],
        )
        if full and record.get("Description"):
            view["Description"] = record["Description"]
        if full and record.get("Tags"):
            view["Tags"] = record["Tags"]
        return view

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
        **_: Any,
    ) -> dict[str, Any]:
        _check_name(role_name, "roleName", 64)
        _check_path(path, ROLE_PATH)
        _check_session_duration(max_session_duration)
        if role_name.lower() in self._roles(ctx):
            raise ServiceError("EntityAlreadyExists", f"Role with name {role_name} already exists.")
        parse_document(assume_role_policy_document, trust=True)
        record = {
            "Path": path,
            "RoleName": role_name,
            "RoleId": "AROA" + ctx.ids.upper("role", 17),
            "Arn": ctx.arn("iam", f"role{path}{role_name}", global_=True),
            "CreateDate": ctx.now(),
            "AssumeRolePolicyDocument": assume_role_policy_document,
            "Description": description,
            "MaxSessionDuration": max_session_duration or 3600,
            "Tags": _merge_tags([], tags or []),
            "AttachedPolicies": [],
            "InlinePolicies": {},
        }
        self._save_role(ctx, record)
        view = _role_view(record)
        view.pop("RoleLastUsed")
        return {"Role": view}

    def get_role(self, ctx: RequestContext, role_name: str) -> dict[str, Any]:
        return {"Role": _role_view(self._role(ctx, role_name))}

    def list_roles(
        self,
        ctx: RequestContext,
        path_prefix: str = "/",
        marker: str | None = None,
        max_items: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        roles = sorted(
            (r for r in self._roles(ctx).list() if r["Path"].startswith(path_prefix)),
            key=lambda r: r["RoleName"],
        )
        page, more = _page(roles, marker, max_items)
        return {"Roles": [_role_view(r, full=False) for r in page], **more}

    def update_role(
        self,
        ctx: RequestContext,
        role_name: str,
        description: str | None = None,
        max_session_duration: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        record = self._role(ctx, role_name)
        _check_session_duration(max_session_duration)
        if description is not None:
            record["Description"] = description
        if max_session_duration is not None:
            record["MaxSessionDuration"] = max_session_duration
        self._save_role(ctx, record)
        return {}

    def update_assume_role_policy(
        self, ctx: RequestContext, role_name: str, policy_document: str
    ) -> None:
        record = self._role(ctx, role_name)
        parse_document(policy_document, trust=True)
        record["AssumeRolePolicyDocument"] = policy_document
        self._save_role(ctx, record)

    def delete_role(self, ctx: RequestContext, role_name: str) -> None:
        record = self._role(ctx, role_name)
        if record["InlinePolicies"]:
            raise ServiceError(
                "DeleteConflict", "Cannot delete entity, must delete policies first."
            )
        if record["AttachedPolicies"]:
            raise ServiceError(
                "DeleteConflict", "Cannot delete entity, must detach all policies first."
            )
        self._roles(ctx).delete(role_name.lower())

    # role tags --------------------------------------------------------------------------------

    def tag_role(self, ctx: RequestContext, role_name: str, tags: list[dict[str, str]]) -> None:
        record = self._role(ctx, role_name)
        record["Tags"] = _merge_tags(record["Tags"], tags)
        self._save_role(ctx, record)

    def untag_role(self, ctx: RequestContext, role_name: str, tag_keys: list[str]) -> None:
        record = self._role(ctx, role_name)
        gone = {k.lower() for k in tag_keys}
        record["Tags"] = [t for t in record["Tags"] if t["Key"].lower() not in gone]
        self._save_role(ctx, record)

    def list_role_tags(
        self,
        ctx: RequestContext,
        role_name: str,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        page, more = _page(self._role(ctx, role_name)["Tags"], marker, max_items)
        return {"Tags": page, **more}

    # attached (managed) policies --------------------------------------------------------------

    def attach_role_policy(self, ctx: RequestContext, role_name: str, policy_arn: str) -> None:
        record = self._role(ctx, role_name)
        _check_arn(policy_arn)
        if managed_policy(ctx, policy_arn) is None:
            raise ServiceError(
                "NoSuchEntity", f"Policy {policy_arn} does not exist or is not attachable."
            )
        if policy_arn in record["AttachedPolicies"]:
            return
        if len(record["AttachedPolicies"]) >= MAX_ATTACHED:
            raise ServiceError(
                "LimitExceeded", f"Cannot exceed quota for PoliciesPerRole: {MAX_ATTACHED}."
            )
        record["AttachedPolicies"].append(policy_arn)
        self._save_role(ctx, record)

    def detach_role_policy(self, ctx: RequestContext, role_name: str, policy_arn: str) -> None:
        record = self._role(ctx, role_name)
        _check_arn(policy_arn)
        if policy_arn not in record["AttachedPolicies"]:
            raise ServiceError("NoSuchEntity", f"Policy {policy_arn} was not found.")
        record["AttachedPolicies"].remove(policy_arn)
        self._save_role(ctx, record)

    def list_attached_role_policies(
        self,
        ctx: RequestContext,
        role_name: str,
        path_prefix: str = "/",
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        attached = []
        for arn in self._role(ctx, role_name)["AttachedPolicies"]:
            policy = managed_policy(ctx, arn)
            if policy is not None and policy["Path"].startswith(path_prefix):
                attached.append({"PolicyName": policy["PolicyName"], "PolicyArn": arn})
        page, more = _page(attached, marker, max_items)
        return {"AttachedPolicies": page, **more}

    # inline policies --------------------------------------------------------------------------

    def put_role_policy(
        self, ctx: RequestContext, role_name: str, policy_name: str, policy_document: str
    ) -> None:
        record = self._role(ctx, role_name)
        _check_name(policy_name, "policyName", 128)
        parse_document(policy_document)
        inline = {**record["InlinePolicies"], policy_name: policy_document}
        size = sum(len(re.sub(r"\s", "", text)) for text in inline.values())
        if size > MAX_INLINE_BYTES:
            raise ServiceError(
                "LimitExceeded",
                f"Maximum policy size of {MAX_INLINE_BYTES} bytes exceeded for role {role_name}",
            )
        record["InlinePolicies"] = inline
        self._save_role(ctx, record)

    def _inline(self, ctx: RequestContext, role_name: str, policy_name: str) -> dict[str, Any]:
        record = self._role(ctx, role_name)
        if policy_name not in record["InlinePolicies"]:
            raise ServiceError(
                "NoSuchEntity", f"The role policy with name {policy_name} cannot be found."
            )
        return record

    def get_role_policy(
        self, ctx: RequestContext, role_name: str, policy_name: str
    ) -> dict[str, Any]:
        record = self._inline(ctx, role_name, policy_name)
        return {
            "RoleName": record["RoleName"],
            "PolicyName": policy_name,
            "PolicyDocument": quote(record["InlinePolicies"][policy_name], safe=""),
        }

    def delete_role_policy(self, ctx: RequestContext, role_name: str, policy_name: str) -> None:
        record = self._inline(ctx, role_name, policy_name)
        del record["InlinePolicies"][policy_name]
        self._save_role(ctx, record)

    def list_role_policies(
        self,
        ctx: RequestContext,
        role_name: str,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        names = sorted(self._role(ctx, role_name)["InlinePolicies"])
        page, more = _page(names, marker, max_items)
        return {"PolicyNames": page, **more}

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
        _check_name(policy_name, "policyName", 128)
        _check_path(path, POLICY_PATH)
        if any(p["PolicyName"] == policy_name for p in self._policies(ctx).list()):
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
            "Tags": _merge_tags([], tags or []),
            "Document": policy_document,
        }
        self._policies(ctx).put(record["Arn"], record)
        view = self._policy_view(ctx, record)
        view.pop("Description", None)
        return {"Policy": view}

    def get_policy(self, ctx: RequestContext, policy_arn: str) -> dict[str, Any]:
        return {"Policy": self._policy_view(ctx, self._policy(ctx, policy_arn))}

    def get_policy_version(
        self, ctx: RequestContext, policy_arn: str, version_id: str
    ) -> dict[str, Any]:
        record = self._policy(ctx, policy_arn)
        if version_id != record["DefaultVersionId"]:
            raise ServiceError(
                "NoSuchEntity", f"Policy {policy_arn} version {version_id} does not exist."
            )
        return {"PolicyVersion": self._version_view(record)}

    @staticmethod
    def _version_view(record: dict[str, Any]) -> dict[str, Any]:
        return {
            "Document": quote(record["Document"], safe=""),
            "VersionId": record["DefaultVersionId"],
            "IsDefaultVersion": True,
            "CreateDate": record["UpdateDate"],
        }

    def list_policy_versions(
        self,
        ctx: RequestContext,
        policy_arn: str,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        version = self._version_view(self._policy(ctx, policy_arn))
        version.pop("Document")
        page, more = _page([version], marker, max_items)
        return {"Versions": page, **more}

    def delete_policy(self, ctx: RequestContext, policy_arn: str) -> None:
        record = self._policy(ctx, policy_arn)
        if policy_arn in managed_policies():
            raise ServiceError(
                "InvalidInput",
                f"Policy {policy_arn} is an AWS managed policy and cannot be deleted; "
                "detach it from your roles instead.",
            )
        if self._attachment_count(ctx, policy_arn):
            raise ServiceError("DeleteConflict", "Cannot delete a policy attached to entities.")
        self._policies(ctx).delete(record["Arn"])

    def list_policies(
        self,
        ctx: RequestContext,
        scope: str = "All",
        only_attached: bool = False,
        path_prefix: str = "/",
        marker: str | None = None,
        max_items: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        if scope not in ("All", "AWS", "Local"):
            raise _invalid(scope, "scope", "Member must satisfy enum value set: [All, AWS, Local]")
        found = []
        if scope in ("All", "AWS"):
            found += list(managed_policies().values())
        if scope in ("All", "Local"):
            found += self._policies(ctx).list()
        views = [
            self._policy_view(ctx, p, full=False)
            for p in sorted(found, key=lambda p: p["PolicyName"])
            if p["Path"].startswith(path_prefix)
        ]
        if only_attached:
            views = [v for v in views if v["AttachmentCount"]]
        page, more = _page(views, marker, max_items)
        return {"Policies": page, **more}

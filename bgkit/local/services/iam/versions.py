"""The versions of a customer managed policy: :class:`PolicyVersionOperations`.

A customer managed policy keeps up to five versions (IAM's quota); one is the default, the one
IAM evaluates, and its document is also the record's ``Document`` (so every reader of a policy
reads the default version). Version ids count up and are never reused (``v1``, ``v2`` …), as
IAM's are. An AWS managed policy has the one version the local cloud knows, and cannot be changed.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.iam.checks import MAX_MANAGED_BYTES, PAGER
from bgkit.local.services.iam.documents import managed_policies, parse_document
from bgkit.local.services.iam.models import customer_policies, require_policy

__all__ = ["MAX_VERSIONS", "PolicyVersionOperations", "versions"]

MAX_VERSIONS = 5


def versions(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A policy's versions, oldest first (``VersionId``, ``Document`` as text, ``CreateDate``)."""
    return record.get("Versions") or [
        {"VersionId": record["DefaultVersionId"], "Document": record["Document"],
         "CreateDate": record["UpdateDate"]}
    ]  # fmt: skip


def _view(record: dict[str, Any], version: dict[str, Any], *, document: bool) -> dict[str, Any]:
    view = {
        "VersionId": version["VersionId"],
        "IsDefaultVersion": version["VersionId"] == record["DefaultVersionId"],
        "CreateDate": version["CreateDate"],
    }
    if document:
        view["Document"] = quote(version["Document"], safe="")
    return view


def _version(record: dict[str, Any], policy_arn: str, version_id: str) -> dict[str, Any]:
    for version in versions(record):
        if version["VersionId"] == version_id:
            return version
    raise ServiceError("NoSuchEntity", f"Policy {policy_arn} version {version_id} does not exist.")


def _customer(ctx: RequestContext, policy_arn: str) -> dict[str, Any]:
    record = require_policy(ctx, policy_arn)
    if policy_arn in managed_policies():
        raise ServiceError(
            "InvalidInput",
            f"Policy {policy_arn} is an AWS managed policy; its versions are AWS's to change.",
        )
    return record


def _save(ctx: RequestContext, record: dict[str, Any], kept: list[dict[str, Any]]) -> None:
    record["Versions"] = kept
    record["Document"] = _version(record, record["Arn"], record["DefaultVersionId"])["Document"]
    customer_policies(ctx).put(record["Arn"], record)


class PolicyVersionOperations:
    """GetPolicyVersion, ListPolicyVersions, CreatePolicyVersion, SetDefaultPolicyVersion and
    DeletePolicyVersion, mixed into the provider."""

    def get_policy_version(
        self, ctx: RequestContext, policy_arn: str, version_id: str
    ) -> dict[str, Any]:
        record = require_policy(ctx, policy_arn)
        version = _version(record, policy_arn, version_id)
        return {"PolicyVersion": _view(record, version, document=True)}

    def list_policy_versions(
        self, ctx: RequestContext, policy_arn: str, **paging: Any
    ) -> dict[str, Any]:
        record = require_policy(ctx, policy_arn)
        found = [_view(record, v, document=False) for v in reversed(versions(record))]
        return PAGER.page("ListPolicyVersions", found, paging)

    def create_policy_version(
        self,
        ctx: RequestContext,
        policy_arn: str,
        policy_document: str,
        set_as_default: bool = False,
    ) -> dict[str, Any]:
        record = _customer(ctx, policy_arn)
        kept = versions(record)
        if len(kept) >= MAX_VERSIONS:
            raise ServiceError(
                "LimitExceeded",
                f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a "
                "new version, you must delete an existing version.",
            )
        parse_document(policy_document)
        if len(re.sub(r"\s", "", policy_document)) > MAX_MANAGED_BYTES:
            raise ServiceError(
                "LimitExceeded", f"Cannot exceed quota for PolicySize: {MAX_MANAGED_BYTES}"
            )
        number = record.get("NextVersion") or len(kept) + 1
        version = {"VersionId": f"v{number}", "Document": policy_document,
                   "CreateDate": ctx.now()}  # fmt: skip
        record["NextVersion"] = number + 1
        if set_as_default:
            record["DefaultVersionId"] = version["VersionId"]
            record["UpdateDate"] = version["CreateDate"]
        _save(ctx, record, [*kept, version])
        return {"PolicyVersion": _view(record, version, document=False)}

    def set_default_policy_version(
        self, ctx: RequestContext, policy_arn: str, version_id: str
    ) -> None:
        record = _customer(ctx, policy_arn)
        _version(record, policy_arn, version_id)
        record["DefaultVersionId"] = version_id
        record["UpdateDate"] = ctx.now()
        _save(ctx, record, versions(record))

    def delete_policy_version(self, ctx: RequestContext, policy_arn: str, version_id: str) -> None:
        record = _customer(ctx, policy_arn)
        _version(record, policy_arn, version_id)
        if version_id == record["DefaultVersionId"]:
            raise ServiceError("DeleteConflict", "Cannot delete the default version of a policy.")
        _save(ctx, record, [v for v in versions(record) if v["VersionId"] != version_id])

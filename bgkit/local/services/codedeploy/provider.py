"""The local cloud's CodeDeploy, for ECS blue/green deployments.

:class:`CodeDeployProvider` answers the application, revision and tag operations itself and mixes
in the deployment configuration (:mod:`.configs`), deployment group
(:mod:`.groups`), deployment (:mod:`.deployments`) and hook (:mod:`.hooks`) operations. Its
records are described in :mod:`.models`. Deployments run on the local clock in
:mod:`.engine`, the lifecycle engine, which :meth:`CodeDeployProvider.advance` steps for
every deployment that has not ended and whose next look is due — nothing else is read, so a pass
with nothing due costs one small query.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bgkit.errors import ServiceError
from bgkit.local.provider import Provider, RequestContext
from bgkit.local.services.codedeploy import engine
from bgkit.local.services.codedeploy.appspec import sha256_of
from bgkit.local.services.codedeploy.configs import ConfigOperations
from bgkit.local.services.codedeploy.deployments import DeploymentOperations
from bgkit.local.services.codedeploy.groups import GroupOperations
from bgkit.local.services.codedeploy.hooks import HookOperations
from bgkit.local.services.codedeploy.models import (
    ACTIVE,
    APPLICATION,
    DEPLOYMENT,
    GROUP,
    MAX_NAME,
    PAGER,
    REVISION,
    check_name,
    check_tags,
    group_key,
    require_application,
    tagged_record,
)
from bgkit.local.tagging import merge, remove

PLATFORMS = ("Server", "Lambda", "ECS")
MAX_BATCH = 100


class CodeDeployProvider(
    DeploymentOperations, HookOperations, GroupOperations, ConfigOperations, Provider
):
    """CodeDeploy: applications, deployment groups and configurations, ECS deployments."""

    service: ClassVar[str] = "codedeploy"
    #: only deployments that have not ended are indexed under this kind (see advance)
    advancing: ClassVar[tuple[str, ...]] = (ACTIVE,)

    def advance(self, ctx: RequestContext) -> None:
        """Step each deployment whose next look is due on the local clock."""
        now = ctx.now()
        deployments = ctx.records(DEPLOYMENT)
        for entry in ctx.records(ACTIVE).list():
            if entry["due"] > now:
                continue
            record = deployments.get(entry["deploymentId"])
            if record is None:
                ctx.records(ACTIVE).delete(entry["deploymentId"])
                continue
            engine.run(ctx, record)

    # applications -----------------------------------------------------------------------------

    def create_application(
        self,
        ctx: RequestContext,
        application_name: str,
        compute_platform: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        name = check_name(
            application_name,
            "application",
            "ApplicationNameRequiredException",
            "InvalidApplicationNameException",
        )
        platform = compute_platform or "Server"
        if platform not in PLATFORMS:
            raise ServiceError(
                "InvalidComputePlatformException",
                "computePlatform should be Lambda, Server, or ECS",
            )
        if name in ctx.records(APPLICATION):
            raise ServiceError(
                "ApplicationAlreadyExistsException",
                f"The application {name} already exists in this account and region",
            )
        record = {
            "applicationId": ctx.ids.uuid("codedeploy-application"),
            "applicationName": name,
            "createTime": ctx.now(),
            "linkedToGitHub": False,
            "computePlatform": platform,
            "_tags": check_tags(tags),
        }
        ctx.records(APPLICATION).put(name, record)
        return {"applicationId": record["applicationId"]}

    def get_application(self, ctx: RequestContext, application_name: str) -> dict[str, Any]:
        return {"application": require_application(ctx, application_name)}

    def batch_get_applications(
        self, ctx: RequestContext, application_names: list[str]
    ) -> dict[str, Any]:
        if len(application_names) > MAX_BATCH:
            raise ServiceError(
                "BatchLimitExceededException", f"At most {MAX_BATCH} names can be asked at once"
            )
        return {"applicationsInfo": [require_application(ctx, n) for n in application_names]}

    def list_applications(self, ctx: RequestContext, **paging: Any) -> dict[str, Any]:
        names = [a["applicationName"] for a in ctx.records(APPLICATION).list()]
        return PAGER.page("ListApplications", names, paging)

    def update_application(
        self,
        ctx: RequestContext,
        application_name: str | None = None,
        new_application_name: str | None = None,
    ) -> None:
        record = require_application(ctx, application_name)
        if not new_application_name or new_application_name == application_name:
            return None
        if len(new_application_name) > MAX_NAME:
            raise ServiceError(
                "InvalidApplicationNameException",
                f"The application name must be at most {MAX_NAME} characters",
            )
        if new_application_name in ctx.records(APPLICATION):
            raise ServiceError(
                "ApplicationAlreadyExistsException",
                f"The application {new_application_name} already exists in this account and region",
            )
        old = record["applicationName"]
        ctx.records(APPLICATION).delete(old)
        record["applicationName"] = new_application_name
        ctx.records(APPLICATION).put(new_application_name, record)
        for group in ctx.records(GROUP).list():
            if group["applicationName"] == old:
                ctx.records(GROUP).delete(group_key(old, group["deploymentGroupName"]))
                group["applicationName"] = new_application_name
                ctx.records(GROUP).put(
                    group_key(new_application_name, group["deploymentGroupName"]), group
                )
        for deployment in ctx.records(DEPLOYMENT).list():
            if deployment["applicationName"] == old:
                deployment["applicationName"] = new_application_name
                ctx.records(DEPLOYMENT).put(deployment["deploymentId"], deployment)
        return None

    def delete_application(self, ctx: RequestContext, application_name: str) -> None:
        """Delete the application, its groups, revisions and deployments (their ECS task sets
        and listeners are left as they are, as on AWS). An unknown name is no error."""
        ctx.records(APPLICATION).delete(application_name)
        for group in ctx.records(GROUP).list():
            if group["applicationName"] == application_name:
                ctx.records(GROUP).delete(group_key(application_name, group["deploymentGroupName"]))
        for revision in ctx.records(REVISION).list():
            if revision["applicationName"] == application_name:
                digest = revision["revision"]["appSpecContent"]["sha256"]
                ctx.records(REVISION).delete(f"{application_name}/{digest}")
        for deployment in ctx.records(DEPLOYMENT).list():
            if deployment["applicationName"] == application_name:
                ctx.records(DEPLOYMENT).delete(deployment["deploymentId"])
                ctx.records(ACTIVE).delete(deployment["deploymentId"])
        return None

    # revisions --------------------------------------------------------------------------------

    def get_application_revision(
        self, ctx: RequestContext, application_name: str, revision: dict[str, Any]
    ) -> dict[str, Any]:
        require_application(ctx, application_name)
        digest = ((revision or {}).get("appSpecContent") or {}).get("sha256")
        if not digest:
            raise ServiceError(
                "InvalidRevisionException",
                "Name the revision by its appSpecContent.sha256 (GetDeployment shows it)",
            )
        found = ctx.records(REVISION).get(f"{application_name}/{digest.lower()}")
        if found is None:
            raise ServiceError(
                "RevisionDoesNotExistException",
                f"No revision with sha256 {digest} found in the application {application_name}",
            )
        return {
            "applicationName": application_name,
            "revision": found["revision"],
            "revisionInfo": found["revisionInfo"],
        }

    def register_application_revision(
        self,
        ctx: RequestContext,
        application_name: str,
        revision: dict[str, Any],
        description: str | None = None,
    ) -> None:
        require_application(ctx, application_name)
        content = ((revision or {}).get("appSpecContent") or {}).get("content")
        if not content:
            raise ServiceError(
                "InvalidRevisionException", "The revision's AppSpec content must not be empty"
            )
        digest = sha256_of(content)
        key = f"{application_name}/{digest}"
        record = ctx.records(REVISION).get(key) or {
            "applicationName": application_name,
            "revision": {
                "revisionType": "AppSpecContent",
                "appSpecContent": {"content": content, "sha256": digest},
            },
            "revisionInfo": {"deploymentGroups": [], "registerTime": ctx.now()},
        }
        if description:
            record["revisionInfo"]["description"] = description
        ctx.records(REVISION).put(key, record)
        return None

    def list_application_revisions(
        self, ctx: RequestContext, application_name: str, **paging: Any
    ) -> dict[str, Any]:
        require_application(ctx, application_name)
        found = [
            {
                "revisionType": "AppSpecContent",
                "appSpecContent": {"sha256": r["revision"]["appSpecContent"]["sha256"]},
            }
            for r in ctx.records(REVISION).list()
            if r["applicationName"] == application_name
        ]
        return PAGER.page("ListApplicationRevisions", found, paging)

    # tags -------------------------------------------------------------------------------------

    def tag_resource(
        self, ctx: RequestContext, resource_arn: str, tags: list[dict[str, str]]
    ) -> dict[str, Any]:
        kind, key, record = tagged_record(ctx, resource_arn)
        if not tags:
            raise ServiceError("TagRequiredException", "At least one tag must be given")
        record["_tags"] = merge(record.get("_tags", []), check_tags(tags))
        ctx.records(kind).put(key, record)
        return {}

    def untag_resource(
        self, ctx: RequestContext, resource_arn: str, tag_keys: list[str]
    ) -> dict[str, Any]:
        kind, key, record = tagged_record(ctx, resource_arn)
        record["_tags"] = remove(record.get("_tags", []), tag_keys)
        ctx.records(kind).put(key, record)
        return {}

    def list_tags_for_resource(
        self, ctx: RequestContext, resource_arn: str, **paging: Any
    ) -> dict[str, Any]:
        _, _, record = tagged_record(ctx, resource_arn)
        return PAGER.page("ListTagsForResource", record.get("_tags", []), paging)

"""CodeDeploy's deployment group operations (the checks are in :mod:`.group_checks`)."""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.codedeploy.group_checks import SETTINGS, check_group
from bgkit.local.services.codedeploy.models import (
    ACTIVE,
    DEPLOYMENT,
    GROUP,
    PAGER,
    check_name,
    check_tags,
    group_key,
    require_application,
    require_group,
)


def _fail(code: str, message: str) -> ServiceError:
    return ServiceError(code, message)


class GroupOperations:
    """The deployment group operations of the CodeDeploy provider."""

    def create_deployment_group(
        self,
        ctx: RequestContext,
        application_name: str,
        deployment_group_name: str,
        service_role_arn: str,
        tags: list[dict[str, str]] | None = None,
        **settings: Any,
    ) -> dict[str, Any]:
        application = require_application(ctx, application_name)
        name = check_name(
            deployment_group_name,
            "deployment group",
            "DeploymentGroupNameRequiredException",
            "InvalidDeploymentGroupNameException",
        )
        key = group_key(application_name, name)
        if key in ctx.records(GROUP):
            raise _fail(
                "DeploymentGroupAlreadyExistsException",
                f"The deployment group {name} already exists in the application {application_name}",
            )
        given = {_camel(k): v for k, v in settings.items()}
        checked = check_group(
            ctx, application, {**given, "serviceRoleArn": service_role_arn}, own_key=key
        )
        record = {
            "applicationName": application_name,
            "deploymentGroupId": ctx.ids.uuid("codedeploy-group"),
            "deploymentGroupName": name,
            "computePlatform": "ECS",
            "ec2TagFilters": [],
            "onPremisesInstanceTagFilters": [],
            "autoScalingGroups": [],
            "outdatedInstancesStrategy": "UPDATE",
            "terminationHookEnabled": False,
            **checked,
            "_tags": check_tags(tags),
        }
        ctx.records(GROUP).put(key, record)
        return {"deploymentGroupId": record["deploymentGroupId"]}

    def get_deployment_group(
        self, ctx: RequestContext, application_name: str, deployment_group_name: str
    ) -> dict[str, Any]:
        require_application(ctx, application_name)
        return {"deploymentGroupInfo": require_group(ctx, application_name, deployment_group_name)}

    def batch_get_deployment_groups(
        self, ctx: RequestContext, application_name: str, deployment_group_names: list[str]
    ) -> dict[str, Any]:
        require_application(ctx, application_name)
        if len(deployment_group_names) > 100:
            raise _fail("BatchLimitExceededException", "At most 100 names can be asked at once")
        found, missing = [], []
        for name in deployment_group_names:
            record = ctx.records(GROUP).get(group_key(application_name, name))
            (found if record else missing).append(record or name)
        result: dict[str, Any] = {"deploymentGroupsInfo": found}
        if missing:
            result["errorMessage"] = f"Deployment groups not found: {', '.join(missing)}"
        return result

    def list_deployment_groups(
        self, ctx: RequestContext, application_name: str, **paging: Any
    ) -> dict[str, Any]:
        require_application(ctx, application_name)
        names = [
            g["deploymentGroupName"]
            for g in ctx.records(GROUP).list()
            if g["applicationName"] == application_name
        ]
        listed = PAGER.page("ListDeploymentGroups", names, paging)
        return {"applicationName": application_name, **listed}

    def update_deployment_group(
        self,
        ctx: RequestContext,
        application_name: str,
        current_deployment_group_name: str,
        new_deployment_group_name: str | None = None,
        **settings: Any,
    ) -> dict[str, Any]:
        application = require_application(ctx, application_name)
        record = require_group(ctx, application_name, current_deployment_group_name)
        key = group_key(application_name, current_deployment_group_name)
        merged = {name: record.get(name) for name in SETTINGS}
        merged.update({_camel(k): v for k, v in settings.items() if v is not None})
        record.update(check_group(ctx, application, merged, own_key=key))
        new_name = new_deployment_group_name or current_deployment_group_name
        if new_name != current_deployment_group_name:
            new_key = group_key(application_name, new_name)
            if new_key in ctx.records(GROUP):
                raise _fail(
                    "DeploymentGroupAlreadyExistsException",
                    f"The deployment group {new_name} already exists in the application "
                    f"{application_name}",
                )
            if active_deployment(ctx, application_name, current_deployment_group_name):
                raise _fail(
                    "InvalidInputException",
                    f"The deployment group {current_deployment_group_name} has an active "
                    "deployment; rename it once the deployment has ended",
                )
            ctx.records(GROUP).delete(key)
            record["deploymentGroupName"] = new_name
            key = new_key
        ctx.records(GROUP).put(key, record)
        return {"hooksNotCleanedUp": []}

    def delete_deployment_group(
        self, ctx: RequestContext, application_name: str, deployment_group_name: str
    ) -> dict[str, Any]:
        # AWS answers an unknown group with success (the model has no DoesNotExist error)
        ctx.records(GROUP).delete(group_key(application_name, deployment_group_name))
        return {"hooksNotCleanedUp": []}


def active_deployment(ctx: RequestContext, application: str, group: str) -> str | None:
    """The id of the group's deployment that has not ended, if any."""
    deployments = ctx.records(DEPLOYMENT)
    for entry in ctx.records(ACTIVE).list():
        record = deployments.get(entry["deploymentId"])
        if record and (record["applicationName"], record["deploymentGroupName"]) == (
            application,
            group,
        ):
            return record["deploymentId"]
    return None


def _camel(name: str) -> str:
    """``deployment_config_name`` → ``deploymentConfigName`` (the gateway's keyword names)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)

"""CodeDeploy's deployment operations: create, read, list, continue, stop, and the ECS target.

CreateDeployment refuses synchronously only what AWS refuses synchronously (unknown application
or group, a group that is busy, no revision, a sha256 that does not match); everything the AppSpec
says is checked by the engine once the deployment runs, and a problem there fails the deployment
with ``errorInformation``, as on AWS.
"""

from __future__ import annotations

import copy
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.codedeploy import engine
from bgkit.local.services.codedeploy.alarms import DISABLED as DISABLED_ALARMS
from bgkit.local.services.codedeploy.alarms import check_alarm_configuration
from bgkit.local.services.codedeploy.appspec import sha256_of
from bgkit.local.services.codedeploy.configs import require_ecs_config
from bgkit.local.services.codedeploy.group_checks import check_rollback
from bgkit.local.services.codedeploy.groups import active_deployment
from bgkit.local.services.codedeploy.lifecycle import DeploymentRun, new_deployment, stop
from bgkit.local.services.codedeploy.models import (
    DEPLOYMENT,
    PAGER,
    REVISION,
    public_deployment,
    require_application,
    require_deployment,
    require_group,
)
from bgkit.local.services.codedeploy.traffic import as_codedeploy

STATUSES = ("Created", "Queued", "InProgress", "Baking", "Succeeded", "Failed", "Stopped", "Ready")
WAIT_TYPES = ("READY_WAIT", "TERMINATION_WAIT")
MAX_DESCRIPTION = 512
ALREADY_COMPLETE = "The deployment is already complete."


def _revision(revision: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
    """The revision as a deployment keeps it (sha256 computed when absent) and its text."""
    if not revision:
        raise ServiceError("RevisionRequiredException", "RevisionLocation must be specified")
    kind = revision.get("revisionType")
    if kind not in ("AppSpecContent", "String"):
        raise ServiceError(
            "InvalidRevisionException",
            f"The bgkit local cloud deploys ECS revisions given as AppSpecContent, not {kind} "
            "(it has no S3 or GitHub): pass revision={'revisionType': 'AppSpecContent', "
            "'appSpecContent': {'content': <the AppSpec>}}",
        )
    given = revision.get("appSpecContent") or revision.get("string") or {}
    content = given.get("content")
    if not content:
        raise ServiceError(
            "InvalidRevisionException", "The revision's AppSpec content must not be empty"
        )
    digest = sha256_of(content)
    if given.get("sha256") and given["sha256"].lower() != digest:
        raise ServiceError(
            "InvalidRevisionException",
            f"The sha256 of the AppSpec content is {digest}, not {given['sha256']}: compute it "
            "over the exact content sent, or leave it out",
        )
    return {"revisionType": "AppSpecContent", "appSpecContent": {"sha256": digest}}, content


def _remember_revision(
    ctx: RequestContext, application: str, content: str, digest: str, group: str | None
) -> None:
    """Keep the AppSpec's text for GetApplicationRevision (by sha256)."""
    key = f"{application}/{digest}"
    record = ctx.records(REVISION).get(key) or {
        "applicationName": application,
        "revision": {
            "revisionType": "AppSpecContent",
            "appSpecContent": {"content": content, "sha256": digest},
        },
        "revisionInfo": {"deploymentGroups": [], "registerTime": ctx.now()},
    }
    info = record["revisionInfo"]
    if group is not None:
        info.setdefault("firstUsedTime", ctx.now())
        info["lastUsedTime"] = ctx.now()
        if group not in info["deploymentGroups"]:
            info["deploymentGroups"].append(group)
    ctx.records(REVISION).put(key, record)


def _check_target(record: dict[str, Any], target_id: str | None = None) -> str:
    """The deployment's ECS target id, once it has started."""
    if record["_engine"]["phase"] == "Created":
        raise ServiceError(
            "DeploymentNotStartedException", "The specified deployment has not started."
        )
    engine_state = record["_engine"]
    own = f"{engine_state['cluster']}:{engine_state['service']}"
    if target_id is not None and target_id != own:
        raise ServiceError(
            "DeploymentTargetDoesNotExistException",
            f"The target ID {target_id} does not belong to the deployment "
            f"{record['deploymentId']}; its target is {own}",
        )
    return own


class DeploymentOperations:
    """The deployment operations of the CodeDeploy provider."""

    def create_deployment(
        self,
        ctx: RequestContext,
        application_name: str,
        deployment_group_name: str | None = None,
        revision: dict[str, Any] | None = None,
        deployment_config_name: str | None = None,
        description: str | None = None,
        ignore_application_stop_failures: bool | None = None,
        auto_rollback_configuration: dict[str, Any] | None = None,
        update_outdated_instances_only: bool | None = None,
        override_alarm_configuration: dict[str, Any] | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        application = require_application(ctx, application_name)
        group = require_group(ctx, application_name, deployment_group_name)
        if application.get("computePlatform") != "ECS":
            raise ServiceError(
                "InvalidComputePlatformException",
                "The bgkit local cloud deploys ECS applications only",
            )
        busy = active_deployment(ctx, application_name, group["deploymentGroupName"])
        if busy:
            raise ServiceError(
                "DeploymentLimitExceededException",
                f"The Deployment Group '{group['deploymentGroupName']}' already has an active "
                f"Deployment '{busy}'",
            )
        stored, content = _revision(revision)
        if description and len(description) > MAX_DESCRIPTION:
            raise ServiceError(
                "DescriptionTooLongException",
                f"The description must be at most {MAX_DESCRIPTION} characters",
            )
        if ignore_application_stop_failures:
            raise ServiceError(
                "InvalidIgnoreApplicationStopFailuresValueException",
                "ignoreApplicationStopFailures must be false for ECS deployments",
            )
        if update_outdated_instances_only:
            raise ServiceError(
                "InvalidUpdateOutdatedInstancesOnlyValueException",
                "updateOutdatedInstancesOnly must be false for ECS deployments",
            )
        config = require_ecs_config(ctx, deployment_config_name or group["deploymentConfigName"])
        rollback = (
            check_rollback(auto_rollback_configuration)
            if auto_rollback_configuration is not None
            else group["autoRollbackConfiguration"]
        )
        override = (
            check_alarm_configuration(override_alarm_configuration)
            if override_alarm_configuration is not None
            else None
        )
        deployment_id = "d-" + ctx.ids.upper("deployment", 9)
        record = new_deployment(
            ctx, deployment_id, group, config=config, revision=stored, content=content,
            creator="user", auto_rollback=rollback, description=description,
        )  # fmt: skip
        if override is not None:
            record["overrideAlarmConfiguration"] = override
        watched = override or group.get("alarmConfiguration") or DISABLED_ALARMS
        record["_engine"]["alarmConfiguration"] = copy.deepcopy(watched)
        digest = stored["appSpecContent"]["sha256"]
        _remember_revision(ctx, application_name, content, digest, group["deploymentGroupName"])
        engine.run(ctx, record)
        return {"deploymentId": deployment_id}

    def get_deployment(self, ctx: RequestContext, deployment_id: str) -> dict[str, Any]:
        return {"deploymentInfo": public_deployment(require_deployment(ctx, deployment_id))}

    def batch_get_deployments(
        self, ctx: RequestContext, deployment_ids: list[str]
    ) -> dict[str, Any]:
        if len(deployment_ids) > 25:
            raise ServiceError("BatchLimitExceededException", "At most 25 deployment IDs at once")
        records = ctx.records(DEPLOYMENT)
        found = [records.get(i) for i in deployment_ids]
        return {"deploymentsInfo": [public_deployment(r) for r in found if r]}

    def list_deployments(
        self,
        ctx: RequestContext,
        application_name: str | None = None,
        deployment_group_name: str | None = None,
        external_id: str | None = None,
        include_only_statuses: list[str] | None = None,
        create_time_range: dict[str, Any] | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        if deployment_group_name and not application_name:
            raise ServiceError(
                "ApplicationNameRequiredException",
                "An application name must be given with a deployment group name",
            )
        if application_name:
            require_application(ctx, application_name)
            if not deployment_group_name:
                raise ServiceError(
                    "DeploymentGroupNameRequiredException",
                    "A deployment group name must be given with an application name",
                )
            require_group(ctx, application_name, deployment_group_name)
        for status in include_only_statuses or []:
            if status not in STATUSES:
                raise ServiceError(
                    "InvalidDeploymentStatusException",
                    f"{status} is not a deployment status: {', '.join(STATUSES)}",
                )
        start, end = _time_range(create_time_range)
        found = [
            r
            for r in ctx.records(DEPLOYMENT).list()
            if (not application_name or r["applicationName"] == application_name)
            and (not deployment_group_name or r["deploymentGroupName"] == deployment_group_name)
            and (not external_id or r.get("externalId") == external_id)
            and (not include_only_statuses or r["status"] in include_only_statuses)
            and start <= r["createTime"] <= end
        ]
        ids = [r["deploymentId"] for r in sorted(found, key=lambda r: -r["createTime"])]
        return PAGER.page("ListDeployments", ids, paging)

    def continue_deployment(
        self,
        ctx: RequestContext,
        deployment_id: str | None = None,
        deployment_wait_type: str | None = None,
    ) -> None:
        record = require_deployment(ctx, deployment_id)
        # [I] the parameter came later: without it, the ready wait is meant
        wait = deployment_wait_type or "READY_WAIT"
        if wait not in WAIT_TYPES:
            raise ServiceError("InvalidDeploymentWaitTypeException", "The wait type is invalid.")
        phase = record["_engine"]["phase"]
        if phase in engine.TERMINAL:
            raise ServiceError("DeploymentAlreadyCompletedException", ALREADY_COMPLETE)
        if wait == "READY_WAIT" and record["status"] != "Ready":
            raise ServiceError(
                "DeploymentIsNotInReadyStateException",
                "The deployment does not have a status of Ready and can't continue yet.",
            )
        if wait == "TERMINATION_WAIT" and phase != "TerminationWait":
            raise ServiceError(
                "InvalidDeploymentStatusException",
                f"The deployment {deployment_id} is not waiting to terminate the original task "
                "set; TERMINATION_WAIT can be continued once all traffic has been rerouted",
            )
        record["_engine"]["continued"] = wait
        engine.run(ctx, record)
        return None

    def stop_deployment(
        self, ctx: RequestContext, deployment_id: str, auto_rollback_enabled: bool | None = None
    ) -> dict[str, Any]:
        record = require_deployment(ctx, deployment_id)
        if record["_engine"]["phase"] in engine.TERMINAL:
            raise ServiceError("DeploymentAlreadyCompletedException", ALREADY_COMPLETE)
        run = DeploymentRun(ctx, record)
        # [I] autoRollbackEnabled null: the deployment's own DEPLOYMENT_STOP_ON_REQUEST setting
        rollback = (
            run.rolls_back_on("DEPLOYMENT_STOP_ON_REQUEST")
            if auto_rollback_enabled is None
            else auto_rollback_enabled
        )
        stop(run, "MANUAL_STOP", "The deployment was stopped by the user.", rollback=rollback)
        run.save()
        if rollback and record.get("rollbackInfo", {}).get("rollbackDeploymentId"):
            return {
                "status": "Pending",
                "statusMessage": "Stopping Pending. Stopping to schedule commands in the "
                "deployment instances",
            }
        return {
            "status": "Succeeded",
            "statusMessage": "No more commands will be scheduled for execution in the deployment "
            "instances",
        }

    def skip_wait_time_for_instance_termination(
        self, ctx: RequestContext, deployment_id: str | None = None
    ) -> None:
        """Deprecated: ContinueDeployment(TERMINATION_WAIT) under its old name."""
        return self.continue_deployment(ctx, deployment_id, "TERMINATION_WAIT")

    # the ECS target -----------------------------------------------------------------------

    def list_deployment_targets(
        self,
        ctx: RequestContext,
        deployment_id: str | None = None,
        target_filters: dict[str, list[str]] | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        record = require_deployment(ctx, deployment_id)
        own = _check_target(record)
        statuses = (target_filters or {}).get("TargetStatus")
        if statuses and record["_engine"]["targetStatus"] not in statuses:
            return {"targetIds": []}
        return PAGER.page("ListDeploymentTargets", [own], paging)

    def get_deployment_target(
        self, ctx: RequestContext, deployment_id: str | None = None, target_id: str | None = None
    ) -> dict[str, Any]:
        record = require_deployment(ctx, deployment_id)
        if not target_id:
            raise ServiceError(
                "DeploymentTargetIdRequiredException", "A target ID must be specified"
            )
        _check_target(record, target_id)
        return {"deploymentTarget": _ecs_target(ctx, record)}

    def batch_get_deployment_targets(
        self,
        ctx: RequestContext,
        deployment_id: str | None = None,
        target_ids: list[str] | None = None,
    ) -> dict[str, Any]:
        record = require_deployment(ctx, deployment_id)
        if not target_ids:
            raise ServiceError(
                "DeploymentTargetIdRequiredException", "At least one target ID must be specified"
            )
        if len(target_ids) > 1:
            raise ServiceError(
                "DeploymentTargetListSizeExceededException",
                "An ECS deployment has one target: ask for exactly one target ID",
            )
        _check_target(record, target_ids[0])
        return {"deploymentTargets": [_ecs_target(ctx, record)]}


def _epoch(value: Any) -> float:
    """A parsed timestamp (an aware ``datetime``) or a number, as epoch seconds."""
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def _time_range(value: dict[str, Any] | None) -> tuple[float, float]:
    value = value or {}
    start = _epoch(value["start"]) if value.get("start") is not None else 0.0
    end = _epoch(value["end"]) if value.get("end") is not None else float("inf")
    if start > end:
        raise ServiceError("InvalidTimeRangeException", "The time range's start is after its end")
    return start, end


def _ecs_target(ctx: RequestContext, record: dict[str, Any]) -> dict[str, Any]:
    """The ``DeploymentTarget`` of an ECS deployment, task sets as ECS shows them now."""
    state = record["_engine"]
    service_arn = state.get("targetArn") or ctx.arn(
        "ecs", f"service/{state['cluster']}/{state['service']}"
    )
    return {
        "deploymentTargetType": "ECSTarget",
        "ecsTarget": {
            "deploymentId": record["deploymentId"],
            "targetId": f"{state['cluster']}:{state['service']}",
            "targetArn": service_arn,
            "lastUpdatedAt": state["lastUpdatedAt"],
            "lifecycleEvents": state["events"],
            "status": state["targetStatus"],
            "taskSetsInfo": _task_sets_info(ctx, state),
        },
    }


def _task_sets_info(ctx: RequestContext, state: dict[str, Any]) -> list[dict[str, Any]]:
    """``taskSetsInfo``: the blue and green sets that still exist, with their traffic weight."""
    try:
        found = as_codedeploy(
            ctx, None, "ecs", "DescribeServices", cluster=state["cluster"],
            services=[state["service"]],
        )  # fmt: skip
    except ServiceError:
        return []
    sets = {
        s["taskSetArn"]: s for svc in found.get("services", []) for s in svc.get("taskSets", [])
    }
    names = {g["TargetGroupArn"]: g["TargetGroupName"] for g in ctx.records("target-group").list()}
    weight = float(state.get("weight", 0))
    info = []
    for label, role, share in (("Blue", "blue", 100.0 - weight), ("Green", "green", weight)):
        arn = (state.get(role) or {}).get("taskSetArn")
        live = sets.get(arn)
        if live is None:
            continue
        group = state[role]["targetGroupArn"]
        info.append(
            {
                "identifer": live["id"],
                "desiredCount": live.get("computedDesiredCount", 0),
                "pendingCount": live.get("pendingCount", 0),
                "runningCount": live.get("runningCount", 0),
                "status": live["status"],
                "trafficWeight": share,
                "targetGroup": {"name": names.get(group, group)},
                "taskSetLabel": label,
            }
        )
    return info

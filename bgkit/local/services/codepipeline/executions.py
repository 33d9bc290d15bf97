"""CodePipeline's execution operations: start, stop, read, list, approve, and the pipeline's state.

StartPipelineExecution makes the execution record and lets the engine (:mod:`.engine`) take its
first steps; the rest of its life happens on the local clock. What GetPipelineState and
ListActionExecutions show is read from the executions' action executions: the latest of each
stage and action (GetPipelineState), or all of them, the most recent first
(ListActionExecutions).
"""

from __future__ import annotations

import copy
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.codepipeline import engine
from bgkit.local.services.codepipeline.models import (
    EXECUTION,
    PAGER,
    execution_key,
    executions_of,
    public_execution,
    require_execution,
    require_pipeline,
)


def caller_arn(ctx: RequestContext) -> str:
    """Who made the call: the local account's root user (a service's principal when it calls)."""
    return ctx.caller or ctx.arn("iam", "root", global_=True)


def _stage_status(record: dict[str, Any], index: int, stage: str) -> str | None:
    """What ``record`` did in the stage: its status there, or ``None`` if it never entered."""
    state = record["_engine"]
    inside = state["stage"] == index and state["phase"] == "RunActions"
    if state["stage"] < index or (
        state["stage"] == index
        and not inside
        and not any(a["stageName"] == stage for a in state["actions"])
    ):
        return None  # fmt: skip
    if inside:
        return "Stopping" if record["status"] == "Stopping" else "InProgress"
    statuses = [a["status"] for a in state["actions"] if a["stageName"] == stage]
    if "Failed" in statuses:
        return "Failed"
    if "Abandoned" in statuses or (record["status"] == "Stopped" and state["stage"] == index):
        return "Stopped"
    return "Succeeded"


def _action_view(execution: dict[str, Any]) -> dict[str, Any]:
    """An ``ActionExecution`` of GetPipelineState."""
    view = {
        k: execution[k]
        for k in ("actionExecutionId", "status", "summary", "lastStatusChange", "token",
                  "lastUpdatedBy", "externalExecutionId", "externalExecutionUrl", "errorDetails")
        if execution.get(k) is not None
    }  # fmt: skip
    view["lastStatusChange"] = execution["lastUpdateTime"]
    return view


class ExecutionOperations:
    """The execution operations of the CodePipeline provider."""

    def start_pipeline_execution(
        self,
        ctx: RequestContext,
        name: str,
        variables: list[dict[str, str]] | None = None,
        client_request_token: str | None = None,
        source_revisions: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        record = require_pipeline(ctx, name)
        pipeline = record["pipeline"]
        known = executions_of(ctx, name)
        if client_request_token:
            for other in known:
                if other.get("_clientRequestToken") == client_request_token:
                    return {"pipelineExecutionId": other["pipelineExecutionId"]}
        declared = {v["name"]: v for v in pipeline.get("variables") or []}
        for variable in variables or []:
            if variable["name"] not in declared:
                raise ServiceError(
                    "ValidationException",
                    f"The variable {variable['name']} is not declared in the pipeline {name}: "
                    "declare it in the pipeline's variables (V2 pipelines) first",
                )
        overrides = {}
        sources = {a["name"]: a for a in pipeline["stages"][0]["actions"]}
        for revision in source_revisions or []:
            if revision["actionName"] not in sources:
                raise ServiceError(
                    "ValidationException",
                    f"The action {revision['actionName']} is not a source action of {name}",
                )
            if revision["revisionType"] != "S3_OBJECT_VERSION_ID":
                raise ServiceError(
                    "ValidationException",
                    f"An S3 source action takes the revision type S3_OBJECT_VERSION_ID, not "
                    f"{revision['revisionType']}",
                )
            overrides[revision["actionName"]] = revision["revisionValue"]
        execution_id = ctx.ids.uuid("codepipeline-execution")
        values = {v["name"]: v.get("defaultValue", "") for v in declared.values()}
        values.update({v["name"]: v["value"] for v in variables or []})
        execution: dict[str, Any] = {
            "pipelineName": name,
            "pipelineVersion": pipeline["version"],
            "pipelineExecutionId": execution_id,
            "status": "InProgress",
            "startTime": ctx.now(),
            "lastUpdateTime": ctx.now(),
            "artifactRevisions": [],
            "variables": [{"name": k, "resolvedValue": v} for k, v in sorted(values.items())],
            "trigger": {"triggerType": "StartPipelineExecution", "triggerDetail": caller_arn(ctx)},
            "executionMode": pipeline.get("executionMode", "SUPERSEDED"),
            "executionType": "STANDARD",
            "_clientRequestToken": client_request_token,
            "_engine": {
                "phase": "Created",
                "due": 0.0,
                "seq": 1 + max((e["_engine"]["seq"] for e in known), default=0),
                "pipeline": copy.deepcopy(pipeline),
                "stage": 0,
                "order": 0,
                "actions": [],
                "artifacts": {},
                "overrides": overrides,
            },
        }
        engine.run(ctx, execution)
        return {"pipelineExecutionId": execution_id}

    def stop_pipeline_execution(
        self,
        ctx: RequestContext,
        pipeline_name: str,
        pipeline_execution_id: str,
        abandon: bool | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        require_pipeline(ctx, pipeline_name)
        record = require_execution(ctx, pipeline_name, pipeline_execution_id)
        state = record["_engine"]
        if record["status"] == "Stopping" and (state["stop"].get("abandon") or not abandon):
            raise ServiceError(
                "DuplicatedStopRequestException",
                f"Pipeline execution {pipeline_execution_id} is already being stopped",
            )
        if record["status"] not in ("InProgress", "Stopping"):
            raise ServiceError(
                "PipelineExecutionNotStoppableException",
                f"Pipeline execution {pipeline_execution_id} is {record['status']}: only an "
                "execution that is InProgress can be stopped",
            )
        state["stop"] = {"abandon": bool(abandon), "reason": reason or ""}
        record["status"] = "Stopping"
        record["stopTrigger"] = {"reason": reason or ""}
        if reason:
            record["statusSummary"] = reason
        engine.run(ctx, record)
        return {"pipelineExecutionId": pipeline_execution_id}

    def get_pipeline_execution(
        self, ctx: RequestContext, pipeline_name: str, pipeline_execution_id: str
    ) -> dict[str, Any]:
        require_pipeline(ctx, pipeline_name)
        record = require_execution(ctx, pipeline_name, pipeline_execution_id)
        return {"pipelineExecution": public_execution(record)}

    def list_pipeline_executions(
        self,
        ctx: RequestContext,
        pipeline_name: str,
        filter: dict[str, Any] | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        require_pipeline(ctx, pipeline_name)
        found = executions_of(ctx, pipeline_name)
        stage = ((filter or {}).get("succeededInStage") or {}).get("stageName")
        if stage:
            found = [
                e for e in found
                if any(a["stageName"] == stage for a in e["_engine"]["actions"])
                and _stage_status(e, _index(e, stage), stage) == "Succeeded"
            ]  # fmt: skip

        def summary(record: dict[str, Any]) -> dict[str, Any]:
            return {
                **public_execution(record),
                "sourceRevisions": record.get("_sourceRevisions", []),
            }

        return PAGER.page("ListPipelineExecutions", found, paging, show=summary)

    def list_action_executions(
        self,
        ctx: RequestContext,
        pipeline_name: str,
        filter: dict[str, Any] | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        require_pipeline(ctx, pipeline_name)
        wanted = (filter or {}).get("pipelineExecutionId")
        if wanted:
            records = [require_execution(ctx, pipeline_name, wanted)]
        else:
            records = executions_of(ctx, pipeline_name)
        details = [a for record in records for a in reversed(record["_engine"]["actions"])]
        return PAGER.page("ListActionExecutions", details, paging)

    def get_pipeline_state(self, ctx: RequestContext, name: str) -> dict[str, Any]:
        record = require_pipeline(ctx, name)
        pipeline = record["pipeline"]
        runs = executions_of(ctx, name)
        states = []
        for index, stage in enumerate(pipeline["stages"]):
            state: dict[str, Any] = {
                "stageName": stage["name"],
                "inboundTransitionState": {"enabled": True},
                "actionStates": [],
            }
            latest = next(
                (r for r in runs if _stage_status(r, index, stage["name"]) is not None), None
            )
            if latest is not None:
                state["latestExecution"] = {
                    "pipelineExecutionId": latest["pipelineExecutionId"],
                    "status": _stage_status(latest, index, stage["name"]),
                }
            for action in stage["actions"]:
                shown: dict[str, Any] = {"actionName": action["name"]}
                execution = next(
                    (a for r in runs for a in reversed(r["_engine"]["actions"])
                     if a["stageName"] == stage["name"] and a["actionName"] == action["name"]),
                    None,
                )  # fmt: skip
                if execution is not None:
                    shown["latestExecution"] = _action_view(execution)
                    if execution.get("_revision"):
                        shown["currentRevision"] = execution["_revision"]
                state["actionStates"].append(shown)
            states.append(state)
        return {
            "pipelineName": name,
            "pipelineVersion": pipeline["version"],
            "stageStates": states,
            "created": record["metadata"]["created"],
            "updated": record["metadata"]["updated"],
        }

    def put_approval_result(
        self,
        ctx: RequestContext,
        pipeline_name: str,
        stage_name: str,
        action_name: str,
        result: dict[str, str],
        token: str,
    ) -> dict[str, Any]:
        record = require_pipeline(ctx, pipeline_name)
        stage = next((s for s in record["pipeline"]["stages"] if s["name"] == stage_name), None)
        if stage is None:
            raise ServiceError(
                "StageNotFoundException",
                f"Stage {stage_name} not found in pipeline {pipeline_name}",
            )
        if not any(a["name"] == action_name for a in stage["actions"]):
            raise ServiceError(
                "ActionNotFoundException",
                f"Action {action_name} not found in stage {stage_name} of pipeline {pipeline_name}",
            )
        for execution in executions_of(ctx, pipeline_name):
            for action in execution["_engine"]["actions"]:
                if (action["stageName"], action["actionName"]) != (stage_name, action_name):
                    continue
                if action.get("token") == token and action["status"] == "InProgress":
                    by = caller_arn(ctx)
                    action["_result"] = {**result, "by": by}
                    action["lastUpdatedBy"] = action["updatedBy"] = by
                    engine.run(ctx, execution)
                    return {"approvedAt": ctx.now()}
                if action.get("_token") == token:
                    raise ServiceError(
                        "ApprovalAlreadyCompletedException",
                        f"The approval action {action_name} in stage {stage_name} has already "
                        f"been completed ({action['status']})",
                    )
        raise ServiceError(
            "InvalidApprovalTokenException",
            f"The token {token} is not the token of the approval {stage_name}/{action_name} "
            "that waits now: read it from get_pipeline_state (actionStates[].latestExecution"
            ".token)",
        )


def _index(record: dict[str, Any], stage: str) -> int:
    names = [s["name"] for s in record["_engine"]["pipeline"]["stages"]]
    return names.index(stage) if stage in names else len(names)


def delete_executions(ctx: RequestContext, pipeline: str) -> None:
    """Forget every execution of ``pipeline`` (DeletePipeline)."""
    for record in executions_of(ctx, pipeline):
        key = execution_key(pipeline, record["pipelineExecutionId"])
        ctx.records(EXECUTION).delete(key)
        ctx.records("pipeline-active").delete(key)

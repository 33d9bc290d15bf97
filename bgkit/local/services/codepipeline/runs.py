"""A pipeline execution record while the engine steps it: its actions, its role, its end.

An execution's engine state (``_engine``) is an :class:`ExecutionState`: the declaration of the
pipeline version it runs (a copy, so an UpdatePipeline leaves a running execution as it was),
the stage it is in and the run order within it, and every action execution it made, each with
its private keys (``_due``, an approval's ``_result`` and ``_deadline``, a deployment's id).
:class:`ExecutionRun` wraps the record for the steps of :mod:`.engine` and the actions of
:mod:`.actions` and :mod:`.ecs_deploy`: the pipeline role's permissions
(:meth:`ExecutionRun.allow`, checked with IAM's evaluator as AWS checks the role CodePipeline
assumes), an action's success or failure, saving (and the index of executions not ended).
"""

from __future__ import annotations

from typing import Any

from bgkit.local.lifecycle import LifecycleRun, MachineState
from bgkit.local.provider import RequestContext
from bgkit.local.services.codepipeline.models import ACTIVE, EXECUTION, FINAL, execution_key
from bgkit.local.services.iam.models import not_authorized_message, role_decision, role_name_of

#: the code of ``errorDetails`` when an action fails ([I]: the console shows ``JobFailed``)
JOB_FAILED = "JobFailed"


class ActionFailure(Exception):
    """An action failed: its execution ends ``Failed`` with these ``errorDetails``."""

    def __init__(self, message: str, code: str = JOB_FAILED) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ExecutionState(MachineState, total=False):
    """An execution's whole engine state."""

    seq: int  # the order the pipeline's executions started in (1, 2, …)
    pipeline: dict[str, Any]  # the declaration of the version this execution runs
    stage: int  # index of the stage the execution is in, or waits to enter
    order: int  # the run order of the actions running in that stage
    actions: list[dict[str, Any]]  # every ActionExecution made, in the order they started
    artifacts: dict[str, dict[str, str]]  # output artifact name → its S3 location
    stop: dict[str, Any]  # StopPipelineExecution's request: abandon, reason


class ExecutionRun(LifecycleRun[ExecutionState]):
    """One execution record while the engine steps it."""

    def __init__(self, ctx: RequestContext, record: dict[str, Any]) -> None:
        super().__init__(ctx, record)

    @property
    def pipeline(self) -> dict[str, Any]:
        return self.engine["pipeline"]

    @property
    def role(self) -> str:
        return self.pipeline["roleArn"]

    def stage(self) -> dict[str, Any]:
        return self.pipeline["stages"][self.engine["stage"]]

    def store_bucket(self) -> str:
        store = self.pipeline.get("artifactStore") or self.pipeline["artifactStores"].get(
            self.ctx.region, {}
        )
        return store["location"]

    def latest(self, stage: str, action: str) -> dict[str, Any] | None:
        """This execution's action execution of ``stage``/``action``, if it has one."""
        found = [
            a
            for a in self.engine["actions"]
            if a["stageName"] == stage and a["actionName"] == action
        ]
        return found[-1] if found else None

    def principal(self) -> str:
        """The session CodePipeline's calls are made as: the assumed pipeline role."""
        return (
            f"arn:{self.ctx.partition}:sts::{self.ctx.account}:assumed-role/{role_name_of(self.role)}/"
            f"{self.record['pipelineExecutionId']}"
        )

    def allow(self, action: str, resource: str, context: dict[str, Any] | None = None) -> None:
        """The pipeline role may do ``action`` on ``resource``, or the action fails as AWS
        reports a role without the permission."""
        decision = role_decision(self.ctx, self.role, action, resource, context)
        if not decision:
            raise ActionFailure(
                "Insufficient permissions: "
                + not_authorized_message(self.principal(), action, resource, decision)
                + f". Add {action} to the pipeline's service role {role_name_of(self.role)}."
            )

    def touch(self, execution: dict[str, Any], **members: Any) -> None:
        """Change an action execution's members, at the local clock's time."""
        execution.update(members)
        execution["lastUpdateTime"] = self.now()
        self.record["lastUpdateTime"] = self.now()

    def succeed(self, execution: dict[str, Any], summary: str | None = None) -> None:
        self.touch(execution, status="Succeeded")
        if summary:
            execution["summary"] = summary
            execution["output"]["executionResult"]["externalExecutionSummary"] = summary

    def fail(self, execution: dict[str, Any], failure: ActionFailure) -> None:
        details = {"code": failure.code, "message": failure.message}
        self.touch(execution, status="Failed", errorDetails=details)
        execution["output"]["executionResult"]["errorDetails"] = details

    def end(self, status: str, summary: str | None = None) -> None:
        """The execution ends ``status``."""
        self.record["status"] = status
        if summary:
            self.record["statusSummary"] = summary
        self.record["lastUpdateTime"] = self.now()

    def save(self) -> None:
        """Store the record, and keep the index of executions that have not ended."""
        key = execution_key(self.record["pipelineName"], self.record["pipelineExecutionId"])
        self.ctx.records(EXECUTION).put(key, self.record)
        if self.record["status"] in FINAL:
            self.ctx.records(ACTIVE).delete(key)
        else:
            self.ctx.records(ACTIVE).put(key, {"key": key, "due": self.engine.get("due", 0.0)})

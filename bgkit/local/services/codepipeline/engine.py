"""The execution engine of CodePipeline: stages and their actions on the local clock.

An execution's whole state is in its record (``_engine``, a :class:`~.runs.ExecutionState`),
stepped by the local cloud's one lifecycle machine (:mod:`bgkit.local.lifecycle`) through
:data:`TRANSITIONS`::

    Created → EnterStage → RunActions → (next stage: EnterStage … ) → Succeeded
    a failed action: Failed · StopPipelineExecution: Stopped · overtaken: Superseded

*EnterStage* waits while another execution holds the stage (``SUPERSEDED`` and ``QUEUED``
modes; ``PARALLEL`` executions never wait): in ``SUPERSEDED`` mode a waiting execution that a
more recent one has caught up with at the same stage is ``Superseded``; in ``QUEUED`` mode they
enter in the order they started. *RunActions* runs the stage's actions by ``runOrder``: it
starts each of the lowest order not yet run and polls those running; when all of an order have
succeeded it goes on to the next, and past the last the stage has succeeded. A failed action
fails the stage and the execution (the others of its order are let finish first). A stop
request ends the execution ``Stopped`` once the running actions end, or at once, their
executions ``Abandoned``, when it abandons them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bgkit.local.lifecycle import NEXT, Lifecycle, Transition
from bgkit.local.provider import RequestContext
from bgkit.local.services.codepipeline import actions, ecs_deploy
from bgkit.local.services.codepipeline.models import ACTIVE, EXECUTION
from bgkit.local.services.codepipeline.runs import ActionFailure, ExecutionRun

#: [I] local seconds an execution stays ``Created`` before its source stage starts
START_DELAY = 1.0
TERMINAL = ("Succeeded", "Failed", "Stopped", "Superseded")

Hook = Callable[[ExecutionRun, dict[str, Any], dict[str, Any]], None]
#: (category, provider) → (start, poll)
KINDS: dict[tuple[str, str], tuple[Hook, Hook]] = {
    ("Source", "S3"): (actions.start_source, actions.poll_source),
    ("Approval", "Manual"): (actions.start_approval, actions.poll_approval),
    ("Deploy", "CodeDeployToECS"): (ecs_deploy.start_deploy, ecs_deploy.poll_deploy),
}


def _start(run: ExecutionRun) -> str | None:
    due = run.record["startTime"] + START_DELAY
    if run.now() < due:
        return run.wait_until(due)
    return NEXT


def _holders(run: ExecutionRun) -> list[dict[str, Any]]:
    """The pipeline's other executions that have not ended, with their engine state."""
    name = run.record["pipelineName"]
    mine = run.record["pipelineExecutionId"]
    found = []
    for entry in run.ctx.records(ACTIVE).list():
        if not entry["key"].startswith(f"{name}/") or entry["key"].endswith(f"/{mine}"):
            continue
        other = run.ctx.records(EXECUTION).get(entry["key"])
        if other is not None:
            found.append(other)
    return found


def _enter_stage(run: ExecutionRun) -> str | None:
    engine = run.engine
    stage = engine["stage"]
    mode = run.record.get("executionMode", "SUPERSEDED")
    if engine.get("stop"):
        run.end("Stopped", run.record.get("statusSummary"))
        return "Stopped"
    if mode != "PARALLEL":
        others = _holders(run)
        held = any(
            o["_engine"]["phase"] == "RunActions" and o["_engine"]["stage"] == stage for o in others
        )
        waiting = [
            o for o in others if o["_engine"]["phase"] == "EnterStage"
            and o["_engine"]["stage"] == stage
        ]  # fmt: skip
        if mode == "SUPERSEDED" and any(o["_engine"]["seq"] > engine["seq"] for o in waiting):
            run.end("Superseded", "Superseded by a more recent execution of the pipeline")
            return "Superseded"
        if mode == "QUEUED" and any(o["_engine"]["seq"] < engine["seq"] for o in waiting):
            return run.wait_until(0.0)
        if held:
            return run.wait_until(0.0)
    engine["order"] = min(a["runOrder"] for a in run.stage()["actions"])
    return NEXT


def _new_execution(run: ExecutionRun, action: dict[str, Any]) -> dict[str, Any]:
    stage = run.stage()
    configuration = dict(action.get("configuration") or {})
    inputs = [
        {"name": a["name"], "s3location": run.engine["artifacts"].get(a["name"], {})}
        for a in action.get("inputArtifacts") or []
    ]
    execution = {
        "actionExecutionId": run.ctx.ids.uuid("codepipeline-action-execution"),
        "pipelineExecutionId": run.record["pipelineExecutionId"],
        "pipelineVersion": run.record["pipelineVersion"],
        "stageName": stage["name"],
        "actionName": action["name"],
        "runOrder": action["runOrder"],
        "startTime": run.now(),
        "lastUpdateTime": run.now(),
        "lastStatusChange": run.now(),
        "status": "InProgress",
        "input": {
            "actionTypeId": action["actionTypeId"],
            "configuration": configuration,
            "resolvedConfiguration": configuration,
            "region": action.get("region") or run.ctx.region,
            "inputArtifacts": inputs,
            **({"roleArn": action["roleArn"]} if action.get("roleArn") else {}),
            **({"namespace": action["namespace"]} if action.get("namespace") else {}),
        },
        "output": {"outputArtifacts": [], "executionResult": {}, "outputVariables": {}},
        "_due": 0.0,
    }
    run.engine["actions"].append(execution)
    return execution


def _step_action(run: ExecutionRun, action: dict[str, Any], execution: dict[str, Any] | None):
    """Start or poll one action; a failure ends its execution ``Failed``."""
    start, poll = KINDS[(action["actionTypeId"]["category"], action["actionTypeId"]["provider"])]
    try:
        if execution is None:
            execution = _new_execution(run, action)
            start(run, action, execution)
        elif execution["status"] == "InProgress":
            poll(run, action, execution)
    except ActionFailure as failure:
        run.fail(execution, failure)
    return execution


def _run_actions(run: ExecutionRun) -> str | None:
    engine = run.engine
    stage = run.stage()
    group = [a for a in stage["actions"] if a["runOrder"] == engine["order"]]
    stop = engine.get("stop")
    executions = []
    for action in group:
        current = run.latest(stage["name"], action["name"])
        if (
            stop
            and stop.get("abandon")
            and current is not None
            and current["status"] == "InProgress"
        ):
            run.touch(current, status="Abandoned")
            current.pop("token", None)
        elif not (stop and current is None):
            current = _step_action(run, action, current)
        executions.append(current)
    running = [e for e in executions if e is not None and e["status"] == "InProgress"]
    if running:
        return run.wait_until(min(e.get("_due", 0.0) for e in running))
    if stop:
        run.end("Stopped")
        return "Stopped"
    failed = [e for e in executions if e is not None and e["status"] == "Failed"]
    if failed:
        reason = failed[0].get("errorDetails", {}).get("message", "")
        run.end("Failed", reason)
        return "Failed"
    later = sorted({a["runOrder"] for a in stage["actions"] if a["runOrder"] > engine["order"]})
    if later:
        engine["order"] = later[0]
        return "RunActions"
    if engine["stage"] + 1 < len(run.pipeline["stages"]):
        engine["stage"] += 1
        return "EnterStage"
    run.end("Succeeded")
    return "Succeeded"


def _failed(run: ExecutionRun, failure: ActionFailure) -> str:
    run.end("Failed", failure.message)
    return "Failed"


TRANSITIONS: dict[str, Transition[ExecutionRun]] = {
    "Created": Transition(_start, "EnterStage"),
    "EnterStage": Transition(_enter_stage, "RunActions"),
    "RunActions": Transition(_run_actions, "Succeeded"),
}

LIFECYCLE = Lifecycle(
    TRANSITIONS,
    terminal=TERMINAL,
    fails_with=ActionFailure,
    on_failure=_failed,
    save=ExecutionRun.save,
    steps_per_phase=8,
)


def run(ctx: RequestContext, record: dict[str, Any]) -> dict[str, Any]:
    """Take the execution's steps until one waits or it ends; store it; return it."""
    LIFECYCLE.run(ExecutionRun(ctx, record))
    return record

"""ECS's ``AWS_LAMBDA`` lifecycle hooks: a function invoked at a lifecycle stage whose return value
decides.

ECS's contract ("Lambda hooks for Amazon ECS service deployments") is not a callback: the
function returns ``{"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS"}``. ``SUCCEEDED`` lets
the deployment go on, ``FAILED`` rolls it back, ``IN_PROGRESS`` has ECS invoke the function again
after ``callBackDelay`` seconds (30 by default), passing back the ``hookDetails`` it returned; no
valid ``hookStatus``, or a function that fails, rolls the deployment back. The hook's ``roleArn``
must be allowed ``lambda:InvokeFunction`` on the function. The event carries the common payload:
``serviceArn``, ``targetServiceRevisionArn``, ``testTrafficWeights``, ``productionTrafficWeights``
(service revision ARN → percent), with ``lifecycleStage`` and ``hookDetails``.

The function is invoked as a ``RequestResponse`` call (no retries, as ECS calls it) whose answer
the engine reads on its next passes (:func:`~bgkit.local.services.awslambda.models.
invocation_outcome`), never waiting on the loop. A hook's state is in the deployment's engine
state, ``lambdaHooks``: hook id → ``{"function", "role", "hookDetails", "requestId", "next"}``.
"""

from __future__ import annotations

import json
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.services.awslambda.models import AWAITED, invocation_outcome
from bgkit.local.services.ecs.bluegreen.deployments import ServiceDeploymentRun
from bgkit.local.services.ecs.bluegreen.traffic import Rollback
from bgkit.local.services.ecs.models import PRINCIPAL
from bgkit.local.services.iam.models import role_decision

__all__ = ["DEFAULT_CALLBACK_DELAY", "begin", "look"]

#: seconds before an IN_PROGRESS hook is invoked again, unless it returns ``callBackDelay``
DEFAULT_CALLBACK_DELAY = 30.0
#: [I] AWS's words are not published for these
ROLLED_BACK = "Service deployment rolled back because {stage} lifecycle hook {arn} {why}."
STATUSES = ("SUCCEEDED", "FAILED", "IN_PROGRESS")


def begin(run: ServiceDeploymentRun, hook_id: str, hook: dict[str, Any]) -> None:
    """Remember an ``AWS_LAMBDA`` hook of this stage; it is invoked on the engine's next look."""
    run.engine.setdefault("lambdaHooks", {})[hook_id] = {
        "function": hook["hookTargetArn"],
        "role": hook.get("roleArn"),
        "hookDetails": hook.get("hookDetails"),
        "requestId": None,
        "next": run.now(),
    }


def _event(run: ServiceDeploymentRun, stage: str, details: Any) -> dict[str, Any]:
    engine = run.engine
    source = (engine.get("source") or {}).get("revision")
    target = engine["target"]["revision"]

    def weights(green: float) -> dict[str, float]:
        shares = {target: green}
        if source:
            shares[source] = 100.0 - green
        return shares

    event: dict[str, Any] = {
        "serviceArn": run.record["serviceArn"],
        "targetServiceRevisionArn": target,
        "testTrafficWeights": weights(float(engine.get("testWeight") or 0.0)),
        "productionTrafficWeights": weights(float(engine.get("productionWeight") or 0.0)),
        "lifecycleStage": stage,
    }
    if details is not None:
        event["hookDetails"] = details
    return event


def _invoke(run: ServiceDeploymentRun, stage: str, state: dict[str, Any]) -> None:
    arn, role = state["function"], state["role"] or ""
    decision = role_decision(run.ctx, role, "lambda:InvokeFunction", arn)
    if not decision.allowed:
        why = f"could not be invoked: the role {role} is not allowed lambda:InvokeFunction on it"
        raise Rollback(ROLLED_BACK.format(stage=stage, arn=arn, why=why))
    payload = json.dumps(_event(run, stage, state["hookDetails"])).encode()
    try:
        answer = run.ctx.call(
            "lambda", "Invoke", caller=PRINCIPAL, function_name=arn,
            invocation_type="RequestResponse", payload=payload,
        )  # fmt: skip
    except ServiceError as error:
        why = f"could not be invoked: {error.message}"
        raise Rollback(ROLLED_BACK.format(stage=stage, arn=arn, why=why)) from None
    state["requestId"] = answer[AWAITED]


def look(run: ServiceDeploymentRun, stage: str, detail: dict[str, Any]) -> float | None:
    """Move an ``AWS_LAMBDA`` hook on: ``None`` once it succeeded, else the local time to look
    again (0: the next pass); a failure raises :class:`Rollback`."""
    state = run.engine["lambdaHooks"][detail["hookId"]]
    arn = state["function"]
    if state["requestId"] is None:
        if run.now() < state["next"]:
            return state["next"]
        _invoke(run, stage, state)
        return 0.0
    outcome = invocation_outcome(run.ctx, state["requestId"])
    if outcome is None or outcome["state"] not in ("Succeeded", "Failed"):
        return 0.0
    if outcome["state"] == "Failed":
        detail["status"] = "FAILED"
        why = f"failed: {outcome['result']}"
        raise Rollback(ROLLED_BACK.format(stage=stage, arn=arn, why=why))
    try:
        answer = json.loads(outcome["result"] or "null")
    except ValueError:
        answer = None
    status = answer.get("hookStatus") if isinstance(answer, dict) else None
    if status not in STATUSES:
        detail["status"] = "FAILED"
        why = f"returned no valid hookStatus: {outcome['result']}"
        raise Rollback(ROLLED_BACK.format(stage=stage, arn=arn, why=why))
    if status == "SUCCEEDED":
        detail["status"] = "SUCCEEDED"
        return None
    if status == "FAILED":
        detail["status"] = "FAILED"
        raise Rollback(ROLLED_BACK.format(stage=stage, arn=arn, why="returned FAILED"))
    delay = answer.get("callBackDelay")
    delay = float(delay) if isinstance(delay, (int, float)) and delay >= 0 else None
    state["requestId"] = None
    state["next"] = run.now() + (DEFAULT_CALLBACK_DELAY if delay is None else delay)
    if answer.get("hookDetails") is not None:
        state["hookDetails"] = answer["hookDetails"]
    return state["next"]

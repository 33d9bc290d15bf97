"""The AppSpec's Lambda hooks of an ECS deployment, and PutLifecycleEventHookExecutionStatus.

A hook event (BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic,
AfterAllowTraffic) that the AppSpec names a function for runs it as CodeDeploy does (AppSpec
"hooks" section for an Amazon ECS deployment): the service role must be allowed
``lambda:InvokeFunction`` on the function (``AWSCodeDeployRoleForECSLimited`` allows only functions
named ``CodeDeployHook_*``), the function is invoked asynchronously with ``DeploymentId`` and
``LifecycleEventHookExecutionId``, and the event stays ``InProgress`` until the function calls
``PutLifecycleEventHookExecutionStatus`` with ``Succeeded`` or ``Failed`` — or until one hour of
the local clock has passed, which fails the event. What the function returns and whether it raised
does not decide anything: only its call does (an invocation that fails is retried by Lambda).

The hook executions of a deployment are in its engine state, ``hooks``: the event's name →
``{"function", "executionId", "requestId", "status", "startTime", "deadline", "endTime"}``.
"""

from __future__ import annotations

import json
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.lifecycle import NEXT
from bgkit.local.provider import RequestContext
from bgkit.local.services.awslambda.models import function_arn, function_name_of
from bgkit.local.services.codedeploy.lifecycle import DeploymentFailure, DeploymentRun, save
from bgkit.local.services.codedeploy.models import require_deployment
from bgkit.local.services.iam.models import role_decision

__all__ = ["HOOK_TIMEOUT", "HookOperations", "run_hook"]

CODEDEPLOY = "codedeploy.amazonaws.com"
#: a hook's time to report its status (AppSpec "hooks" section: "one hour")
HOOK_TIMEOUT = 3600.0
#: the failure of a role that may not invoke the function (as AWS reports it, error code
#: IAM_ROLE_PERMISSIONS; aws/serverless-application-model#219)
NOT_PERMITTED = (
    "The IAM role {role} does not give you permission to perform operations in the following "
    "AWS service: AWSLambda. Contact your AWS administrator if you need help. If you are an AWS "
    "administrator, you can grant permissions to your users or groups by creating IAM policies."
)
#: [I] what the role's policy lacks, said after AWS's sentence so a learner knows what to fix
LIMITED_HINT = (
    " The role may not call lambda:InvokeFunction on {arn}: AWSCodeDeployRoleForECSLimited "
    "allows only functions named CodeDeployHook_*; name the function CodeDeployHook_<something> "
    "or give the role lambda:InvokeFunction on it."
)
MISSING = (
    "The Lambda function {name} named by the AppSpec's {event} hook could not be invoked: "
    "Function not found: {arn}. Create the function, or correct its name in the AppSpec."
)
FAILED = (
    "The deployment failed because the {event} lifecycle event hook ({name}) reported Failed "
    "with PutLifecycleEventHookExecutionStatus."
)
TIMED_OUT = (
    "The deployment timed out while waiting for the {event} lifecycle event hook ({name}) to "
    "call PutLifecycleEventHookExecutionStatus. This time out period is 60 minutes."
)
STATUSES = ("Succeeded", "Failed")


def _arn(ctx: RequestContext, function: str) -> tuple[str, str]:
    name, _qualifier = function_name_of(function)
    return name, function if function.startswith("arn:") else function_arn(ctx, name)


def _start(run: DeploymentRun, event: str, function: str) -> dict[str, Any]:
    ctx, record = run.ctx, run.record
    name, arn = _arn(ctx, function)
    decision = role_decision(ctx, run.role, "lambda:InvokeFunction", arn)
    if not decision.allowed:
        message = NOT_PERMITTED.format(role=run.role) + LIMITED_HINT.format(arn=arn)
        raise DeploymentFailure("IAM_ROLE_PERMISSIONS", message)
    execution_id = ctx.ids.uuid("codedeploy-hook")
    payload = {
        "DeploymentId": record["deploymentId"],
        "LifecycleEventHookExecutionId": execution_id,
    }
    try:
        answer = ctx.call(
            "lambda", "Invoke", caller=CODEDEPLOY, function_name=function,
            invocation_type="Event", payload=json.dumps(payload).encode(),
        )  # fmt: skip
    except ServiceError as error:
        if error.code == "ResourceNotFoundException":
            message = MISSING.format(name=name, event=event, arn=arn)
        else:
            message = f"The {event} hook's function {name} could not be invoked: {error.message}"
        raise DeploymentFailure("HOOK_EXECUTION_FAILURE", message) from None
    hook = {
        "function": name,
        "functionArn": arn,
        "executionId": execution_id,
        "requestId": answer.get("_request_id"),
        "status": "InProgress",
        "startTime": run.now(),
        "deadline": run.now() + HOOK_TIMEOUT,
    }
    run.engine.setdefault("hooks", {})[event] = hook
    return hook


def _diagnose(run: DeploymentRun, event: str, code: str, message: str) -> None:
    for item in run.engine["events"]:
        if item["lifecycleEventName"] == event:
            item["diagnostics"] = {"errorCode": code, "scriptName": "", "message": message,
                                   "logTail": ""}  # fmt: skip


def run_hook(run: DeploymentRun, event: str, function: str) -> str | None:
    """The step of a hook event whose AppSpec names ``function``."""
    hook = (run.engine.get("hooks") or {}).get(event)
    if hook is None:
        run.begin(event)
        hook = _start(run, event, function)
    if hook["status"] == "Succeeded":
        hook.setdefault("endTime", run.now())
        run.succeed(event)
        return NEXT
    if hook["status"] == "Failed":
        message = FAILED.format(event=event, name=hook["function"])
        _diagnose(run, event, "ScriptFailed", message)
        raise DeploymentFailure("HOOK_EXECUTION_FAILURE", message)
    if run.now() >= hook["deadline"]:
        hook.update(status="Failed", endTime=run.now())
        message = TIMED_OUT.format(event=event, name=hook["function"])
        _diagnose(run, event, "ScriptTimedOut", message)
        raise DeploymentFailure("TIMEOUT", message)
    return run.wait_until(hook["deadline"])


def _find(record: dict[str, Any], execution_id: str) -> tuple[str, dict[str, Any]] | None:
    for event, hook in (record["_engine"].get("hooks") or {}).items():
        if hook["executionId"] == execution_id:
            return event, hook
    return None


class HookOperations:
    """``PutLifecycleEventHookExecutionStatus``: a hook function's answer."""

    def put_lifecycle_event_hook_execution_status(
        self,
        ctx: RequestContext,
        deployment_id: str | None = None,
        lifecycle_event_hook_execution_id: str | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:
        record = require_deployment(ctx, deployment_id)
        if record.get("computePlatform") not in (None, "ECS"):
            raise ServiceError(
                "UnsupportedActionForDeploymentTypeException",
                "The bgkit local cloud runs ECS deployments only.",
            )
        found = _find(record, lifecycle_event_hook_execution_id or "")
        if found is None:
            raise ServiceError(
                "InvalidLifecycleEventHookExecutionIdException",
                f"The lifecycle event hook execution ID {lifecycle_event_hook_execution_id} is "
                f"not one of deployment {deployment_id}'s: pass the LifecycleEventHookExecutionId "
                "of the event the function was invoked with",
            )
        if status not in STATUSES:
            raise ServiceError(
                "InvalidLifecycleEventHookExecutionStatusException",
                f"The status {status} is not valid for a lifecycle event hook: it must be "
                "Succeeded or Failed",
            )
        event, hook = found
        if hook["status"] != "InProgress" or record["status"] in ("Succeeded", "Failed", "Stopped"):
            raise ServiceError(
                "LifecycleEventAlreadyCompletedException",
                f"The lifecycle event {event} of deployment {deployment_id} has already "
                f"completed ({hook['status']})",
            )
        hook.update(status=status, endTime=ctx.now())
        record["_engine"]["due"] = 0.0  # the engine looks at it on its next pass
        save(ctx, record)
        return {"lifecycleEventHookExecutionId": hook["executionId"]}

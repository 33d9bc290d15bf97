"""Notebook 10's validation hook: the function's role, name, code and test URL, and its log.

An ``AfterAllowTestTraffic`` hook is a Lambda function CodeDeploy invokes once the test listener
serves the replacement task set. Notebook 10's is ``data/hooks/validate_fizzbuzz.py``: it asks
the test listener for FizzBuzz's answers (its address in the function's environment,
``TEST_URL``: :func:`test_url`) and reports ``Succeeded`` or ``Failed`` to CodeDeploy.

- The function is named ``CodeDeployHook_<prefix>-validate`` (:func:`function_name`): the
  CodeDeploy role's managed policy ``AWSCodeDeployRoleForECSLimited`` allows
  ``lambda:InvokeFunction`` on ``function:CodeDeployHook_*`` only, and the prefix keeps the
  participants of a shared account apart.
- Its role ``<prefix>-validate`` (:func:`function_role`) trusts ``lambda.amazonaws.com`` and has
  ``AWSLambdaBasicExecutionRole`` (its log) and ``data/iam/validation-hook-policy.json``
  (``codedeploy:PutLifecycleEventHookExecutionStatus``).
- On AWS a role just created may not be assumable by Lambda for some seconds (IAM is
  eventually consistent): :func:`once_the_role_is_assumable` retries the create request.

Nothing here knows which target it talks to: :func:`test_url` is ``kit.url(8080)``, the load
balancer's DNS name on AWS and the local listener on the local cloud.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from bgkit.data import DATA
from bgkit.walkthrough.deploy import appspec
from bgkit.walkthrough.naming import names
from bgkit.walkthrough.prerequisites import document, service_role
from bgkit.walkthrough.progress import Step, poll

__all__ = [
    "BASIC_EXECUTION",
    "HOOK_EVENT",
    "SOURCE",
    "existing_function",
    "function_log",
    "function_name",
    "function_role",
    "hook_appspec",
    "log_group",
    "once_the_role_is_assumable",
    "package",
    "role_name",
    "source",
    "test_url",
]

#: the AWS managed policy that lets a function write its log to CloudWatch Logs
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
#: the validation function's source, in ``data/``
SOURCE = DATA / "hooks" / "validate_fizzbuzz.py"
#: the lifecycle event the function is the hook of
HOOK_EVENT = "AfterAllowTestTraffic"
#: Lambda's answer while a new role cannot be assumed yet (IAM's propagation, on AWS)
NOT_ASSUMABLE = "cannot be assumed by Lambda"


def function_name(kit: Any) -> str:
    """``CodeDeployHook_<prefix>-validate``: a name the Limited CodeDeploy policy may invoke."""
    return f"CodeDeployHook_{names(kit).prefix}-validate"


def role_name(kit: Any) -> str:
    """``<prefix>-validate``, the function's execution role."""
    return f"{names(kit).prefix}-validate"


def log_group(kit: Any) -> str:
    """``/aws/lambda/<function name>``, where Lambda writes the function's log."""
    return f"/aws/lambda/{function_name(kit)}"


def function_role(kit: Any) -> dict[str, Any]:
    """``<prefix>-validate``: got, or created trusting ``lambda.amazonaws.com`` with the kit's
    tags; ``AWSLambdaBasicExecutionRole`` attached and the inline policy ``<prefix>-validate``
    (``data/iam/validation-hook-policy.json``) put (both idempotent)."""
    role = service_role(
        kit,
        role_name(kit),
        trust="lambda-trust-policy.json",
        description="bgkit: lets the validation hook report to CodeDeploy and write its log",
        managed_policy=BASIC_EXECUTION,
    )
    kit.client("iam").put_role_policy(
        RoleName=role_name(kit),
        PolicyName=role_name(kit),
        PolicyDocument=document("validation-hook-policy.json"),
    )
    return role


def source() -> str:
    """The validation function's source (standard library and boto3 only)."""
    return SOURCE.read_text(encoding="utf-8")


def package(code: str, filename: str = "app.py") -> bytes:
    """A deployment package: a zip holding ``code`` as ``filename`` (handler ``app.handler``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(filename, date_time=(2025, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, code)
    return buffer.getvalue()


def test_url(kit: Any) -> str:
    """Where the function asks the test listener: ``http://<ALB DNS name>:8080`` on AWS, the
    local listener of port 8080 on the local cloud."""
    return kit.url(8080)


def hook_appspec(task_definition_arn: str, function: str) -> str:
    """The AppSpec of :func:`bgkit.walkthrough.appspec` with ``function`` as the
    ``AfterAllowTestTraffic`` hook (the AppSpec's ``Hooks`` section)."""
    return appspec(task_definition_arn).rstrip("\n") + f'\nHooks:\n  - {HOOK_EVENT}: "{function}"\n'


def existing_function(kit: Any) -> dict[str, Any] | None:
    """The validation function's configuration (``GetFunctionConfiguration``), or ``None``."""
    awslambda = kit.client("lambda")
    try:
        return awslambda.get_function_configuration(FunctionName=function_name(kit))
    except awslambda.exceptions.ResourceNotFoundException:
        return None


def once_the_role_is_assumable(
    create: Callable[[], dict[str, Any]], timeout: float = 60.0
) -> dict[str, Any]:
    """``create()`` (a ``CreateFunction`` request), sent again every two seconds while Lambda
    answers that the role cannot be assumed — a role created a moment ago, on AWS.

    Raises:
        ClientError: any other refusal, or that one after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return create()
        except ClientError as error:
            text = error.response["Error"].get("Message", "")
            if NOT_ASSUMABLE not in text or time.monotonic() > deadline:
                raise
        time.sleep(2.0)


def function_log(kit: Any, invocations: int = 1, timeout: float = 120.0) -> list[str]:
    """Wait until the function's log group holds the ``REPORT`` lines of ``invocations``
    invocations (Lambda writes the log a little after the function returns); give back the
    log's messages, oldest first."""
    logs = kit.client("logs")

    def check() -> Step:
        messages = _messages(logs, log_group(kit))
        reports = sum(1 for m in messages if m.startswith("REPORT"))
        return Step(reports >= invocations, f"{reports} of {invocations} invocations logged")

    poll(check, what=f"log group {log_group(kit)}", timeout=timeout, quiet=True)
    return _messages(logs, log_group(kit))


def _messages(logs: Any, group: str) -> list[str]:
    try:
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
        events = [event for page in pages for event in page["events"]]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"].rstrip("\n") for e in sorted(events, key=lambda e: e["timestamp"])]

"""The CodeDeployToECS action: register the task definition, hand the deployment to CodeDeploy.

As its action reference describes it: the action reads ``TaskDefinitionTemplatePath`` (default
``taskdef.json``) from the artifact ``TaskDefinitionTemplateArtifact`` and
``AppSpecTemplatePath`` (default ``appspec.yaml``) from ``AppSpecTemplateArtifact``; for each
``Image<n>ArtifactName`` it reads that artifact's ``imageDetail.json`` and puts its ``ImageURI``
in place of ``<Image<n>ContainerName>`` in the task definition; it registers the task definition
(``ecs:RegisterTaskDefinition``, passing its roles: ``iam:PassRole`` to
``ecs-tasks.amazonaws.com``), puts the new ARN in place of the AppSpec's ``<TASK_DEFINITION>``
and creates the deployment of ``ApplicationName``/``DeploymentGroupName``
(``codedeploy:GetApplication``, ``RegisterApplicationRevision``, ``GetDeploymentConfig``,
``CreateDeployment``). It then follows the deployment (``codedeploy:GetDeployment``): the action
succeeds when the deployment has, and fails with the deployment's error when it fails or stops.
Every call is the pipeline role's, checked where AWS checks it.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

from bgkit.errors import ServiceError
from bgkit.local.services.codepipeline.actions import artifact_file
from bgkit.local.services.codepipeline.models import PRINCIPAL
from bgkit.local.services.codepipeline.runs import ActionFailure, ExecutionRun

PLACEHOLDER = "<TASK_DEFINITION>"
ECS_TASKS = "ecs-tasks.amazonaws.com"
#: members a describe-task-definition output carries that RegisterTaskDefinition does not take
DESCRIBED_ONLY = (
    "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
    "registeredAt", "registeredBy", "deregisteredAt",
)  # fmt: skip
ENDED = ("Succeeded", "Failed", "Stopped")


#: ECS's RegisterTaskDefinition input shape, read when the providers are made, never by a call
#: on the event loop (loading a service model holds the loop for a tenth of a second or more)
REGISTER_SHAPE = (
    botocore.session.get_session()
    .get_service_model("ecs")
    .operation_model("RegisterTaskDefinition")
    .input_shape
)


def _register_shape() -> Any:
    return REGISTER_SHAPE


def _task_definition(run: ExecutionRun, configuration: dict[str, Any]) -> dict[str, Any]:
    """The task definition's request, images filled in, checked against ECS's input shape."""
    path = configuration.get("TaskDefinitionTemplatePath") or "taskdef.json"
    text = artifact_file(
        run, configuration["TaskDefinitionTemplateArtifact"], path, "task definition"
    )
    for n in range(1, 6):
        artifact = configuration.get(f"Image{n}ArtifactName")
        if not artifact:
            continue
        placeholder = configuration.get(f"Image{n}ContainerName") or "IMAGE"
        detail = artifact_file(run, artifact, "imageDetail.json", "image artifact")
        try:
            image = json.loads(detail)["ImageURI"]
        except (ValueError, KeyError, TypeError):
            raise ActionFailure(
                f"Exception while trying to read the image artifact file from the artifact: "
                f'{artifact}. imageDetail.json must be JSON with an ImageURI: {{"ImageURI": '
                '"<repository>:<tag>"}'
            ) from None
        text = text.replace(f"<{placeholder}>", image)
    try:
        request = json.loads(text)
    except ValueError as error:
        raise ActionFailure(f"The task definition file {path} is not valid JSON: {error}") from None
    if not isinstance(request, dict):
        raise ActionFailure(f"The task definition file {path} must hold one JSON object")
    request = {k: v for k, v in request.items() if k not in DESCRIBED_ONLY}
    try:
        validate_parameters(request, _register_shape())
    except ParamValidationError as error:
        raise ActionFailure(
            f"Invalid task definition in {path}, which must be the input of ECS's "
            f"RegisterTaskDefinition: {error.kwargs.get('report', error)}"
        ) from None
    images = [c.get("image", "") for c in request.get("containerDefinitions", [])]
    left = [i for i in images if i.startswith("<") and i.endswith(">")]
    if left:
        raise ActionFailure(
            f"The task definition's image {left[0]} is a placeholder that no Image<n> setting "
            "of the action fills: set Image1ArtifactName and Image1ContainerName"
        )
    return request


def _register(run: ExecutionRun, request: dict[str, Any]) -> str:
    run.allow("ecs:RegisterTaskDefinition", "*")
    for member in ("executionRoleArn", "taskRoleArn"):
        if request.get(member):
            run.allow("iam:PassRole", request[member], {"iam:PassedToService": ECS_TASKS})
    params = {xform_name(k): v for k, v in request.items()}
    try:
        made = run.ctx.call("ecs", "RegisterTaskDefinition", caller=PRINCIPAL, **params)
    except ServiceError as error:
        raise ActionFailure(
            f"Exception while trying to register the task definition: {error.message} "
            f"(Service: AmazonECS; Error Code: {error.code})"
        ) from None
    return made["taskDefinition"]["taskDefinitionArn"]


def start_deploy(run: ExecutionRun, action: dict[str, Any], execution: dict[str, Any]) -> None:
    configuration = action["configuration"]
    ctx = run.ctx
    request = _task_definition(run, configuration)
    appspec_path = configuration.get("AppSpecTemplatePath") or "appspec.yaml"
    appspec = artifact_file(run, configuration["AppSpecTemplateArtifact"], appspec_path, "AppSpec")
    if PLACEHOLDER not in appspec:
        raise ActionFailure(
            f"The AppSpec file {appspec_path} has no {PLACEHOLDER} placeholder: set its "
            f'TaskDefinition to "{PLACEHOLDER}", which the action replaces with the task '
            "definition it registers."
        )
    application = configuration["ApplicationName"]
    group = configuration["DeploymentGroupName"]
    run.allow("codedeploy:GetApplication", ctx.arn("codedeploy", f"application:{application}"))
    arn = _register(run, request)
    content = appspec.replace(PLACEHOLDER, arn)
    run.allow(
        "codedeploy:RegisterApplicationRevision",
        ctx.arn("codedeploy", f"application:{application}"),
    )
    run.allow(
        "codedeploy:CreateDeployment",
        ctx.arn("codedeploy", f"deploymentgroup:{application}/{group}"),
    )
    try:
        found = ctx.call(
            "codedeploy", "GetDeploymentGroup", caller=PRINCIPAL,
            application_name=application, deployment_group_name=group,
        )["deploymentGroupInfo"]  # fmt: skip
        config = found.get("deploymentConfigName", "CodeDeployDefault.ECSAllAtOnce")
        run.allow(
            "codedeploy:GetDeploymentConfig", ctx.arn("codedeploy", f"deploymentconfig:{config}")
        )
        made = ctx.call(
            "codedeploy", "CreateDeployment", caller=PRINCIPAL,
            application_name=application, deployment_group_name=group,
            revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
        )  # fmt: skip
    except ServiceError as error:
        raise ActionFailure(
            f"Could not create the CodeDeploy deployment of {application}/{group}: "
            f"{error.code}: {error.message}"
        ) from None
    deployment = made["deploymentId"]
    url = (
        f"https://console.aws.amazon.com/codesuite/codedeploy/deployments/{deployment}"
        f"?region={ctx.region}"
    )
    execution.update(externalExecutionId=deployment, externalExecutionUrl=url, _due=0.0)
    execution["output"]["executionResult"].update(
        externalExecutionId=deployment, externalExecutionUrl=url
    )
    execution["_taskDefinition"] = arn


def poll_deploy(run: ExecutionRun, action: dict[str, Any], execution: dict[str, Any]) -> None:
    deployment = execution["externalExecutionId"]
    run.allow(
        "codedeploy:GetDeployment",
        run.ctx.arn(
            "codedeploy",
            f"deploymentgroup:{action['configuration']['ApplicationName']}/"
            f"{action['configuration']['DeploymentGroupName']}",
        ),
    )
    info = run.ctx.call("codedeploy", "GetDeployment", caller=PRINCIPAL, deployment_id=deployment)
    info = info["deploymentInfo"]
    status = info["status"]
    execution["_due"] = 0.0
    if status not in ENDED:
        return None
    if status == "Succeeded":
        run.succeed(execution, f"Deployment {deployment} succeeded")
        return None
    error = info.get("errorInformation") or {}
    raise ActionFailure(
        f"Deployment {deployment} {status.lower()}: "
        f"{error.get('code', status.upper())}: {error.get('message', 'the deployment ' + status)}"
    )

"""Notebook 12's pipeline: the source files, their zip, the versioned bucket, the pipeline role,
the pipeline's declaration, and the waits of an execution — all plain boto3.

CodePipeline's *Amazon ECS (Blue/Green)* action (``CodeDeployToECS``) takes three files from
its input artifact, a zip in a versioned S3 bucket:

- ``taskdef.json`` — the input of ``ecs.register_task_definition``, from
  ``data/pipeline/taskdef.json`` filled with :func:`bgkit.apps.templates.fill`; its image is the
  placeholder ``<IMAGE1_NAME>``;
- ``imageDetail.json`` — ``{"ImageURI": …}``, the image put in place of ``<IMAGE1_NAME>``;
- ``appspec.yaml`` — ``data/appspec.yaml``, whose ``<TASK_DEFINITION>`` becomes the ARN of the
  task definition the action registers.

The pipeline, ``<prefix>-pipeline``: **Source** (S3) → **Approval** (Manual) → **Deploy**
(CodeDeployToECS into notebook 04's deployment group), with ``<prefix>-codepipeline`` as its
service role and the source bucket as its artifact store. Everything is tagged like the rest of
the kit (:mod:`.tags`), so :mod:`.cleanup` finds it.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

from botocore.exceptions import ClientError

from bgkit.apps import app_source
from bgkit.apps.templates import fill
from bgkit.data import DATA
from bgkit.errors import BgkitError
from bgkit.walkthrough import tags
from bgkit.walkthrough.deploy import DeploymentFailed
from bgkit.walkthrough.naming import names
from bgkit.walkthrough.prerequisites import REVISION_TAG, boundary, document
from bgkit.walkthrough.progress import Step, poll

__all__ = [
    "APPROVAL",
    "DEPLOY",
    "FILES",
    "REVISION",
    "SOURCE",
    "SOURCE_KEY",
    "PipelineFailed",
    "bucket",
    "bucket_name",
    "declaration",
    "deployment_of",
    "existing_execution",
    "existing_pipeline",
    "existing_source",
    "pipeline_name",
    "pipeline_role",
    "role_name",
    "source_files",
    "source_zip",
    "wait_approval",
    "wait_execution",
    "waiting_token",
]

#: the stages of the pipeline, each with one action of the same name
SOURCE, APPROVAL, DEPLOY = "Source", "Approval", "Deploy"
#: the files of the source zip, in the order the notebook opens them
FILES = ("taskdef.json", "appspec.yaml", "imageDetail.json")
#: the name of the revision the pipeline deploys (FizzBuzz shows it; its task definition's tag)
REVISION = "fizzbuzz-pipeline"
#: the source zip's key in the bucket
SOURCE_KEY = "source/bgkit-web.zip"
#: statuses of a pipeline execution that is over
ENDED = ("Succeeded", "Failed", "Stopped", "Superseded", "Cancelled")
#: a zip's entries carry this time, so the same files make the same bytes (and the same ETag)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


class PipelineFailed(BgkitError, RuntimeError):
    """A pipeline execution ended otherwise than the wait expected."""


def pipeline_name(kit: Any) -> str:
    """``<prefix>-pipeline``."""
    return f"{kit.settings.prefix}-pipeline"


def role_name(kit: Any) -> str:
    """``<prefix>-codepipeline``, the pipeline's service role."""
    return f"{kit.settings.prefix}-codepipeline"


def bucket_name(kit: Any) -> str:
    """``<prefix>-source-<account>-<region>``: S3 bucket names are global, so the account and
    region make it the participant's own."""
    account = kit.client("sts").get_caller_identity()["Account"]
    name = f"{kit.settings.prefix}-source-{account}-{kit.settings.region}".lower()
    if len(name) > 63:
        raise ValueError(
            f"the bucket name {name} is longer than S3's 63 characters: shorten BGKIT_PREFIX"
        )
    return name


# -- the files and the zip ----------------------------------------------------------------------


def source_files(kit: Any, execution_role_arn: str) -> dict[str, str]:
    """``taskdef.json``, ``appspec.yaml`` and ``imageDetail.json`` as the source zip holds them.

    ``taskdef.json`` is ``data/pipeline/taskdef.json`` filled for this participant, with the
    kit's tags (so clean-up finds the task definition the pipeline registers); its image stays
    ``<IMAGE1_NAME>``, which the Deploy action fills from ``imageDetail.json``.
    """
    template = json.loads((DATA / "pipeline" / "taskdef.json").read_text(encoding="utf-8"))
    taskdef = fill(
        template,
        {
            "FAMILY": names(kit).family,
            "EXECUTION_ROLE_ARN": execution_role_arn,
            "LOG_GROUP": names(kit).log_group,
            "REGION": kit.settings.region,
            "STREAM_PREFIX": "ecs",
            "REVISION": REVISION,
            "FIZZBUZZ_SOURCE": app_source("fizzbuzz"),
        },
    )
    taskdef["tags"] = tags.lower_key_value(kit, **{REVISION_TAG: REVISION})
    return {
        "taskdef.json": json.dumps(taskdef, indent=2) + "\n",
        "appspec.yaml": (DATA / "appspec.yaml").read_text(encoding="utf-8"),
        "imageDetail.json": (DATA / "pipeline" / "imageDetail.json").read_text(encoding="utf-8"),
    }


def source_zip(files: dict[str, str]) -> bytes:
    """The files in one zip, at its top level; the same files always make the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, text)
    return buffer.getvalue()


# -- the bucket -----------------------------------------------------------------------------------


def bucket(kit: Any) -> str:
    """The source bucket (also the pipeline's artifact store): got or created in the session's
    region, with versioning on (the S3 source action needs it) and the kit's tags."""
    s3 = kit.client("s3")
    name = bucket_name(kit)
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in ("403", "AccessDenied"):
            raise BgkitError(
                f"the bucket {name} belongs to someone else or you may not read it: set another "
                "BGKIT_PREFIX, or allow s3:ListBucket on it"
            ) from None
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise
        region = kit.settings.region
        where = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}
        }  # fmt: skip
        s3.create_bucket(Bucket=name, **where)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags.key_value(kit)})
    return name


def existing_source(kit: Any, body: bytes) -> str | None:
    """The version id of the source zip in the bucket when it holds these very bytes (its ETag
    is their MD5), else ``None``: upload it."""
    s3 = kit.client("s3")
    try:
        head = s3.head_object(Bucket=bucket_name(kit), Key=SOURCE_KEY)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    same = head.get("ETag", "").strip('"') == hashlib.md5(body, usedforsecurity=False).hexdigest()
    version = head.get("VersionId")
    return version if same and version not in (None, "null") else None


# -- the role and the pipeline ---------------------------------------------------------------------


def pipeline_role(kit: Any) -> dict[str, Any]:
    """``<prefix>-codepipeline``: trusted by ``codepipeline.amazonaws.com``, with the inline
    policy ``data/iam/codepipeline-policy.json`` (read the source, keep the artifacts, hand the
    deployment to CodeDeploy, pass the task roles to ECS)."""
    iam = kit.client("iam")
    name = role_name(kit)
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=document("codepipeline-trust-policy.json"),
            Description="bgkit: lets CodePipeline read the source and deploy it with CodeDeploy",
            Tags=tags.key_value(kit),
            **boundary(kit),
        )["Role"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName=f"{kit.settings.prefix}-pipeline",
        PolicyDocument=document("codepipeline-policy.json"),
    )
    return role


def declaration(kit: Any, role_arn: str, bucket_name: str) -> dict[str, Any]:
    """The pipeline's structure for ``codepipeline.create_pipeline(pipeline=…)``: Source (S3)
    → Approval (Manual) → Deploy (CodeDeployToECS), V2, executions queued."""
    action = {"owner": "AWS", "version": "1"}
    return {
        "name": pipeline_name(kit),
        "roleArn": role_arn,
        "pipelineType": "V2",
        "executionMode": "QUEUED",
        "artifactStore": {"type": "S3", "location": bucket_name},
        "stages": [
            {"name": SOURCE, "actions": [{
                "name": SOURCE,
                "actionTypeId": {"category": "Source", "provider": "S3", **action},
                "configuration": {"S3Bucket": bucket_name, "S3ObjectKey": SOURCE_KEY,
                                  "PollForSourceChanges": "false"},
                "outputArtifacts": [{"name": "SourceArtifact"}],
            }]},
            {"name": APPROVAL, "actions": [{
                "name": APPROVAL,
                "actionTypeId": {"category": "Approval", "provider": "Manual", **action},
                "configuration": {"CustomData": f"Release {REVISION} to the blue/green "
                                                "deployment group?"},
            }]},
            {"name": DEPLOY, "actions": [{
                "name": DEPLOY,
                "actionTypeId": {"category": "Deploy", "provider": "CodeDeployToECS", **action},
                "configuration": {
                    "ApplicationName": names(kit).application,
                    "DeploymentGroupName": names(kit).deployment_group,
                    "TaskDefinitionTemplateArtifact": "SourceArtifact",
                    "AppSpecTemplateArtifact": "SourceArtifact",
                    "Image1ArtifactName": "SourceArtifact",
                    "Image1ContainerName": "IMAGE1_NAME",
                },
                "inputArtifacts": [{"name": "SourceArtifact"}],
            }]},
        ],
    }  # fmt: skip


def existing_pipeline(kit: Any) -> dict[str, Any] | None:
    """``<prefix>-pipeline`` as ``GetPipeline`` shows it (its ``pipeline``), or ``None``."""
    codepipeline = kit.client("codepipeline")
    try:
        return codepipeline.get_pipeline(name=pipeline_name(kit))["pipeline"]
    except codepipeline.exceptions.PipelineNotFoundException:
        return None


# -- executions ------------------------------------------------------------------------------------


def existing_execution(kit: Any, version_id: str) -> str | None:
    """The newest execution of the pipeline that runs, or that succeeded, with the source
    version ``version_id`` (on AWS, creating a pipeline starts one by itself); ``None`` when
    one has to be started."""
    listed = kit.client("codepipeline").list_pipeline_executions(
        pipelineName=pipeline_name(kit), maxResults=25
    )["pipelineExecutionSummaries"]
    for summary in listed:
        revisions = [r.get("revisionId") for r in summary.get("sourceRevisions", [])]
        if summary["status"] == "InProgress" and (not revisions or version_id in revisions):
            return summary["pipelineExecutionId"]
        if summary["status"] == "Succeeded" and version_id in revisions:
            return summary["pipelineExecutionId"]
    return None


def action_executions(kit: Any, execution_id: str) -> dict[str, dict[str, Any]]:
    """``{action name: its execution}`` in the pipeline execution ``execution_id``."""
    found = kit.client("codepipeline").list_action_executions(
        pipelineName=pipeline_name(kit), filter={"pipelineExecutionId": execution_id}
    )["actionExecutionDetails"]
    return {detail["actionName"]: detail for detail in reversed(found)}


def _execution(kit: Any, execution_id: str) -> dict[str, Any]:
    return kit.client("codepipeline").get_pipeline_execution(
        pipelineName=pipeline_name(kit), pipelineExecutionId=execution_id
    )["pipelineExecution"]


def _message(detail: dict[str, Any]) -> str:
    """What an action execution says went wrong (or its status)."""
    result = detail.get("output", {}).get("executionResult", {})
    return result.get("errorDetails", {}).get("message") or detail.get("status", "")


def _ended(kit: Any, execution_id: str, wanted: tuple[str, ...]) -> None:
    """Raise when the execution is over and not in ``wanted``, naming the action that failed."""
    execution = _execution(kit, execution_id)
    if execution["status"] in ENDED and execution["status"] not in wanted:
        failed = [
            f"{name}: {_message(detail)}"
            for name, detail in action_executions(kit, execution_id).items()
            if detail.get("status") == "Failed"
        ]
        raise PipelineFailed(
            f"the pipeline execution is {execution['status']}"
            + (f" ({'; '.join(failed)})" if failed else "")
        )


def waiting_token(kit: Any) -> str | None:
    """The token of the pipeline's approval that waits for a decision now
    (``get_pipeline_state``), or ``None``."""
    state = kit.client("codepipeline").get_pipeline_state(name=pipeline_name(kit))
    for stage in state["stageStates"]:
        for action in stage.get("actionStates", []):
            latest = action.get("latestExecution", {})
            if action["actionName"] == APPROVAL and latest.get("token"):
                return latest["token"]
    return None


def wait_approval(kit: Any, execution_id: str, timeout: float = 600.0) -> str:
    """Wait until the execution's approval action waits for a decision; return its token."""

    def check() -> Step:
        detail = action_executions(kit, execution_id).get(APPROVAL)
        if detail is not None and detail["status"] == "InProgress" and waiting_token(kit):
            return Step(True, "the approval waits for a decision", 1, 1)
        _ended(kit, execution_id, ())
        return Step(False, "Source running" if detail is None else detail["status"], 0, 1)

    poll(check, what=f"pipeline {pipeline_name(kit)}", timeout=timeout)
    token = waiting_token(kit)
    if token is None:
        raise LookupError(f"no approval of {pipeline_name(kit)} waits for a decision")
    return token


def deployment_of(kit: Any, execution_id: str, timeout: float = 600.0) -> str:
    """Wait until the execution's Deploy action has created its CodeDeploy deployment; return
    the deployment's id (the action's external execution id)."""
    found: dict[str, str] = {}

    def check() -> Step:
        detail = action_executions(kit, execution_id).get(DEPLOY, {})
        result = detail.get("output", {}).get("executionResult", {})
        deployment = result.get("externalExecutionId") or detail.get("externalExecutionId")
        if deployment:
            found["id"] = deployment
            return Step(True, "the Deploy action created its deployment", 1, 1)
        if detail.get("status") == "Failed":
            raise DeploymentFailed(f"the Deploy action failed: {_message(detail)}")
        _ended(kit, execution_id, ())
        return Step(False, detail.get("status", "waiting for the Deploy stage"), 0, 1)

    poll(check, what=f"pipeline {pipeline_name(kit)}", timeout=timeout)
    return found["id"]


def wait_execution(
    kit: Any, execution_id: str, until: str | tuple[str, ...] = ("Succeeded",),
    timeout: float = 600.0,
) -> str:  # fmt: skip
    """Wait until the pipeline execution's status is one of ``until``; return it.

    Raises:
        PipelineFailed: it ended with another status (the failed action's message is given).
    """
    wanted = (until,) if isinstance(until, str) else tuple(until)

    def check() -> Step:
        status = _execution(kit, execution_id)["status"]
        if status in wanted:
            return Step(True, status, 1, 1)
        _ended(kit, execution_id, wanted)
        return Step(False, status, 0, 1)

    return poll(check, what=f"pipeline {pipeline_name(kit)}", timeout=timeout).text

"""Helpers of the CodePipeline tests (no tests here): the walkthrough's world up to the
CodeDeploy group, the pipeline's service role, its source zip, and a pipeline declaration.

The S3 source action reads the local S3; until S3's models exist, the tests that run an
execution are skipped (:data:`S3`)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bgkit.local.services import providers

DATA = Path(__file__).resolve().parents[2] / "data"
TRUST = (DATA / "iam" / "codepipeline-trust-policy.json").read_text()
POLICY = (DATA / "iam" / "codepipeline-policy.json").read_text()
#: whether the local cloud has S3 (the source action's part waits for it)
S3 = "s3" in providers()
needs_s3 = pytest.mark.skipif(not S3, reason="the local cloud's S3 is not there yet")
BUCKET = "bgkit-source"
STORE = "bgkit-artifacts"
KEY = "bgkit-web.zip"


def pipeline_role(iam: Any, name: str = "bgkit-codepipeline", policy: str | None = POLICY) -> str:
    """The pipeline's service role, trusted by CodePipeline, with the kit's policy."""
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="bgkit-pipeline", PolicyDocument=policy)
    return arn


def source_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def source_files(execution_role_arn: str, **changes: str) -> dict[str, str]:
    """``taskdef.json``, ``appspec.yaml`` and ``imageDetail.json`` as the data files have them,
    filled for the test world."""
    from bgkit.apps import app_source
    from bgkit.apps.templates import fill

    taskdef = fill(
        json.loads((DATA / "pipeline" / "taskdef.json").read_text()),
        {
            "FAMILY": "bgkit-web",
            "EXECUTION_ROLE_ARN": execution_role_arn,
            "LOG_GROUP": "/ecs/bgkit",
            "REGION": "us-east-1",
            "STREAM_PREFIX": "ecs",
            "REVISION": "fizzbuzz",
            "FIZZBUZZ_SOURCE": app_source("fizzbuzz"),
        },
    )
    files = {
        "taskdef.json": json.dumps(taskdef),
        "appspec.yaml": (DATA / "appspec.yaml").read_text(),
        "imageDetail.json": (DATA / "pipeline" / "imageDetail.json").read_text(),
    }
    files.update(changes)
    return {name: text for name, text in files.items() if text}


def declaration(role_arn: str, *, name: str = "bgkit-pipeline", **more: Any) -> dict[str, Any]:
    """Source (S3) → Approval (Manual) → Deploy (CodeDeployToECS), as notebook 12 makes it."""
    return {
        "name": name,
        "roleArn": role_arn,
        "pipelineType": "V2",
        "executionMode": "QUEUED",
        "artifactStore": {"type": "S3", "location": STORE},
        "stages": [
            {
                "name": "Source",
                "actions": [
                    {
                        "name": "Source",
                        "actionTypeId": {
                            "category": "Source", "owner": "AWS", "provider": "S3", "version": "1"
                        },
                        "configuration": {
                            "S3Bucket": BUCKET, "S3ObjectKey": KEY, "PollForSourceChanges": "false"
                        },
                        "outputArtifacts": [{"name": "SourceArtifact"}],
                    }
                ],
            },
            {
                "name": "Approval",
                "actions": [
                    {
                        "name": "Approve",
                        "actionTypeId": {
                            "category": "Approval", "owner": "AWS", "provider": "Manual",
                            "version": "1",
                        },
                        "configuration": {"CustomData": "Check port 8080 before you approve"},
                    }
                ],
            },
            {
                "name": "Deploy",
                "actions": [
                    {
                        "name": "Deploy",
                        "actionTypeId": {
                            "category": "Deploy", "owner": "AWS", "provider": "CodeDeployToECS",
                            "version": "1",
                        },
                        "configuration": {
                            "ApplicationName": "bgkit-app",
                            "DeploymentGroupName": "bgkit-dg",
                            "TaskDefinitionTemplateArtifact": "SourceArtifact",
                            "AppSpecTemplateArtifact": "SourceArtifact",
                            "Image1ArtifactName": "SourceArtifact",
                            "Image1ContainerName": "IMAGE1_NAME",
                        },
                        "inputArtifacts": [{"name": "SourceArtifact"}],
                    }
                ],
            },
        ],
        **more,
    }  # fmt: skip


#: the kit's pipeline policy for the test world, whose task execution role is ``bgkit-execution``
WORLD_POLICY = POLICY.replace("*-task-execution", "*-execution")


def put_source(cloud: Any, body: bytes, *, versioned: bool = True) -> str:
    """The source and artifact buckets, and the source zip uploaded: its version id."""
    import boto3

    # a session of its own: boto3 adds its S3 transfer methods to a botocore session once only
    s3 = boto3.session.Session(
        region_name="us-east-1", aws_access_key_id="bgkit", aws_secret_access_key="bgkit"
    ).client("s3", endpoint_url=cloud.endpoint_url)
    for bucket in (BUCKET, STORE):
        s3.create_bucket(Bucket=bucket)
    if versioned:
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return s3.put_object(Bucket=BUCKET, Key=KEY, Body=body).get("VersionId", "null")

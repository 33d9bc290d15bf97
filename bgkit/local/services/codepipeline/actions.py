"""The S3 source action and the manual approval action, and the artifacts actions pass on.

**S3 source** (its action reference): the object ``S3ObjectKey`` of the versioned bucket
``S3Bucket``, in the version current when the action runs, becomes the output artifact: the
pipeline role reads it (``s3:GetObject``, ``s3:GetObjectVersion``, ``s3:GetBucketVersioning``)
and CodePipeline stores a copy in the artifact store bucket under
``<pipeline name, 20 characters>/<artifact name, 10 characters>/<7 random characters>``
(``s3:PutObject``, through S3's own ``PutObject``). The version id is the source revision; the
action's output variables are ``ETag`` and ``VersionId``.

**Manual approval**: the action waits, with a token, until PutApprovalResult approves or rejects
it, or its timeout (``timeoutInMinutes``, 7 days by default) passes; a rejection or a timeout
fails it, and with it the stage and the execution.

Reading S3 goes through S3's models (:func:`find_bucket`, :func:`object_version`), imported when
an action first runs.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.services.codepipeline.declarations import approval_timeout
from bgkit.local.services.codepipeline.models import PRINCIPAL
from bgkit.local.services.codepipeline.runs import ActionFailure, ExecutionRun

MIXED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
APPROVAL_TIMED_OUT = "The approval action timed out after {minutes} minutes without a decision."


def _s3(run: ExecutionRun) -> Any:
    """S3's models, or the action's failure when this local cloud serves no S3."""
    try:
        from bgkit.local.services.s3 import models
    except ImportError:
        models = None
    if models is None or "s3" not in run.ctx.providers:
        raise ActionFailure(
            "This bgkit local cloud serves no S3, so the pipeline cannot read its source or "
            "keep its artifacts"
        )
    return models


def source_object(
    run: ExecutionRun, bucket: str, key: str, version_id: str | None = None
) -> tuple[dict[str, Any], bytes]:
    """The current version of ``bucket``/``key`` (or ``version_id``) as the pipeline role
    reads it."""
    s3 = _s3(run)
    run.allow("s3:GetBucketVersioning", f"arn:{run.ctx.partition}:s3:::{bucket}")
    if s3.find_bucket(run.ctx, bucket) is None:
        raise ActionFailure(
            f"The provided bucket does not exist: {bucket}. Create it (with versioning enabled) "
            "or name an existing bucket in the source action's S3Bucket."
        )
    run.allow("s3:GetObject", f"arn:{run.ctx.partition}:s3:::{bucket}/{key}")
    found = s3.object_version(run.ctx, bucket, key, version_id)
    if found is None and version_id:
        raise ActionFailure(
            f"The object with key '{key}' has no version {version_id} in the bucket {bucket}."
        )
    if found is None:
        raise ActionFailure(
            f"The object with key '{key}' does not exist in the bucket {bucket}. Upload the "
            "source zip there, or fix the source action's S3ObjectKey."
        )
    record, body = found
    version = record.get("VersionId")
    if not version or version == "null":
        raise ActionFailure(
            f"The bucket {bucket} is not versioned: an S3 source action needs a bucket with "
            "versioning enabled (put_bucket_versioning), then upload the object again."
        )
    run.allow("s3:GetObjectVersion", f"arn:{run.ctx.partition}:s3:::{bucket}/{key}")
    return record, body


def store_artifact(run: ExecutionRun, name: str, body: bytes) -> dict[str, str]:
    """Put an output artifact in the artifact store; its S3 location."""
    bucket = run.store_bucket()
    pipeline = run.record["pipelineName"]
    key = f"{pipeline[:20]}/{name[:10]}/{run.ctx.ids.draw('codepipeline-artifact', MIXED, 7)}"
    run.allow("s3:PutObject", f"arn:{run.ctx.partition}:s3:::{bucket}/{key}")
    try:
        run.ctx.call("s3", "PutObject", caller=PRINCIPAL, bucket=bucket, key=key, body=body)
    except ServiceError as error:
        raise ActionFailure(
            f"Could not write the artifact {name} to the artifact store bucket {bucket}: "
            f"{error.code}: {error.message}"
        ) from None
    location = {"bucket": bucket, "key": key}
    run.engine["artifacts"][name] = location
    return location


def artifact_file(run: ExecutionRun, artifact: str, path: str, what: str) -> str:
    """The text of ``path`` in the zip of the input artifact ``artifact``."""
    location = run.engine["artifacts"].get(artifact)
    found = None
    if location is not None:
        where = f"{location['bucket']}/{location['key']}"
        run.allow("s3:GetObject", f"arn:{run.ctx.partition}:s3:::{where}")
        found = _s3(run).object_version(run.ctx, location["bucket"], location["key"])
    if found is None:
        raise ActionFailure(f"The input artifact {artifact} cannot be found in the artifact store.")
    try:
        with zipfile.ZipFile(io.BytesIO(found[1])) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if path not in names:
                raise ActionFailure(
                    f"Exception while trying to read the {what} file from the artifact: "
                    f"{artifact}. The artifact has no file {path} (it holds "
                    f"{', '.join(sorted(names)) or 'nothing'}); add it to the zip or set the "
                    "action's path to one of these."
                )
            return archive.read(path).decode("utf-8")
    except zipfile.BadZipFile:
        raise ActionFailure(
            f"Exception while trying to read the {what} file from the artifact: {artifact}. The "
            "artifact is not a zip file: upload the source as one .zip holding the files."
        ) from None
    except UnicodeDecodeError:
        raise ActionFailure(
            f"Exception while trying to read the {what} file from the artifact: {artifact}. "
            f"{path} is not UTF-8 text."
        ) from None


# --- the S3 source action ----------------------------------------------------------------------


def start_source(run: ExecutionRun, action: dict[str, Any], execution: dict[str, Any]) -> None:
    configuration = action["configuration"]
    bucket, key = configuration["S3Bucket"], configuration["S3ObjectKey"]
    override = run.engine.get("overrides", {}).get(action["name"])
    record, body = source_object(run, bucket, key, override)
    version = record["VersionId"]
    etag = str(record.get("ETag", "")).strip('"')
    (output,) = action["outputArtifacts"]
    location = store_artifact(run, output["name"], body)
    execution["output"]["outputArtifacts"] = [{"name": output["name"], "s3location": location}]
    execution["output"]["outputVariables"] = {"ETag": etag, "VersionId": version}
    execution["output"]["executionResult"]["externalExecutionId"] = version
    execution["externalExecutionId"] = version
    execution["_revision"] = {"revisionId": version, "created": record.get("LastModified")}
    run.record.setdefault("artifactRevisions", []).append(
        {"name": output["name"], "revisionId": version,
         "revisionSummary": f"Amazon S3 version id: {version}"}
    )  # fmt: skip
    run.record.setdefault("_sourceRevisions", []).append(
        {"actionName": action["name"], "revisionId": version,
         "revisionSummary": f"Amazon S3 version id: {version}"}
    )  # fmt: skip
    run.succeed(execution, f"Amazon S3 version id: {version}")


def poll_source(run: ExecutionRun, action: dict[str, Any], execution: dict[str, Any]) -> None:
    return None  # the source action ends when it starts


# --- the manual approval action ---------------------------------------------------------------


def start_approval(run: ExecutionRun, action: dict[str, Any], execution: dict[str, Any]) -> None:
    execution["token"] = execution["_token"] = run.ctx.ids.uuid("codepipeline-approval-token")
    minutes = approval_timeout(action)
    execution["_deadline"] = run.now() + minutes * 60.0
    execution["_due"] = execution["_deadline"]


def poll_approval(run: ExecutionRun, action: dict[str, Any], execution: dict[str, Any]) -> None:
    result = execution.get("_result")
    if result is None:
        if run.now() >= execution["_deadline"]:
            execution.pop("token", None)
            raise ActionFailure(APPROVAL_TIMED_OUT.format(minutes=approval_timeout(action)))
        return None
    execution.pop("token", None)
    summary = result.get("summary") or ""
    if result["status"] == "Rejected":
        raise ActionFailure(f"Rejected by {result['by']}" + (f": {summary}" if summary else ""))
    execution["updatedBy"] = result["by"]
    run.succeed(execution, f"Approved by {result['by']}" + (f": {summary}" if summary else ""))

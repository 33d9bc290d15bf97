"""Notebook 12's helpers on a fresh local cloud: the source zip, the versioned bucket, the
pipeline role and the pipeline got or created twice; the approval widget rejecting one release
(nothing deployed) and approving the next on autopilot (the Deploy action creates its
CodeDeploy deployment); the stages as a frame; clean-up of the pipeline and its bucket."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import zipfile

import pytest

from bgkit import walkthrough as wt
from bgkit.connect import Session
from bgkit.observe.pipeline import pipeline_frame
from bgkit.pipeline_widgets import PipelineApproval
from bgkit.walkthrough import pipeline as wp

pytestmark = pytest.mark.slow


def walkthrough(kit):
    pre = wt.prepare(kit)
    role = wt.codedeploy_role(kit)
    wt.service(kit, task_definition_arn=pre.task_definition_arn,
               target_group_arn=pre.target_group_arns[0], subnet_ids=pre.subnet_ids,
               security_group_id=pre.security_group_id)  # fmt: skip
    wt.wait_service_healthy(kit)
    wt.application(kit)
    wt.deployment_group(kit, service_role_arn=role["Arn"],
                        production_listener_arn=pre.listener_arns[80],
                        test_listener_arn=pre.listener_arns[8080])  # fmt: skip
    return pre


def pipeline(kit, pre) -> str:
    """The notebook's cells from the files to the pipeline; the source's version id."""
    body = wp.source_zip(wp.source_files(kit, pre.execution_role_arn))
    bucket = wp.bucket(kit)
    s3 = kit.client("s3")
    version = (
        wp.existing_source(kit, body)
        or s3.put_object(Bucket=bucket, Key=wp.SOURCE_KEY, Body=body)["VersionId"]
    )
    role = wp.pipeline_role(kit)
    if wp.existing_pipeline(kit) is None:
        kit.client("codepipeline").create_pipeline(
            pipeline=wp.declaration(kit, role["Arn"], bucket), tags=wt.tags.lower_key_value(kit)
        )
    return version


def test_the_source_zip_holds_the_three_files_and_is_the_same_each_time(kit):
    files = wp.source_files(kit, "arn:aws:iam::123456789012:role/test-task-execution")
    body = wp.source_zip(files)
    assert zipfile.ZipFile(io.BytesIO(body)).namelist() == list(wp.FILES)
    assert wp.source_zip(files) == body
    assert '"image": "<IMAGE1_NAME>"' in files["taskdef.json"]
    assert "<TASK_DEFINITION>" in files["appspec.yaml"]


def test_a_rejected_release_deploys_nothing_and_an_approved_one_reaches_codedeploy(kit):
    pre = walkthrough(kit)
    version = pipeline(kit, pre)
    assert pipeline(kit, pre) == version  # run twice: the same upload, the same pipeline
    codepipeline = kit.client("codepipeline")
    name = wp.pipeline_name(kit)
    assert wp.existing_execution(kit, version) is None
    first = codepipeline.start_pipeline_execution(name=name)["pipelineExecutionId"]
    assert wp.existing_execution(kit, version) == first
    wp.wait_approval(kit, first)
    widget = PipelineApproval(kit, first)
    assert widget.refresh() == "InProgress" and not widget._reject_button.disabled
    widget._reject_button.click()
    assert wp.wait_execution(kit, first, until="Failed") == "Failed"
    frame = pipeline_frame(kit, name, first)
    assert list(frame["status"]) == ["Succeeded", "Failed", "Didn't run"]
    assert "Rejected" in frame["message"][1]
    assert not widget.approve()  # nothing waits any more: the widget says so
    assert widget.errors
    with pytest.raises(wp.PipelineFailed, match="Rejected"):
        wp.deployment_of(kit, first, timeout=5)
    codedeploy = kit.client("codedeploy")
    group = {"applicationName": "test-app", "deploymentGroupName": "test-dg"}
    assert codedeploy.list_deployments(**group)["deployments"] == []

    second = codepipeline.start_pipeline_execution(name=name)["pipelineExecutionId"]
    autopilot = Session(dataclasses.replace(kit.settings, autopilot="reroute"))
    assert asyncio.run(PipelineApproval(autopilot, second).decision()) == "Approved"
    deployment = wp.deployment_of(kit, second)
    assert codedeploy.list_deployments(**group)["deployments"] == [deployment]

    deleted = wt.clean_up(kit)
    kinds = set(zip(deleted["service"], deleted["kind"], strict=True))
    assert {("codepipeline", "pipeline"), ("s3", "bucket")} <= kinds
    assert wt.created_resources(kit).empty
    assert wp.existing_pipeline(kit) is None

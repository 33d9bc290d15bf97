"""CodePipeline's pipelines through boto3 and the AWS CLI: create, read, list, update, delete,
tags, and what CreatePipeline refuses (each refusal leaves no pipeline behind).

Sources: the CodePipeline API Reference (CreatePipeline's errors; PipelineNameInUseException's
wording), the action references of the User Guide (S3 source, Manual approval, CodeDeployToECS:
configuration keys and artifact counts; an approval's timeout of 5 minutes to 60 days, 7 days by
default), "Pipeline structure reference" (at least two stages, sources in the first stage only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pipeline_world import declaration, pipeline_role

pytestmark = pytest.mark.control_plane


@pytest.fixture
def codepipeline(client: Any) -> Any:
    return client("codepipeline")


@pytest.fixture
def role(client: Any) -> str:
    return pipeline_role(client("iam"))


def refused(call: Any, code: str, *fragments: str, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    assert error["Code"] == code, error
    for fragment in fragments:
        assert fragment in error["Message"], error["Message"]
    return error["Message"]


def test_create_pipeline_keeps_the_declaration_at_version_1(codepipeline, role):
    made = codepipeline.create_pipeline(
        pipeline=declaration(role), tags=[{"key": "bgkit:kit", "value": "bgkit"}]
    )
    assert made["pipeline"]["version"] == 1
    assert made["tags"] == [{"key": "bgkit:kit", "value": "bgkit"}]
    got = codepipeline.get_pipeline(name="bgkit-pipeline")
    assert got["pipeline"]["stages"][2]["actions"][0]["runOrder"] == 1
    assert got["pipeline"]["executionMode"] == "QUEUED"
    assert got["metadata"]["pipelineArn"] == (
        "arn:aws:codepipeline:us-east-1:123456789012:bgkit-pipeline"
    )


def test_create_pipeline_defaults_to_v1_superseded(codepipeline, role):
    given = declaration(role)
    del given["pipelineType"], given["executionMode"]
    kept = codepipeline.create_pipeline(pipeline=given)["pipeline"]
    assert (kept["pipelineType"], kept["executionMode"]) == ("V1", "SUPERSEDED")


def test_create_pipeline_name_in_use(codepipeline, role):
    codepipeline.create_pipeline(pipeline=declaration(role))
    refused(
        codepipeline.create_pipeline, "PipelineNameInUseException", "'bgkit-pipeline' already",
        pipeline=declaration(role),
    )  # fmt: skip


def test_create_pipeline_role_that_does_not_trust_codepipeline(codepipeline, client):
    iam = client("iam")
    other = json.loads(
        (Path(__file__).parents[2] / "data/iam/codedeploy-trust-policy.json").read_text()
    )
    arn = iam.create_role(RoleName="not-pipeline", AssumeRolePolicyDocument=json.dumps(other))[
        "Role"
    ]["Arn"]
    refused(
        codepipeline.create_pipeline, "InvalidStructureException",
        f"CodePipeline is not authorized to perform AssumeRole on role {arn}",
        pipeline=declaration(arn),
    )  # fmt: skip
    missing = "arn:aws:iam::123456789012:role/nobody"
    refused(
        codepipeline.create_pipeline, "InvalidStructureException", "AssumeRole",
        pipeline=declaration(missing),
    )  # fmt: skip
    assert codepipeline.list_pipelines()["pipelines"] == []


def _broken(role: str, change: Any) -> dict[str, Any]:
    made = declaration(role)
    change(made)
    return made


CASES = [
    ("one stage", lambda d: d.update(stages=d["stages"][:1]), "InvalidStructureException",
     "at least two stages"),
    ("source later", lambda d: d["stages"].reverse(), "InvalidStructureException",
     "source actions in the first stage only"),
    ("unknown type", lambda d: d["stages"][1]["actions"][0]["actionTypeId"].update(
        provider="CodeBuild", category="Build"), "InvalidActionDeclarationException",
     "runs the action types"),
    ("no bucket", lambda d: d["stages"][0]["actions"][0]["configuration"].pop("S3Bucket"),
     "InvalidActionDeclarationException", "missing required configuration 'S3Bucket'"),
    ("unknown key", lambda d: d["stages"][1]["actions"][0]["configuration"].update(Color="x"),
     "InvalidActionDeclarationException", "unknown configuration 'Color'"),
    ("no output", lambda d: d["stages"][0]["actions"][0].pop("outputArtifacts"),
     "InvalidActionDeclarationException", "between 1 and 1 outputArtifacts"),
    ("unknown input", lambda d: d["stages"][2]["actions"][0].update(
        inputArtifacts=[{"name": "Elsewhere"}]), "InvalidStructureException",
     "Input Artifact 'Elsewhere'"),
    ("artifact not an input", lambda d: d["stages"][2]["actions"][0]["configuration"].update(
        AppSpecTemplateArtifact="Other"), "InvalidActionDeclarationException",
     "names the artifact 'Other'"),
    ("same stage twice", lambda d: d["stages"][2].update(name="Approval"),
     "InvalidStructureException", "Stage name 'Approval' is not unique"),
    ("deploy timeout", lambda d: d["stages"][2]["actions"][0].update(timeoutInMinutes=60),
     "InvalidActionDeclarationException", "only configurable for manual approvals"),
    ("queued V1", lambda d: d.update(pipelineType="V1"), "ValidationException",
     "only available for V2"),
    ("two stores", lambda d: d.update(artifactStores={"us-east-1": d["artifactStore"]}),
     "InvalidStructureException", "either an artifactStore or an artifactStores"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change", "code", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_create_pipeline_refuses(codepipeline, role, case, change, code, fragment):
    refused(codepipeline.create_pipeline, code, fragment, pipeline=_broken(role, change))
    assert codepipeline.list_pipelines()["pipelines"] == []


def test_create_pipeline_shape_constraints_are_validation_errors(codepipeline, role):
    refused(
        codepipeline.create_pipeline, "ValidationException",
        pipeline=_broken(role, lambda d: d.update(name="no spaces allowed")),
    )  # fmt: skip


def test_update_pipeline_makes_version_2_and_keeps_version_1(codepipeline, role):
    codepipeline.create_pipeline(pipeline=declaration(role))
    changed = declaration(role)
    changed["stages"][1]["actions"][0]["configuration"]["CustomData"] = "Look at 8080"
    assert codepipeline.update_pipeline(pipeline=changed)["pipeline"]["version"] == 2
    first = codepipeline.get_pipeline(name="bgkit-pipeline", version=1)["pipeline"]
    assert first["stages"][1]["actions"][0]["configuration"]["CustomData"].startswith("Check")
    refused(
        codepipeline.get_pipeline, "PipelineVersionNotFoundException", "no version 3",
        name="bgkit-pipeline", version=3,
    )  # fmt: skip
    state = codepipeline.get_pipeline_state(name="bgkit-pipeline")
    assert state["pipelineVersion"] == 2


def test_update_pipeline_refused_leaves_it_as_it_was(codepipeline, role):
    codepipeline.create_pipeline(pipeline=declaration(role))
    refused(
        codepipeline.update_pipeline, "InvalidStructureException",
        pipeline=_broken(role, lambda d: d.update(stages=d["stages"][:1])),
    )  # fmt: skip
    assert codepipeline.get_pipeline(name="bgkit-pipeline")["pipeline"]["version"] == 1


def test_unknown_pipeline_is_not_found_everywhere(codepipeline):
    for call, params in (
        (codepipeline.get_pipeline, {"name": "nope"}),
        (codepipeline.get_pipeline_state, {"name": "nope"}),
        (codepipeline.start_pipeline_execution, {"name": "nope"}),
        (codepipeline.list_pipeline_executions, {"pipelineName": "nope"}),
        (codepipeline.list_action_executions, {"pipelineName": "nope"}),
        (
            codepipeline.update_pipeline,
            {"pipeline": declaration("arn:aws:iam::1:role/x", name="nope")},
        ),
    ):
        refused(
            call, "PipelineNotFoundException", "does not have a pipeline with name 'nope'", **params
        )


def test_delete_pipeline_forgets_it_and_an_unknown_name_is_no_error(codepipeline, role):
    codepipeline.create_pipeline(pipeline=declaration(role))
    codepipeline.delete_pipeline(name="bgkit-pipeline")
    codepipeline.delete_pipeline(name="bgkit-pipeline")
    assert codepipeline.list_pipelines()["pipelines"] == []


def test_list_pipelines_pages(codepipeline, role):
    for n in range(3):
        codepipeline.create_pipeline(pipeline=declaration(role, name=f"p{n}"))
    first = codepipeline.list_pipelines(maxResults=2)
    assert [p["name"] for p in first["pipelines"]] == ["p0", "p1"]
    rest = codepipeline.list_pipelines(nextToken=first["nextToken"])
    assert [p["name"] for p in rest["pipelines"]] == ["p2"]
    refused(codepipeline.list_pipelines, "InvalidNextTokenException", nextToken="bogus")


def test_tags_of_a_pipeline(codepipeline, role):
    arn = codepipeline.create_pipeline(pipeline=declaration(role)) and (
        "arn:aws:codepipeline:us-east-1:123456789012:bgkit-pipeline"
    )
    codepipeline.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}])
    codepipeline.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "2"}])
    assert codepipeline.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "a", "value": "2"}
    ]
    codepipeline.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert codepipeline.list_tags_for_resource(resourceArn=arn)["tags"] == []
    refused(
        codepipeline.tag_resource, "InvalidTagsException", "aws:",
        resourceArn=arn, tags=[{"key": "aws:x", "value": "1"}],
    )  # fmt: skip
    refused(
        codepipeline.list_tags_for_resource, "ResourceNotFoundException",
        resourceArn=arn.replace("bgkit-pipeline", "other"),
    )  # fmt: skip


def test_put_approval_result_names_what_is_wrong(codepipeline, role):
    codepipeline.create_pipeline(pipeline=declaration(role))
    approve = {"summary": "ok", "status": "Approved"}
    base = {"pipelineName": "bgkit-pipeline", "result": approve, "token": "t"}
    refused(
        codepipeline.put_approval_result, "StageNotFoundException", "Stage Nope",
        stageName="Nope", actionName="Approve", **base,
    )  # fmt: skip
    refused(
        codepipeline.put_approval_result, "ActionNotFoundException", "Action Nope",
        stageName="Approval", actionName="Nope", **base,
    )  # fmt: skip
    refused(
        codepipeline.put_approval_result, "InvalidApprovalTokenException", "get_pipeline_state",
        stageName="Approval", actionName="Approve",
        **{**base, "token": "6bd6d5bc-0000-4000-8000-000000000000"},
    )  # fmt: skip


def test_aws_cli_lists_pipelines(cloud, codepipeline, role):
    codepipeline.create_pipeline(pipeline=declaration(role))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=cloud.endpoint_url, AWS_ACCESS_KEY_ID="bgkit",
        AWS_SECRET_ACCESS_KEY="bgkit", AWS_DEFAULT_REGION="us-east-1",
    )  # fmt: skip
    result = subprocess.run(
        [str(Path(sys.executable).parent / "aws"), "codepipeline", "list-pipelines"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [p["name"] for p in json.loads(result.stdout)["pipelines"]] == ["bgkit-pipeline"]

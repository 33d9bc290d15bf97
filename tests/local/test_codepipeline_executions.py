"""CodePipeline's executions on the local clock, through boto3: Source (S3) → Approval (Manual)
→ Deploy (CodeDeployToECS) into the CodeDeploy blue/green lifecycle, and the failures AWS
reports — a file missing from the artifact, a rejected or timed-out approval, a failed
deployment, a role without a permission, an unversioned source bucket.

Sources: the CodePipeline User Guide's action references (S3 source: a versioned bucket, the
version id as the revision, the ``ETag`` and ``VersionId`` variables; Manual approval: the token,
``PutApprovalResult``, the 7-day default timeout; CodeDeployToECS: ``taskdef.json``,
``appspec.yaml``, ``imageDetail.json``, ``<TASK_DEFINITION>`` and ``<IMAGE1_NAME>``; the service
role permissions of each action), the API Reference for the shapes and errors.
"""

from __future__ import annotations

from typing import Any

import pytest
from codedeploy_world import FROZEN, make_deploy
from pipeline_world import (
    WORLD_POLICY,
    declaration,
    needs_s3,
    pipeline_role,
    put_source,
    source_files,
    source_zip,
)

from bgkit.local.server import LocalCloud

pytestmark = needs_s3
NAME = "bgkit-pipeline"


@pytest.fixture
def cloud(tmp_path):
    with LocalCloud(tmp_path / "state", port=0, clock=FROZEN, dataplane=False) as running:
        yield running


class Pipeline:
    """The walkthrough's world with a CodeDeploy group, a pipeline role and the pipeline."""

    def __init__(self, cloud: LocalCloud, client: Any, policy: str = WORLD_POLICY, **more: Any):
        self.deploy = make_deploy(cloud, client)
        self.deploy.create_group(ready_wait=60, termination_wait=5)
        self.role = pipeline_role(client("iam"), policy=policy)
        self.codepipeline = client("codepipeline")
        self.codepipeline.create_pipeline(pipeline=declaration(self.role, **more))

    def source(self, versioned: bool = True, **changes: str) -> str:
        files = source_files(self.deploy.world.role_arn, **changes)
        return put_source(self.deploy.cloud, source_zip(files), versioned=versioned)

    def start(self) -> str:
        return self.codepipeline.start_pipeline_execution(name=NAME)["pipelineExecutionId"]

    def state(self) -> dict[str, dict[str, Any]]:
        """``{action name: its latest execution}`` of GetPipelineState."""
        stages = self.codepipeline.get_pipeline_state(name=NAME)["stageStates"]
        return {
            a["actionName"]: a.get("latestExecution", {}) for s in stages for a in s["actionStates"]
        }

    def execution(self, execution_id: str) -> dict[str, Any]:
        return self.codepipeline.get_pipeline_execution(
            pipelineName=NAME, pipelineExecutionId=execution_id
        )["pipelineExecution"]

    def decide(self, status: str, summary: str = "checked port 8080") -> Any:
        token = self.state()["Approve"]["token"]
        return self.codepipeline.put_approval_result(
            pipelineName=NAME, stageName="Approval", actionName="Approve",
            result={"summary": summary, "status": status}, token=token,
        )  # fmt: skip

    def deployment(self) -> str:
        return self.state()["Deploy"]["externalExecutionId"]


def test_source_approval_deploy_to_succeeded(cloud, client):
    pipeline = Pipeline(cloud, client)
    version = pipeline.source()
    execution = pipeline.start()
    assert pipeline.execution(execution)["status"] == "InProgress"
    pipeline.deploy.tick(1.0)
    state = pipeline.state()
    assert state["Source"]["status"] == "Succeeded"
    assert state["Source"]["externalExecutionId"] == version
    assert state["Approve"]["status"] == "InProgress" and state["Approve"]["token"]
    pipeline.decide("Approved")
    deployment = pipeline.deployment()
    pipeline.deploy.run_to(deployment, "Ready")
    assert pipeline.state()["Deploy"]["status"] == "InProgress"
    info = pipeline.deploy.info(deployment)
    green_definition = pipeline.deploy.world.ecs.list_task_definitions(
        familyPrefix="bgkit-web", sort="DESC"
    )["taskDefinitionArns"][0]
    assert green_definition not in (pipeline.deploy.fizzbuzz,)
    assert info["revision"]["revisionType"] == "AppSpecContent"
    pipeline.deploy.codedeploy.continue_deployment(
        deploymentId=deployment, deploymentWaitType="READY_WAIT"
    )
    pipeline.deploy.settle()
    pipeline.deploy.codedeploy.continue_deployment(
        deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT"
    )
    pipeline.deploy.tick(1.0)
    assert pipeline.execution(execution)["status"] == "Succeeded"
    (primary,) = [t for t in pipeline.deploy.task_sets() if t["status"] == "PRIMARY"]
    assert primary["taskDefinition"] == green_definition
    image = pipeline.deploy.world.ecs.describe_task_definition(taskDefinition=green_definition)
    assert image["taskDefinition"]["containerDefinitions"][0]["image"].startswith(
        "public.ecr.aws/docker/library/python"
    )
    revisions = pipeline.execution(execution)["artifactRevisions"]
    assert revisions[0]["revisionId"] == version
    details = pipeline.codepipeline.list_action_executions(pipelineName=NAME)
    names = [d["actionName"] for d in details["actionExecutionDetails"]]
    assert names == ["Deploy", "Approve", "Source"]
    source = details["actionExecutionDetails"][2]
    assert source["output"]["outputVariables"]["VersionId"] == version
    assert source["output"]["outputArtifacts"][0]["s3location"]["key"].startswith(
        "bgkit-pipeline/SourceArti/"
    )


def test_rejected_approval_fails_and_deploys_nothing(cloud, client):
    pipeline = Pipeline(cloud, client)
    pipeline.source()
    execution = pipeline.start()
    pipeline.deploy.tick(1.0)
    pipeline.decide("Rejected", "port 8080 is wrong")
    assert pipeline.execution(execution)["status"] == "Failed"
    approval = pipeline.state()["Approve"]
    assert approval["status"] == "Failed"
    assert "port 8080 is wrong" in approval["errorDetails"]["message"]
    assert pipeline.state()["Deploy"] == {}
    assert pipeline.deploy.codedeploy.list_deployments()["deployments"] == []


def test_approval_decided_twice_is_already_completed(cloud, client):
    pipeline = Pipeline(cloud, client)
    pipeline.source()
    pipeline.start()
    pipeline.deploy.tick(1.0)
    token = pipeline.state()["Approve"]["token"]
    pipeline.decide("Rejected")
    with pytest.raises(pipeline.codepipeline.exceptions.ApprovalAlreadyCompletedException):
        pipeline.codepipeline.put_approval_result(
            pipelineName=NAME, stageName="Approval", actionName="Approve",
            result={"summary": "", "status": "Approved"}, token=token,
        )  # fmt: skip


def test_approval_times_out(cloud, client):
    pipeline = Pipeline(cloud, client)
    changed = pipeline.codepipeline.get_pipeline(name=NAME)["pipeline"]
    changed["stages"][1]["actions"][0]["timeoutInMinutes"] = 5
    pipeline.codepipeline.update_pipeline(pipeline=changed)
    pipeline.source()
    execution = pipeline.start()
    pipeline.deploy.tick(1.0)
    pipeline.deploy.tick(299.0)
    assert pipeline.state()["Approve"]["status"] == "InProgress"
    pipeline.deploy.tick(2.0)
    assert pipeline.execution(execution)["status"] == "Failed"
    assert "timed out after 5 minutes" in pipeline.state()["Approve"]["errorDetails"]["message"]


def test_missing_task_definition_file_fails_the_deploy_action(cloud, client):
    pipeline = Pipeline(cloud, client)
    pipeline.source(**{"taskdef.json": ""})
    execution = pipeline.start()
    pipeline.deploy.tick(1.0)
    pipeline.decide("Approved")
    deploy = pipeline.state()["Deploy"]
    assert deploy["status"] == "Failed"
    assert deploy["errorDetails"]["message"].startswith(
        "Exception while trying to read the task definition file from the artifact: SourceArtifact"
    )
    assert pipeline.execution(execution)["status"] == "Failed"
    assert pipeline.deploy.codedeploy.list_deployments()["deployments"] == []


def test_a_failed_deployment_fails_the_action(cloud, client):
    pipeline = Pipeline(cloud, client)
    hooks = (
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n"
        "      Properties:\n        TaskDefinition: <TASK_DEFINITION>\n"
        "        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 80\n"
        "Hooks:\n  - BeforeInstall: check\n"
    )
    pipeline.source(**{"appspec.yaml": hooks})
    execution = pipeline.start()
    pipeline.deploy.tick(1.0)
    pipeline.decide("Approved")
    pipeline.deploy.tick(2.0)
    deploy = pipeline.state()["Deploy"]
    assert deploy["status"] == "Failed"
    assert "HOOK_EXECUTION_FAILURE" in deploy["errorDetails"]["message"]
    assert pipeline.execution(execution)["status"] == "Failed"


def test_a_role_that_may_not_pass_the_task_role_fails_before_any_deployment(cloud, client):
    pipeline = Pipeline(cloud, client, policy=WORLD_POLICY.replace("*-execution", "*-task"))
    pipeline.source()
    pipeline.start()
    pipeline.deploy.tick(1.0)
    pipeline.decide("Approved")
    message = pipeline.state()["Deploy"]["errorDetails"]["message"]
    assert "is not authorized to perform: iam:PassRole" in message
    assert pipeline.deploy.codedeploy.list_deployments()["deployments"] == []


def test_an_unversioned_source_bucket_fails_the_source(cloud, client):
    pipeline = Pipeline(cloud, client)
    pipeline.source(versioned=False)
    execution = pipeline.start()
    pipeline.deploy.tick(1.0)
    assert "is not versioned" in pipeline.state()["Source"]["errorDetails"]["message"]
    assert pipeline.execution(execution)["status"] == "Failed"


def test_stop_and_abandon_ends_the_approval(cloud, client):
    pipeline = Pipeline(cloud, client)
    pipeline.source()
    execution = pipeline.start()
    pipeline.deploy.tick(1.0)
    pipeline.codepipeline.stop_pipeline_execution(
        pipelineName=NAME, pipelineExecutionId=execution, abandon=True, reason="not today"
    )
    assert pipeline.execution(execution)["status"] == "Stopped"
    assert pipeline.state()["Approve"]["status"] == "Abandoned"
    with pytest.raises(pipeline.codepipeline.exceptions.PipelineExecutionNotStoppableException):
        pipeline.codepipeline.stop_pipeline_execution(
            pipelineName=NAME, pipelineExecutionId=execution
        )


def test_queued_executions_wait_for_the_stage(cloud, client):
    pipeline = Pipeline(cloud, client)
    pipeline.source()
    first, second = pipeline.start(), pipeline.start()
    pipeline.deploy.tick(1.0)
    summaries = pipeline.codepipeline.list_pipeline_executions(pipelineName=NAME)
    assert [s["pipelineExecutionId"] for s in summaries["pipelineExecutionSummaries"]] == [
        second,
        first,
    ]
    assert pipeline.state()["Approve"]  # the first waits for approval; the second for the stage
    pipeline.decide("Rejected")
    pipeline.deploy.tick(0.0)
    assert pipeline.execution(first)["status"] == "Failed"
    assert pipeline.state()["Approve"]["status"] == "InProgress"  # now the second's

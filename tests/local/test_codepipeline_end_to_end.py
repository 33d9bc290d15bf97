"""The pipeline end to end on the whole local cloud, as notebook 12 runs it: real task processes
behind real listeners, the source zip in a versioned bucket, Source → Approval → Deploy into
CodeDeploy's blue/green lifecycle (its ready wait, the reroute, the termination wait), with
steady traffic on port 80 that never fails — and a rejected approval that deploys nothing.

Sources: the CodePipeline User Guide's action references (S3 source; Manual approval: a rejection
fails the action and the execution; CodeDeployToECS: the deployment follows the group's
settings, ready wait included, and the action succeeds when the deployment has).
"""

from __future__ import annotations

from typing import Any

import pytest
from codedeploy_world import Deploy, make_deploy
from ecs_world import targets
from pipeline_world import (
    WORLD_POLICY,
    declaration,
    needs_s3,
    pipeline_role,
    put_source,
    source_files,
    source_zip,
)
from test_codedeploy_end_to_end import Traffic, page
from waiting import wait_for

pytestmark = [pytest.mark.slow, needs_s3]
NAME = "bgkit-pipeline"
NGINX, FIZZBUZZ = "Welcome to nginx!", "<h1>FizzBuzz</h1>"


class World:
    """A healthy Nginx service behind 80 and 8080, the CodeDeploy group, and the pipeline with
    its source uploaded."""

    def __init__(self, cloud: Any, client: Any) -> None:
        cloud.clock.set_speed(10)  # health checks every 5 local seconds: twice a wall second
        self.deploy: Deploy = make_deploy(
            cloud, client, play=False, healthCheckGracePeriodSeconds=30
        )
        wait_for(
            "two healthy Nginx targets",
            lambda: (
                [t["TargetHealth"]["State"] for t in targets(self.deploy.world)]
                == ["healthy", "healthy"]
            ),
        )
        self.production = f"http://127.0.0.1:{cloud.listener_offset + 80}/"
        self.test = f"http://127.0.0.1:{cloud.listener_offset + 8080}/"
        wait_for("Nginx on 80", lambda: NGINX in page(self.production))
        self.deploy.create_group(ready_wait=60, termination_wait=5)
        self.codepipeline = client("codepipeline")
        role = pipeline_role(client("iam"), policy=WORLD_POLICY)
        self.codepipeline.create_pipeline(pipeline=declaration(role))
        self.version = put_source(cloud, source_zip(source_files(self.deploy.world.role_arn)))

    def actions(self, execution_id: str) -> dict[str, dict[str, Any]]:
        found = self.codepipeline.list_action_executions(
            pipelineName=NAME, filter={"pipelineExecutionId": execution_id}
        )["actionExecutionDetails"]
        return {d["actionName"]: d for d in found}

    def status(self, execution_id: str) -> str:
        return self.codepipeline.get_pipeline_execution(
            pipelineName=NAME, pipelineExecutionId=execution_id
        )["pipelineExecution"]["status"]

    def token(self) -> str | None:
        stages = self.codepipeline.get_pipeline_state(name=NAME)["stageStates"]
        tokens = [
            a.get("latestExecution", {}).get("token") for s in stages for a in s["actionStates"]
        ]
        return next((t for t in tokens if t), None)

    def decide(self, status: str) -> None:
        token = wait_for("the approval's token", self.token)
        self.codepipeline.put_approval_result(
            pipelineName=NAME, stageName="Approval", actionName="Approve",
            result={"summary": "checked before the release", "status": status}, token=token,
        )  # fmt: skip

    def deployment(self, execution_id: str) -> str | None:
        deploy = self.actions(execution_id).get("Deploy", {})
        return deploy.get("output", {}).get("executionResult", {}).get("externalExecutionId")


def test_an_approved_release_reaches_port_80_after_the_reroute(cloud, client):
    world = World(cloud, client)
    deploy = world.deploy
    with Traffic(world.production) as on_80:
        execution = world.codepipeline.start_pipeline_execution(name=NAME)["pipelineExecutionId"]
        world.decide("Approved")
        deployment = wait_for("the Deploy action's deployment", lambda: world.deployment(execution))
        wait_for("the ready wait", lambda: deploy.status(deployment) == "Ready")
        assert NGINX in page(world.production)
        assert FIZZBUZZ in page(world.test)
        assert world.actions(execution)["Deploy"]["status"] == "InProgress"
        assert world.status(execution) == "InProgress"
        deploy.codedeploy.continue_deployment(
            deploymentId=deployment, deploymentWaitType="READY_WAIT"
        )
        wait_for("FizzBuzz on 80", lambda: FIZZBUZZ in page(world.production))
        wait_for("the termination wait", lambda: deploy.target(deployment)["status"] == "Succeeded")
        deploy.codedeploy.continue_deployment(
            deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT"
        )
        wait_for("the execution's success", lambda: world.status(execution) == "Succeeded")
        assert FIZZBUZZ in page(world.production)
    actions = world.actions(execution)
    assert [actions[a]["status"] for a in ("Source", "Approve", "Deploy")] == ["Succeeded"] * 3
    assert actions["Source"]["output"]["executionResult"]["externalExecutionId"] == world.version
    wait_for("one task set left", lambda: len(deploy.task_sets()) == 1)
    (only,) = deploy.task_sets()
    registered = deploy.world.ecs.list_task_definitions(familyPrefix="bgkit-web", sort="DESC")
    assert (only["status"], only["taskDefinition"]) == (
        "PRIMARY", registered["taskDefinitionArns"][0]
    )  # fmt: skip
    assert only["taskDefinition"] != deploy.fizzbuzz  # the pipeline registered its own
    assert on_80.failures == [] and on_80.ok > 10


def test_a_rejected_release_leaves_port_80_unchanged(cloud, client):
    world = World(cloud, client)
    deploy = world.deploy
    before = deploy.task_sets()
    with Traffic(world.production) as on_80, Traffic(world.test) as on_8080:
        execution = world.codepipeline.start_pipeline_execution(name=NAME)["pipelineExecutionId"]
        world.decide("Rejected")
        wait_for("the execution's failure", lambda: world.status(execution) == "Failed")
        assert NGINX in page(world.production)
        assert NGINX in page(world.test)
    actions = world.actions(execution)
    assert actions["Approve"]["status"] == "Failed"
    assert "Rejected" in actions["Approve"]["output"]["executionResult"]["errorDetails"]["message"]
    assert "Deploy" not in actions
    listed = deploy.codedeploy.list_deployments(
        applicationName="bgkit-app", deploymentGroupName="bgkit-dg"
    )
    assert listed["deployments"] == []
    assert [(t["status"], t["taskDefinition"]) for t in deploy.task_sets()] == [
        (t["status"], t["taskDefinition"]) for t in before
    ]
    assert on_80.failures == [] and on_8080.failures == []
    assert on_80.ok > 5 and on_8080.ok > 5

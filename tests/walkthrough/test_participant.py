"""Issue 19: a workshop participant in a shared account runs the whole walkthrough under their
prefix and cannot become admin — proved on the local cloud's policy evaluator, which decides a
request signed with an IAM user's access key as IAM does (identity policies capped by the
permissions boundary; AWS's *Policy evaluation logic* and *Permissions boundaries for IAM
entities* pages).

The facilitator sets the room up (``bgkit.workshop_setup``); the participant ``p1`` talks to
the same local cloud through a boto3 session holding only their own access key.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from bgkit import permissions
from bgkit import walkthrough as wt
from bgkit.config import Settings
from bgkit.connect import Session
from bgkit.walkthrough import pipeline as wp
from bgkit.workshop_setup import set_up

pytestmark = pytest.mark.slow

TRUST = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
     "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}
)  # fmt: skip
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def participant_session(cloud, facilitator, prefix, tmp_path):
    """The participant ``prefix`` as the room's file describes them: their key, their prefix,
    the boundary."""
    (made,) = set_up(facilitator, [prefix], tmp_path / "room")
    env = dict(line.split("=", 1) for line in made.env_file.read_text().splitlines() if "=" in line)
    settings = Settings.load(
        {}, local_port=cloud.port, listener_offset=cloud.listener_offset, prefix=prefix,
        permissions_boundary=env["BGKIT_PERMISSIONS_BOUNDARY"],
    )  # fmt: skip
    kit = Session(settings)
    kit._session.set_credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
    return kit


@pytest.fixture
def p1(cloud, kit, tmp_path):
    return participant_session(cloud, kit, "p1", tmp_path)


def denied(call, **params):
    with pytest.raises(ClientError) as raised:
        call(**params)
    assert raised.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException")
    return raised.value.response["Error"]["Message"]


def test_the_participant_is_evaluated_as_their_user(p1):
    iam = p1.client("iam")
    user = "arn:aws:iam::123456789012:user/bgkit-p1"
    message = denied(iam.get_user)  # their own user: the policy grants nothing on it
    assert message == (
        f"User: {user} is not authorized to perform: iam:GetUser on resource: {user} "
        "because no identity-based policy allows the iam:GetUser action"
    )
    assert f"User: {user} is not authorized to perform: iam:ListUsers" in denied(iam.list_users)


def test_a_participant_runs_the_whole_walkthrough_under_their_prefix(p1):
    pre = wt.prepare(p1)
    wt.wait_load_balancer_active(p1, pre.load_balancer_arn)
    role = wt.codedeploy_role(p1)
    iam = p1.client("iam")
    boundary = permissions.boundary_arn(p1.client("sts").get_caller_identity()["Account"])
    assert iam.get_role(RoleName="p1-codedeploy")["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": boundary,
    }
    wt.service(p1, task_definition_arn=pre.task_definition_arn,
               target_group_arn=pre.target_group_arns[0], subnet_ids=pre.subnet_ids,
               security_group_id=pre.security_group_id)  # fmt: skip
    wt.wait_service_healthy(p1, timeout=60)
    wt.application(p1)
    wt.deployment_group(p1, service_role_arn=role["Arn"],
                        production_listener_arn=pre.listener_arns[80],
                        test_listener_arn=pre.listener_arns[8080])  # fmt: skip
    fizzbuzz = wt.task_definition(p1, "fizzbuzz", pre.execution_role_arn)
    deployment_id = wt.create_deployment(p1, fizzbuzz["taskDefinitionArn"])
    wt.wait_deployment(p1, deployment_id, until="Ready", timeout=120)
    p1.client("codedeploy").continue_deployment(
        deploymentId=deployment_id, deploymentWaitType="READY_WAIT"
    )
    wt.wait_deployment(p1, deployment_id, until="Succeeded", timeout=120)
    assert wt.infrastructure_role(p1)["RoleName"] == "p1-ecs-infrastructure"  # notebook 09
    assert wp.pipeline_role(p1)["RoleName"] == "p1-codepipeline"  # notebook 12
    deleted = wt.clean_up(p1, timeout=120)
    assert {"p1-alb", "p1-codedeploy", "p1-codepipeline"} <= set(deleted["name"])
    assert wt.created_resources(p1).empty


def test_a_participant_cannot_create_a_role_without_the_boundary(p1, kit):
    iam = p1.client("iam")
    message = denied(iam.create_role, RoleName="p1-escape", AssumeRolePolicyDocument=TRUST)
    assert "iam:CreateRole" in message
    with pytest.raises(ClientError, match="NoSuchEntity"):
        kit.client("iam").get_role(RoleName="p1-escape")  # the refusal changed nothing


def test_a_participant_cannot_create_a_role_outside_their_prefix(p1):
    boundary = p1.settings.permissions_boundary
    denied(p1.client("iam").create_role, RoleName="p2-task-execution",
           AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary)  # fmt: skip


def test_a_participant_cannot_attach_administrator_access(p1, kit):
    wt.task_execution_role(p1)
    iam = p1.client("iam")
    message = denied(iam.attach_role_policy, RoleName="p1-task-execution", PolicyArn=ADMIN)
    assert "iam:AttachRolePolicy" in message
    attached = kit.client("iam").list_attached_role_policies(RoleName="p1-task-execution")
    assert ADMIN not in [p["PolicyArn"] for p in attached["AttachedPolicies"]]


def test_a_participant_cannot_give_their_role_an_inline_admin_policy_beyond_the_boundary(p1):
    wt.task_execution_role(p1)
    everything = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]})  # fmt: skip
    p1.client("iam").put_role_policy(
        RoleName="p1-task-execution", PolicyName="all", PolicyDocument=everything
    )
    # allowed to write it, but the boundary caps what the role may do: simulate as IAM would
    result = p1.client("iam").simulate_custom_policy(
        PolicyInputList=[everything], ActionNames=["iam:CreateUser"],
        PermissionsBoundaryPolicyInputList=[json.dumps(permissions.boundary_document())],
    )["EvaluationResults"][0]  # fmt: skip
    assert result["EvalDecision"] == "implicitDeny"


def test_a_participant_cannot_pass_another_participants_role(p1, kit, cloud, tmp_path):
    p2 = participant_session(cloud, kit, "p2", tmp_path)
    theirs = wt.task_execution_role(p2)
    pre_family = {"family": "p1-web", "containerDefinitions": [
        {"name": "app", "image": "nginx", "memory": 128}]}  # fmt: skip
    message = denied(p1.client("ecs").register_task_definition,
                     executionRoleArn=theirs["Arn"], **pre_family)  # fmt: skip
    assert f"iam:PassRole on resource: {theirs['Arn']}" in message
    assert kit.client("ecs").list_task_definitions()["taskDefinitionArns"] == []


def test_a_participant_cannot_remove_the_boundary_from_their_role(p1, kit):
    wt.task_execution_role(p1)
    iam = p1.client("iam")
    denied(iam.delete_role_permissions_boundary, RoleName="p1-task-execution")
    role = kit.client("iam").get_role(RoleName="p1-task-execution")["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == p1.settings.permissions_boundary


def test_a_participant_cannot_edit_the_boundary_policy(p1, kit):
    iam = p1.client("iam")
    boundary = p1.settings.permissions_boundary
    everything = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]})  # fmt: skip
    message = denied(iam.create_policy_version, PolicyArn=boundary, PolicyDocument=everything,
                     SetAsDefault=True)  # fmt: skip
    assert "with an explicit deny in an identity-based policy" in message
    denied(iam.delete_policy, PolicyArn=boundary)
    versions = kit.client("iam").list_policy_versions(PolicyArn=boundary)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v1"]

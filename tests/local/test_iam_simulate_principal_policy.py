"""IAM's SimulatePrincipalPolicy through real boto3 clients: a role's own policies, exclusions,
added policies, what ``bgkit check`` asks of it, and refusals.

Each test says what AWS does: the IAM API reference (``SimulatePrincipalPolicy``,
``EvaluationResult``, ``Statement``, ``PolicyIdentifier``) and the AWS CLI's documented examples
of ``aws iam simulate-principal-policy``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bgkit import permissions, preflight

DATA = Path(__file__).resolve().parents[2] / "data" / "iam"
CODEDEPLOY_TRUST = (DATA / "codedeploy-trust-policy.json").read_text()
PASSROLE = (DATA / "codedeploy-passrole-policy.json").read_text()
LIMITED = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/bgkit-codedeploy"
TASK_EXECUTION = f"arn:aws:iam::{ACCOUNT}:role/bgkit-task-execution"
ECS_TASK_EXECUTION = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
TO_ECS_TASKS = [
    {
        "ContextKeyName": "iam:PassedToService",
        "ContextKeyValues": ["ecs-tasks.amazonaws.com"],
        "ContextKeyType": "string",
    }
]


@pytest.fixture
def iam(client):
    return client("iam")


@pytest.fixture
def role(iam) -> str:
    """The walkthrough's CodeDeploy role: the Limited managed policy and the PassRole inline one."""
    iam.create_role(RoleName="bgkit-codedeploy", AssumeRolePolicyDocument=CODEDEPLOY_TRUST)
    iam.attach_role_policy(RoleName="bgkit-codedeploy", PolicyArn=LIMITED)
    iam.put_role_policy(RoleName="bgkit-codedeploy", PolicyName="passrole", PolicyDocument=PASSROLE)
    return ROLE_ARN


def pass_role(iam, role: str, passed: str, **more: Any) -> dict:
    (result,) = iam.simulate_principal_policy(
        PolicySourceArn=role, ActionNames=["iam:PassRole"], ResourceArns=[passed],
        ContextEntries=TO_ECS_TASKS, **more,
    )["EvaluationResults"]  # fmt: skip
    return result


def cited(result: dict) -> list[tuple[str, str]]:
    return [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in result["MatchedStatements"]]


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def policy(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})  # fmt: skip


# --- a role's policies -----------------------------------------------------------------------


def test_simulate_principal_policy_cites_the_roles_inline_policy_where_it_stands(iam, role):
    # AWS CLI example 1 of simulate-principal-policy: an inline policy is cited by its name and
    # by the line and column of its statement in the policy's text.
    result = pass_role(iam, role, TASK_EXECUTION)
    assert result["EvalDecision"] == "allowed"
    assert cited(result) == [("passrole", "role")]
    statement = result["MatchedStatements"][0]
    start, end = statement["StartPosition"], statement["EndPosition"]
    lines = PASSROLE.splitlines(keepends=True)
    first = sum(len(line) for line in lines[: start["Line"] - 1]) + start["Column"] - 2
    last = sum(len(line) for line in lines[: end["Line"] - 1]) + end["Column"] - 1
    assert json.loads(PASSROLE[first:last]) == json.loads(PASSROLE)["Statement"][0]


def test_simulate_principal_policy_cites_an_aws_managed_policy_by_name(iam, role):
    # Statement.SourcePolicyType: aws-managed for an AWS managed policy attached to the role.
    result = pass_role(iam, role, ECS_TASK_EXECUTION)
    assert result["EvalDecision"] == "allowed"
    assert cited(result) == [("AWSCodeDeployRoleForECSLimited", "aws-managed")]


def test_simulate_principal_policy_cites_a_customer_managed_policy_as_user_managed(iam, role):
    # Statement.SourcePolicyType: user-managed for a customer managed policy.
    made = iam.create_policy(PolicyName="bgkit-s3", PolicyDocument=policy("s3:GetObject"))
    arn = made["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="bgkit-codedeploy", PolicyArn=arn)
    answer = iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=["s3:GetObject"])
    (result,) = answer["EvaluationResults"]
    assert result["EvalDecision"] == "allowed"
    assert cited(result) == [("bgkit-s3", "user-managed")]


def test_simulate_principal_policy_denies_what_no_policy_of_the_role_allows(iam, role):
    # The walkthrough's point: the Limited policy passes only roles named ecsTaskExecutionRole
    # or ECSTaskExecution*; without the inline policy, passing another role is implicitly denied.
    other = f"arn:aws:iam::{ACCOUNT}:role/some-other-role"
    result = pass_role(iam, role, other)
    assert (result["EvalDecision"], result["MatchedStatements"]) == ("implicitDeny", [])


def test_simulate_principal_policy_leaves_out_excluded_policies(iam, role):
    # PolicyExclusionList: "test what the simulation result would be if a policy were removed",
    # by policy type, by ARN (wildcards in the resource part), or by inline policy and entity.
    by_type = pass_role(iam, role, TASK_EXECUTION, PolicyExclusionList=[{"PolicyType": "inline"}])
    inline = {"PolicyName": "passrole", "AttachmentType": "role", "AttachmentName": "bgkit-*"}
    by_name = pass_role(
        iam, role, TASK_EXECUTION, PolicyExclusionList=[{"InlinePolicyIdentifier": inline}]
    )
    assert by_type["EvalDecision"] == by_name["EvalDecision"] == "implicitDeny"
    by_arn = pass_role(iam, role, ECS_TASK_EXECUTION, PolicyExclusionList=[
        {"PolicyArn": "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS*"}])  # fmt: skip
    assert by_arn["EvalDecision"] == "implicitDeny"
    kept = pass_role(iam, role, TASK_EXECUTION, PolicyExclusionList=[{"PolicyType": "aws-managed"}])
    assert cited(kept) == [("passrole", "role")]


def test_simulate_principal_policy_adds_the_policies_it_is_sent(iam, role):
    # SimulatePrincipalPolicy.PolicyInputList: "additional policy documents to include".
    (result,) = iam.simulate_principal_policy(
        PolicySourceArn=role, ActionNames=["s3:GetObject"], PolicyInputList=[policy("s3:*")]
    )["EvaluationResults"]
    assert result["EvalDecision"] == "allowed"
    assert cited(result) == [("PolicyInputList.1", "none")]


# --- what bgkit check asks -------------------------------------------------------------------


class Kit:
    """What :mod:`bgkit.preflight` needs of a session: clients."""

    def __init__(self, client) -> None:
        self.client = client


def test_bgkit_check_simulates_an_assumed_roles_permissions(iam, client):
    # bgkit check simulates the role behind an assumed-role session, 50 actions a call, through
    # the simulate_principal_policy paginator.
    iam.create_role(RoleName="Workshop", Path="/sso/", AssumeRolePolicyDocument=CODEDEPLOY_TRUST)
    allowed = [a for a in permissions.ACTIONS if a != "iam:PassRole"]
    iam.put_role_policy(RoleName="Workshop", PolicyName="bgkit", PolicyDocument=policy(*allowed))
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/Workshop/alice"
    checks = preflight.permission_checks(Kit(client), caller)
    assert [(c.name, c.ok) for c in checks] == [("permission iam:PassRole", False)]
    assert "implicitDeny" in checks[0].detail and "role/sso/Workshop" in checks[0].detail
    every = json.dumps(permissions.policy_document())
    iam.put_role_policy(RoleName="Workshop", PolicyName="bgkit", PolicyDocument=every)
    (check,) = preflight.permission_checks(Kit(client), caller)
    assert check.ok and f"all {len(permissions.ACTIONS)} actions" in check.detail


# --- refusals --------------------------------------------------------------------------------


def test_simulate_principal_policy_refuses_an_unknown_role(iam):
    # NoSuchEntity, as GetRole words it.
    with pytest.raises(ClientError) as excinfo:
        pass_role(iam, f"arn:aws:iam::{ACCOUNT}:role/nope", TASK_EXECUTION)
    assert error_of(excinfo) == ("NoSuchEntity", "The role with name nope cannot be found.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_simulate_principal_policy_refuses_a_user_the_account_does_not_have(iam):
    # A user the account does not have is NoSuchEntity, in GetUser's words.
    with pytest.raises(ClientError) as excinfo:
        pass_role(iam, f"arn:aws:iam::{ACCOUNT}:user/alice", TASK_EXECUTION)
    assert error_of(excinfo) == ("NoSuchEntity", "The user with name alice cannot be found.")


def test_simulate_principal_policy_evaluates_a_users_policies_and_boundary(iam):
    # PolicySourceArn may be a user: its attached and inline policies (inline ones of type
    # "user"), capped by its permissions boundary (AWS's *Policy evaluation logic*).
    boundary = iam.create_policy(PolicyName="b", PolicyDocument=PASSROLE)["Policy"]["Arn"]
    iam.create_user(UserName="alice", PermissionsBoundary=boundary)
    everything = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}  # fmt: skip
    iam.put_user_policy(UserName="alice", PolicyName="all", PolicyDocument=json.dumps(everything))
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    passed = pass_role(iam, alice, TASK_EXECUTION)
    assert passed["EvalDecision"] == "allowed"
    assert passed["MatchedStatements"][0]["SourcePolicyType"] == "user"
    other = iam.simulate_principal_policy(PolicySourceArn=alice, ActionNames=["iam:CreateUser"])
    result = other["EvaluationResults"][0]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_simulate_principal_policy_refuses_an_arn_that_is_no_user_group_or_role(iam):
    # PolicySourceArn: "The Amazon Resource Name (ARN) of a user, group, or role".
    with pytest.raises(ClientError) as excinfo:
        pass_role(iam, f"arn:aws:sts::{ACCOUNT}:assumed-role/bgkit-codedeploy/s", TASK_EXECUTION)
    assert error_of(excinfo)[0] == "InvalidInput"


def test_simulate_principal_policy_refuses_a_resource_policy_for_a_role(iam, role):
    # "Simulation of resource-based policies isn't supported for IAM roles."
    statement = {"Effect": "Allow", "Principal": "*", "Action": "iam:PassRole", "Resource": "*"}
    resource_policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    with pytest.raises(ClientError) as excinfo:
        pass_role(iam, role, TASK_EXECUTION, ResourcePolicy=resource_policy)
    assert error_of(excinfo) == (
        "InvalidInput",
        "Simulation of resource-based policies isn't supported for IAM roles.",
    )


def test_simulate_principal_policy_refuses_an_exclusion_with_two_stars(iam, role):
    # PolicyIdentifier.PolicyArn: "use at most one *"; a syntactically invalid identifier is
    # InvalidInput.
    with pytest.raises(ClientError) as excinfo:
        pass_role(iam, role, TASK_EXECUTION, PolicyExclusionList=[
            {"PolicyArn": "arn:aws:iam::aws:policy/*CodeDeploy*"}])  # fmt: skip
    assert error_of(excinfo)[0] == "InvalidInput"

"""IAM's SimulateCustomPolicy through real boto3 clients: decisions, cited statements, context
keys, resources, boundaries, pages, and refusals.

Each test says what AWS does: the IAM API reference (``SimulateCustomPolicy``,
``EvaluationResult``, ``Statement``, ``ContextEntry``) and the AWS CLI's documented examples of
``aws iam simulate-custom-policy``.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from bgkit.local.process import DUMMY_CREDENTIALS

#: the policy of the AWS CLI's example, byte for byte
DYNAMODB_AFTER_2018 = (
    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
    '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
)
BUCKET = "arn:aws:s3:::bgkit-bucket"
OTHER_BUCKET = "arn:aws:s3:::other-bucket"


@pytest.fixture
def iam(client):
    return client("iam")


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def allow(action: str, resource: str = "*", **more) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: str, resource: str = "*", **more) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def entry(name: str, kind: str, *values: str) -> dict:
    return {"ContextKeyName": name, "ContextKeyType": kind, "ContextKeyValues": list(values)}


def simulate(iam, policies: list[str], *actions: str, **more) -> list[dict]:
    answer = iam.simulate_custom_policy(PolicyInputList=policies, ActionNames=list(actions), **more)
    return answer["EvaluationResults"]


def cut(text: str, statement: dict) -> dict:
    """The statement a cited ``Statement`` points at, cut out of the policy's text."""
    lines = text.splitlines(keepends=True)

    def offset(position: dict) -> int:
        return sum(len(line) for line in lines[: position["Line"] - 1]) + position["Column"] - 1

    return json.loads(
        text[offset(statement["StartPosition"]) - 1 : offset(statement["EndPosition"])]
    )


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


# --- decisions and the statements cited ------------------------------------------------------


def test_simulate_custom_policy_allows_and_cites_the_statement_as_aws_documents(iam):
    # AWS CLI example 1 of simulate-custom-policy: allowed, by PolicyInputList.1, from line 1
    # column 38 to line 1 column 167, no missing context value.
    (result,) = simulate(
        iam, [DYNAMODB_AFTER_2018], "dynamodb:CreateBackup",
        ContextEntries=[entry("aws:CurrentTime", "date", "2019-04-25T11:00:00Z")],
    )  # fmt: skip
    assert result["EvalActionName"] == "dynamodb:CreateBackup"
    assert result["EvalResourceName"] == "*"
    assert result["EvalDecision"] == "allowed"
    assert result["MatchedStatements"] == [
        {
            "SourcePolicyId": "PolicyInputList.1",
            "SourcePolicyType": "none",
            "StartPosition": {"Line": 1, "Column": 38},
            "EndPosition": {"Line": 1, "Column": 167},
        }
    ]
    assert result["MissingContextValues"] == []
    assert "ResourceSpecificResults" not in result


def test_simulate_custom_policy_denies_implicitly_when_a_condition_fails(iam):
    # AWS CLI example 2: an earlier aws:CurrentTime is an implicitDeny citing no statement.
    (result,) = simulate(
        iam, [DYNAMODB_AFTER_2018], "dynamodb:CreateBackup",
        ContextEntries=[entry("aws:CurrentTime", "date", "2014-04-25T11:00:00Z")],
    )  # fmt: skip
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MatchedStatements"] == []
    assert result["MissingContextValues"] == []


def test_simulate_custom_policy_names_the_context_keys_the_request_lacks(iam):
    # EvaluationResult.MissingContextValues: keys the input policies need but no input gave.
    (result,) = simulate(iam, [DYNAMODB_AFTER_2018], "dynamodb:CreateBackup")
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MissingContextValues"] == ["aws:CurrentTime"]


def test_simulate_custom_policy_explicit_deny_wins_and_alone_is_cited(iam):
    # EvaluationResult.MatchedStatements: an explicit deny overrides any allow, and "the deny
    # statement is the only entry included in the result".
    policies = [document(allow("s3:*")), document(allow("s3:GetObject"), deny("s3:Get*"))]
    (result,) = simulate(iam, policies, "s3:GetObject")
    assert result["EvalDecision"] == "explicitDeny"
    assert [s["SourcePolicyId"] for s in result["MatchedStatements"]] == ["PolicyInputList.2"]
    assert cut(policies[1], result["MatchedStatements"][0]) == deny("s3:Get*")


def test_simulate_custom_policy_cites_every_statement_that_allows(iam):
    # MatchedStatements lists the statements that determine the result: every allowing one.
    policies = [document(allow("s3:ListBucket"), allow("s3:*", Sid="All")), document(allow("s3:*"))]
    (result,) = simulate(iam, policies, "s3:GetObject")
    assert result["EvalDecision"] == "allowed"
    cited = [(s["SourcePolicyId"], cut(policies[int(s["SourcePolicyId"][-1]) - 1], s))
             for s in result["MatchedStatements"]]  # fmt: skip
    assert cited == [
        ("PolicyInputList.1", allow("s3:*", Sid="All")),
        ("PolicyInputList.2", allow("s3:*")),
    ]


def test_simulate_custom_policy_matches_actions_case_insensitively(iam):
    # IAM policy grammar: action names are case-insensitive.
    (result,) = simulate(iam, [document(allow("S3:getobject"))], "s3:GetObject")
    assert result["EvalDecision"] == "allowed"


# --- actions and resources -------------------------------------------------------------------


def test_simulate_custom_policy_answers_once_an_action_and_once_a_resource(iam):
    # EvaluationResult: one result an action; its decision is the most restrictive over the
    # resources, its MatchedStatements only those of that decision; ResourceSpecificResults
    # gives each resource's own decision.
    policy = document(allow("s3:GetObject", BUCKET))
    results = simulate(
        iam, [policy], "s3:GetObject", "s3:PutObject", ResourceArns=[BUCKET, OTHER_BUCKET]
    )
    assert [(r["EvalActionName"], r["EvalDecision"]) for r in results] == [
        ("s3:GetObject", "implicitDeny"),
        ("s3:PutObject", "implicitDeny"),
    ]
    get = results[0]
    assert get["MatchedStatements"] == []
    specific = [(r["EvalResourceName"], r["EvalResourceDecision"], len(r["MatchedStatements"]))
                for r in get["ResourceSpecificResults"]]  # fmt: skip
    assert specific == [(BUCKET, "allowed", 1), (OTHER_BUCKET, "implicitDeny", 0)]


def test_simulate_custom_policy_on_a_resource_it_allows_cites_the_statement(iam):
    # The walkthrough's question: one action on one resource, allowed.
    (result,) = simulate(iam, [document(allow("s3:GetObject", BUCKET))], "s3:GetObject",
                         ResourceArns=[BUCKET])  # fmt: skip
    assert result["EvalDecision"] == "allowed"
    assert [s["SourcePolicyId"] for s in result["MatchedStatements"]] == ["PolicyInputList.1"]
    assert result["ResourceSpecificResults"][0]["MatchedStatements"] == result["MatchedStatements"]


def test_simulate_custom_policy_pages_by_max_items(iam):
    # SimulateCustomPolicy: "If the output is long, you can use MaxItems and Marker".
    actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
    first = iam.simulate_custom_policy(
        PolicyInputList=[document(allow("s3:*"))], ActionNames=actions, MaxItems=2
    )
    assert first["IsTruncated"] is True and len(first["EvaluationResults"]) == 2
    pages = iam.get_paginator("simulate_custom_policy").paginate(
        PolicyInputList=[document(allow("s3:*"))],
        ActionNames=actions,
        PaginationConfig={"PageSize": 2},
    )
    assert [r["EvalActionName"] for page in pages for r in page["EvaluationResults"]] == actions


# --- context keys ----------------------------------------------------------------------------


def test_simulate_custom_policy_reads_each_context_value_by_its_type(iam):
    # ContextEntry.ContextKeyType: numeric, boolean, ip, and their lists.
    policy = document(
        allow("ec2:RunInstances", Condition={
            "NumericLessThanEquals": {"ec2:InstanceCount": "4"},
            "Bool": {"aws:SecureTransport": "true"},
            "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]},
        }),
    )  # fmt: skip

    def decision(count: str, source_ip: str) -> str:
        context = [
            entry("ec2:InstanceCount", "numeric", count),
            entry("aws:SecureTransport", "boolean", "true"),
            entry("aws:SourceIp", "ip", source_ip),
            entry("aws:TagKeys", "stringList", "team", "env"),
        ]
        (result,) = simulate(iam, [policy], "ec2:RunInstances", ContextEntries=context)
        return result["EvalDecision"]

    assert decision("4", "203.0.113.9") == "allowed"
    assert decision("5", "203.0.113.9") == "implicitDeny"
    assert decision("4", "198.51.100.1") == "implicitDeny"


def test_simulate_custom_policy_refuses_a_value_that_is_not_of_its_type(iam):
    # ContextEntry: the values are of ContextKeyType; an invalid input value is InvalidInput.
    with pytest.raises(ClientError) as excinfo:
        simulate(iam, [DYNAMODB_AFTER_2018], "dynamodb:CreateBackup",
                 ContextEntries=[entry("aws:CurrentTime", "date", "yesterday")])  # fmt: skip
    assert error_of(excinfo)[0] == "InvalidInput"
    assert "yesterday" in error_of(excinfo)[1]


def test_simulate_custom_policy_refuses_several_values_for_a_single_valued_type(iam):
    # ContextKeyType: several values need a *List type (stringList …).
    with pytest.raises(ClientError) as excinfo:
        simulate(iam, [document(allow("s3:*"))], "s3:GetObject",
                 ContextEntries=[entry("s3:prefix", "string", "a/", "b/")])  # fmt: skip
    code, message = error_of(excinfo)
    assert code == "InvalidInput" and "stringList" in message


# --- what limits the identity policies -------------------------------------------------------


def test_simulate_custom_policy_with_a_permissions_boundary(iam):
    # PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary: false when the boundary
    # does not allow the action, and then the action is not allowed.
    results = simulate(
        iam, [document(allow("s3:*"))], "s3:GetObject", "s3:PutObject",
        PermissionsBoundaryPolicyInputList=[document(allow("s3:GetObject"))],
    )  # fmt: skip
    assert [(r["EvalDecision"], r["PermissionsBoundaryDecisionDetail"]) for r in results] == [
        ("allowed", {"AllowedByPermissionsBoundary": True}),
        ("implicitDeny", {"AllowedByPermissionsBoundary": False}),
    ]
    assert results[1]["MatchedStatements"] == []


def test_simulate_custom_policy_with_service_control_policies(iam):
    # OrganizationsDecisionDetail.AllowedByOrganizations: every level of the hierarchy, root
    # first, must allow; an SCP's statements are never among MatchedStatements.
    levels = [
        {"ServiceControlPolicyInputList": [document(allow("*"))]},
        {"ServiceControlPolicyInputList": [document(allow("*"), deny("s3:PutObject"))]},
    ]
    results = simulate(iam, [document(allow("s3:*"))], "s3:GetObject", "s3:PutObject",
                       OrderedOrganizationPolicyInputList=levels)  # fmt: skip
    assert [(r["EvalDecision"], r["OrganizationsDecisionDetail"]) for r in results] == [
        ("allowed", {"AllowedByOrganizations": True}),
        ("explicitDeny", {"AllowedByOrganizations": False}),
    ]
    assert results[1]["MatchedStatements"] == []


# --- refusals --------------------------------------------------------------------------------


def test_simulate_custom_policy_refuses_a_wildcard_action(iam):
    # SimulateCustomPolicy.ActionNames: "does not support using wildcards (*) in an action name".
    with pytest.raises(ClientError) as excinfo:
        simulate(iam, [document(allow("s3:*"))], "s3:*")
    assert error_of(excinfo)[0] == "InvalidInput"


def test_simulate_custom_policy_refuses_an_action_without_its_service(iam):
    # ActionNames: "Each operation must include the service identifier, such as iam:CreateUser".
    with pytest.raises(ClientError) as excinfo:
        simulate(iam, [document(allow("s3:*"))], "GetObject")
    code, message = error_of(excinfo)
    assert code == "InvalidInput" and "GetObject" in message


def test_simulate_custom_policy_refuses_a_malformed_policy(iam):
    # SimulateCustomPolicy answers InvalidInput for input it cannot take (its declared errors are
    # InvalidInput and PolicyEvaluation).
    with pytest.raises(ClientError) as excinfo:
        simulate(iam, [document(allow("s3:*")), '{"Version": "2012-10-17"}'], "s3:GetObject")
    code, message = error_of(excinfo)
    assert code == "InvalidInput" and message.startswith("PolicyInputList.2 ")


def test_simulate_custom_policy_refuses_a_resource_that_is_not_an_arn(iam):
    # ResourceArns: "A list of ARNs of Amazon Web Services resources".
    with pytest.raises(ClientError) as excinfo:
        simulate(iam, [document(allow("s3:*"))], "s3:GetObject", ResourceArns=["bgkit-bucket"])
    assert error_of(excinfo) == ("InvalidInput", "ARN bgkit-bucket is not valid.")


def test_simulate_custom_policy_refuses_an_assumed_role_as_caller(iam):
    # CallerArn: "You cannot specify the ARN of an assumed role, federated user, or a service
    # principal."
    with pytest.raises(ClientError) as excinfo:
        simulate(iam, [document(allow("s3:*"))], "s3:GetObject",
                 CallerArn="arn:aws:sts::123456789012:assumed-role/bgkit-codedeploy/s")  # fmt: skip
    assert error_of(excinfo)[0] == "InvalidInput"


def test_simulate_custom_policy_refuses_a_resource_policy_for_a_role(iam):
    # ResourcePolicy: "Simulation of resource-based policies isn't supported for IAM roles."
    resource_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": BUCKET}]})  # fmt: skip
    with pytest.raises(ClientError) as excinfo:
        simulate(iam, [document(allow("s3:*"))], "s3:GetObject", ResourcePolicy=resource_policy,
                 CallerArn="arn:aws:iam::123456789012:role/bgkit-codedeploy")  # fmt: skip
    assert error_of(excinfo) == (
        "InvalidInput",
        "Simulation of resource-based policies isn't supported for IAM roles.",
    )


def test_simulate_custom_policy_refuses_a_condition_it_cannot_evaluate(cloud):
    # PolicyEvaluation (HTTP 500): "a provided policy could not be successfully evaluated. An
    # additional detailed message indicates the source of the failure." (A client that does not
    # retry server errors, so the test takes no back-off.)
    iam = boto3.client(
        "iam", endpoint_url=cloud.endpoint_url, region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}), **DUMMY_CREDENTIALS,
    )  # fmt: skip
    policy = document(allow("s3:*", Condition={"NumericFancy": {"s3:max-keys": "10"}}))
    with pytest.raises(ClientError) as excinfo:
        simulate(iam, [policy], "s3:ListBucket")
    code, message = error_of(excinfo)
    assert code == "PolicyEvaluation" and "NumericFancy" in message
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    iam.close()

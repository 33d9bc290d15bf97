"""The AWS managed policy ``AWSLambdaBasicExecutionRole`` on the local cloud, as notebook 10's
function role attaches it: AWS's metadata and document (AWS Managed Policy Reference Guide,
``aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html``: v1, created and edited
2015-04-09 15:03 UTC, logs:CreateLogGroup, CreateLogStream and PutLogEvents on ``*``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST = Path(__file__).resolve().parents[2] / "data" / "iam" / "lambda-trust-policy.json"


@pytest.fixture
def iam(client):
    return client("iam")


def test_the_basic_execution_policy_is_aws_s(iam):
    policy = iam.get_policy(PolicyArn=BASIC)["Policy"]
    assert policy["PolicyName"] == "AWSLambdaBasicExecutionRole"
    assert policy["Path"] == "/service-role/"
    assert policy["DefaultVersionId"] == "v1"
    assert policy["CreateDate"].isoformat().startswith("2015-04-09T15:03")
    assert policy["Description"] == "Provides write permissions to CloudWatch Logs."
    document = iam.get_policy_version(PolicyArn=BASIC, VersionId="v1")["PolicyVersion"]["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    assert document["Statement"] == [{
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "*",
    }]  # fmt: skip


def test_a_function_role_attaches_it_and_may_write_its_log(iam):
    iam.create_role(RoleName="bgkit-validate", AssumeRolePolicyDocument=TRUST.read_text())
    iam.attach_role_policy(RoleName="bgkit-validate", PolicyArn=BASIC)
    attached = iam.list_attached_role_policies(RoleName="bgkit-validate")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC}]
    role_arn = iam.get_role(RoleName="bgkit-validate")["Role"]["Arn"]
    results = iam.simulate_principal_policy(
        PolicySourceArn=role_arn, ActionNames=["logs:PutLogEvents", "logs:DeleteLogGroup"]
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "implicitDeny"]

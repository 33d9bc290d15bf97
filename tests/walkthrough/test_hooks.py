"""Notebook 10's helpers (``bgkit.walkthrough.hooks``) on the local cloud: the function's role,
its package and name, the create request sent again while the role cannot be assumed, the log,
and the clean-up that deletes the function and the log group Lambda made for it — for one
learner and for a workshop participant, whose policy must let them do all of it."""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
from botocore.exceptions import ClientError

from bgkit import walkthrough as wt
from bgkit.walkthrough import hooks as wh

from .test_participant import participant_session

pytestmark = pytest.mark.slow

HELLO = 'def handler(event, context):\n    print("hello from", context.function_name)\n'


def create(kit, role_arn, source=HELLO):
    """The request of notebook 10's *Create function* cell."""
    awslambda = kit.client("lambda")
    return wh.once_the_role_is_assumable(lambda: awslambda.create_function(
        FunctionName=wh.function_name(kit), Runtime="python3.12", Role=role_arn,
        Handler="app.handler", Code={"ZipFile": wh.package(source)}, Timeout=30,
        Environment={"Variables": {"TEST_URL": wh.test_url(kit)}}, Tags=wt.tags.tag_map(kit),
    ))  # fmt: skip


def test_the_function_role_trusts_lambda_and_has_its_policies(kit):
    role = wh.function_role(kit)
    assert wh.function_role(kit)["Arn"] == role["Arn"]  # got, not created twice
    iam = kit.client("iam")
    assert role["RoleName"] == "test-validate"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    attached = iam.list_attached_role_policies(RoleName="test-validate")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [wh.BASIC_EXECUTION]
    inline = iam.get_role_policy(RoleName="test-validate", PolicyName="test-validate")
    sids = [s["Sid"] for s in inline["PolicyDocument"]["Statement"]]
    assert sids == ["ReportTheHookStatus", "WriteTheFunctionLog"]


def test_the_package_holds_the_source_as_app_py_and_the_name_is_one_codedeploy_may_invoke(kit):
    archive = zipfile.ZipFile(io.BytesIO(wh.package(wh.source())))
    assert archive.namelist() == ["app.py"]
    assert archive.read("app.py").decode() == wh.source()
    assert wh.package(wh.source()) == wh.package(wh.source())  # the same bytes every run
    assert wh.function_name(kit) == "CodeDeployHook_test-validate"
    assert wh.log_group(kit) == "/aws/lambda/CodeDeployHook_test-validate"
    assert wh.test_url(kit) == kit.url(8080)


def test_the_hook_appspec_names_the_function_after_allow_test_traffic():
    content = wh.hook_appspec("arn:aws:ecs:us-east-1:123456789012:task-definition/w:2", "fn")
    assert content.startswith(wt.appspec("arn:aws:ecs:us-east-1:123456789012:task-definition/w:2"))
    assert content.endswith('Hooks:\n  - AfterAllowTestTraffic: "fn"\n')


def test_a_role_lambda_cannot_assume_is_asked_again_then_refused(kit):
    iam = kit.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}  # fmt: skip
    arn = iam.create_role(RoleName="test-not-lambda", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    started = time.monotonic()
    with pytest.raises(ClientError) as raised:
        wh.once_the_role_is_assumable(lambda: create(kit, arn), timeout=2.5)
    assert time.monotonic() - started >= 2.0  # sent again, two seconds apart
    assert raised.value.response["Error"]["Message"] == (
        "The role defined for the function cannot be assumed by Lambda."
    )
    assert wh.existing_function(kit) is None  # every refusal left nothing


def test_another_refusal_is_not_retried(kit):
    role = wh.function_role(kit)
    awslambda = kit.client("lambda")
    started = time.monotonic()
    with pytest.raises(ClientError) as raised:
        wh.once_the_role_is_assumable(lambda: awslambda.create_function(
            FunctionName=wh.function_name(kit), Runtime="nodejs20.x", Role=role["Arn"],
            Handler="index.handler", Code={"ZipFile": wh.package(HELLO)},
        ))  # fmt: skip
    assert time.monotonic() - started < 2.0
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_the_function_logs_and_clean_up_deletes_it_with_its_log_group(kit):
    assert wh.existing_function(kit) is None
    role = wh.function_role(kit)
    made = create(kit, role["Arn"])
    assert wh.existing_function(kit)["FunctionArn"] == made["FunctionArn"]
    kit.client("lambda").invoke(FunctionName=wh.function_name(kit), Payload=b"{}")
    log = wh.function_log(kit, invocations=1)
    assert "hello from CodeDeployHook_test-validate" in log
    assert [line.split(" ", 1)[0] for line in log if line.split(" ", 1)[0].isupper()] == [
        "START", "END", "REPORT",
    ]  # fmt: skip
    listed = wt.created_resources(kit)
    rows = set(map(tuple, listed[["service", "kind", "name"]].values.tolist()))
    assert ("lambda", "function", "CodeDeployHook_test-validate") in rows
    assert ("logs", "log group", "/aws/lambda/CodeDeployHook_test-validate") in rows
    assert ("iam", "role", "test-validate") in rows
    deleted = wt.clean_up(kit, timeout=60)
    assert set(map(tuple, deleted.values.tolist())) == rows
    assert wt.created_resources(kit).empty
    assert wh.existing_function(kit) is None


def test_a_participant_makes_and_deletes_the_hook_under_their_prefix(cloud, kit, tmp_path):
    p1 = participant_session(cloud, kit, "p1", tmp_path)
    role = wh.function_role(p1)  # CreateRole with the boundary, AWSLambdaBasicExecutionRole
    assert role["RoleName"] == "p1-validate"
    made = create(p1, role["Arn"])  # iam:PassRole to lambda.amazonaws.com, lambda:TagResource
    assert made["FunctionName"] == "CodeDeployHook_p1-validate"
    deleted = wt.clean_up(p1, timeout=60)
    assert {"CodeDeployHook_p1-validate", "p1-validate"} <= set(deleted["name"])
    assert wt.created_resources(p1).empty

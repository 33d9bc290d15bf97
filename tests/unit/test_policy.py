"""The IAM policy evaluator and validator, on documents alone (no store, no endpoint)."""

from __future__ import annotations

import json
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import validate_parameters

from bgkit.errors import ServiceError
from bgkit.local.services.iam.documents import managed_policies, parse_document, statement_spans
from bgkit.local.services.iam.evaluation import (
    NamedPolicy,
    arn_like,
    condition_holds,
    evaluate,
    known_operator,
    not_authorized_message,
    trust_decision,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "iam"
LIMITED_ARN = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
FULL_ARN = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
EXECUTION_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
INFRASTRUCTURE_ARN = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
LAMBDA_BASIC_ARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
ROLE = "arn:aws:iam::123456789012:role/"
TO_TASKS = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}


def managed(arn: str) -> NamedPolicy:
    return NamedPolicy(arn, json.loads(managed_policies()[arn]["Document"]))


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def data_document(name: str) -> dict:
    return json.loads((DATA / name).read_text())


# --- the managed policies of the walkthrough -------------------------------------------------


def test_limited_policy_allows_passing_ecs_task_execution_role_to_ecs_tasks():
    decision = evaluate(
        [managed(LIMITED_ARN)], "iam:PassRole", ROLE + "ecsTaskExecutionRole", TO_TASKS
    )
    assert decision.allowed
    assert decision.effect == "Allow"
    assert (decision.policy, decision.statement) == (LIMITED_ARN, 5)


def test_limited_policy_allows_roles_named_ecs_task_execution_star():
    role = ROLE + "ECSTaskExecutionForBgkit"
    assert evaluate([managed(LIMITED_ARN)], "iam:PassRole", role, TO_TASKS)


def test_limited_policy_refuses_another_role_name():
    decision = evaluate(
        [managed(LIMITED_ARN)], "iam:PassRole", ROLE + "bgkit-task-execution", TO_TASKS
    )
    assert not decision.allowed
    assert decision.effect == "ImplicitDeny"
    assert decision.policy is None


def test_limited_policy_refuses_passing_to_another_service():
    context = {"iam:PassedToService": "lambda.amazonaws.com"}
    decision = evaluate(
        [managed(LIMITED_ARN)], "iam:PassRole", ROLE + "ecsTaskExecutionRole", context
    )
    assert not decision.allowed


def test_limited_policy_refuses_pass_role_without_the_passed_to_service_key():
    assert not evaluate([managed(LIMITED_ARN)], "iam:PassRole", ROLE + "ecsTaskExecutionRole")


def test_full_policy_allows_passing_any_role_to_ecs_tasks():
    assert evaluate([managed(FULL_ARN)], "iam:PassRole", ROLE + "bgkit-task-execution", TO_TASKS)


def test_limited_policy_allows_the_ecs_and_elb_actions_of_a_deployment():
    for action in ("ecs:CreateTaskSet", "ecs:DeleteTaskSet", "elasticloadbalancing:ModifyListener"):
        assert evaluate([managed(LIMITED_ARN)], action, "arn:aws:ecs:us-east-1:123456789012:x")


def test_limited_policy_allows_only_codedeploy_hook_functions():
    hook = "arn:aws:lambda:us-east-1:123456789012:function:CodeDeployHook_check"
    other = "arn:aws:lambda:us-east-1:123456789012:function:check"
    assert evaluate([managed(LIMITED_ARN)], "lambda:InvokeFunction", hook)
    assert not evaluate([managed(LIMITED_ARN)], "lambda:InvokeFunction", other)


def test_task_execution_policy_allows_pulling_images_and_writing_logs():
    for action in ("ecr:GetAuthorizationToken", "ecr:BatchGetImage", "logs:PutLogEvents"):
        assert evaluate([managed(EXECUTION_ARN)], action, "*")
    assert not evaluate([managed(EXECUTION_ARN)], "logs:CreateLogGroup", "*")


def test_walkthrough_passrole_policy_covers_the_kits_task_roles():
    policy = NamedPolicy("passrole", data_document("codedeploy-passrole-policy.json"))
    assert evaluate([policy], "iam:PassRole", ROLE + "bgkit-task-execution", TO_TASKS)
    assert evaluate([policy], "iam:PassRole", ROLE + "alice-task", TO_TASKS)
    assert not evaluate([policy], "iam:PassRole", ROLE + "bgkit-codedeploy", TO_TASKS)
    assert not evaluate(
        [policy], "iam:PassRole", ROLE + "bgkit-task", {"iam:PassedToService": "ec2.amazonaws.com"}
    )


# --- IAM's evaluation rules ------------------------------------------------------------------


def test_explicit_deny_beats_allow():
    allow = NamedPolicy("allow", doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    deny = NamedPolicy(
        "deny", doc({"Sid": "NoPass", "Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"})
    )
    decision = evaluate([allow, deny], "iam:PassRole", ROLE + "x")
    assert not decision.allowed
    assert (decision.effect, decision.policy, decision.sid) == ("Deny", "deny", "NoPass")
    assert "explicitly denied" in decision.reason and "NoPass" in decision.reason


def test_no_statement_is_an_implicit_deny():
    decision = evaluate([], "s3:GetObject", "arn:aws:s3:::b/k")
    assert (decision.allowed, decision.effect) == (False, "ImplicitDeny")


def test_not_action_allows_every_other_action():
    policy = doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate([policy], "s3:GetObject", "*")
    assert not evaluate([policy], "iam:PassRole", "*")


def test_not_resource_allows_every_other_resource():
    policy = doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"})
    assert evaluate([policy], "s3:GetObject", "arn:aws:s3:::public/k")
    assert not evaluate([policy], "s3:GetObject", "arn:aws:s3:::secret/k")


def test_actions_match_case_insensitively_with_wildcards():
    policy = doc(
        {"Effect": "Allow", "Action": ["ECS:Describe*", "ecs:?pdateService"], "Resource": "*"}
    )
    assert evaluate([policy], "ecs:DescribeServices", "*")
    assert evaluate([policy], "ecs:UpdateService", "*")
    assert not evaluate([policy], "ecs:CreateService", "*")


def test_resources_match_case_sensitively():
    policy = doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE + "ecs*"})
    assert evaluate([policy], "iam:PassRole", ROLE + "ecsTask")
    assert not evaluate([policy], "iam:PassRole", ROLE + "ECSTask")


def test_question_mark_matches_exactly_one_character():
    policy = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/?"})
    assert evaluate([policy], "s3:GetObject", "arn:aws:s3:::b/k")
    assert not evaluate([policy], "s3:GetObject", "arn:aws:s3:::b/kk")


def test_a_single_statement_object_is_accepted():
    policy = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"},
    }
    assert evaluate([policy], "s3:GetObject", "*")


def test_not_authorized_message_names_the_principal_action_and_resource():
    decision = evaluate([], "iam:PassRole", ROLE + "x")
    message = not_authorized_message(
        "arn:aws:sts::123456789012:assumed-role/cd/s", "iam:PassRole", ROLE + "x", decision
    )
    assert message == (
        "User: arn:aws:sts::123456789012:assumed-role/cd/s is not authorized to perform: "
        f"iam:PassRole on resource: {ROLE}x because no identity-based policy allows the "
        "iam:PassRole action"
    )


# --- conditions ------------------------------------------------------------------------------


def test_a_missing_key_makes_a_string_condition_false():
    assert not condition_holds("StringEquals", "iam:PassedToService", "x", {})
    assert not condition_holds("StringLike", "iam:PassedToService", "*", {})


def test_a_missing_key_makes_a_negated_condition_true():
    assert condition_holds("StringNotEquals", "iam:PassedToService", "x", {})


def test_if_exists_holds_when_the_key_is_missing():
    assert condition_holds("StringEqualsIfExists", "iam:PassedToService", "x", {})
    assert not condition_holds(
        "StringEqualsIfExists", "iam:PassedToService", "x", {"iam:PassedToService": "y"}
    )


def test_condition_keys_are_case_insensitive_and_values_are_not():
    assert condition_holds("StringEquals", "IAM:passedToService", "a", {"iam:PassedToService": "a"})
    assert not condition_holds(
        "StringEquals", "iam:PassedToService", "A", {"iam:PassedToService": "a"}
    )
    assert condition_holds("StringEqualsIgnoreCase", "k", "A", {"k": "a"})


def test_any_value_of_a_condition_suffices():
    assert condition_holds("StringEquals", "k", ["a", "b"], {"k": "b"})
    assert not condition_holds("StringNotEquals", "k", ["a", "b"], {"k": "b"})
    assert condition_holds("StringNotLike", "k", ["a*"], {"k": "b"})


def test_bool_and_null_conditions():
    assert condition_holds("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": True})
    assert not condition_holds(
        "Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": False}
    )
    assert condition_holds("Null", "aws:TokenIssueTime", "true", {})
    assert condition_holds("Null", "k", "false", {"k": "v"})


def test_arn_like_matches_each_part_on_its_own():
    assert arn_like("arn:aws:iam::*:role/ecs*", ROLE + "ecsTaskExecutionRole")
    assert not arn_like("arn:aws:iam::*:role/ecs*", "arn:aws:iam::123456789012:user/ecs")
    assert condition_holds(
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:ecs:*:123456789012:*",
        {"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c"},
    )


def test_set_qualifiers_on_multivalued_keys():
    tags = {"aws:TagKeys": ["team", "env"]}
    assert condition_holds("ForAllValues:StringEquals", "aws:TagKeys", ["team", "env", "x"], tags)
    assert not condition_holds("ForAllValues:StringEquals", "aws:TagKeys", ["team"], tags)
    assert condition_holds("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], tags)
    assert not condition_holds("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], {})
    assert condition_holds("ForAllValues:StringEquals", "aws:TagKeys", ["env"], {})


def test_an_unknown_operator_never_holds():
    assert not condition_holds("NumericFancy", "k", "1", {"k": "1"})


def test_known_operators_are_the_ones_the_evaluator_implements():
    for operator in (
        "StringLike",
        "ForAllValues:StringEquals",
        "ArnNotLikeIfExists",
        "Null",
        "NumericLessThan",
        "DateGreaterThanEquals",
        "NotIpAddress",
        "BinaryEquals",
    ):
        assert known_operator(operator), operator
    for operator in ("NumericFancy", "ForSomeValues:StringEquals", "Bogus:IfExists"):
        assert not known_operator(operator), operator


def test_numeric_conditions_compare_numbers():
    context = {"s3:max-keys": "10"}
    assert condition_holds("NumericLessThanEquals", "s3:max-keys", "10", context)
    assert not condition_holds("NumericLessThan", "s3:max-keys", "10", context)
    assert condition_holds("NumericGreaterThan", "s3:max-keys", "9.5", context)
    assert condition_holds("NumericNotEquals", "s3:max-keys", "11", context)
    assert not condition_holds("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "ten"})


def test_date_conditions_compare_iso_dates_and_epoch_seconds():
    context = {"aws:CurrentTime": "2019-04-25T11:00:00Z"}
    assert condition_holds("DateGreaterThan", "aws:CurrentTime", "2018-08-16T12:00:00Z", context)
    assert not condition_holds("DateLessThan", "aws:CurrentTime", "2019-01-01", context)
    epoch = {"aws:EpochTime": "2019-04-25T11:00:00+00:00"}
    assert condition_holds("DateEquals", "aws:EpochTime", "1556190000", epoch)


def test_ip_address_conditions_match_networks():
    source = {"aws:SourceIp": "203.0.113.7"}
    assert condition_holds("IpAddress", "aws:SourceIp", "203.0.113.0/24", source)
    assert condition_holds("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8"], source)
    assert not condition_holds("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "x"})


def test_every_condition_of_a_statement_must_hold():
    policy = doc(
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
                "StringLike": {"aws:SourceAccount": "1234*"},
            },
        }
    )
    assert evaluate(
        [policy], "iam:PassRole", "*", {**TO_TASKS, "aws:SourceAccount": "123456789012"}
    )
    assert not evaluate([policy], "iam:PassRole", "*", TO_TASKS)


# --- trust policies --------------------------------------------------------------------------


def test_codedeploy_trust_policy_trusts_codedeploy_only():
    trust = data_document("codedeploy-trust-policy.json")
    assert trust_decision(trust, "codedeploy.amazonaws.com")
    refused = trust_decision(trust, "ecs-tasks.amazonaws.com")
    assert (refused.allowed, refused.effect) == (False, "ImplicitDeny")


def test_ecs_tasks_trust_policy_trusts_ecs_tasks():
    trust = data_document("ecs-tasks-trust-policy.json")
    assert trust_decision(trust, "ecs-tasks.amazonaws.com")
    assert not trust_decision(trust, "codedeploy.amazonaws.com")


def test_trust_policy_deny_beats_allow():
    trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"Service": "codedeploy.amazonaws.com"},
            "Action": "sts:AssumeRole",
        },
        {"Effect": "Deny", "Principal": "*", "Action": "sts:*"},
    )
    assert trust_decision(trust, "codedeploy.amazonaws.com").effect == "Deny"


def test_trust_policy_conditions_use_the_context():
    trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"Service": ["codedeploy.amazonaws.com"]},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
        }
    )
    assert trust_decision(trust, "codedeploy.amazonaws.com", {"aws:SourceAccount": "123456789012"})
    assert not trust_decision(trust, "codedeploy.amazonaws.com")


# --- validation ------------------------------------------------------------------------------


def test_statement_spans_are_where_iam_s_simulator_says_they_are():
    # AWS's example: the statement of this one-line document is cited from column 38 to 167
    text = (
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
        '"Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
    )
    assert statement_spans(text) == [({"Line": 1, "Column": 38}, {"Line": 1, "Column": 167})]


def test_statement_spans_of_a_list_over_several_lines():
    first = {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    second = {"Sid": "B", "Effect": "Deny", "Action": "s3:x", "Resource": "*"}
    text = json.dumps(doc(first, second), indent=2)
    lines = text.splitlines(keepends=True)

    def offset(position: dict) -> int:
        return sum(len(line) for line in lines[: position["Line"] - 1]) + position["Column"] - 1

    cut = [json.loads(text[offset(a) - 1 : offset(b)])["Sid"] for a, b in statement_spans(text)]
    assert cut == ["A", "B"]


def malformed(text: str, *, trust: bool = False) -> str:
    with pytest.raises(ServiceError) as excinfo:
        parse_document(text, trust=trust)
    assert excinfo.value.code == "MalformedPolicyDocument"
    return excinfo.value.message


def test_parse_document_refuses_invalid_json():
    assert malformed("{", trust=True) == "This policy contains invalid Json"
    assert malformed("{") == "Syntax errors in policy."


def test_parse_document_refuses_unknown_elements_and_effects():
    assert (
        malformed(json.dumps(doc({"Effect": "allow", "Action": "*", "Resource": "*"})))
        == "Syntax errors in policy."
    )
    assert malformed(json.dumps({**doc(), "Extra": 1})) == "Syntax errors in policy."


def test_parse_document_refuses_an_old_version():
    text = json.dumps(
        {
            "Version": "2008-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )
    assert malformed(text) == "Policy document must be version 2012-10-17 or greater."


def test_parse_document_refuses_duplicate_sids():
    statement = {"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"}
    assert malformed(json.dumps(doc(statement, statement))) == (
        "Statement IDs (SID) in a single policy must be unique."
    )


def test_parse_document_refuses_actions_without_a_vendor():
    text = json.dumps(doc({"Effect": "Allow", "Action": "PassRole", "Resource": "*"}))
    assert malformed(text).startswith("Actions/Conditions must be prefaced by a vendor")


def test_parse_document_refuses_resources_that_are_not_arns():
    text = json.dumps(doc({"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}))
    assert malformed(text) == 'Resource bucket must be in ARN format or "*".'


def test_parse_document_refuses_non_sts_actions_in_a_trust_policy():
    text = json.dumps(doc({"Effect": "Allow", "Principal": {"Service": "x"}, "Action": "s3:*"}))
    assert malformed(text, trust=True).startswith("Trust Policy statement actions can only be")


def test_data_documents_are_valid_and_fit_the_iam_input_shapes():
    model = botocore.session.get_session().get_service_model("iam")
    trusts = ("codedeploy-trust-policy.json", "ecs-tasks-trust-policy.json",
              "ecs-infrastructure-trust-policy.json")  # fmt: skip
    for name in trusts:
        text = (DATA / name).read_text()
        parse_document(text, trust=True)
        validate_parameters(
            {"RoleName": "r", "AssumeRolePolicyDocument": text},
            model.operation_model("CreateRole").input_shape,
        )
    text = (DATA / "codedeploy-passrole-policy.json").read_text()
    parse_document(text)
    validate_parameters(
        {"RoleName": "r", "PolicyName": "p", "PolicyDocument": text},
        model.operation_model("PutRolePolicy").input_shape,
    )


def test_managed_policies_are_valid_and_described():
    catalogue = managed_policies()
    assert set(catalogue) == {
        LIMITED_ARN,
        FULL_ARN,
        EXECUTION_ARN,
        INFRASTRUCTURE_ARN,
        LAMBDA_BASIC_ARN,
    }
    for arn, record in catalogue.items():
        parse_document(record["Document"])
        assert arn.endswith(record["Path"] + record["PolicyName"])
        assert record["PolicyId"].startswith("ANPA") and len(record["PolicyId"]) == 21
        assert record["DefaultVersionId"] in ("v1", "v3", "v6")
        assert record["CreateDate"] <= record["UpdateDate"]

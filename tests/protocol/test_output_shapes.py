"""The output-shape check finds what botocore's parser lets through: a required member missing, a
member its shape lacks, a value of the wrong type or outside its enum (shapes of botocore's
models: ELBv2's ``DescribeTargetHealth``, ECS's ``DescribeServices``, IAM's ``GetRole``)."""

from __future__ import annotations

import datetime

from .output_shapes import output_problems
from .roundtrip import service_model


def output(service: str, operation: str):
    return service_model(service).operation_model(operation).output_shape


def test_a_fitting_answer_has_no_problem():
    role = {
        "Path": "/",
        "RoleName": "r",
        "RoleId": "AROA1234567890EXAMPLE",
        "Arn": "arn:aws:iam::123456789012:role/r",
        "CreateDate": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    }
    assert output_problems(output("iam", "GetRole"), {"Role": role}) == []


def test_a_missing_required_member_is_found():
    problems = output_problems(output("iam", "GetRole"), {"Role": {"RoleName": "r"}})
    assert ".Role.Arn: required by Role, missing" in problems


def test_a_member_the_shape_lacks_is_found():
    answer = {"services": [{"serviceName": "web", "launchTyp": "FARGATE"}], "failures": []}
    assert output_problems(output("ecs", "DescribeServices"), answer) == [
        ".services[0].launchTyp: no member of Service"
    ]


def test_a_wrong_type_and_a_value_outside_the_enum_are_found():
    answer = {
        "TargetHealthDescriptions": [
            {"HealthCheckPort": 80, "TargetHealth": {"State": "fine"}},
        ]
    }
    problems = output_problems(output("elbv2", "DescribeTargetHealth"), answer)
    assert any("HealthCheckPort: a string expected, not int" in p for p in problems)
    assert any("'fine' is no value of TargetHealthStateEnum" in p for p in problems)


def test_an_operation_without_output_answers_nothing_but_metadata():
    assert output_problems(None, {"ResponseMetadata": {"RequestId": "x"}}) == []
    assert output_problems(None, {"Thing": 1}) == ["answer: the operation has no output"]

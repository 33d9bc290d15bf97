"""Params checked against the input shape as AWS checks them, answered in each service's style;
bodies too deep, too large or badly zipped refused with a 400 (issue 20).

The codes are the services' own (their models' error shapes and the documented front-end
codes): ``ValidationError`` for the query services (IAM, ELBv2), ``MissingParameter`` and
``InvalidParameterValue`` for EC2, the operation's own exception for CodeDeploy
(``ApplicationNameRequiredException``, ``InvalidComputePlatformException``, worded as the
model documents them), ``InvalidParameterException`` for ECS and CloudWatch Logs,
``ValidationException`` for Lambda. The message is the Coral front end's: ``1 validation error
detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null``.
"""

from __future__ import annotations

import gzip
import json
import urllib.request
from typing import Any

import pytest

from bgkit.errors import ServiceError
from bgkit.local.api.protocol import HttpRequest, parse_request, validate_params
from bgkit.local.server import LocalCloud

from .roundtrip import service_model


def refusal(service: str, operation: str, params: dict[str, Any]) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        validate_params(service_model(service).operation_model(operation), params)
    return raised.value


def json_request(service: str, operation: str, body: bytes, **headers: str) -> HttpRequest:
    model = service_model(service)
    return HttpRequest(
        "POST",
        "/",
        {},
        {
            "x-amz-target": f"{model.metadata['targetPrefix']}.{operation}",
            "content-type": f"application/x-amz-json-{model.metadata['jsonVersion']}",
            **headers,
        },
        body,
    )


def test_iam_refuses_a_missing_member_with_validation_error() -> None:
    error = refusal("iam", "GetRole", {})

    assert (error.code, error.status) == ("ValidationError", None)
    assert error.message == (
        "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_every_broken_constraint_is_named_with_its_path() -> None:
    error = refusal(
        "iam",
        "CreateRole",
        {"RoleName": "r" * 65, "AssumeRolePolicyDocument": "{}", "Tags": [{"Key": "k"}]},
    )

    assert error.message.startswith("2 validation errors detected: ")
    assert "Value '" + "r" * 65 + "' at 'roleName' failed to satisfy constraint: Member must " \
        "have length less than or equal to 64" in error.message  # fmt: skip
    assert "Value null at 'tags.1.member.value' failed to satisfy constraint" in error.message


def test_elbv2_refuses_a_value_outside_its_enum() -> None:
    error = refusal("elbv2", "CreateTargetGroup", {"Name": "tg", "Protocol": "HTTP3"})

    assert error.code == "ValidationError"
    assert "Value 'HTTP3' at 'protocol' failed to satisfy constraint: Member must satisfy " \
        "enum value set: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE" in error.message  # fmt: skip


def test_ec2_says_missing_parameter_by_its_wire_name() -> None:
    error = refusal("ec2", "CreateSecurityGroup", {"GroupName": "sg"})

    assert error.code == "MissingParameter"
    assert error.message == "The request must contain the parameter GroupDescription"


def test_ec2_says_invalid_parameter_value_for_a_range() -> None:
    error = refusal("ec2", "DescribeSecurityGroups", {"MaxResults": 2000})

    assert error.code == "InvalidParameterValue"
    assert error.message == (
        "Value (2000) for parameter MaxResults is invalid. It must be at most 1000."
    )


def test_codedeploy_answers_the_operations_own_required_exception() -> None:
    error = refusal("codedeploy", "GetApplication", {})

    assert error.code == "ApplicationNameRequiredException"
    assert error.message == "The application name must be specified"


def test_codedeploy_answers_the_operations_own_invalid_exception_in_its_words() -> None:
    error = refusal(
        "codedeploy", "ContinueDeployment", {"deploymentId": "d-1", "deploymentWaitType": "NOW"}
    )

    assert error.code == "InvalidDeploymentWaitTypeException"
    assert error.message == "The wait type is invalid."


def test_a_constraint_a_provider_words_itself_is_left_to_it() -> None:
    validate_params(
        service_model("codedeploy").operation_model("CreateApplication"),
        {"applicationName": "a", "computePlatform": "K8S"},
    )


def test_codedeploy_without_an_exception_of_its_own_says_validation_exception() -> None:
    # ListApplicationRevisions lists no exception for ``deployed`` (its sortBy has one)
    error = refusal("codedeploy", "ListApplicationRevisions", {"applicationName": "a",
                    "deployed": "maybe"})  # fmt: skip

    assert error.code == "ValidationException"
    assert "Value 'maybe' at 'deployed' failed to satisfy constraint: Member must satisfy enum " \
        "value set: [include, exclude, ignore]" in error.message  # fmt: skip


def test_ecs_and_logs_say_invalid_parameter_exception() -> None:
    ecs = refusal("ecs", "DescribeServices", {})
    logs = refusal("logs", "CreateLogGroup", {"logGroupName": "g" * 513})

    assert ecs.code == "InvalidParameterException"
    assert "Value null at 'services'" in ecs.message
    assert logs.code == "InvalidParameterException"
    assert "at 'logGroupName' failed to satisfy constraint: Member must have length less than " \
        "or equal to 512" in logs.message  # fmt: skip


def test_lambda_says_validation_exception() -> None:
    error = refusal("lambda", "CreateFunction", {"FunctionName": "f", "Code": {}})

    assert error.code == "ValidationException"
    assert "Value null at 'role' failed to satisfy constraint: Member must not be null" in (
        error.message
    )


def test_a_sensitive_value_is_never_shown() -> None:
    error = refusal("iam", "ChangePassword", {"OldPassword": "old", "NewPassword": "s" * 200})

    assert error.message == (
        "1 validation error detected: Value at 'newPassword' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )


def test_params_that_keep_every_constraint_pass() -> None:
    validate_params(service_model("iam").operation_model("GetRole"), {"RoleName": "r"})


# --- bodies ----------------------------------------------------------------------------------


def test_deeply_nested_json_is_refused_with_a_400() -> None:
    body = b'{"cluster": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(ServiceError) as raised:
        parse_request(service_model("ecs"), json_request("ecs", "ListServices", body))

    assert raised.value.code == "SerializationException"
    assert "more than 64 levels deep" in raised.value.message


def test_json_nested_past_the_limit_but_within_the_stack_is_refused_too() -> None:
    body = b'{"x": ' + b"[" * 100 + b"]" * 100 + b"}"
    with pytest.raises(ServiceError) as raised:
        parse_request(service_model("ecs"), json_request("ecs", "ListServices", body))

    assert "more than 64 levels deep" in raised.value.message


def test_a_gzip_bomb_is_refused_before_it_unzips() -> None:
    bomb = gzip.compress(b" " * (17 * 2**20))  # 17 MiB of spaces in a few KiB
    request = json_request("ecs", "ListClusters", bomb, **{"content-encoding": "gzip"})
    with pytest.raises(ServiceError) as raised:
        parse_request(service_model("ecs"), request)

    assert "more than 16 MiB" in raised.value.message


def test_a_truncated_gzip_body_is_refused() -> None:
    body = gzip.compress(b"{}")[:-6]
    request = json_request("ecs", "ListClusters", body, **{"content-encoding": "gzip"})
    with pytest.raises(ServiceError) as raised:
        parse_request(service_model("ecs"), request)

    assert raised.value.code == "SerializationException"


# --- through the endpoint --------------------------------------------------------------------


def _post(cloud: LocalCloud, service: str, operation: str, body: bytes, **headers: str) -> Any:
    model = service_model(service)
    request = urllib.request.Request(
        cloud.endpoint_url,
        data=body,
        method="POST",
        headers={
            "X-Amz-Target": f"{model.metadata['targetPrefix']}.{operation}",
            "Content-Type": f"application/x-amz-json-{model.metadata['jsonVersion']}",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/"
            f"{model.signing_name}/aws4_request, SignedHeaders=host, Signature=0",
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.control_plane
def test_a_missing_member_is_a_400_through_the_endpoint(cloud: LocalCloud) -> None:
    status, body = _post(cloud, "logs", "CreateLogGroup", b"{}")

    assert status == 400
    assert body["__type"] == "InvalidParameterException"
    assert "Value null at 'logGroupName'" in body["message"]


@pytest.mark.control_plane
def test_a_gzip_body_is_accepted_through_the_endpoint(cloud: LocalCloud) -> None:
    body = gzip.compress(json.dumps({"logGroupName": "/zipped"}).encode())
    status, _ = _post(cloud, "logs", "CreateLogGroup", body, **{"Content-Encoding": "gzip"})
    groups = cloud.client("logs").describe_log_groups()["logGroups"]

    assert status == 200
    assert [group["logGroupName"] for group in groups] == ["/zipped"]


@pytest.mark.control_plane
def test_deep_json_is_a_400_through_the_endpoint(cloud: LocalCloud) -> None:
    body = b'{"clusters": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    status, answer = _post(cloud, "ecs", "DescribeClusters", body)

    assert status == 400
    assert answer["__type"] == "SerializationException"

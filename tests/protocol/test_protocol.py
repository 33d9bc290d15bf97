"""The protocol layer's own behaviours: error envelopes, refusals, and its conveniences."""

from __future__ import annotations

import datetime
import gzip
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.parsers import create_parser

from bgkit.errors import ServiceError, UnknownOperationError
from bgkit.local.api.protocol import (
    HttpRequest,
    HttpResponse,
    parse_request,
    serialize_error,
    serialize_error_without_service,
    serialize_result,
    unknown_operation_code,
)

from .roundtrip import answer_in_process, service_model

UTC = datetime.timezone.utc


def _json_request(service: str, operation: str, body: bytes | str | dict[str, Any]) -> HttpRequest:
    model = service_model(service)
    if isinstance(body, dict):
        body = json.dumps(body)
    return HttpRequest(
        method="POST",
        path="/",
        query={},
        headers={
            "x-amz-target": f"{model.metadata['targetPrefix']}.{operation}",
            "content-type": f"application/x-amz-json-{model.metadata['jsonVersion']}",
        },
        body=body.encode() if isinstance(body, str) else body,
    )


def _form_request(fields: dict[str, str], *, in_query: bool = False) -> HttpRequest:
    if in_query:
        return HttpRequest("GET", "/", {key: [value] for key, value in fields.items()}, {}, b"")
    headers = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    return HttpRequest("POST", "/", {}, headers, urlencode(fields).encode())


def _botocore_reads(service: str, response: HttpResponse, operation: str) -> dict[str, Any]:
    model = service_model(service)
    return create_parser(model.resolved_protocol).parse(
        {
            "status_code": response.status,
            "headers": {key.lower(): value for key, value in response.headers.items()},
            "body": response.body,
        },
        model.operation_model(operation).output_shape,
    )


# --- error envelopes ---------------------------------------------------------------------------


def test_json_error_envelope_carries_code_message_and_status() -> None:
    error = ServiceError("ClusterNotFoundException", "Cluster not found.")
    response = serialize_error(service_model("ecs"), error, "rid-1")

    parsed = _botocore_reads("ecs", response, "DescribeClusters")
    assert response.status == 400
    assert response.headers["x-amzn-ErrorType"] == "ClusterNotFoundException"
    assert parsed["Error"] == {"Code": "ClusterNotFoundException", "Message": "Cluster not found."}
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-1"


def test_query_error_envelope_takes_the_status_of_the_error_code() -> None:
    error = ServiceError("NoSuchEntity", "The role with name bgkit cannot be found.")
    response = serialize_error(service_model("iam"), error, "rid-2")

    parsed = _botocore_reads("iam", response, "GetRole")
    assert response.status == 404
    assert parsed["Error"]["Code"] == "NoSuchEntity"
    assert parsed["Error"]["Message"] == "The role with name bgkit cannot be found."
    assert parsed["Error"]["Type"] == "Sender"
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-2"


def test_ec2_error_envelope_carries_code_message_and_status() -> None:
    error = ServiceError("InvalidGroup.NotFound", "The security group 'sg-1' does not exist")
    response = serialize_error(service_model("ec2"), error, "rid-3")

    parsed = _botocore_reads("ec2", response, "DescribeSecurityGroups")
    assert response.status == 400
    assert parsed["Error"]["Code"] == "InvalidGroup.NotFound"
    assert parsed["Error"]["Message"] == "The security group 'sg-1' does not exist"
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-3"


def test_internal_failure_is_a_receiver_fault_with_status_500() -> None:
    error = ServiceError("InternalFailure", "bgkit bug", status=500, sender_fault=False)
    response = serialize_error(service_model("elbv2"), error, "rid-4")

    parsed = _botocore_reads("elbv2", response, "DescribeLoadBalancers")
    assert response.status == 500
    assert parsed["Error"]["Type"] == "Receiver"
    assert parsed["Error"]["Code"] == "InternalFailure"


@pytest.mark.parametrize(
    ("service", "code", "status"),
    [
        ("iam", "NoSuchEntityException", 404),  # by shape name
        ("elbv2", "LoadBalancerNotFound", 400),  # by error.code trait
        ("ecs", "ServerException", 500),  # a fault
        ("ecs", "NotAnErrorOfEcs", 400),
    ],
)
def test_error_status_comes_from_the_model(service: str, code: str, status: int) -> None:
    response = serialize_error(service_model(service), ServiceError(code, "m"), "rid")
    assert response.status == status


def test_unsigned_json_request_gets_the_json_envelope() -> None:
    # Before the service is known: the envelope of the protocol the request looks like.
    error = ServiceError(
        "MissingAuthenticationTokenException", "Missing Authentication Token", status=403
    )
    request = _json_request("ecs", "ListClusters", {})
    response = serialize_error_without_service(request, error, "rid-5")

    parsed = _botocore_reads("ecs", response, "ListClusters")
    assert response.status == 403
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-RequestId"] == "rid-5"
    assert parsed["Error"] == {
        "Code": "MissingAuthenticationTokenException",
        "Message": "Missing Authentication Token",
    }


def test_unsigned_form_request_gets_the_query_envelope_without_a_namespace() -> None:
    error = ServiceError(
        "MissingAuthenticationToken", "Request is missing Authentication Token", status=403
    )
    request = _form_request({"Action": "ListRoles", "Version": "2010-05-08"})
    response = serialize_error_without_service(request, error, "rid-6")

    parsed = _botocore_reads("iam", response, "ListRoles")
    assert response.status == 403
    assert response.headers["Content-Type"] == "text/xml"
    assert b"<ErrorResponse><Error><Type>Sender</Type>" in response.body
    assert parsed["Error"]["Code"] == "MissingAuthenticationToken"
    assert parsed["Error"]["Message"] == "Request is missing Authentication Token"
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-6"


@pytest.mark.parametrize(
    ("service", "code"),
    [("ecs", "UnknownOperationException"), ("iam", "InvalidAction"), ("ec2", "InvalidAction")],
)
def test_unknown_operation_code_is_the_protocols(service: str, code: str) -> None:
    assert unknown_operation_code(service_model(service)) == code


# --- refusals ----------------------------------------------------------------------------------


def test_json_unknown_operation_is_refused() -> None:
    with pytest.raises(UnknownOperationError) as caught:
        parse_request(service_model("ecs"), _json_request("ecs", "LaunchRocket", {}))
    assert caught.value.code == "UnknownOperationException"
    assert caught.value.operation == "LaunchRocket"


def test_json_target_of_another_service_is_refused() -> None:
    request = _json_request("ecs", "ListClusters", {})
    request.headers["x-amz-target"] = "CodeDeploy_20141006.ListApplications"
    with pytest.raises(ServiceError) as caught:
        parse_request(service_model("ecs"), request)
    assert caught.value.code == "UnknownOperationException"


@pytest.mark.parametrize("service", ["iam", "ec2"])
def test_query_unknown_action_is_refused(service: str) -> None:
    request = _form_request({"Action": "LaunchRocket", "Version": "2010-05-08"})
    with pytest.raises(UnknownOperationError) as caught:
        parse_request(service_model(service), request)
    assert caught.value.code == "InvalidAction"


def test_query_missing_action_is_refused() -> None:
    with pytest.raises(ServiceError) as caught:
        parse_request(service_model("iam"), _form_request({"Version": "2010-05-08"}))
    assert caught.value.code == "MissingAction"


def test_json_body_that_is_not_json_is_refused() -> None:
    with pytest.raises(ServiceError) as caught:
        parse_request(service_model("ecs"), _json_request("ecs", "ListClusters", "{not json"))
    assert caught.value.code == "SerializationException"


@pytest.mark.parametrize(
    ("service", "request_", "code", "parameter"),
    [
        ("ecs", _json_request("ecs", "ListClusters", {"maxResults": "abc"}),
         "SerializationException", "maxResults"),
        ("iam", _form_request({"Action": "ListRoles", "MaxItems": "abc"}),
         "ValidationError", "MaxItems"),
        ("ec2", _form_request({"Action": "DescribeInstances", "MaxResults": "abc"}),
         "InvalidParameterValue", "MaxResults"),
        ("ec2", _form_request({"Action": "DescribeInstances", "DryRun": "maybe"}),
         "InvalidParameterValue", "DryRun"),
    ],
)  # fmt: skip
def test_value_of_the_wrong_type_is_refused_naming_the_parameter(
    service: str, request_: HttpRequest, code: str, parameter: str
) -> None:
    with pytest.raises(ServiceError) as caught:
        parse_request(service_model(service), request_)
    assert caught.value.code == code
    assert parameter in caught.value.message


# --- what parsing accepts ----------------------------------------------------------------------


def test_json_empty_body_is_no_params() -> None:
    operation, params = parse_request(
        service_model("ecs"), _json_request("ecs", "ListClusters", b"")
    )
    assert (operation.name, params) == ("ListClusters", {})


def test_json_timestamps_may_be_epoch_numbers_or_iso_text() -> None:
    body = {"createTimeRange": {"start": 1700000000.5, "end": "2024-01-02T03:04:05Z"}}
    _, params = parse_request(
        service_model("codedeploy"), _json_request("codedeploy", "ListDeployments", body)
    )
    assert params["createTimeRange"] == {
        "start": datetime.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC),
        "end": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    }


def test_params_absent_from_the_input_shape_are_ignored() -> None:
    _, json_params = parse_request(
        service_model("ecs"), _json_request("ecs", "ListClusters", {"maxResults": 5, "bogus": 1})
    )
    _, query_params = parse_request(
        service_model("iam"), _form_request({"Action": "GetRole", "RoleName": "r", "Bogus": "1"})
    )
    assert json_params == {"maxResults": 5}
    assert query_params == {"RoleName": "r"}


def test_query_params_may_come_in_the_query_string() -> None:
    fields = {"Action": "ListRoles", "PathPrefix": "/bgkit/", "MaxItems": "10"}
    operation, params = parse_request(service_model("iam"), _form_request(fields, in_query=True))
    assert (operation.name, params) == ("ListRoles", {"PathPrefix": "/bgkit/", "MaxItems": 10})


def test_gzip_body_is_read() -> None:
    request = _form_request({"Action": "GetRole", "RoleName": "r"})
    request.body = gzip.compress(request.body)
    request.headers["content-encoding"] = "gzip"
    _, params = parse_request(service_model("iam"), request)
    assert params == {"RoleName": "r"}


# --- what serialising accepts ------------------------------------------------------------------


def test_results_may_use_xform_names_epoch_seconds_and_none() -> None:
    result = {
        "role": {
            "path": "/",
            "role_name": "bgkit-codedeploy",
            "RoleId": "AROA1",
            "arn": "arn:aws:iam::000000000000:role/bgkit-codedeploy",
            "create_date": 1700000000,
            "description": None,
        }
    }
    response = serialize_result(service_model("iam").operation_model("GetRole"), result, "rid")

    role = _botocore_reads("iam", response, "GetRole")["Role"]
    assert role["RoleName"] == "bgkit-codedeploy"
    assert role["RoleId"] == "AROA1"
    assert role["CreateDate"] == datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert "Description" not in role
    assert b"<Description" not in response.body


def test_json_result_headers_and_epoch_timestamps() -> None:
    created = datetime.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)
    result = {"deploymentInfo": {"deploymentId": "d-1", "createTime": created}}
    operation = service_model("codedeploy").operation_model("GetDeployment")
    response = serialize_result(operation, result, "rid-9")

    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-RequestId"] == "rid-9"
    assert json.loads(response.body) == {
        "deploymentInfo": {"deploymentId": "d-1", "createTime": 1704164645.25}
    }


def test_empty_result_of_an_operation_without_output() -> None:
    operation = service_model("iam").operation_model("DeleteRole")
    response = serialize_result(operation, None, "rid")
    parsed = _botocore_reads("iam", response, "DeleteRole")
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"


# --- boto3 itself, through the protocol layer, without sockets ---------------------------------


def _boto3_client(service: str, answer: Any) -> Any:
    """A real boto3 client whose requests ``answer(operation, params)`` handles in-process."""
    import boto3

    client = boto3.session.Session().client(
        service,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return answer_in_process(client, answer)


def test_boto3_json_client_reads_results_and_raises_modeled_errors() -> None:
    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "DescribeClusters":
            raise ServiceError("ClusterNotFoundException", f"{params['clusters'][0]} not found")
        return {"cluster_arns": ["arn:aws:ecs:us-east-1:000000000000:cluster/bgkit"]}

    ecs = _boto3_client("ecs", answer)
    assert ecs.list_clusters(maxResults=5)["clusterArns"] == [
        "arn:aws:ecs:us-east-1:000000000000:cluster/bgkit"
    ]
    with pytest.raises(ecs.exceptions.ClusterNotFoundException, match="nope not found"):
        ecs.describe_clusters(clusters=["nope"])


def test_boto3_query_client_raises_the_modeled_exception_of_the_error_code() -> None:
    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise ServiceError(
            "NoSuchEntity", f"The role with name {params['RoleName']} cannot be found."
        )

    iam = _boto3_client("iam", answer)
    with pytest.raises(iam.exceptions.NoSuchEntityException) as caught:
        iam.get_role(RoleName="bgkit-codedeploy")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_boto3_ec2_client_sends_filters_and_reads_item_lists() -> None:
    seen: dict[str, Any] = {}

    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        seen.update(params)
        return {"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "IsDefault": True}]}

    ec2 = _boto3_client("ec2", answer)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:bgkit", "Values": ["a", "b"]}])["Vpcs"]
    assert seen == {"Filters": [{"Name": "tag:bgkit", "Values": ["a", "b"]}]}
    assert vpcs == [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "IsDefault": True}]

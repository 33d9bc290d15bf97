"""One service, several protocols: each request is read and answered in the protocol it came in.

CloudWatch's model lists ``smithy-rpc-v2-cbor``, ``json`` and ``query`` (boto3 1.44 resolves
``json``; other SDKs and the AWS CLI may pick another); CodeDeploy's and CodePipeline's list
``smithy-rpc-v2-cbor`` and ``json``. Clients here are real botocore clients whose model offers one
protocol (:func:`.roundtrip.speaking`), so their requests are what a client that picked it sends.
CloudWatch is query-compatible (``awsQueryCompatible``): its errors keep their query codes in every
protocol (AWS's compliance cases ``QueryCompatibleAwsJson10CustomCodeError`` and
``QueryCompatibleRpcV2CborCustomCodeError``), and so do its validation errors (``ValidationError``,
as CloudFormation and Terraform report CloudWatch's refusals).
"""

from __future__ import annotations

import datetime
import functools
import http.client
from collections.abc import Callable
from typing import Any

import boto3
import botocore.exceptions
import cbor2
import pytest
from botocore.config import Config

from bgkit.errors import ServiceError
from bgkit.local.api.protocol import (
    HttpRequest,
    parse_request,
    request_protocol,
    serialize_error,
)
from bgkit.local.server import LocalCloud

from .roundtrip import (
    answer_in_process,
    botocore_request,
    served_protocols,
    service_model,
    speaking,
)

CBOR = "smithy-rpc-v2-cbor"
CLOUDWATCH = ("smithy-rpc-v2-cbor", "json", "query")
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


@functools.cache
def _boto3_session(service: str, protocol: str) -> boto3.session.Session:
    return boto3.session.Session(botocore_session=speaking(service, protocol))


def _client(service: str, protocol: str, endpoint: str, **config: Any) -> Any:
    return _boto3_session(service, protocol).client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint,
        config=Config(retries={"max_attempts": 1}, **config),
        **CREDENTIALS,
    )


def _in_process(service: str, protocol: str, answer: Callable[..., Any], **config: Any) -> Any:
    """A client speaking ``protocol`` answered in this process as the gateway answers it."""
    return answer_in_process(_client(service, protocol, "http://127.0.0.1:1", **config), answer)


# --- which protocol a request speaks -----------------------------------------------------------


@pytest.mark.parametrize("protocol", CLOUDWATCH)
def test_the_protocol_is_read_from_the_request(protocol: str) -> None:
    operation = service_model("cloudwatch", protocol).operation_model("ListMetrics")
    request = botocore_request(operation, {"Namespace": "AWS/ApplicationELB"})

    assert served_protocols("cloudwatch") == CLOUDWATCH
    assert request_protocol(service_model("cloudwatch"), request) == protocol
    parsed_operation, params = parse_request(service_model("cloudwatch"), request, protocol)
    assert (parsed_operation.name, params) == ("ListMetrics", {"Namespace": "AWS/ApplicationELB"})


def test_a_service_of_one_protocol_reads_every_request_in_it() -> None:
    request = HttpRequest(
        "POST",
        "/service/AmazonEC2ContainerServiceV20141113/operation/ListClusters",
        {},
        {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"},
        b"\xa0",
    )
    ecs = service_model("ecs")

    assert request_protocol(ecs, request) == "json"
    with pytest.raises(ServiceError) as raised:
        parse_request(ecs, request, "json")
    assert raised.value.code == "UnknownOperationException"
    response = serialize_error(ecs, raised.value, "rid", protocol="json")
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"


# --- a query-compatible service's errors and validation in each protocol -----------------------


@pytest.mark.parametrize("protocol", CLOUDWATCH)
def test_query_compatible_errors_keep_their_query_code_in_every_protocol(protocol: str) -> None:
    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise ServiceError("ResourceNotFound", f"Dashboard {params['DashboardName']} not found.")

    cloudwatch = _in_process("cloudwatch", protocol, answer)
    with pytest.raises(cloudwatch.exceptions.ResourceNotFound) as raised:
        cloudwatch.get_dashboard(DashboardName="nope")

    error = raised.value.response
    assert error["Error"]["Code"] == "ResourceNotFound"
    assert error["Error"]["Message"] == "Dashboard nope not found."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    headers = error["ResponseMetadata"]["HTTPHeaders"]
    if protocol != "query":
        assert headers["x-amzn-query-error"] == "ResourceNotFound;Sender"
    if protocol == CBOR:
        assert headers["smithy-protocol"] == "rpc-v2-cbor"


@pytest.mark.parametrize("protocol", CLOUDWATCH)
def test_query_compatible_validation_says_validation_error_in_every_protocol(
    protocol: str,
) -> None:
    cloudwatch = _in_process(
        "cloudwatch", protocol, lambda *_: pytest.fail("refused before"), parameter_validation=False
    )
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cloudwatch.put_metric_alarm(AlarmName="a", EvaluationPeriods=0, ComparisonOperator="Up")

    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"] == (
        "2 validation errors detected: Value '0' at 'evaluationPeriods' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1; Value 'Up' at "
        "'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: "
        "[GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, "
        "LessThanOrEqualToThreshold, LessThanLowerOrGreaterThanUpperThreshold, "
        "LessThanLowerThreshold, GreaterThanUpperThreshold]"
    )


@pytest.mark.parametrize("protocol", CLOUDWATCH)
def test_results_are_read_back_in_every_protocol(protocol: str) -> None:
    seen: dict[str, Any] = {}

    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        seen.update(params)
        return {"Metrics": [{"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount"}]}

    cloudwatch = _in_process("cloudwatch", protocol, answer)
    metrics = cloudwatch.list_metrics(Namespace="AWS/ApplicationELB")["Metrics"]

    assert seen == {"Namespace": "AWS/ApplicationELB"}
    assert metrics == [{"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount"}]


# --- through the endpoint: CodeDeploy, served in CBOR and JSON ---------------------------------


@pytest.mark.control_plane
def test_codedeploy_answers_each_client_in_its_protocol(cloud: LocalCloud) -> None:
    cbor = _client("codedeploy", CBOR, cloud.endpoint_url)
    json = _client("codedeploy", "json", cloud.endpoint_url)

    created = cbor.create_application(applicationName="web", computePlatform="ECS")
    read = json.get_application(applicationName="web")["application"]
    listed = cbor.list_applications()

    assert read["applicationId"] == created["applicationId"]
    assert read["computePlatform"] == "ECS"
    assert listed["applications"] == ["web"]
    assert listed["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/cbor"
    assert listed["ResponseMetadata"]["HTTPHeaders"]["smithy-protocol"] == "rpc-v2-cbor"
    with pytest.raises(cbor.exceptions.ApplicationDoesNotExistException) as raised:
        cbor.get_application(applicationName="nope")
    assert raised.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == (
        "application/cbor"
    )


@pytest.mark.control_plane
def test_codedeploy_validation_refuses_a_cbor_request_and_changes_nothing(
    cloud: LocalCloud,
) -> None:
    cbor = _client("codedeploy", CBOR, cloud.endpoint_url, parameter_validation=False)
    with pytest.raises(cbor.exceptions.ApplicationNameRequiredException):
        cbor.create_application(computePlatform="ECS")

    assert cbor.list_applications()["applications"] == []


def _post(cloud: LocalCloud, path: str, headers: dict[str, str], body: bytes) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


CBOR_HEADERS = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
SIGNED = (
    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/codedeploy/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


@pytest.mark.control_plane
def test_an_unsigned_cbor_request_is_refused_in_cbor(cloud: LocalCloud) -> None:
    status, headers, body = _post(
        cloud, "/service/CodeDeploy_20141006/operation/ListApplications", CBOR_HEADERS, b"\xa0"
    )

    assert status == 403
    assert headers["Content-Type"] == "application/cbor"
    assert cbor2.loads(body) == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Missing Authentication Token",
    }


@pytest.mark.control_plane
def test_a_cbor_request_with_x_amz_target_is_refused_in_cbor(cloud: LocalCloud) -> None:
    headers = {
        **CBOR_HEADERS,
        "Authorization": SIGNED,
        "X-Amz-Target": "CodeDeploy_20141006.DeleteApplication",
    }
    status, answer_headers, body = _post(
        cloud,
        "/service/CodeDeploy_20141006/operation/CreateApplication",
        headers,
        cbor2.dumps({"applicationName": "web"}),
    )

    assert status == 400
    assert answer_headers["smithy-protocol"] == "rpc-v2-cbor"
    assert cbor2.loads(body)["__type"] == "SerializationException"
    assert cloud.client("codedeploy").list_applications()["applications"] == []


# --- through the endpoint: CloudWatch, served in CBOR, JSON and query --------------------------


@pytest.mark.control_plane
def test_cloudwatch_answers_each_client_in_its_protocol(cloud: LocalCloud) -> None:
    clients = {
        protocol: _client("cloudwatch", protocol, cloud.endpoint_url) for protocol in CLOUDWATCH
    }
    now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
    for value, protocol in enumerate(CLOUDWATCH, start=1):
        clients[protocol].put_metric_data(
            Namespace="bgkit/protocols",
            MetricData=[{"MetricName": "Calls", "Value": float(value), "Timestamp": now,
                         "Unit": "Count", "Dimensions": [{"Name": "Via", "Value": protocol}]}],
        )  # fmt: skip

    for client in clients.values():
        listed = client.list_metrics(Namespace="bgkit/protocols")["Metrics"]
        assert sorted(m["Dimensions"][0]["Value"] for m in listed) == sorted(CLOUDWATCH)
        statistics = client.get_metric_statistics(
            Namespace="bgkit/protocols",
            MetricName="Calls",
            Dimensions=[{"Name": "Via", "Value": "query"}],
            StartTime=now - datetime.timedelta(minutes=5),
            EndTime=now + datetime.timedelta(minutes=5),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        assert [(p["Timestamp"], p["Sum"], p["Unit"]) for p in statistics] == [(now, 3.0, "Count")]
        with pytest.raises(client.exceptions.ResourceNotFound) as raised:
            client.set_alarm_state(AlarmName="nope", StateValue="ALARM", StateReason="test")
        assert raised.value.response["Error"]["Message"] == "Alarm nope not found."
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

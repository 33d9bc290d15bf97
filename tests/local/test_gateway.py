"""The endpoint: who may call it, how services and operations are found, and its errors."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlencode

import botocore.exceptions
import pytest

from bgkit.local.api.gateway import is_loopback_host

SIGNED = (
    "AWS4-HMAC-SHA256 Credential=bgkit/20261126/us-east-1/iam/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0000"
)
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
CREATE_ROLE = urlencode(
    {
        "Action": "CreateRole",
        "Version": "2010-05-08",
        "RoleName": "pwned",
        "AssumeRolePolicyDocument": json.dumps(TRUST),
    }
)


def _raw(cloud, method: str, body: str = "", headers: dict[str, str] | None = None, path="/"):
    connection = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=10)
    try:
        connection.request(method, path, body=body.encode(), headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def _role_names(client) -> list[str]:
    return [role["RoleName"] for role in client("iam").list_roles()["Roles"]]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_cross_origin_form_post_is_refused_and_changes_nothing(cloud, client):
    # What a web page can send to 127.0.0.1 without a preflight: a form POST with an Origin.
    status, _, body = _raw(
        cloud, "POST", CREATE_ROLE, {**FORM, "Origin": "http://attacker.example"}
    )
    assert status == 403
    assert "Origin" in body
    assert _role_names(client) == []


def test_cross_origin_post_with_credentials_is_still_refused(cloud, client):
    headers = {**FORM, "Origin": "http://attacker.example", "Authorization": SIGNED}
    status, _, _ = _raw(cloud, "POST", CREATE_ROLE, headers)
    assert status == 403
    assert _role_names(client) == []


def test_cors_preflight_is_never_granted(cloud):
    headers = {
        "Origin": "http://attacker.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,x-amz-target",
    }
    status, response_headers, _ = _raw(cloud, "OPTIONS", headers=headers)
    assert status == 403
    assert not any(name.lower().startswith("access-control-") for name in response_headers)


def test_foreign_host_is_refused(cloud, client):
    # DNS rebinding: a page's own name resolved to 127.0.0.1 arrives with that name as Host.
    status, _, body = _raw(
        cloud, "POST", CREATE_ROLE, {**FORM, "Authorization": SIGNED, "Host": "attacker.example"}
    )
    assert status == 403
    assert "Host" in body
    assert _role_names(client) == []


def test_signed_request_from_loopback_is_answered(cloud, client):
    status, _, body = _raw(cloud, "POST", CREATE_ROLE, {**FORM, "Authorization": SIGNED})
    assert status == 200, body
    assert _role_names(client) == ["pwned"]


def test_unsigned_query_request_gets_missing_authentication_token(cloud, client):
    status, _, body = _raw(cloud, "POST", CREATE_ROLE, FORM)
    assert status == 403
    assert "<Code>MissingAuthenticationToken</Code>" in body
    assert _role_names(client) == []


def test_unsigned_json_request_gets_missing_authentication_token_exception(cloud):
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
    }
    status, _, body = _raw(cloud, "POST", "{}", headers)
    assert status == 403
    assert json.loads(body)["__type"] == "MissingAuthenticationTokenException"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:4599", True),
        ("127.0.0.1", True),
        ("127.1.2.3:80", True),
        ("localhost:4599", True),
        ("LOCALHOST", True),
        ("[::1]:4599", True),
        ("attacker.example", False),
        ("attacker.example:4599", False),
        ("10.0.0.1:4599", False),
        ("127.0.0.1.attacker.example", False),
        ("", False),
    ],
)
def test_is_loopback_host(host, loopback):
    assert is_loopback_host(host) is loopback


def test_status_path_tells_the_endpoint(cloud):
    status, _, body = _raw(cloud, "GET", path="/_bgkit/status")
    assert status == 200
    assert json.loads(body)["endpoint"] == cloud.endpoint_url


def test_operation_not_implemented_is_named(cloud, client):
    # DiscoverPollEndpoint is an ECS operation of container agents, which Fargate has none of.
    ecs = client("ecs")
    method = "discover_poll_endpoint"
    if hasattr(type(cloud.providers.get("ecs")), method):
        pytest.skip("the ECS provider implements DiscoverPollEndpoint")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        ecs.discover_poll_endpoint()
    error = raised.value.response["Error"]
    assert error["Code"] == "UnknownOperationException"
    assert error["Message"] == "ecs:DiscoverPollEndpoint is not available in the bgkit local cloud"


def test_query_operation_not_implemented_is_named(cloud, client):
    iam = client("iam")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.create_saml_provider(SAMLMetadataDocument="x" * 1000, Name="corp")
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidAction"
    assert "iam:CreateSAMLProvider is not available in the bgkit local cloud" in error["Message"]


def test_unknown_service_is_refused_plainly(cloud):
    headers = {
        **FORM,
        "Authorization": SIGNED.replace("/iam/", "/sqs/"),
    }
    status, _, body = _raw(cloud, "POST", "Action=ListQueues", headers)
    assert status == 400
    assert "sqs" in body


def test_signing_names_come_from_the_served_services_models(cloud):
    # botocore's signingName, else endpointPrefix: ELBv2 signs as elasticloadbalancing.
    assert cloud.gateway.signing_names == {
        "iam": "iam",
        "sts": "sts",
        "ec2": "ec2",
        "elasticloadbalancing": "elbv2",
        "ecs": "ecs",
        "codedeploy": "codedeploy",
        "logs": "logs",
        "lambda": "lambda",
        "s3": "s3",
        "codepipeline": "codepipeline",
        "monitoring": "cloudwatch",
    }


def test_classic_elb_signed_as_elasticloadbalancing_is_refused_plainly(cloud):
    headers = {**FORM, "Authorization": SIGNED.replace("/iam/", "/elasticloadbalancing/")}
    body = "Action=DescribeLoadBalancers&Version=2012-06-01"
    status, response_headers, text = _raw(cloud, "POST", body, headers)
    assert status == 400
    assert response_headers["Content-Type"] == "text/plain"
    assert "'elasticloadbalancing'" in text


def test_responses_carry_the_request_ids_the_local_cloud_makes(cloud, client, monkeypatch):
    monkeypatch.setattr(cloud.gateway, "request_id", lambda: "rid-of-the-cloud")
    answered = client("iam").list_roles()
    assert answered["ResponseMetadata"]["RequestId"] == "rid-of-the-cloud"
    _, _, body = _raw(cloud, "POST", CREATE_ROLE, FORM)  # unsigned: the gateway's own refusal
    assert "<RequestId>rid-of-the-cloud</RequestId>" in body


def test_internal_failure_is_a_500_and_changes_nothing(cloud, client, monkeypatch):
    # A bug inside a provider: the call is answered as AWS's InternalFailure and rolled back.
    def broken(ctx, **params):
        ctx.records("role", global_=True).put("half-made", {"RoleName": "half-made"})
        raise RuntimeError("boom")

    monkeypatch.setattr(cloud.providers["iam"], "create_role", broken)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client("iam").create_role(RoleName="x", AssumeRolePolicyDocument=json.dumps(TRUST))
    assert raised.value.response["Error"]["Code"] == "InternalFailure"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert cloud.store.get("123456789012/global", "role", "half-made") is None

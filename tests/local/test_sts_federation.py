"""STS's unsigned operations, AssumeRoleWithWebIdentity and AssumeRoleWithSAML, through an
unsigned boto3 client, on the wire, and the AWS CLI's ``aws sts assume-role``.

Both are unsigned in botocore's model (``authtype: none``): the token is the only credential,
and the local cloud — no identity provider registered in its IAM, none reachable — answers each
token as AWS answers one it cannot verify. Sources: botocore's STS model (the error shapes
``InvalidIdentityTokenException``, code ``InvalidIdentityToken``, 400, and
``IDPCommunicationErrorException``); AWS's answer "No OpenIDConnect provider found in your
account for <issuer>" quoted with its XML in mozilla-iam/mozilla-aws-cli#127; the IAM User
Guide, *Troubleshoot SAML federation with IAM* ("Response signature invalid", error code
InvalidIdentityToken); the AWS CLI's ``sts assume-role`` reference.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from test_s3_cli import aws  # noqa: F401  (the AWS CLI fixture)

pytestmark = pytest.mark.control_plane

ROLE = "arn:aws:iam::123456789012:role/web"


@pytest.fixture
def unsigned(cloud) -> Any:
    return boto3.client("sts", endpoint_url=cloud.endpoint_url, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED))  # fmt: skip


def jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'k1'})}.{part(claims)}.c2lnbmF0dXJl"


def refusal(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return (response["Error"]["Code"], response["Error"]["Message"],
            response["ResponseMetadata"]["HTTPStatusCode"])  # fmt: skip


def test_a_web_identity_token_that_is_not_a_jwt(unsigned):
    assert refusal(unsigned.assume_role_with_web_identity, RoleArn=ROLE, RoleSessionName="app",
                   WebIdentityToken="an-opaque-access-token") == (
        "InvalidIdentityToken",
        "The ID Token provided is not a valid JWT. (You may see this error if you sent an "
        "Access Token)",
        400,
    )  # fmt: skip


def test_a_jwt_of_an_issuer_without_an_oidc_provider_in_the_account(unsigned):
    token = jwt({"iss": "https://token.actions.githubusercontent.com", "sub": "repo:x/y",
                 "aud": "sts.amazonaws.com", "exp": 4102444800})  # fmt: skip
    code, message, status = refusal(unsigned.assume_role_with_web_identity, RoleArn=ROLE,
                                    RoleSessionName="app", WebIdentityToken=token)  # fmt: skip
    assert (code, status) == ("InvalidIdentityToken", 400)
    assert message == (
        "No OpenIDConnect provider found in your account for "
        "https://token.actions.githubusercontent.com"
    )


def test_an_oauth_token_of_a_provider_the_local_cloud_cannot_reach(unsigned):
    code, _, status = refusal(unsigned.assume_role_with_web_identity, RoleArn=ROLE,
                              RoleSessionName="app", WebIdentityToken="Atza|token",
                              ProviderId="www.amazon.com")  # fmt: skip
    assert (code, status) == ("IDPCommunicationError", 400)


def test_web_identity_members_are_checked_first(unsigned):
    assert refusal(unsigned.assume_role_with_web_identity, RoleArn="arn:aws:iam::123:user/x",
                   RoleSessionName="app", WebIdentityToken="t" * 8)[:2] == (
        "ValidationError", "Request ARN is invalid",
    )  # fmt: skip
    code, message, _ = refusal(unsigned.assume_role_with_web_identity, RoleArn=ROLE,
                               RoleSessionName="a b", WebIdentityToken="t" * 8)  # fmt: skip
    assert code == "ValidationError" and "roleSessionName" in message


def test_saml_assertions(unsigned):
    provider = "arn:aws:iam::123456789012:saml-provider/corp"
    assertion = base64.b64encode(b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:"
                                 b"protocol'/>").decode()  # fmt: skip
    assert refusal(unsigned.assume_role_with_saml, RoleArn=ROLE, PrincipalArn=provider,
                   SAMLAssertion=assertion) == (
        "InvalidIdentityToken", "Response signature invalid", 400,
    )  # fmt: skip
    assert refusal(unsigned.assume_role_with_saml, RoleArn=ROLE, PrincipalArn=provider,
                   SAMLAssertion="not base64 at all!")[:2] == (
        "InvalidIdentityToken", "Invalid base64 SAMLResponse",
    )  # fmt: skip
    assert refusal(
        unsigned.assume_role_with_saml, RoleArn=ROLE, PrincipalArn=ROLE, SAMLAssertion=assertion
    )[:2] == ("ValidationError", "Request ARN is invalid")


def test_on_the_wire_unsigned_is_answered_and_other_unsigned_requests_are_not(cloud):
    def post(form: dict[str, str]) -> tuple[int, str]:
        request = urllib.request.Request(
            cloud.endpoint_url + "/", data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    status, body = post({"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                         "RoleArn": ROLE, "RoleSessionName": "app",
                         "WebIdentityToken": "opaque-token"})  # fmt: skip
    assert status == 400
    assert "<Code>InvalidIdentityToken</Code>" in body and "<Type>Sender</Type>" in body
    # a signed operation is still refused without a signature
    status, body = post({"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    assert status == 403 and "MissingAuthenticationToken" in body


def test_the_aws_cli_assumes_a_role(aws, cloud):  # noqa: F811
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}  # fmt: skip
    trust = {"Version": "2012-10-17", "Statement": [statement]}
    cloud.client("iam").create_role(RoleName="cli", AssumeRolePolicyDocument=json.dumps(trust))

    done = aws("sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:role/cli",
               "--role-session-name", "from-cli", "--output", "json")  # fmt: skip

    credentials = json.loads(done.stdout)["Credentials"]
    identity = boto3.client(
        "sts", endpoint_url=cloud.endpoint_url, region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    ).get_caller_identity()  # fmt: skip
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/cli/from-cli"

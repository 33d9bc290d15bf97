"""STS's AssumeRole and GetSessionToken through real boto3 clients, and requests signed with the
temporary credentials they hand out.

Sources: the STS API reference (*AssumeRole*: DurationSeconds up to the role's
MaxSessionDuration, an hour when role chaining, the ``assumed-role/<role>/<session>`` ARN and
``AROA…:<session>`` id; *GetSessionToken*: no permission needed, an hour at most for the
account, refused with session credentials; *GetCallerIdentity*); the IAM User Guide (*How to use
trust policies with IAM roles*, *Passing session tags in AWS STS*: ``sts:TagSession`` in the
trust policy, ``aws:PrincipalTag`` from session tags; *Available keys for AWS STS*:
``sts:ExternalId``); the ValidationError wordings quoted in kreuzwerker/awsu#27 (the
MaxSessionDuration one) and oktadev/okta-aws-cli-assume-role#307 ("Request ARN is invalid").
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from bgkit.local.server import LocalCloud
from tests.local.iam_callers import allow, document, make_user

pytestmark = pytest.mark.control_plane

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def trust(principal: Any, *actions: str, **condition: Any) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": list(actions) or ["sts:AssumeRole"],
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def make_role(cloud: LocalCloud, name: str, trusted: str, *statements: Any, **extra: Any) -> str:
    iam = cloud.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusted, **extra)["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=document(*statements))
    return arn


def signed_with(cloud: LocalCloud, credentials: dict[str, Any]) -> Any:
    """A maker of boto3 clients signed with temporary ``credentials``."""

    def client(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=cloud.endpoint_url, region_name="us-east-1",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )  # fmt: skip

    return client


def error_of(call: Any, **params: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]


def test_assume_role_answers_temporary_credentials_and_the_assumed_role_user(cloud):
    arn = make_role(cloud, "deployer", trust(ROOT))
    role_id = cloud.client("iam").get_role(RoleName="deployer")["Role"]["RoleId"]

    answer = cloud.client("sts").assume_role(RoleArn=arn, RoleSessionName="alice@example.com")

    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40 and credentials["SessionToken"]
    lasts = credentials["Expiration"].timestamp() - time.time()
    assert 3500 < lasts <= 3600  # the default hour
    assert answer["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role_id}:alice@example.com",
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/alice@example.com",
    }
    identity = signed_with(cloud, credentials)("sts").get_caller_identity()
    assert (identity["UserId"], identity["Arn"], identity["Account"]) == (
        f"{role_id}:alice@example.com", answer["AssumedRoleUser"]["Arn"], ACCOUNT,
    )  # fmt: skip


@pytest.mark.parametrize("principal", [ACCOUNT, ROOT, "*"])
def test_the_account_by_id_root_arn_or_anyone_is_trusted(cloud, principal):
    arn = make_role(cloud, "r", trust(principal))
    assert cloud.client("sts").assume_role(RoleArn=arn, RoleSessionName="s0")["Credentials"]


def test_a_role_whose_trust_policy_does_not_trust_the_caller_is_refused(cloud):
    service_only = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})  # fmt: skip
    arn = make_role(cloud, "task-role", service_only)
    sts = cloud.client("sts")

    for role_arn in (arn, f"arn:aws:iam::{ACCOUNT}:role/no-such-role"):
        error = error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="s0")
        assert error["Code"] == "AccessDenied"
        # the same answer for a role that does not exist: STS does not tell
        assert error["Message"] == (
            f"User: {ROOT} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        )


def test_an_explicit_deny_in_the_trust_policy_wins(cloud):
    denied = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})  # fmt: skip
    arn = make_role(cloud, "r", denied)
    error = error_of(cloud.client("sts").assume_role, RoleArn=arn, RoleSessionName="s0")
    assert error["Code"] == "AccessDenied"


def test_external_id_condition(cloud):
    arn = make_role(cloud, "partner", trust(ROOT, StringEquals={"sts:ExternalId": "Unicorn-42"}))
    sts = cloud.client("sts")

    assert error_of(sts.assume_role, RoleArn=arn, RoleSessionName="s0")["Code"] == "AccessDenied"
    wrong = error_of(sts.assume_role, RoleArn=arn, RoleSessionName="s0", ExternalId="Unicorn-41")
    assert wrong["Code"] == "AccessDenied"
    assert sts.assume_role(RoleArn=arn, RoleSessionName="s0", ExternalId="Unicorn-42")


def test_duration_within_the_roles_max_session_duration(cloud):
    short = make_role(cloud, "short", trust(ROOT))
    long = make_role(cloud, "long", trust(ROOT), MaxSessionDuration=43200)
    sts = cloud.client("sts")

    error = error_of(sts.assume_role, RoleArn=short, RoleSessionName="s0", DurationSeconds=3601)
    assert error == {
        "Type": "Sender",
        "Code": "ValidationError",
        "Message": "The requested DurationSeconds exceeds the MaxSessionDuration set for this "
        "role.",
    }
    made = sts.assume_role(RoleArn=long, RoleSessionName="s0", DurationSeconds=43200)
    lasts = made["Credentials"]["Expiration"].timestamp() - time.time()
    assert 43100 < lasts <= 43200


def test_role_chaining_is_capped_at_an_hour(cloud):
    first = make_role(cloud, "first", trust(ROOT), allow("sts:AssumeRole"))
    second = make_role(cloud, "second", trust(first), MaxSessionDuration=7200)
    made = cloud.client("sts").assume_role(RoleArn=first, RoleSessionName="one")
    chained = signed_with(cloud, made["Credentials"])("sts")

    error = error_of(chained.assume_role, RoleArn=second, RoleSessionName="two",
                     DurationSeconds=3601)  # fmt: skip
    assert error["Message"] == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining."
    )
    again = chained.assume_role(RoleArn=second, RoleSessionName="two")
    assert again["AssumedRoleUser"]["Arn"].endswith(":assumed-role/second/two")


@pytest.mark.parametrize("name", ["has space", "semi;colon", "slash/es"])
def test_session_names_outside_the_pattern_are_refused(cloud, name):
    arn = make_role(cloud, "r", trust(ROOT))
    error = error_of(cloud.client("sts").assume_role, RoleArn=arn, RoleSessionName=name)
    assert error["Code"] == "ValidationError"
    assert error["Message"] == (
        f"1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
    )


def test_a_role_arn_that_is_not_one_is_invalid(cloud):
    error = error_of(cloud.client("sts").assume_role,
                     RoleArn="arn:aws:s3:::not-a-role-at-all", RoleSessionName="s0")  # fmt: skip
    assert (error["Code"], error["Message"]) == ("ValidationError", "Request ARN is invalid")


def test_a_user_needs_its_own_permission_and_the_trust_of_the_role(cloud):
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    arn = make_role(cloud, "deployer", trust(user_arn), allow("ecs:ListClusters"))
    other = make_role(cloud, "other", trust(user_arn))
    alice = make_user(cloud, "alice", allow("sts:AssumeRole", arn))
    bob = make_user(cloud, "bob", allow("sts:AssumeRole"))

    made = alice("sts").assume_role(RoleArn=arn, RoleSessionName="alice")
    assert made["AssumedRoleUser"]["Arn"].endswith(":assumed-role/deployer/alice")
    # alice's policy allows this one role only: decided on the role's ARN
    refused = error_of(alice("sts").assume_role, RoleArn=other, RoleSessionName="alice")
    assert refused["Message"].startswith(
        f"User: {user_arn} is not authorized to perform: sts:AssumeRole on resource: {other}"
    )
    # bob may assume roles, but the trust policy names alice only
    denied = error_of(bob("sts").assume_role, RoleArn=arn, RoleSessionName="bob")
    assert denied["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: sts:AssumeRole "
        f"on resource: {arn}"
    )


def test_requests_signed_with_the_credentials_are_the_roles(cloud):
    arn = make_role(cloud, "reader", trust(ROOT), allow("iam:ListRoles"))
    made = cloud.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1")
    iam = signed_with(cloud, made["Credentials"])("iam")

    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["reader"]
    error = error_of(iam.create_role, RoleName="x", AssumeRolePolicyDocument=trust(ROOT))
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/s1 is not authorized to perform: "
        f"iam:CreateRole on resource: arn:aws:iam::{ACCOUNT}:role/x because no "
        "identity-based policy allows the iam:CreateRole action"
    )
    assert "x" not in [r["RoleName"] for r in cloud.client("iam").list_roles()["Roles"]]


def test_session_tags_need_tag_session_and_become_principal_tags(cloud):
    tagged = allow("iam:ListRoles", "*", StringEquals={"aws:PrincipalTag/team": "blue"})
    arn = make_role(cloud, "tagged", trust(ROOT, "sts:AssumeRole", "sts:TagSession"), tagged)
    untaggable = make_role(cloud, "plain", trust(ROOT))
    sts = cloud.client("sts")

    blue = sts.assume_role(RoleArn=arn, RoleSessionName="s0",
                           Tags=[{"Key": "team", "Value": "blue"}])  # fmt: skip
    green = sts.assume_role(RoleArn=arn, RoleSessionName="s0",
                            Tags=[{"Key": "team", "Value": "green"}])  # fmt: skip
    assert signed_with(cloud, blue["Credentials"])("iam").list_roles()["Roles"]
    error = error_of(signed_with(cloud, green["Credentials"])("iam").list_roles)
    assert error["Code"] == "AccessDenied"
    refused = error_of(sts.assume_role, RoleArn=untaggable, RoleSessionName="s0",
                       Tags=[{"Key": "team", "Value": "blue"}])  # fmt: skip
    assert refused["Message"] == (
        f"User: {ROOT} is not authorized to perform: sts:TagSession on resource: {untaggable}"
    )


def test_session_policies_cap_what_the_role_allows(cloud):
    # IAM User Guide, *Session policies*: "The resulting session's permissions are the
    # intersection of the role's identity-based policy and the session policies"
    arn = make_role(cloud, "broad", trust(ROOT), allow(["iam:ListRoles", "iam:ListUsers"]))
    sts = cloud.client("sts")
    made = sts.assume_role(RoleArn=arn, RoleSessionName="narrow",
                           Policy=document(allow("iam:ListRoles")))  # fmt: skip
    iam = signed_with(cloud, made["Credentials"])("iam")

    assert iam.list_roles()["Roles"]
    error = error_of(iam.list_users)
    assert error["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/broad/narrow is not authorized to perform: "
        "iam:ListUsers on resource: * because no session policy allows the iam:ListUsers action"
    )
    # a session policy grants nothing the role does not
    wide = sts.assume_role(RoleArn=arn, RoleSessionName="wide",
                           Policy=document(allow("iam:*")))  # fmt: skip
    refused = error_of(signed_with(cloud, wide["Credentials"])("iam").get_role, RoleName="broad")
    assert "because no identity-based policy allows" in refused["Message"]
    malformed = error_of(sts.assume_role, RoleArn=arn, RoleSessionName="bad", Policy="{not json")
    assert malformed["Code"] == "MalformedPolicyDocument"


def test_get_session_token_of_the_account_lasts_an_hour_at_most(cloud):
    sts = cloud.client("sts")
    made = sts.get_session_token(DurationSeconds=129600)["Credentials"]
    assert made["AccessKeyId"].startswith("ASIA")
    assert 3500 < made["Expiration"].timestamp() - time.time() <= 3600
    identity = signed_with(cloud, made)("sts").get_caller_identity()
    assert identity["Arn"] == ROOT

    again = error_of(signed_with(cloud, made)("sts").get_session_token)
    assert (again["Code"], again["Message"]) == (
        "AccessDenied", "Cannot call GetSessionToken with session credentials",
    )  # fmt: skip


def test_get_session_token_of_a_user_is_the_users(cloud):
    alice = make_user(cloud, "alice", allow("iam:GetUser"))  # no sts permission needed
    made = alice("sts").get_session_token()["Credentials"]
    assert 43100 < made["Expiration"].timestamp() - time.time() <= 43200  # 12 h by default
    identity = signed_with(cloud, made)("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert identity["UserId"].startswith("AIDA")
    # decided as alice's (not IAM here: AWS refuses IAM calls without MFA to these credentials)
    error = error_of(signed_with(cloud, made)("ecs").list_clusters)
    assert error["Message"].startswith(f"User: arn:aws:iam::{ACCOUNT}:user/alice is not")


def test_get_caller_identity_of_a_user(cloud):
    alice = make_user(cloud, "alice")
    identity = alice("sts").get_caller_identity()
    user = cloud.client("iam").get_user(UserName="alice")["User"]
    assert (identity["Arn"], identity["UserId"]) == (user["Arn"], user["UserId"])


def test_expired_credentials_are_refused(tmp_path):
    with LocalCloud(tmp_path / "state", port=0, clock=3600.0, dataplane=False) as fast:
        arn = make_role(fast, "r", trust(ROOT), allow("iam:ListRoles"))
        made = fast.client("sts").assume_role(RoleArn=arn, RoleSessionName="s0",
                                              DurationSeconds=900)  # fmt: skip
        time.sleep(0.5)  # 30 local minutes
        error = error_of(signed_with(fast, made["Credentials"])("iam").list_roles)
        assert (error["Code"], error["Message"]) == (
            "ExpiredToken", "The security token included in the request is expired",
        )  # fmt: skip


def test_other_sts_refusals_leave_no_credentials_behind(cloud):
    # every refusal comes before credentials are made: the next ones drawn are the first ones
    arn = make_role(cloud, "r", trust(ROOT))
    sts = cloud.client("sts")
    for params in (
        {"RoleArn": arn, "RoleSessionName": "bad name"},
        {"RoleArn": arn, "RoleSessionName": "s0", "DurationSeconds": 7200},
    ):
        error_of(sts.assume_role, **params)
    assert cloud.store.list(f"{ACCOUNT}/global", "session") == []

"""IAM users for facilitators, their access keys and policies, and managed policy versions,
through real boto3 clients; and the policy documents IAM refuses (issue 21).

Shapes and quotas are botocore's IAM model and the IAM User Guide's *IAM and AWS STS quotas*
(10 managed policies a user, 2 access keys a user, 5 versions a managed policy, 2,048 characters
of inline policy a user). The document refusals answer in IAM's words, as an independent
implementation's tests recorded them against AWS (moto's ``test_iam_policies.py``).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from iam_callers import allow, document, make_user, managed

pytestmark = pytest.mark.control_plane

ACCOUNT = "123456789012"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def iam(cloud):
    return cloud.client("iam")


# --- users ------------------------------------------------------------------------------------


def test_create_user_returns_the_user(iam):
    user = iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert user["UserId"].startswith("AIDA") and user["Path"] == "/"
    assert user["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert iam.get_user(UserName="alice")["User"]["UserId"] == user["UserId"]
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]
    assert "Tags" not in iam.list_users()["Users"][0]


def test_create_user_twice_is_entity_already_exists(iam):
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as excinfo:
        iam.create_user(UserName="ALICE")
    assert error_of(excinfo) == ("EntityAlreadyExists", "User with name ALICE already exists.")


def test_get_user_of_nobody_is_no_such_entity(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.get_user(UserName="nobody")
    assert error_of(excinfo) == ("NoSuchEntity", "The user with name nobody cannot be found.")


def test_get_user_without_a_name_is_the_calling_user(cloud):
    user = make_user(cloud, "alice", allow("iam:GetUser"))
    assert user("iam").get_user()["User"]["UserName"] == "alice"


def test_delete_user_refuses_while_it_has_keys_or_policies(iam):
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    policy = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
    iam.attach_user_policy(UserName="alice", PolicyArn=policy)
    iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=document(allow("s3:*")))
    for undo, message in (
        (lambda: iam.delete_access_key(UserName="alice", AccessKeyId=key),
         "Cannot delete entity, must delete access keys first."),
        (lambda: iam.delete_user_policy(UserName="alice", PolicyName="p"),
         "Cannot delete entity, must delete policies first."),
        (lambda: iam.detach_user_policy(UserName="alice", PolicyArn=policy),
         "Cannot delete entity, must detach all policies first."),
    ):  # fmt: skip
        with pytest.raises(ClientError) as excinfo:
            iam.delete_user(UserName="alice")
        assert error_of(excinfo) == ("DeleteConflict", message)
        undo()
    iam.delete_user(UserName="alice")
    assert iam.list_users()["Users"] == []


def test_a_users_policies(iam):
    iam.create_user(UserName="alice")
    policy = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
    iam.attach_user_policy(UserName="alice", PolicyArn=policy)
    attached = iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSCodeDeployRoleForECSLimited", "PolicyArn": policy}]
    text = document(allow("s3:GetObject"))
    iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=text)
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["read"]
    got = iam.get_user_policy(UserName="alice", PolicyName="read")
    assert got["PolicyDocument"] == json.loads(text)
    with pytest.raises(ClientError) as excinfo:
        iam.get_user_policy(UserName="alice", PolicyName="nope")
    assert error_of(excinfo) == ("NoSuchEntity", "The user policy with name nope cannot be found.")


def test_a_users_inline_policies_are_at_most_2048_characters(iam):
    iam.create_user(UserName="alice")
    big = document(allow([f"s3:Get{'x' * 40}{n}" for n in range(60)]))
    with pytest.raises(ClientError) as excinfo:
        iam.put_user_policy(UserName="alice", PolicyName="big", PolicyDocument=big)
    assert error_of(excinfo)[0] == "LimitExceeded"
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []


def test_a_users_boundary(iam):
    boundary = iam.create_policy(PolicyName="b", PolicyDocument=document(allow("s3:*")))
    arn = boundary["Policy"]["Arn"]
    user = iam.create_user(UserName="alice", PermissionsBoundary=arn)["User"]
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn
    iam.delete_user_permissions_boundary(UserName="alice")
    assert "PermissionsBoundary" not in iam.get_user(UserName="alice")["User"]
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=arn)
    assert iam.get_user(UserName="alice")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"]


def test_tag_untag_and_list_user_tags(iam):
    iam.create_user(UserName="alice")
    iam.tag_user(UserName="alice", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_user(UserName="alice", TagKeys=["A"])
    assert iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "b", "Value": "2"}]


# --- access keys ------------------------------------------------------------------------------


def test_create_access_key_shows_the_secret_once(iam):
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active"
    listed = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
    assert "SecretAccessKey" not in listed[0]


def test_a_user_has_two_access_keys_at_most(iam):
    iam.create_user(UserName="alice")
    iam.create_access_key(UserName="alice")
    iam.create_access_key(UserName="alice")
    with pytest.raises(ClientError) as excinfo:
        iam.create_access_key(UserName="alice")
    assert error_of(excinfo) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")


def test_a_deleted_key_signs_for_the_account_no_more(cloud, iam):
    user = make_user(cloud, "alice")
    with pytest.raises(ClientError, match="user/alice is not authorized"):
        user("iam").list_users()
    key = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["AccessKeyId"]
    iam.delete_access_key(UserName="alice", AccessKeyId=key)
    # the key is nobody's now: the local cloud takes it as any other key, the account's
    assert user("iam").list_users()["Users"][0]["UserName"] == "alice"
    with pytest.raises(ClientError) as excinfo:
        iam.delete_access_key(UserName="alice", AccessKeyId=key)
    assert error_of(excinfo)[0] == "NoSuchEntity"


# --- policy versions --------------------------------------------------------------------------


def test_policy_versions_count_up_and_one_is_the_default(cloud, iam):
    arn = managed(cloud, "m", allow("s3:GetObject"))
    made = iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("s3:*")))
    assert made["PolicyVersion"]["VersionId"] == "v2"
    assert not made["PolicyVersion"]["IsDefaultVersion"]
    listed = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed] == [
        ("v2", False), ("v1", True)
    ]  # fmt: skip
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    again = iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("ec2:*")))
    assert again["PolicyVersion"]["VersionId"] == "v3"  # ids are never reused


def test_the_default_version_cannot_be_deleted(cloud, iam):
    arn = managed(cloud, "m", allow("s3:GetObject"))
    with pytest.raises(ClientError) as excinfo:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert error_of(excinfo) == ("DeleteConflict", "Cannot delete the default version of a policy.")


def test_a_policy_has_five_versions_at_most(cloud, iam):
    arn = managed(cloud, "m", allow("s3:GetObject"))
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("s3:*")))
    with pytest.raises(ClientError) as excinfo:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("s3:*")))
    assert error_of(excinfo)[0] == "LimitExceeded"
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5


def test_an_unknown_version_is_no_such_entity(cloud, iam):
    arn = managed(cloud, "m", allow("s3:GetObject"))
    with pytest.raises(ClientError) as excinfo:
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v9")
    assert error_of(excinfo) == ("NoSuchEntity", f"Policy {arn} version v9 does not exist.")


def test_an_aws_managed_policy_gets_no_new_version(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.create_policy_version(
            PolicyArn="arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited",
            PolicyDocument=document(allow("*")),
        )
    assert error_of(excinfo)[0] == "InvalidInput"


def test_get_policy_includes_tags_even_when_there_are_none(cloud, iam):
    # issue 21: GetPolicy leaves out Tags: []; AWS sends the empty list
    arn = managed(cloud, "m", allow("s3:GetObject"))
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == []


# --- documents IAM refuses (issue 21) --------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"Version": "2012-10-17", "Id": ["x"],
          "Statement": [allow("s3:GetObject")]}, "Syntax errors in policy."),
        ({"Version": "2012-10-17",
          "Statement": [{**allow("s3:GetObject"), "Sid": {}}]}, "Syntax errors in policy."),
        ({"Version": "2012-10-17", "Statement": [allow("GetObject")]},
         "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        ({"Version": "2012-10-17", "Statement": [allow("s3:Get:Object")]},
         "Actions/Condition can contain only one colon."),
        ({"Version": "2012-10-17", "Statement": [allow("s 3:GetObject")]},
         "Vendor s 3 is not valid"),
        ({"Version": "2012-10-17", "Statement": [allow("s3:GetObject", "arn:nope:s3:::b/*")]},
         'Partition "nope" is not valid for resource "arn:nope:s3:::b/*".'),
        ({"Version": "2012-10-17", "Statement": [allow("s3:GetObject", "arn:nope")]},
         'Partition "nope" is not valid for resource "arn:nope:*:*:*:*".'),
    ],
)  # fmt: skip
def test_iam_refuses_the_documents_aws_rejects(iam, policy, message):
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as excinfo:
        iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=json.dumps(policy))
    assert error_of(excinfo) == ("MalformedPolicyDocument", message)
    with pytest.raises(ClientError) as excinfo:
        iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(policy))
    assert error_of(excinfo) == ("MalformedPolicyDocument", message)
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []


def test_iam_takes_the_partitions_it_knows(iam):
    for partition in ("aws", "aws-cn", "aws-us-gov", "*"):
        resource = f"arn:{partition}:s3:::b/*"
        iam.create_policy(PolicyName=f"p-{partition.strip('*') or 'any'}",
                          PolicyDocument=document(allow("s3:GetObject", resource)))  # fmt: skip

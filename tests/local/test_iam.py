"""IAM through real boto3 clients: roles, trust, managed and inline policies, tags, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from bgkit.local.services.iam.models import role_decision, role_trusts

DATA = Path(__file__).resolve().parents[2] / "data" / "iam"
CODEDEPLOY_TRUST = (DATA / "codedeploy-trust-policy.json").read_text()
TASKS_TRUST = (DATA / "ecs-tasks-trust-policy.json").read_text()
PASSROLE = (DATA / "codedeploy-passrole-policy.json").read_text()
LIMITED = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
FULL = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
EXECUTION = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
ACCOUNT = "123456789012"

S3_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
)


@pytest.fixture
def iam(client):
    return client("iam")


@pytest.fixture
def role(iam):
    """A CodeDeploy service role, as the walkthrough's first step creates it."""
    iam.create_role(RoleName="bgkit-codedeploy", AssumeRolePolicyDocument=CODEDEPLOY_TRUST)
    return "bgkit-codedeploy"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def role_names(iam) -> list[str]:
    return [r["RoleName"] for r in iam.list_roles()["Roles"]]


# --- CreateRole / GetRole / ListRoles --------------------------------------------------------


def test_create_role_returns_the_role(iam):
    role = iam.create_role(RoleName="bgkit-codedeploy", AssumeRolePolicyDocument=CODEDEPLOY_TRUST)[
        "Role"
    ]
    assert role["RoleName"] == "bgkit-codedeploy"
    assert role["Path"] == "/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/bgkit-codedeploy"
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert role["RoleId"][4:].isalnum() and role["RoleId"][4:].upper() == role["RoleId"][4:]
    assert role["AssumeRolePolicyDocument"] == json.loads(CODEDEPLOY_TRUST)
    assert role["CreateDate"].year >= 2024


def test_create_role_with_path_description_and_tags(iam):
    role = iam.create_role(
        RoleName="tasks",
        Path="/bgkit/",
        Description="ECS tasks",
        MaxSessionDuration=7200,
        AssumeRolePolicyDocument=TASKS_TRUST,
        Tags=[{"Key": "bgkit", "Value": "yes"}],
    )["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/bgkit/tasks"
    got = iam.get_role(RoleName="tasks")["Role"]
    assert got["Description"] == "ECS tasks"
    assert got["MaxSessionDuration"] == 7200
    assert got["Tags"] == [{"Key": "bgkit", "Value": "yes"}]


def test_create_role_refuses_an_existing_name_in_any_case(iam, role):
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="BGKIT-CodeDeploy", AssumeRolePolicyDocument=TASKS_TRUST)
    assert error_of(excinfo) == (
        "EntityAlreadyExists",
        "Role with name BGKIT-CodeDeploy already exists.",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert role_names(iam) == ["bgkit-codedeploy"]
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert trust == json.loads(CODEDEPLOY_TRUST)


def test_create_role_refuses_invalid_json(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="r", AssumeRolePolicyDocument='{"Version": "2012-10-17",')
    assert error_of(excinfo) == ("MalformedPolicyDocument", "This policy contains invalid Json")
    assert role_names(iam) == []


def test_create_role_refuses_a_document_without_statement(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="r", AssumeRolePolicyDocument='{"Version": "2012-10-17"}')
    assert error_of(excinfo) == ("MalformedPolicyDocument", "Syntax errors in policy.")
    assert role_names(iam) == []


def test_create_role_refuses_a_document_without_version(iam):
    document = json.loads(CODEDEPLOY_TRUST)
    del document["Version"]
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(document))
    assert error_of(excinfo) == (
        "MalformedPolicyDocument",
        "Policy document must be version 2012-10-17 or greater.",
    )
    assert role_names(iam) == []


def test_create_role_refuses_a_resource_in_the_trust_policy(iam):
    document = json.loads(CODEDEPLOY_TRUST)
    document["Statement"][0]["Resource"] = "*"
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(document))
    assert error_of(excinfo) == ("MalformedPolicyDocument", "Has prohibited field Resource.")
    assert role_names(iam) == []


def test_create_role_refuses_a_bad_name(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="my role", AssumeRolePolicyDocument=TASKS_TRUST)
    code, message = error_of(excinfo)
    assert code == "ValidationError"
    assert "'my role' at 'roleName'" in message and r"[\w+=,.@-]+" in message
    assert role_names(iam) == []


def test_create_role_refuses_a_name_longer_than_64(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="r" * 65, AssumeRolePolicyDocument=TASKS_TRUST)
    code, message = error_of(excinfo)
    assert code == "ValidationError"
    assert "Member must have length less than or equal to 64" in message
    assert role_names(iam) == []


def test_create_role_refuses_a_path_without_slashes(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="r", Path="bgkit", AssumeRolePolicyDocument=TASKS_TRUST)
    assert error_of(excinfo)[0] == "ValidationError"
    assert role_names(iam) == []


def test_get_role_returns_the_full_role(iam, role):
    got = iam.get_role(RoleName=role)["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(CODEDEPLOY_TRUST)
    assert got["MaxSessionDuration"] == 3600
    assert got["RoleLastUsed"] == {}


def test_get_role_refuses_an_unknown_role(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.get_role(RoleName="nope")
    assert error_of(excinfo) == ("NoSuchEntity", "The role with name nope cannot be found.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_roles_filters_by_path_prefix(iam, role):
    iam.create_role(RoleName="tasks", Path="/bgkit/", AssumeRolePolicyDocument=TASKS_TRUST)
    assert role_names(iam) == ["bgkit-codedeploy", "tasks"]
    listed = iam.list_roles(PathPrefix="/bgkit/")["Roles"]
    assert [r["RoleName"] for r in listed] == ["tasks"]
    assert "Tags" not in listed[0] and "RoleLastUsed" not in listed[0]


def test_list_roles_paginates(iam):
    for n in range(5):
        iam.create_role(RoleName=f"role-{n}", AssumeRolePolicyDocument=TASKS_TRUST)
    first = iam.list_roles(MaxItems=2)
    assert first["IsTruncated"] is True
    assert [r["RoleName"] for r in first["Roles"]] == ["role-0", "role-1"]
    pages = iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 2})
    assert [r["RoleName"] for page in pages for r in page["Roles"]] == [
        f"role-{n}" for n in range(5)
    ]


# --- UpdateRole / UpdateAssumeRolePolicy / DeleteRole ----------------------------------------


def test_update_role_sets_description_and_session_duration(iam, role):
    iam.update_role(RoleName=role, Description="CodeDeploy", MaxSessionDuration=43200)
    got = iam.get_role(RoleName=role)["Role"]
    assert (got["Description"], got["MaxSessionDuration"]) == ("CodeDeploy", 43200)


def test_update_assume_role_policy_replaces_the_trust_policy(iam, role):
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=TASKS_TRUST)
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert trust == json.loads(TASKS_TRUST)


def test_update_assume_role_policy_refuses_a_malformed_document(iam, role):
    with pytest.raises(ClientError) as excinfo:
        iam.update_assume_role_policy(RoleName=role, PolicyDocument="not json")
    assert error_of(excinfo) == ("MalformedPolicyDocument", "This policy contains invalid Json")
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert trust == json.loads(CODEDEPLOY_TRUST)


def test_update_assume_role_policy_refuses_an_unknown_role(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.update_assume_role_policy(RoleName="nope", PolicyDocument=TASKS_TRUST)
    assert error_of(excinfo)[0] == "NoSuchEntity"


def test_delete_role_removes_the_role(iam, role):
    iam.delete_role(RoleName=role)
    assert role_names(iam) == []


def test_delete_role_refuses_while_a_policy_is_attached(iam, role):
    iam.attach_role_policy(RoleName=role, PolicyArn=LIMITED)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_role(RoleName=role)
    assert error_of(excinfo) == (
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert role_names(iam) == [role]
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [LIMITED]


def test_delete_role_refuses_while_an_inline_policy_exists(iam, role):
    iam.put_role_policy(RoleName=role, PolicyName="passrole", PolicyDocument=PASSROLE)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_role(RoleName=role)
    assert error_of(excinfo) == (
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
    )
    assert role_names(iam) == [role]
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["passrole"]


def test_delete_role_refuses_an_unknown_role(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.delete_role(RoleName="nope")
    assert error_of(excinfo) == ("NoSuchEntity", "The role with name nope cannot be found.")


# --- TagRole / UntagRole / ListRoleTags ------------------------------------------------------


def test_tag_role_adds_and_overwrites_tags(iam, role):
    iam.tag_role(RoleName=role, Tags=[{"Key": "team", "Value": "a"}, {"Key": "x", "Value": "1"}])
    iam.tag_role(RoleName=role, Tags=[{"Key": "Team", "Value": "b"}])
    assert iam.list_role_tags(RoleName=role)["Tags"] == [
        {"Key": "x", "Value": "1"},
        {"Key": "Team", "Value": "b"},
    ]


def test_tag_role_refuses_duplicate_keys(iam, role):
    iam.tag_role(RoleName=role, Tags=[{"Key": "team", "Value": "a"}])
    with pytest.raises(ClientError) as excinfo:
        iam.tag_role(RoleName=role, Tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}])
    assert error_of(excinfo) == (
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
    assert iam.list_role_tags(RoleName=role)["Tags"] == [{"Key": "team", "Value": "a"}]


def test_tag_role_refuses_more_than_50_tags(iam, role):
    iam.tag_role(RoleName=role, Tags=[{"Key": f"k{n}", "Value": ""} for n in range(50)])
    with pytest.raises(ClientError) as excinfo:
        iam.tag_role(RoleName=role, Tags=[{"Key": "one-more", "Value": ""}])
    assert error_of(excinfo)[0] == "LimitExceeded"
    assert len(iam.list_role_tags(RoleName=role)["Tags"]) == 50


def test_untag_role_removes_keys(iam, role):
    iam.tag_role(RoleName=role, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_role(RoleName=role, TagKeys=["a"])
    assert iam.list_role_tags(RoleName=role)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_list_role_tags_refuses_an_unknown_role(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.list_role_tags(RoleName="nope")
    assert error_of(excinfo)[0] == "NoSuchEntity"


# --- AttachRolePolicy / DetachRolePolicy / ListAttachedRolePolicies --------------------------


def test_attach_role_policy_attaches_an_aws_managed_policy(iam, role):
    iam.attach_role_policy(RoleName=role, PolicyArn=LIMITED)
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == [
        {"PolicyName": "AWSCodeDeployRoleForECSLimited", "PolicyArn": LIMITED}
    ]
    assert iam.get_policy(PolicyArn=LIMITED)["Policy"]["AttachmentCount"] == 1


def test_attach_role_policy_twice_attaches_once(iam, role):
    iam.attach_role_policy(RoleName=role, PolicyArn=LIMITED)
    iam.attach_role_policy(RoleName=role, PolicyArn=LIMITED)
    assert len(iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]) == 1


def test_attach_role_policy_refuses_an_unknown_policy(iam, role):
    arn = "arn:aws:iam::aws:policy/NoSuchPolicy"
    with pytest.raises(ClientError) as excinfo:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert error_of(excinfo) == (
        "NoSuchEntity",
        f"Policy {arn} does not exist or is not attachable.",
    )
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []


def test_attach_role_policy_refuses_an_invalid_arn(iam, role):
    with pytest.raises(ClientError) as excinfo:
        iam.attach_role_policy(RoleName=role, PolicyArn="AWSCodeDeployRoleForECS")
    assert error_of(excinfo) == ("InvalidInput", "ARN AWSCodeDeployRoleForECS is not valid.")
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []


def test_attach_role_policy_refuses_an_unknown_role(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.attach_role_policy(RoleName="nope", PolicyArn=LIMITED)
    assert error_of(excinfo) == ("NoSuchEntity", "The role with name nope cannot be found.")


def test_attach_role_policy_refuses_more_than_10_policies(iam, role):
    arns = []
    for n in range(10):
        policy = iam.create_policy(PolicyName=f"p{n}", PolicyDocument=S3_POLICY)["Policy"]
        iam.attach_role_policy(RoleName=role, PolicyArn=policy["Arn"])
        arns.append(policy["Arn"])
    with pytest.raises(ClientError) as excinfo:
        iam.attach_role_policy(RoleName=role, PolicyArn=LIMITED)
    assert error_of(excinfo) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10.")
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == arns


def test_detach_role_policy_detaches(iam, role):
    iam.attach_role_policy(RoleName=role, PolicyArn=LIMITED)
    iam.detach_role_policy(RoleName=role, PolicyArn=LIMITED)
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []


def test_detach_role_policy_refuses_a_policy_not_attached(iam, role):
    iam.attach_role_policy(RoleName=role, PolicyArn=LIMITED)
    with pytest.raises(ClientError) as excinfo:
        iam.detach_role_policy(RoleName=role, PolicyArn=FULL)
    assert error_of(excinfo) == ("NoSuchEntity", f"Policy {FULL} was not found.")
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [LIMITED]


def test_list_attached_role_policies_filters_by_path_prefix(iam, role):
    iam.attach_role_policy(RoleName=role, PolicyArn=LIMITED)
    iam.attach_role_policy(RoleName=role, PolicyArn=EXECUTION)
    attached = iam.list_attached_role_policies(RoleName=role, PathPrefix="/service-role/")
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [EXECUTION]


# --- inline policies -------------------------------------------------------------------------


def test_put_role_policy_stores_an_inline_policy(iam, role):
    iam.put_role_policy(RoleName=role, PolicyName="passrole", PolicyDocument=PASSROLE)
    got = iam.get_role_policy(RoleName=role, PolicyName="passrole")
    assert got["RoleName"] == role
    assert got["PolicyName"] == "passrole"
    assert got["PolicyDocument"] == json.loads(PASSROLE)


def test_put_role_policy_replaces_a_policy_of_the_same_name(iam, role):
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=PASSROLE)
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=S3_POLICY)
    got = iam.get_role_policy(RoleName=role, PolicyName="p")["PolicyDocument"]
    assert got == json.loads(S3_POLICY)
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["p"]


def test_put_role_policy_refuses_a_principal(iam, role):
    with pytest.raises(ClientError) as excinfo:
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=CODEDEPLOY_TRUST)
    assert error_of(excinfo) == (
        "MalformedPolicyDocument",
        "Policy document should not specify a principal.",
    )
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []


def test_put_role_policy_refuses_a_statement_without_resource(iam, role):
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}
    with pytest.raises(ClientError) as excinfo:
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(document))
    assert error_of(excinfo) == (
        "MalformedPolicyDocument",
        "Policy statement must contain resources.",
    )
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []


def test_put_role_policy_refuses_invalid_json(iam, role):
    with pytest.raises(ClientError) as excinfo:
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument="{")
    assert error_of(excinfo) == ("MalformedPolicyDocument", "Syntax errors in policy.")
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []


def test_get_role_policy_refuses_an_unknown_policy(iam, role):
    with pytest.raises(ClientError) as excinfo:
        iam.get_role_policy(RoleName=role, PolicyName="nope")
    assert error_of(excinfo) == (
        "NoSuchEntity",
        "The role policy with name nope cannot be found.",
    )


def test_delete_role_policy_deletes_it(iam, role):
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=PASSROLE)
    iam.delete_role_policy(RoleName=role, PolicyName="p")
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []


def test_delete_role_policy_refuses_an_unknown_policy(iam, role):
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=PASSROLE)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_role_policy(RoleName=role, PolicyName="q")
    assert error_of(excinfo)[0] == "NoSuchEntity"
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["p"]


def test_list_role_policies_lists_names_in_order(iam, role):
    for name in ("zeta", "alpha", "mid"):
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=PASSROLE)
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["alpha", "mid", "zeta"]


# --- managed policies ------------------------------------------------------------------------


def test_get_policy_describes_an_aws_managed_policy(iam):
    policy = iam.get_policy(PolicyArn=EXECUTION)["Policy"]
    assert policy["PolicyName"] == "AmazonECSTaskExecutionRolePolicy"
    assert policy["Path"] == "/service-role/"
    assert policy["DefaultVersionId"] == "v1"
    assert policy["IsAttachable"] is True
    assert policy["AttachmentCount"] == 0
    assert policy["CreateDate"].isoformat().startswith("2017-11-16T18:48")
    assert policy["Description"].startswith("Provides access to other AWS service resources")


def test_get_policy_version_returns_the_aws_managed_document(iam):
    version = iam.get_policy_version(PolicyArn=LIMITED, VersionId="v3")["PolicyVersion"]
    assert version["IsDefaultVersion"] is True
    passrole = version["Document"]["Statement"][-1]
    assert passrole["Action"] == ["iam:PassRole"]
    assert passrole["Resource"] == [
        "arn:aws:iam::*:role/ecsTaskExecutionRole",
        "arn:aws:iam::*:role/ECSTaskExecution*",
    ]


def test_get_policy_version_refuses_an_unknown_version(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.get_policy_version(PolicyArn=LIMITED, VersionId="v1")
    assert error_of(excinfo)[0] == "NoSuchEntity"


def test_get_policy_refuses_an_unknown_policy(iam):
    arn = f"arn:aws:iam::{ACCOUNT}:policy/nope"
    with pytest.raises(ClientError) as excinfo:
        iam.get_policy(PolicyArn=arn)
    assert error_of(excinfo) == ("NoSuchEntity", f"Policy {arn} was not found.")


def test_create_policy_creates_a_customer_managed_policy(iam):
    policy = iam.create_policy(
        PolicyName="bgkit-passrole", Path="/bgkit/", PolicyDocument=PASSROLE, Description="d"
    )["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/bgkit/bgkit-passrole"
    assert policy["PolicyId"].startswith("ANPA") and len(policy["PolicyId"]) == 21
    assert policy["DefaultVersionId"] == "v1"
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["Description"] == "d"
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(PASSROLE)


def test_create_policy_refuses_an_existing_name(iam):
    iam.create_policy(PolicyName="p", PolicyDocument=PASSROLE)
    with pytest.raises(ClientError) as excinfo:
        iam.create_policy(PolicyName="p", Path="/other/", PolicyDocument=S3_POLICY)
    assert error_of(excinfo) == (
        "EntityAlreadyExists",
        "A policy called p already exists. Duplicate names are not allowed.",
    )
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]] == ["p"]


def test_create_policy_refuses_a_malformed_document(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.create_policy(PolicyName="p", PolicyDocument='{"Statement": []}')
    assert error_of(excinfo)[0] == "MalformedPolicyDocument"
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_delete_policy_deletes_a_customer_managed_policy(iam):
    arn = iam.create_policy(PolicyName="p", PolicyDocument=PASSROLE)["Policy"]["Arn"]
    iam.delete_policy(PolicyArn=arn)
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_delete_policy_refuses_while_attached(iam, role):
    arn = iam.create_policy(PolicyName="p", PolicyDocument=PASSROLE)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(excinfo) == ("DeleteConflict", "Cannot delete a policy attached to entities.")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1


def test_delete_policy_refuses_an_aws_managed_policy(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.delete_policy(PolicyArn=LIMITED)
    assert error_of(excinfo)[0] == "InvalidInput"
    assert iam.get_policy(PolicyArn=LIMITED)["Policy"]["PolicyName"].endswith("Limited")


def test_list_policies_by_scope(iam):
    iam.create_policy(PolicyName="bgkit-passrole", PolicyDocument=PASSROLE)
    aws = [p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]]
    local = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    every = [p["PolicyName"] for p in iam.list_policies()["Policies"]]
    assert aws == [
        "AWSCodeDeployRoleForECS",
        "AWSCodeDeployRoleForECSLimited",
        "AWSLambdaBasicExecutionRole",
        "AmazonECSInfrastructureRolePolicyForLoadBalancers",
        "AmazonECSTaskExecutionRolePolicy",
    ]
    assert local == ["bgkit-passrole"]
    assert sorted(every) == sorted(aws + local)


def test_list_policies_only_attached(iam, role):
    iam.attach_role_policy(RoleName=role, PolicyArn=FULL)
    attached = iam.list_policies(OnlyAttached=True)["Policies"]
    assert [p["Arn"] for p in attached] == [FULL]


def test_list_policy_versions_lists_the_default_version(iam):
    versions = iam.list_policy_versions(PolicyArn=FULL)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v3", True)]


# --- what the other providers ask of IAM -----------------------------------------------------


def test_walkthrough_role_may_pass_the_task_execution_role(cloud, iam, role):
    iam.attach_role_policy(RoleName=role, PolicyArn=LIMITED)
    iam.put_role_policy(RoleName=role, PolicyName="passrole", PolicyDocument=PASSROLE)
    ctx = cloud.context("iam", "PassRole", "us-east-1")
    passed = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    own = f"arn:aws:iam::{ACCOUNT}:role/bgkit-task-execution"
    other = f"arn:aws:iam::{ACCOUNT}:role/some-other-role"
    by_inline = role_decision(ctx, role, "iam:PassRole", own, passed)
    assert by_inline.allowed and by_inline.policy == "passrole"
    by_managed = role_decision(
        ctx, role, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole", passed
    )
    assert by_managed.allowed and by_managed.policy == LIMITED
    assert not role_decision(ctx, role, "iam:PassRole", other, passed)
    assert role_trusts(ctx, f"arn:aws:iam::{ACCOUNT}:role/{role}", "codedeploy.amazonaws.com")
    assert not role_trusts(ctx, role, "ecs-tasks.amazonaws.com")

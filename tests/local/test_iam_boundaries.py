"""Permissions boundaries in the local IAM, and requests decided as the IAM user that signs them.

How the effective permissions are reached is AWS's *Policy evaluation logic* page
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html) and
its *Permissions boundaries for IAM entities* page
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html): an explicit
deny in any policy denies; a boundary must allow what the identity policies allow; a boundary
alone grants nothing. The condition keys are the IAM User Guide's *IAM and AWS STS condition
context keys* and *AWS global condition context keys*. The shapes (``PermissionsBoundary`` with
``PermissionsBoundaryType``/``PermissionsBoundaryArn``) are botocore's IAM model.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from iam_callers import allow, deny, document, make_user, managed

pytestmark = pytest.mark.control_plane

ACCOUNT = "123456789012"
TRUST = document({"Effect": "Allow", "Action": "sts:AssumeRole",
                  "Principal": {"Service": "ecs-tasks.amazonaws.com"}})  # fmt: skip


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def iam(cloud):
    return cloud.client("iam")


@pytest.fixture
def only_s3(cloud):
    return managed(cloud, "only-s3", allow("s3:*"))


# --- the boundary on roles --------------------------------------------------------------------


def test_create_role_with_a_boundary_returns_it(iam, only_s3):
    # issue 21: CreateRole leaves out PermissionsBoundary when given one; AWS returns it
    role = iam.create_role(
        RoleName="r", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=only_s3
    )["Role"]
    expected = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": only_s3}  # fmt: skip
    assert role["PermissionsBoundary"] == expected
    assert iam.get_role(RoleName="r")["Role"]["PermissionsBoundary"] == expected
    assert "PermissionsBoundary" not in iam.list_roles()["Roles"][0]


def test_create_role_with_a_boundary_that_is_no_policy_is_refused_and_makes_nothing(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST,
                        PermissionsBoundary=f"arn:aws:iam::{ACCOUNT}:policy/nope")  # fmt: skip
    assert error_of(excinfo)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST,
                        PermissionsBoundary="not-an-arn-at-all-xx")  # fmt: skip
    assert error_of(excinfo) == ("InvalidInput", "ARN not-an-arn-at-all-xx is not valid.")
    assert iam.list_roles()["Roles"] == []


def test_put_and_delete_role_permissions_boundary(iam, only_s3):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert "PermissionsBoundary" not in iam.get_role(RoleName="r")["Role"]
    iam.put_role_permissions_boundary(RoleName="r", PermissionsBoundary=only_s3)
    role = iam.get_role(RoleName="r")["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == only_s3
    assert iam.get_policy(PolicyArn=only_s3)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    iam.delete_role_permissions_boundary(RoleName="r")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="r")["Role"]
    assert iam.get_policy(PolicyArn=only_s3)["Policy"]["PermissionsBoundaryUsageCount"] == 0


def test_a_policy_in_use_as_a_boundary_cannot_be_deleted(iam, only_s3):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=only_s3)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_policy(PolicyArn=only_s3)
    assert error_of(excinfo)[0] == "DeleteConflict"
    assert iam.get_policy(PolicyArn=only_s3)


def test_simulate_principal_policy_caps_a_role_by_its_boundary(iam, only_s3):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=only_s3)
    iam.put_role_policy(RoleName="r", PolicyName="all", PolicyDocument=document(allow("*")))
    arn = f"arn:aws:iam::{ACCOUNT}:role/r"

    def decide(action, **extra):
        result = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=[action], **extra)[
            "EvaluationResults"
        ][0]
        return result["EvalDecision"], result.get("PermissionsBoundaryDecisionDetail")

    assert decide("s3:GetObject") == ("allowed", {"AllowedByPermissionsBoundary": True})
    assert decide("iam:CreateUser") == ("implicitDeny", {"AllowedByPermissionsBoundary": False})
    # a boundary given to the simulation is used instead of the role's (the operation's docs)
    given = document(allow("iam:CreateUser"))
    assert decide("iam:CreateUser", PermissionsBoundaryPolicyInputList=[given])[0] == "allowed"
    excluded = [{"PolicyType": "permission-boundary"}]
    assert decide("iam:CreateUser", PolicyExclusionList=excluded) == ("allowed", None)


# --- requests signed by a user ----------------------------------------------------------------


def test_a_boundary_caps_what_the_users_policies_allow(cloud, only_s3):
    user = make_user(cloud, "u", allow("*"), boundary=only_s3)
    assert user("s3").list_buckets()["Buckets"] == []
    with pytest.raises(ClientError) as excinfo:
        user("iam").list_roles()
    assert error_of(excinfo) == ("AccessDenied", (
        f"User: arn:aws:iam::{ACCOUNT}:user/u is not authorized to perform: iam:ListRoles on "
        "resource: * because no permissions boundary allows the iam:ListRoles action"
    ))  # fmt: skip


def test_a_boundary_alone_grants_nothing(cloud, only_s3):
    user = make_user(cloud, "u", boundary=only_s3)
    with pytest.raises(ClientError) as excinfo:
        user("s3").list_buckets()
    assert "because no identity-based policy allows the s3:ListAllMyBuckets" in error_of(excinfo)[1]


def test_an_explicit_deny_in_the_boundary_wins(cloud):
    boundary = managed(cloud, "b", allow("s3:*"), deny("s3:ListAllMyBuckets"))
    user = make_user(cloud, "u", allow("s3:*"), boundary=boundary)
    with pytest.raises(ClientError) as excinfo:
        user("s3").list_buckets()
    assert "with an explicit deny in a permissions boundary: " + boundary in error_of(excinfo)[1]


def test_an_explicit_deny_in_an_identity_policy_wins_over_an_allow(cloud):
    user = make_user(cloud, "u", allow("s3:*"), deny("s3:ListAllMyBuckets"))
    with pytest.raises(ClientError, match="explicit deny in an identity-based policy: p"):
        user("s3").list_buckets()


def test_each_service_refuses_in_its_own_code(cloud):
    user = make_user(cloud, "u")
    for service, call, code in (
        ("ec2", "describe_vpcs", "UnauthorizedOperation"),
        ("ecs", "list_clusters", "AccessDeniedException"),
        ("elbv2", "describe_load_balancers", "AccessDenied"),
        ("logs", "describe_log_groups", "AccessDeniedException"),
    ):
        with pytest.raises(ClientError) as excinfo:
            getattr(user(service), call)()
        assert error_of(excinfo)[0] == code, service


def test_the_account_itself_is_still_allowed_everything(cloud, only_s3):
    make_user(cloud, "u", boundary=only_s3)
    assert cloud.client("iam").list_users()["Users"][0]["UserName"] == "u"


def test_get_caller_identity_needs_no_permission(cloud):
    user = make_user(cloud, "u")
    assert user("sts").get_caller_identity()["Account"] == ACCOUNT


def test_a_refused_request_changes_nothing(cloud):
    user = make_user(cloud, "u", allow("ecs:CreateCluster"))
    with pytest.raises(ClientError, match="ecs:TagResource"):  # tags need ecs:TagResource
        user("ecs").create_cluster(clusterName="c", tags=[{"key": "k", "value": "v"}])
    assert cloud.client("ecs").list_clusters()["clusterArns"] == []
    user("ecs").create_cluster(clusterName="c")


# --- condition keys ---------------------------------------------------------------------------


def test_iam_permissions_boundary_condition_on_create_role(cloud, only_s3):
    roles = f"arn:aws:iam::{ACCOUNT}:role/team-*"
    user = make_user(cloud, "u", allow("iam:CreateRole", roles,
                                       ArnEquals={"iam:PermissionsBoundary": only_s3}))  # fmt: skip
    with pytest.raises(ClientError, match="iam:CreateRole"):
        user("iam").create_role(RoleName="team-a", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError, match="iam:CreateRole"):
        user("iam").create_role(RoleName="other", AssumeRolePolicyDocument=TRUST,
                                PermissionsBoundary=only_s3)  # fmt: skip
    made = user("iam").create_role(
        RoleName="team-a", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=only_s3
    )
    assert made["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == only_s3


def test_iam_permissions_boundary_of_an_existing_role_on_put_role_policy(cloud, only_s3, iam):
    iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=only_s3)
    iam.create_role(RoleName="free", AssumeRolePolicyDocument=TRUST)
    user = make_user(cloud, "u", allow("iam:PutRolePolicy",
                                       ArnEquals={"iam:PermissionsBoundary": only_s3}))  # fmt: skip
    policy = document(allow("s3:GetObject"))
    user("iam").put_role_policy(RoleName="bounded", PolicyName="p", PolicyDocument=policy)
    with pytest.raises(ClientError, match="iam:PutRolePolicy"):
        user("iam").put_role_policy(RoleName="free", PolicyName="p", PolicyDocument=policy)


def test_iam_policy_arn_condition_on_attach_role_policy(cloud, iam):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    execution = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    user = make_user(cloud, "u", allow("iam:AttachRolePolicy",
                                       ArnEquals={"iam:PolicyARN": execution}))  # fmt: skip
    user("iam").attach_role_policy(RoleName="r", PolicyArn=execution)
    with pytest.raises(ClientError, match="iam:AttachRolePolicy"):
        user("iam").attach_role_policy(
            RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
        )


def test_iam_passed_to_service_condition_on_pass_role(cloud, iam):
    role = iam.create_role(RoleName="exec", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    user = make_user(
        cloud, "u", allow("ecs:RegisterTaskDefinition"),
        allow("iam:PassRole", role,
              StringEquals={"iam:PassedToService": "codedeploy.amazonaws.com"}),
    )  # fmt: skip
    task = {"family": "web", "containerDefinitions": [{"name": "a", "image": "nginx",
                                                       "memory": 128}]}  # fmt: skip
    with pytest.raises(ClientError) as excinfo:
        user("ecs").register_task_definition(executionRoleArn=role, **task)
    assert f"iam:PassRole on resource: {role}" in error_of(excinfo)[1]
    user("ecs").register_task_definition(**task)  # no role passed, no PassRole asked


def test_aws_principal_tag_condition(cloud, iam):
    user = make_user(cloud, "u", allow("s3:ListAllMyBuckets",
                                       StringEquals={"aws:PrincipalTag/team": "blue"}),
                     tags=[{"Key": "team", "Value": "blue"}])  # fmt: skip
    assert user("s3").list_buckets()["Buckets"] == []
    iam.tag_user(UserName="u", Tags=[{"Key": "team", "Value": "green"}])
    with pytest.raises(ClientError, match="s3:ListAllMyBuckets"):
        user("s3").list_buckets()


def test_aws_request_tag_condition_on_create(cloud):
    user = make_user(cloud, "u", allow(["ecs:CreateCluster", "ecs:TagResource"],
                                       StringEquals={"aws:RequestTag/owner": "u"}))  # fmt: skip
    user("ecs").create_cluster(clusterName="mine", tags=[{"key": "owner", "value": "u"}])
    with pytest.raises(ClientError, match="ecs:CreateCluster"):
        user("ecs").create_cluster(clusterName="theirs", tags=[{"key": "owner", "value": "v"}])


def test_aws_resource_tag_condition_on_a_role(cloud, iam):
    iam.create_role(RoleName="blue", AssumeRolePolicyDocument=TRUST,
                    Tags=[{"Key": "team", "Value": "blue"}])  # fmt: skip
    iam.create_role(RoleName="green", AssumeRolePolicyDocument=TRUST)
    user = make_user(cloud, "u", allow("iam:GetRole",
                                       StringEquals={"aws:ResourceTag/team": "blue"}))  # fmt: skip
    assert user("iam").get_role(RoleName="blue")["Role"]["RoleName"] == "blue"
    with pytest.raises(ClientError, match=r"iam:GetRole on resource: arn:aws:iam::\d+:role/green"):
        user("iam").get_role(RoleName="green")


def test_the_default_version_of_a_managed_policy_is_the_one_evaluated(cloud, iam):
    arn = managed(cloud, "m", allow("s3:ListAllMyBuckets"))
    user = make_user(cloud, "u")
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    assert user("s3").list_buckets()["Buckets"] == []
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("ec2:*")),
                              SetAsDefault=True)  # fmt: skip
    with pytest.raises(ClientError, match="s3:ListAllMyBuckets"):
        user("s3").list_buckets()
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert user("s3").list_buckets()["Buckets"] == []

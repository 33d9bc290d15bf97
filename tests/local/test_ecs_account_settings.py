"""ECS account settings through a real boto3 client: PutAccountSetting(Default),
ListAccountSettings (own and effective settings), DeleteAccountSetting.

Sources: botocore's ECS model (the ``SettingName`` enum; ``principalArn``: "If you specify the
root user, it modifies the account setting for all users, roles, and the root user of the
account unless a user or role explicitly overrides these settings. If this field is omitted,
the setting is changed only for the authenticated user", "You must use the root user when you
set the Fargate wait time"; ``effectiveSettings``; the ``Setting.type`` ``aws_managed``); the
Amazon ECS Developer Guide, *Amazon ECS account settings* (the defaults, containerInsights as a
new cluster's default, fargateFIPSMode in the GovCloud Regions only).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_s3_cli import aws  # noqa: F401  (the AWS CLI fixture)

from tests.local.iam_callers import allow, make_user

pytestmark = pytest.mark.control_plane

ROOT = "arn:aws:iam::123456789012:root"


def error_of(call: Any, **params: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]


def settings(ecs: Any, **params: Any) -> dict[str, tuple[str, str, str]]:
    listed = ecs.list_account_settings(**params)["settings"]
    return {s["name"]: (s["value"], s["principalArn"], s["type"]) for s in listed}


def test_nothing_is_set_until_put_and_effective_settings_are_aws_defaults(client):
    ecs = client("ecs")
    assert ecs.list_account_settings()["settings"] == []

    effective = settings(ecs, effectiveSettings=True)
    assert set(effective) == set(ecs.meta.service_model.shape_for("SettingName").enum)
    assert effective["containerInsights"] == ("disabled", ROOT, "user")
    assert effective["serviceLongArnFormat"][0] == "enabled"
    assert effective["tagResourceAuthorization"][0] == "on"
    assert effective["fargateTaskRetirementWaitPeriod"][0] == "7"
    assert effective["guardDutyActivate"] == ("off", ROOT, "aws_managed")


def test_put_list_and_delete_the_callers_setting(client):
    ecs = client("ecs")
    put = ecs.put_account_setting(name="containerInsights", value="enhanced")["setting"]
    assert put == {"name": "containerInsights", "value": "enhanced", "principalArn": ROOT,
                   "type": "user"}  # fmt: skip

    assert settings(ecs) == {"containerInsights": ("enhanced", ROOT, "user")}
    assert settings(ecs, name="containerInsights", value="enhanced")
    assert settings(ecs, name="containerInsights", value="enabled") == {}

    deleted = ecs.delete_account_setting(name="containerInsights")["setting"]
    assert deleted["value"] == "enhanced"
    assert ecs.list_account_settings()["settings"] == []
    again = error_of(ecs.delete_account_setting, name="containerInsights")
    assert again["Code"] == "InvalidParameterException"


def test_the_account_default_applies_to_principals_without_their_own(client):
    ecs, iam = client("ecs"), client("iam")
    role = iam.create_role(RoleName="builder", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "ecs.amazonaws.com"}}]})
    )["Role"]["Arn"]  # fmt: skip
    ecs.put_account_setting_default(name="awsvpcTrunking", value="enabled")
    ecs.put_account_setting(name="containerInsights", value="enabled", principalArn=role)

    mine = settings(ecs, principalArn=role, effectiveSettings=True)
    assert mine["containerInsights"] == ("enabled", role, "user")
    assert mine["awsvpcTrunking"] == ("enabled", ROOT, "user")  # the root user's, for everyone
    assert settings(ecs, principalArn=role) == {"containerInsights": ("enabled", role, "user")}
    assert settings(ecs, effectiveSettings=True)["containerInsights"][0] == "disabled"


def test_a_new_cluster_takes_the_container_insights_setting(client):
    ecs = client("ecs")
    ecs.put_account_setting_default(name="containerInsights", value="enabled")
    made = ecs.create_cluster(clusterName="watched")["cluster"]
    assert made["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    own = ecs.create_cluster(clusterName="own", settings=[{"name": "containerInsights",
                                                            "value": "disabled"}])  # fmt: skip
    assert own["cluster"]["settings"] == [{"name": "containerInsights", "value": "disabled"}]


@pytest.mark.parametrize(
    ("name", "value", "principal"),
    [
        ("containerInsights", "maybe", None),  # not one of its values
        ("fargateTaskRetirementWaitPeriod", "3", None),  # 0, 7 or 14 only
        ("fargateTaskRetirementWaitPeriod", "14", "arn:aws:iam::123456789012:user/alice"),
        ("guardDutyActivate", "on", None),  # managed by GuardDuty
        ("fargateFIPSMode", "enabled", None),  # GovCloud only
        ("awsvpcTrunking", "enabled", "not-an-arn"),
    ],
)
def test_refusals_leave_the_settings_as_they_were(client, name, value, principal):
    ecs = client("ecs")
    extra = {"principalArn": principal} if principal else {}
    error = error_of(ecs.put_account_setting, name=name, value=value, **extra)
    assert error["Code"] == "InvalidParameterException"
    assert ecs.list_account_settings()["settings"] == []


def test_the_retirement_wait_is_set_by_the_root_user(client):
    ecs = client("ecs")
    ecs.put_account_setting_default(name="fargateTaskRetirementWaitPeriod", value="14")
    assert settings(ecs)["fargateTaskRetirementWaitPeriod"] == ("14", ROOT, "user")


def test_a_user_sets_its_own_and_not_anothers(cloud):
    alice = make_user(cloud, "alice", allow("ecs:*"))
    user = "arn:aws:iam::123456789012:user/alice"
    put = alice("ecs").put_account_setting(name="containerInsights", value="enabled")
    assert put["setting"]["principalArn"] == user
    assert settings(alice("ecs")) == {"containerInsights": ("enabled", user, "user")}
    error = error_of(alice("ecs").put_account_setting, name="containerInsights",
                     value="enabled", principalArn=ROOT)  # fmt: skip
    assert error["Code"] == "AccessDeniedException"
    assert settings(cloud.client("ecs")) == {}


def test_the_aws_cli_puts_and_lists_settings(aws, client):  # noqa: F811
    aws("ecs", "put-account-setting-default", "--name", "containerInsights", "--value", "enabled")
    listed = aws("ecs", "list-account-settings", "--name", "containerInsights",
                 "--effective-settings", "--output", "json").stdout  # fmt: skip
    assert json.loads(listed)["settings"] == [
        {"name": "containerInsights", "value": "enabled", "principalArn": ROOT, "type": "user"}
    ]

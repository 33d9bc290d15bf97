"""Notebook 02: the CodeDeploy role and why its PassRole policy is needed."""

from __future__ import annotations

from bgkit import walkthrough as wt


def test_codedeploy_role_twice_keeps_one_attachment_and_one_inline_policy(kit):
    wt.codedeploy_role(kit)
    wt.codedeploy_role(kit)
    iam = kit.client("iam")
    attached = iam.list_attached_role_policies(RoleName="test-codedeploy")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSCodeDeployRoleForECSLimited"]
    assert iam.list_role_policies(RoleName="test-codedeploy")["PolicyNames"] == [
        "test-pass-task-roles"
    ]


def test_pass_role_is_denied_by_the_managed_policy_alone_and_allowed_with_the_inline_one(kit):
    execution = wt.task_execution_role(kit)
    wt.codedeploy_role(kit)
    frame = wt.pass_role_frame(kit, execution["Arn"])
    assert frame["allowed"].tolist() == [False, True]
    assert "test-pass-task-roles" in frame["why"][1]

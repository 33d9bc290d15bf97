"""Notebook 01's steps against a local cloud: what they make, and that running twice is safe."""

from __future__ import annotations

from bgkit import observe
from bgkit import walkthrough as wt
from bgkit.walkthrough.tags import is_ours


def test_prepare_twice_gives_the_same_resources(kit):
    first = wt.prepare(kit)
    second = wt.prepare(kit)
    assert first == second
    assert len(first.subnet_ids) == 3
    assert sorted(first.listener_arns) == [80, 8080]


def test_target_group_names_end_in_1_and_2(kit):
    vpc_id, _ = wt.default_network(kit)
    groups = wt.target_groups(kit, vpc_id)
    assert [g["TargetGroupName"] for g in groups] == ["test-tg-1", "test-tg-2"]


def test_security_group_opens_80_and_8080_once(kit):
    vpc_id, _ = wt.default_network(kit)
    group_id = wt.security_group(kit, vpc_id)
    assert wt.security_group(kit, vpc_id) == group_id
    group = kit.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    assert sorted(p["FromPort"] for p in group["IpPermissions"]) == [80, 8080]
    assert is_ours(group["Tags"], "test")


def test_both_listeners_forward_to_the_first_target_group(kit):
    pre = wt.prepare(kit)
    wt.wait_load_balancer_active(kit, pre.load_balancer_arn)
    frame = observe.listeners_frame(kit)
    assert frame.to_dict("records") == [
        {"port": 80, "target group": "test-tg-1", "weight": 100},
        {"port": 8080, "target group": "test-tg-1", "weight": 100},
    ]


def test_task_definition_is_found_again_by_its_revision_tag(kit):
    role = wt.task_execution_role(kit)
    nginx = wt.task_definition(kit, "nginx", role["Arn"])
    assert wt.task_definition(kit, "nginx", role["Arn"])["revision"] == nginx["revision"]
    fizzbuzz = wt.task_definition(kit, "fizzbuzz", role["Arn"])
    assert fizzbuzz["revision"] == nginx["revision"] + 1
    assert fizzbuzz["family"] == "test-web"


def test_the_broken_revision_carries_its_bug(kit):
    role = wt.task_execution_role(kit)
    buggy = wt.task_definition(kit, "fizzbuzz", role["Arn"], revision="v2", with_bug=True)
    command = buggy["containerDefinitions"][0]["command"][0]
    assert "if n % 25 == 0:" in command and "if n % 15 == 0:" not in command


def test_log_group_twice_is_one_tagged_group(kit):
    assert wt.log_group(kit) == wt.log_group(kit) == "/ecs/test-web"
    logs = kit.client("logs")
    assert len(logs.describe_log_groups(logGroupNamePrefix="/ecs/test-web")["logGroups"]) == 1


def test_every_role_is_tagged(kit):
    wt.task_execution_role(kit)
    wt.codedeploy_role(kit)
    iam = kit.client("iam")
    for name in ("test-task-execution", "test-codedeploy"):
        assert is_ours(iam.list_role_tags(RoleName=name)["Tags"], "test")

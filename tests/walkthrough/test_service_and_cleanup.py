"""Notebooks 03 and 07: the blue/green service comes up healthy; cleaning up leaves nothing."""

from __future__ import annotations

import pytest

from bgkit import observe
from bgkit import walkthrough as wt


@pytest.fixture
def running(kit):
    pre = wt.prepare(kit)
    wt.wait_load_balancer_active(kit, pre.load_balancer_arn)
    made = {
        "task_definition_arn": pre.task_definition_arn,
        "target_group_arn": pre.target_group_arns[0],
        "subnet_ids": pre.subnet_ids,
        "security_group_id": pre.security_group_id,
    }
    wt.service(kit, **made)
    return made


def test_service_twice_is_one_code_deploy_service(kit, running):
    again = wt.service(kit, **running)
    assert again["deploymentController"] == {"type": "CODE_DEPLOY"}
    assert len(kit.client("ecs").list_services(cluster="test-cluster")["serviceArns"]) == 1


@pytest.mark.slow
def test_service_becomes_healthy_and_both_ports_answer_nginx(kit, running):
    wt.wait_service_healthy(kit, timeout=60)
    assert observe.task_sets_frame(kit)["status"].tolist() == ["PRIMARY"]
    ports = observe.compare_ports(kit)
    assert ports["revision"].tolist() == ["nginx", "nginx"]


@pytest.mark.slow
def test_clean_up_leaves_nothing_and_twice_is_safe(kit, running):
    wt.codedeploy_role(kit)
    assert len(wt.created_resources(kit)) >= 9
    deleted = wt.clean_up(kit, timeout=60)
    assert "test-alb" in deleted["name"].tolist()
    assert wt.created_resources(kit).empty
    assert wt.clean_up(kit, timeout=60).empty

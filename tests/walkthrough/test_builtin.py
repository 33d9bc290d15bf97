"""Notebook 09: ECS's built-in blue/green, made with the walkthrough's get-or-create steps."""

from __future__ import annotations

import pytest

from bgkit import observe
from bgkit import walkthrough as wt
from bgkit.walkthrough.builtin import ControllerMismatch


@pytest.fixture
def pre(kit):
    made = wt.prepare(kit)
    wt.wait_load_balancer_active(kit, made.load_balancer_arn)
    return made


def test_infrastructure_role_and_rules_twice_are_the_same(kit, pre):
    role = wt.infrastructure_role(kit)
    assert wt.infrastructure_role(kit)["Arn"] == role["Arn"]
    rules = wt.listener_rules(kit, pre)
    assert wt.listener_rules(kit, pre) == rules
    assert observe.rules_frame(kit).values.tolist() == [
        [80, 1, "test-tg-1", 100],
        [8080, 1, "test-tg-1", 100],
        [8080, 1, "test-tg-2", 0],
    ]


def test_builtin_service_refuses_next_to_the_code_deploy_service(kit, pre):
    wt.service(kit, task_definition_arn=pre.task_definition_arn,
               target_group_arn=pre.target_group_arns[0], subnet_ids=pre.subnet_ids,
               security_group_id=pre.security_group_id)  # fmt: skip
    role = wt.infrastructure_role(kit)
    with pytest.raises(ControllerMismatch, match="CODE_DEPLOY deployment controller"):
        wt.builtin_service(kit, pre, role_arn=role["Arn"], rules=wt.listener_rules(kit, pre))


@pytest.mark.slow
def test_builtin_flow_pauses_then_deploys_fizzbuzz(kit, pre):
    role = wt.infrastructure_role(kit)
    wt.builtin_service(kit, pre, role_arn=role["Arn"], rules=wt.listener_rules(kit, pre))
    wt.wait_builtin_service(kit, timeout=60)
    fizzbuzz = wt.task_definition(kit, "fizzbuzz", pre.execution_role_arn)
    arn = wt.deploy_builtin(kit, fizzbuzz["taskDefinitionArn"])
    assert wt.deploy_builtin(kit, fizzbuzz["taskDefinitionArn"]) == arn
    wt.wait_service_deployment(kit, arn, timeout=60)
    assert observe.compare_ports(kit)["revision"].tolist() == ["nginx", "fizzbuzz"]
    hook = wt.awaiting_hook(wt.service_deployment(kit, arn))
    kit.client("ecs").continue_service_deployment(
        serviceDeploymentArn=arn, hookId=hook["hookId"], action="CONTINUE"
    )
    wt.wait_service_deployment(kit, arn, until="SUCCESSFUL", timeout=60)
    assert observe.compare_ports(kit)["revision"].tolist() == ["fizzbuzz", "fizzbuzz"]

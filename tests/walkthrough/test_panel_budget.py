"""The API budget of a panel refresh (issue 19, docs/api-budget.md): at most four calls, counted
on the panels' real botocore clients against a real local cloud — the CodeDeploy panel of
notebook 05 at its ready wait, and the ECS built-in panel of notebook 09 at its pause hook.

Calls are counted with botocore's event system (``before-call``, once per API call, retries
not included) on the clients the panel made; the first refresh also reads what never changes
during a deployment (load balancer, target group names, AppSpec hooks, task definition tags,
service revisions), so the budget is pinned on the refreshes after it. The clients retry in
botocore's ``adaptive`` mode.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from bgkit import walkthrough as wt
from bgkit.observe.service_deployment import hooks_frame, revisions_frame, service_topology
from bgkit.widgets import ApprovalPanel, ServiceDeploymentPanel

pytestmark = pytest.mark.slow

#: calls a refresh may make (issue 19)
BUDGET = 4


class Calls:
    """The API calls ``clients`` make while it is entered, by operation name."""

    def __init__(self, *clients: Any) -> None:
        self.clients = clients
        self.made: Counter[str] = Counter()

    def seen(self, model: Any, **_: Any) -> None:
        self.made[model.name] += 1

    def __enter__(self) -> Counter[str]:
        for client in self.clients:
            client.meta.events.register("before-call.*.*", self.seen)
        return self.made

    def __exit__(self, *_: Any) -> None:
        for client in self.clients:
            client.meta.events.unregister("before-call.*.*", self.seen)


def refreshes(panel: Any, clients: tuple[Any, ...], times: int = 3) -> list[Counter[str]]:
    """The calls of each of ``times`` refreshes of ``panel``."""
    counted = []
    for _ in range(times):
        with Calls(*clients) as made:
            panel.refresh()
        counted.append(made)
    return counted


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_a_codedeploy_panel_refresh_makes_four_calls(kit):
    pre = wt.prepare(kit)
    wt.wait_load_balancer_active(kit, pre.load_balancer_arn)
    wt.service(kit, task_definition_arn=pre.task_definition_arn,
               target_group_arn=pre.target_group_arns[0], subnet_ids=pre.subnet_ids,
               security_group_id=pre.security_group_id)  # fmt: skip
    wt.wait_service_healthy(kit, timeout=60)
    role = wt.codedeploy_role(kit)
    wt.application(kit)
    wt.deployment_group(kit, service_role_arn=role["Arn"],
                        production_listener_arn=pre.listener_arns[80],
                        test_listener_arn=pre.listener_arns[8080])  # fmt: skip
    fizzbuzz = wt.task_definition(kit, "fizzbuzz", pre.execution_role_arn)
    deployment_id = wt.create_deployment(kit, fizzbuzz["taskDefinitionArn"])
    wt.wait_deployment(kit, deployment_id, until="Ready", timeout=120)

    panel = ApprovalPanel(kit, deployment_id)
    reader = panel._reader
    clients = (reader.codedeploy, reader.elbv2, reader.ecs)
    assert all(c.meta.config.retries["mode"] == "adaptive" for c in clients)
    for made in refreshes(panel, clients):
        assert sum(made.values()) <= BUDGET, made
        assert made == Counter(
            GetDeployment=1, GetDeploymentTarget=1, DescribeListeners=1, DescribeServices=1
        )
    assert panel.phase == "Ready" and panel.errors == []
    assert "AfterAllowTestTraffic" in panel._events.value
    assert "Green" in panel._task_sets.value

    with Calls(*clients) as made:
        assert panel.reroute()  # the click: ContinueDeployment, then one refresh
    assert made["ContinueDeployment"] == 1
    assert sum(made.values()) <= BUDGET + 1, made


def test_an_ecs_built_in_panel_refresh_makes_two_calls(kit):
    pre = wt.prepare(kit)
    wt.wait_load_balancer_active(kit, pre.load_balancer_arn)
    role = wt.infrastructure_role(kit)
    wt.builtin_service(kit, pre, role_arn=role["Arn"], rules=wt.listener_rules(kit, pre))
    wt.wait_builtin_service(kit, timeout=60)
    fizzbuzz = wt.task_definition(kit, "fizzbuzz", pre.execution_role_arn)
    arn = wt.deploy_builtin(kit, fizzbuzz["taskDefinitionArn"])
    wt.wait_service_deployment(kit, arn, timeout=60)

    panel = ServiceDeploymentPanel(kit, arn)
    clients = (panel._reader.ecs, panel._reader.elbv2)
    assert all(c.meta.config.retries["mode"] == "adaptive" for c in clients)
    for made in refreshes(panel, clients):
        assert sum(made.values()) <= BUDGET, made
        assert made == Counter(DescribeServiceDeployments=1, DescribeRules=1)
    assert (panel.phase, panel.stage) == ("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT")
    assert "AWAITING_ACTION" in panel._hooks.value
    assert not panel._continue_button.disabled and not panel._roll_back_button.disabled
    snapshot = panel._reader.read()
    # at the pause: production on blue (-1), the test rule on green (-2)
    topology = service_topology(snapshot)[["port", "target group", "weight", "task set"]]
    assert topology.values.tolist() == [
        [80, "test-tg-1", 100, "blue"],
        [8080, "test-tg-1", 0, "blue"],
        [8080, "test-tg-2", 100, "green"],
    ]
    assert revisions_frame(snapshot)[
        ["label", "revision", "production", "test"]
    ].values.tolist() == [
        ["Blue", "nginx", 100, 0],
        ["Green", "fizzbuzz", 0, 100],
    ]
    assert hooks_frame(snapshot).values.tolist() == [
        ["POST_TEST_TRAFFIC_SHIFT", "PAUSE", "AWAITING_ACTION", "ROLLBACK after 30 min"]
    ]

    with Calls(*clients) as made:
        assert panel.continue_()
    assert made["ContinueServiceDeployment"] == 1
    assert sum(made.values()) <= BUDGET + 1, made
    assert panel._continue_button.disabled, "the hook is answered"
    assert run(panel.settled(timeout=120)) == "SUCCESSFUL"
    after = service_topology(panel._reader.read())
    serving = after[(after["port"] == 80) & (after["weight"] == 100)]
    assert serving[["target group", "task set", "revision"]].values.tolist() == [
        ["test-tg-2", "green", "fizzbuzz"]
    ]

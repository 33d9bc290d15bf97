"""The panels' pace and their ECS built-in form, headless: how often a panel reads (fast on a
change or a click, slower while nothing changes, never under a few seconds on AWS), a throttled
read shown calmly, and the ECS panel's buttons against a fake ECS that answers as ECS does
(``DescribeServiceDeployments``' shapes from botocore's model)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_widgets import FakeCodeDeploy, FakeKit, run

from bgkit.observe.pace import AWS_FASTEST, SLOWEST, Pace, throttled
from bgkit.widgets import ApprovalPanel, ServiceDeploymentPanel

THROTTLED = ClientError(
    {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetDeployment"
)


def test_the_pace_slows_while_nothing_changes_and_is_fast_again_on_a_change():
    pace = Pace(1.0)
    assert pace.seen("a") == 1.0
    intervals = [pace.seen("a") for _ in range(8)]
    assert intervals == sorted(intervals) and intervals[0] > 1.0
    assert intervals[-1] == SLOWEST["local"]
    assert pace.seen("b") == 1.0
    pace.seen("b")
    pace.hurry()
    assert pace.interval == 1.0


def test_on_aws_the_pace_is_never_faster_than_every_few_seconds():
    pace = Pace(0.25, "aws")
    assert pace.seen("a") == AWS_FASTEST
    assert max(pace.seen("a") for _ in range(20)) == SLOWEST["aws"]


def test_throttling_doubles_the_interval_up_to_the_slowest():
    pace = Pace(1.0)
    assert [pace.throttled() for _ in range(4)] == [2.0, 4.0, 5.0, 5.0]
    assert throttled(THROTTLED)
    assert not throttled(
        ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "X")
    )


class ThrottledCodeDeploy(FakeCodeDeploy):
    """Throttles the next ``GetDeployment`` calls while ``throttle`` is positive."""

    throttle = 0

    def get_deployment(self, deploymentId: str) -> dict[str, Any]:
        if self.throttle:
            self.throttle -= 1
            raise THROTTLED
        return super().get_deployment(deploymentId)


def test_a_throttled_read_is_a_calm_note_not_an_error():
    codedeploy = ThrottledCodeDeploy()
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    before = panel.refresh_interval
    codedeploy.throttle = 1
    assert panel.refresh() == "Ready"
    assert panel.errors == [] and panel._message.value == ""
    assert "throttling" in panel._note.value and "⚠" not in panel._note.value
    assert panel.throttled_reads == 1 and panel.refresh_interval > before
    assert not panel._reroute_button.disabled, "the buttons still work"
    panel.refresh()
    assert panel._note.value == ""


def test_a_click_makes_the_panel_fast_again():
    panel = ApprovalPanel(FakeKit(FakeCodeDeploy()), "d-1")
    for _ in range(6):
        panel.refresh()
    assert panel.refresh_interval > 1.0
    panel.reroute()
    assert panel.refresh_interval == 1.0


# -- the ECS built-in panel ----------------------------------------------------------------------

ARN = "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/abc"
ELB = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
GROUPS = [f"{ELB}:targetgroup/t-tg-{n}/0{n}" for n in (1, 2)]
RULES = [f"{ELB}:listener-rule/app/t-alb/9/{n}/r{n}" for n in ("l80", "l8080")]
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:check"


class FakeEcs:
    """One service deployment paused at POST_TEST_TRAFFIC_SHIFT (a PAUSE hook, or a Lambda hook
    in progress); ContinueServiceDeployment and StopServiceDeployment move it as ECS does."""

    def __init__(self, kind: str = "PAUSE") -> None:
        self.kind = kind
        self.status, self.stage = "IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT"
        self.hook = "AWAITING_ACTION" if kind == "PAUSE" else "IN_PROGRESS"
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def describe_service_deployments(self, **_: Any) -> dict[str, Any]:
        detail = {"hookId": "h-1", "targetType": self.kind, "status": self.hook}
        hook: dict[str, Any] = {"targetType": self.kind, "lifecycleStages": [self.stage]}
        if self.kind != "PAUSE":
            detail["targetArn"] = hook["hookTargetArn"] = FUNCTION
        side = {"runningTaskCount": 2, "requestedTaskCount": 2}
        green = 100.0 if self.status == "SUCCESSFUL" else 0.0
        deployment = {
            "serviceDeploymentArn": ARN,
            "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
            "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/c/s",
            "status": self.status,
            "lifecycleStage": self.stage,
            "lifecycleHookDetails": [detail],
            "deploymentConfiguration": {"strategy": "BLUE_GREEN", "lifecycleHooks": [hook]},
            "sourceServiceRevisions": [
                {
                    "arn": "rev-1",
                    **side,
                    "requestedProductionTrafficWeight": 100.0 - green,
                    "requestedTestTrafficWeight": 0.0,
                },
            ],
            "targetServiceRevision": {
                "arn": "rev-2",
                **side,
                "requestedProductionTrafficWeight": green,
                "requestedTestTrafficWeight": 100.0,
            },
        }
        return {"serviceDeployments": [deployment], "failures": []}

    def describe_services(self, **_: Any) -> dict[str, Any]:
        advanced = {"alternateTargetGroupArn": GROUPS[1], "productionListenerRule": RULES[0],
                    "testListenerRule": RULES[1], "roleArn": "role"}  # fmt: skip
        balancer = {"targetGroupArn": GROUPS[0], "advancedConfiguration": advanced}
        return {"services": [{"status": "ACTIVE", "loadBalancers": [balancer]}]}

    def describe_service_revisions(self, serviceRevisionArns: list[str]) -> dict[str, Any]:
        return {
            "serviceRevisions": [
                {"serviceRevisionArn": arn, "taskDefinition": f"arn/t-web:{arn[-1]}"}
                for arn in serviceRevisionArns
            ]
        }

    def describe_task_definition(self, taskDefinition: str, **_: Any) -> dict[str, Any]:
        name = "nginx" if taskDefinition.endswith("1") else "fizzbuzz"
        return {"taskDefinition": {}, "tags": [{"key": "bgkit:revision", "value": name}]}

    def continue_service_deployment(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("continue_service_deployment", params))
        self.hook, self.stage = "SUCCEEDED", "BAKE_TIME"
        return {"serviceDeploymentArn": ARN}

    def stop_service_deployment(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("stop_service_deployment", params))
        self.status = "ROLLBACK_SUCCESSFUL"
        return {"serviceDeploymentArn": ARN}


class FakeElbv2:
    def describe_listeners(self, ListenerArns: list[str]) -> dict[str, Any]:
        ports = [(arn, 80 if arn.endswith("/l80") else 8080) for arn in ListenerArns]
        return {"Listeners": [{"ListenerArn": arn, "Port": port} for arn, port in ports]}

    def describe_rules(self, RuleArns: list[str]) -> dict[str, Any]:
        weights = {RULES[0]: (1, 0), RULES[1]: (0, 1)}

        def forward(arn: str) -> dict[str, Any]:
            groups = zip(GROUPS, weights[arn], strict=True)
            targets = [{"TargetGroupArn": group, "Weight": weight} for group, weight in groups]
            return {"Type": "forward", "ForwardConfig": {"TargetGroups": targets}}

        return {"Rules": [{"RuleArn": arn, "Actions": [forward(arn)]} for arn in RuleArns]}


class EcsKit(FakeKit):
    def __init__(self, ecs: FakeEcs, **settings: Any) -> None:
        super().__init__(FakeCodeDeploy(), **settings)
        self.clients.update(ecs=ecs, elbv2=FakeElbv2())


@pytest.fixture
def ecs() -> FakeEcs:
    return FakeEcs()


def test_a_pause_hook_enables_continue_and_roll_back(ecs):
    panel = ServiceDeploymentPanel(EcsKit(ecs), ARN)
    assert (panel.phase, panel.stage) == ("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT")
    assert [b.description for b in panel._buttons] == ["Continue", "Roll back"]
    assert not any(b.disabled for b in panel._buttons)
    assert "ContinueServiceDeployment(action=CONTINUE)" in panel._help.value
    assert "StopServiceDeployment(stopType=ROLLBACK)" in panel._help.value
    assert "AWAITING_ACTION" in panel._hooks.value and "fizzbuzz" in panel._revisions.value


def test_continue_answers_the_hook_and_the_bake_time_cannot_be_cut_short(ecs):
    panel = ServiceDeploymentPanel(EcsKit(ecs), ARN)
    panel._continue_button.click()
    assert ecs.calls == [
        ("continue_service_deployment",
         {"serviceDeploymentArn": ARN, "hookId": "h-1", "action": "CONTINUE"}),
    ]  # fmt: skip
    assert panel._continue_button.disabled and not panel._roll_back_button.disabled
    assert "no request that ends the bake time early" in panel._status.value


def test_roll_back_stops_the_service_deployment_with_rollback(ecs):
    panel = ServiceDeploymentPanel(EcsKit(ecs), ARN)
    panel._roll_back_button.click()
    assert ecs.calls == [
        ("stop_service_deployment", {"serviceDeploymentArn": ARN, "stopType": "ROLLBACK"})
    ]
    assert panel.phase == "ROLLBACK_SUCCESSFUL"
    assert all(b.disabled for b in panel._buttons)


def test_a_lambda_hook_decides_itself_no_continue_button():
    ecs = FakeEcs("AWS_LAMBDA")
    panel = ServiceDeploymentPanel(EcsKit(ecs), ARN)
    assert panel._continue_button.disabled and not panel._roll_back_button.disabled
    assert "Lambda hook decides" in panel._status.value
    assert "check" in panel._hooks.value and "IN_PROGRESS" in panel._hooks.value
    assert panel.continue_() is False and ecs.calls == []


def test_on_autopilot_reroute_presses_continue(ecs):
    panel = ServiceDeploymentPanel(EcsKit(ecs, autopilot="reroute"), ARN)
    assert run(panel.decision()) == "continue"
    assert ecs.calls[0][0] == "continue_service_deployment"


def test_the_japanese_panel_shows_the_consoles_words(ecs):
    panel = ServiceDeploymentPanel(EcsKit(ecs), ARN, lang="ja")
    assert [b.description for b in panel._buttons] == ["続行", "ロールバック"]
    assert "ライフサイクルステージ" in panel._status.value
    assert "ステージ" in panel._hooks.value and "本稼働" in panel._revisions.value


def test_repr_is_stable_text(ecs):
    panel = ServiceDeploymentPanel(EcsKit(ecs), ARN)
    assert panel._repr_mimebundle_()["text/plain"] == f"ServiceDeploymentPanel(arn={ARN!r})"

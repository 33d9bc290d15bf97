"""The approval panel, headless: buttons pressed with ``Button.click()`` against a fake
CodeDeploy that moves through a deployment's phases as AWS's would."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bgkit.config import Settings
from bgkit.widgets import ApprovalError, ApprovalPanel, ApprovalTimeout

EVENTS = (
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run`` in a thread of its own: another test's library may have left an event
    loop running in this one (Playwright's sync API does)."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as error:
            result["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    if "error" in result:
        raise result["error"]
    return result["value"]


class NotStarted(Exception):
    pass


class FakeCodeDeploy:
    """One deployment: ``Ready`` → reroute → termination wait → ``Succeeded``; or stopped."""

    exceptions = SimpleNamespace(DeploymentNotStartedException=NotStarted)

    def __init__(self, status: str = "Ready") -> None:
        self.status, self.target = status, "Ready"
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.refuse: str | None = None

    def _events(self) -> list[dict[str, Any]]:
        done = 5 if self.target == "Ready" else 8
        return [
            {"lifecycleEventName": e, "status": "Succeeded" if i < done else "Pending"}
            for i, e in enumerate(EVENTS)
        ]

    def get_deployment(self, deploymentId: str) -> dict[str, Any]:
        return {"deploymentInfo": {"deploymentId": deploymentId, "status": self.status}}

    def list_deployment_targets(self, deploymentId: str) -> dict[str, Any]:
        return {"targetIds": ["cluster:service"]}

    def get_deployment_target(self, deploymentId: str, targetId: str) -> dict[str, Any]:
        green = 100.0 if self.target == "Succeeded" else 0.0
        return {
            "deploymentTarget": {
                "ecsTarget": {
                    "status": self.target,
                    "lifecycleEvents": self._events(),
                    "taskSetsInfo": [
                        {
                            "taskSetLabel": "Blue",
                            "targetGroup": {"name": "t-tg-1"},
                            "trafficWeight": 100.0 - green,
                            "runningCount": 2,
                            "desiredCount": 2,
                        },
                        {
                            "taskSetLabel": "Green",
                            "targetGroup": {"name": "t-tg-2"},
                            "trafficWeight": green,
                            "runningCount": 2,
                            "desiredCount": 2,
                        },
                    ],
                }
            }
        }

    def _check(self, operation: str) -> None:
        if self.refuse == operation:
            raise ClientError(
                {"Error": {"Code": "DeploymentIsNotInReadyStateException", "Message": "no"}},
                operation,
            )

    def continue_deployment(self, **params: Any) -> None:
        self.calls.append(("continue_deployment", params))
        self._check("ContinueDeployment")
        if params["deploymentWaitType"] == "READY_WAIT":
            self.status, self.target = "InProgress", "Succeeded"
        else:
            self.status = "Succeeded"

    def stop_deployment(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("stop_deployment", params))
        self._check("StopDeployment")
        self.status = "Stopped"
        return {"status": "Succeeded"}


class FakeElbv2:
    def describe_load_balancers(self, **_: Any) -> dict[str, Any]:
        return {"LoadBalancers": [{"LoadBalancerArn": "lb"}]}

    def describe_target_groups(self, **_: Any) -> dict[str, Any]:
        return {
            "TargetGroups": [
                {"TargetGroupArn": "tg1", "TargetGroupName": "t-tg-1"},
                {"TargetGroupArn": "tg2", "TargetGroupName": "t-tg-2"},
            ]
        }

    def describe_listeners(self, **_: Any) -> dict[str, Any]:
        forward = {"Type": "forward", "TargetGroupArn": "tg1"}
        return {
            "Listeners": [
                {"Port": 80, "DefaultActions": [forward]},
                {"Port": 8080, "DefaultActions": [forward]},
            ]
        }


class FakeEcs:
    def describe_services(self, **_: Any) -> dict[str, Any]:
        task_set = {
            "status": "PRIMARY",
            "taskDefinition": "arn/t-web:1",
            "runningCount": 2,
            "computedDesiredCount": 2,
            "stabilityStatus": "STEADY_STATE",
            "loadBalancers": [{"targetGroupArn": "tg1"}],
        }
        return {"services": [{"status": "ACTIVE", "taskSets": [task_set]}]}

    def describe_task_definition(self, **_: Any) -> dict[str, Any]:
        return {"taskDefinition": {}, "tags": [{"key": "bgkit:revision", "value": "nginx"}]}


class FakeKit:
    def __init__(self, codedeploy: FakeCodeDeploy, **settings: Any) -> None:
        self.settings = Settings.load({}, prefix="t", **settings)
        self.clients = {"codedeploy": codedeploy, "elbv2": FakeElbv2(), "ecs": FakeEcs()}

    def client(self, name: str, **_: Any) -> Any:
        return self.clients[name]


@pytest.fixture
def codedeploy() -> FakeCodeDeploy:
    return FakeCodeDeploy()


def test_ready_enables_reroute_and_rollback_only(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    assert panel.phase == "Ready"
    assert not panel._reroute_button.disabled
    assert not panel._roll_back_button.disabled
    assert panel._terminate_button.disabled


def test_reroute_click_continues_the_ready_wait_then_terminate_is_enabled(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    panel._reroute_button.click()
    assert codedeploy.calls == [
        ("continue_deployment", {"deploymentId": "d-1", "deploymentWaitType": "READY_WAIT"})
    ]
    assert panel.phase == "TerminationWait"
    assert panel._reroute_button.disabled and not panel._terminate_button.disabled
    panel._terminate_button.click()
    assert codedeploy.calls[-1][1]["deploymentWaitType"] == "TERMINATION_WAIT"
    assert panel.phase == "Succeeded"
    assert all(button.disabled for button in panel._buttons)


def test_roll_back_click_stops_with_rollback(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    panel._roll_back_button.click()
    assert codedeploy.calls == [
        ("stop_deployment", {"deploymentId": "d-1", "autoRollbackEnabled": True})
    ]
    assert panel.phase == "Stopped"


def test_an_aws_error_is_shown_in_the_panel_and_kept(codedeploy):
    codedeploy.refuse = "ContinueDeployment"
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    assert panel.reroute() is False
    assert "DeploymentIsNotInReadyStateException" in panel.errors[0]
    assert "DeploymentIsNotInReadyStateException" in panel._message.value


def test_decision_on_autopilot_presses_the_button_itself(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy, autopilot="reroute"), "d-1")
    assert run(panel.decision()) == "reroute"
    assert codedeploy.status == "InProgress"


def test_decision_expect_overrides_the_autopilot_choice(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy, autopilot="reroute"), "d-1")
    assert run(panel.decision(expect="rollback")) == "rollback"
    assert codedeploy.status == "Stopped"


def test_decision_waits_for_a_click_made_while_it_awaits(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")

    async def click_later() -> str:
        waiting = asyncio.ensure_future(panel.decision(timeout=5))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        panel._roll_back_button.click()
        return await waiting

    assert run(click_later()) == "rollback"


def test_decision_without_a_click_fails_clearly_after_the_timeout(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy, approval_timeout=0.3), "d-1")
    with pytest.raises(ApprovalTimeout, match="BGKIT_AUTOPILOT"):
        run(panel.decision())


def test_autopilot_refused_raises_with_aws_message(codedeploy):
    codedeploy.refuse = "ContinueDeployment"
    panel = ApprovalPanel(FakeKit(codedeploy, autopilot="reroute"), "d-1")
    with pytest.raises(ApprovalError, match="DeploymentIsNotInReadyState"):
        run(panel.decision())


def test_decision_returns_the_phase_when_the_deployment_ended_without_one(codedeploy):
    codedeploy.status = "Stopped"
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    assert run(panel.decision(timeout=5)) == "Stopped"


def test_button_labels_are_never_cut_short(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    assert all(button.layout.width == "auto" for button in panel._buttons)


def test_repr_is_stable_text(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    bundle = panel._repr_mimebundle_()
    assert bundle["text/plain"] == "ApprovalPanel(deployment_id='d-1')"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_settled_after_a_reroute_is_the_termination_wait(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    panel.reroute()
    assert run(panel.settled(timeout=5)) == "TerminationWait"


def test_settled_after_a_rollback_is_stopped_once_the_rollback_ended(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    panel.roll_back()
    assert run(panel.settled(timeout=5)) == "Stopped"


class HookedCodeDeploy(FakeCodeDeploy):
    """A deployment whose AppSpec (read back with GetApplicationRevision) names a hook."""

    APPSPEC = (
        "version: 0.0\nResources: []\nHooks:\n  - AfterAllowTestTraffic: CodeDeployHook_check\n"
    )

    def get_deployment(self, deploymentId: str) -> dict[str, Any]:
        info = super().get_deployment(deploymentId)
        info["deploymentInfo"].update(
            applicationName="t-app",
            revision={"revisionType": "AppSpecContent", "appSpecContent": {"sha256": "ab"}},
        )
        return info

    def get_application_revision(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("get_application_revision", params))
        content = {"content": self.APPSPEC, "sha256": "ab"}
        return {"revision": {"revisionType": "AppSpecContent", "appSpecContent": content}}


def test_the_panel_shows_each_hook_beside_its_event_and_reads_the_appspec_once():
    codedeploy = HookedCodeDeploy()
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    panel.refresh()
    table = panel._events.value
    assert "<th>hook</th>" in table
    row = next(r for r in table.split("<tr>") if "AfterAllowTestTraffic" in r)
    assert "Succeeded" in row and "CodeDeployHook_check" in row
    assert "CodeDeployHook_check" not in next(r for r in table.split("<tr>") if "Install<" in r)
    reads = [c for c in codedeploy.calls if c[0] == "get_application_revision"]
    assert len(reads) == 1 and reads[0][1]["applicationName"] == "t-app"


def test_a_deployment_without_hooks_shows_no_hook_column(codedeploy):
    panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
    assert "hook" not in panel._events.value

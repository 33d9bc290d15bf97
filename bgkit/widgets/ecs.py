"""The approval panel of an ECS built-in blue/green deployment (notebook 09), with the look and
words of :class:`~bgkit.widgets.ApprovalPanel`.

:class:`ServiceDeploymentPanel` follows one *service deployment* (``DescribeServiceDeployments``):
its status and lifecycle stage (``TEST_TRAFFIC_SHIFT``, ``POST_TEST_TRAFFIC_SHIFT``, …,
``BAKE_TIME``, ``CLEAN_UP``), its lifecycle hooks and their status, the blue (source) and green
(target) revisions with the traffic ECS asks for each, and the topology the production and test
listener rules make. Its buttons send what ECS offers:

- *Continue* → :meth:`ServiceDeploymentPanel.continue_` (``ContinueServiceDeployment`` with
  ``action=CONTINUE`` and the waiting ``PAUSE`` hook's ``hookId``), while a pause hook waits;
  a Lambda hook is answered by its function's ``hookStatus``, not by a button;
- *Roll back* → :meth:`ServiceDeploymentPanel.roll_back` (``StopServiceDeployment`` with
  ``stopType=ROLLBACK``), while the deployment is in progress.

ECS has nothing like CodeDeploy's *Terminate original task set now*: the bake time runs to its
end, and the panel says so instead of showing a button. ``await panel.decision()`` waits for a
click as the CodeDeploy panel does (``BGKIT_AUTOPILOT=reroute`` presses *Continue*,
``rollback`` *Roll back*). Each refresh is one snapshot in two API calls
(:class:`bgkit.observe.snapshot.ServiceDeploymentReader`).
"""

from __future__ import annotations

import asyncio
import datetime
import html
import time
from typing import Any

import ipywidgets as widgets

from bgkit.labels import word
from bgkit.links import PortLinks
from bgkit.observe.plots import GREY
from bgkit.observe.service_deployment import (
    awaiting_pause,
    hooks_frame,
    revisions_frame,
    service_topology,
)
from bgkit.observe.snapshot import ServiceDeploymentReader, ServiceDeploymentSnapshot
from bgkit.widgets.parts import TICK, ApprovalError, DeploymentPanel, button, table

__all__ = ["FINAL", "ServiceDeploymentPanel"]

#: statuses of a service deployment that is over
FINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
#: statuses in which StopServiceDeployment can still roll it back
STOPPABLE = ("PENDING", "IN_PROGRESS")


class ServiceDeploymentPanel(DeploymentPanel):
    """A live view of one ECS service deployment with the buttons that decide it.

    Args:
        kit: the handle of :func:`bgkit.connect`.
        arn: the service deployment's ARN (``UpdateService``'s ``currentServiceDeployment``).
        refresh_interval: wall seconds between two refreshes while things change.
        lang: ``en`` or ``ja``; default ``BGKIT_LANG``'s.
    """

    FINAL = FINAL
    READ_FAILED = "could_not_read_service_deployment"

    def __init__(
        self, kit: Any, arn: str, *, refresh_interval: float = 1.0, lang: str | None = None
    ) -> None:
        self._start(kit, lang, refresh_interval)
        self.arn = arn
        #: the lifecycle stage the deployment is in, and why it ended as it did
        self.stage = self.reason = ""
        self._reader = ServiceDeploymentReader(kit, arn)
        self._hook_id: str | None = None
        self._hooks = widgets.HTML()
        self._revisions = widgets.HTML()
        self._continue_button = button("continue", self.lang, button_style="success", icon="play")
        self._roll_back_button = button(
            "ecs_roll_back", self.lang, button_style="danger", icon="undo"
        )
        self._wire(self._continue_button, self.continue_)
        self._wire(self._roll_back_button, self.roll_back)
        says = " · ".join(
            html.escape(word(key, self.lang)) for key in ("continue_does", "roll_back_does")
        )
        self._help = widgets.HTML(f'<span style="color:{GREY};font-size:90%">{says}</span>')
        short = html.escape(arn.rsplit("/", 1)[-1])
        title = (
            f"<b>{word('service_deployment', self.lang)} <code>{short}</code></b>"
            f" — {PortLinks(kit).html()}"
        )
        self._lay_out(title, self._hooks, self._revisions, self._help)
        self.refresh()

    # -- what the buttons do ------------------------------------------------------------------

    def continue_(self) -> bool:
        """Answer the waiting pause hook: ``ContinueServiceDeployment(action=CONTINUE)``."""
        hook_id = self._hook_id
        if hook_id is None:
            self._error("no pause hook waits for an answer: there is nothing to continue")
            return False
        return self._act(
            "continue",
            lambda: self._reader.ecs.continue_service_deployment(
                serviceDeploymentArn=self.arn, hookId=hook_id, action="CONTINUE"
            ),
        )

    def roll_back(self) -> bool:
        """Stop the deployment and put blue back: ``StopServiceDeployment(ROLLBACK)``."""
        return self._act(
            "rollback",
            lambda: self._reader.ecs.stop_service_deployment(
                serviceDeploymentArn=self.arn, stopType="ROLLBACK"
            ),
        )

    @property
    def _buttons(self) -> tuple[widgets.Button, ...]:
        return (self._continue_button, self._roll_back_button)

    # -- what it shows --------------------------------------------------------------------------

    def _read(self) -> ServiceDeploymentSnapshot:
        return self._reader.read()

    def _draw(self, snapshot: ServiceDeploymentSnapshot) -> Any:
        deployment = snapshot.deployment
        self.phase = deployment.get("status", "")
        self.stage = deployment.get("lifecycleStage", "")
        pause = awaiting_pause(deployment) if self.phase == "IN_PROGRESS" else None
        self._hook_id = pause["hookId"] if pause else None
        self._status.value = self._status_html(deployment, pause)
        self._hooks.value = table(hooks_frame(snapshot), "status", self.lang)
        self._revisions.value = table(revisions_frame(snapshot), "label", self.lang)
        key = self._show_topology(service_topology(snapshot))
        self._continue_button.disabled = pause is None
        self._roll_back_button.disabled = self.phase not in STOPPABLE
        return (self._status.value, self._hooks.value, self._revisions.value, key)

    def _status_html(self, deployment: dict[str, Any], pause: dict[str, Any] | None) -> str:
        parts = [f"{word('phase', self.lang)}: <b>{html.escape(self.phase)}</b>"]
        if self.stage:
            parts.append(f"{word('stage', self.lang)}: <b>{html.escape(self.stage)}</b>")
        if pause is not None and isinstance(pause.get("expiresAt"), datetime.datetime):
            ends = f"{pause['expiresAt'].astimezone(datetime.timezone.utc):%H:%M:%S}"
            action = pause.get("timeoutAction", "ROLLBACK")
            parts.append(html.escape(word("paused_until", self.lang, time=ends, action=action)))
        details = deployment.get("lifecycleHookDetails", [])
        if self.phase == "IN_PROGRESS" and any(
            d.get("targetType") == "AWS_LAMBDA" and d.get("status") == "IN_PROGRESS"
            for d in details
        ):
            parts.append(html.escape(word("lambda_decides", self.lang)))
        if self.phase == "IN_PROGRESS" and self.stage == "BAKE_TIME":
            parts.append(html.escape(word("no_early_end", self.lang)))
        self.reason = deployment.get("statusReason") or deployment.get("rollback", {}).get(
            "reason", ""
        )
        if self.reason:
            parts.append(html.escape(self.reason))
        return " · ".join(parts)

    # -- waiting without blocking widget events -------------------------------------------------

    async def decision(self, expect: str | None = None, timeout: float | None = None) -> str:
        """Wait until someone continues the pause hook or rolls back; return ``"continue"`` or
        ``"rollback"`` (or the status if the deployment ended without a decision).

        Args:
            expect: the choice this step teaches; on autopilot it is taken instead of
                ``BGKIT_AUTOPILOT``'s (whose ``reroute`` presses *Continue*).
            timeout: wall seconds; default ``BGKIT_APPROVAL_TIMEOUT``.

        Raises:
            ApprovalTimeout: nobody decided in time.
            ApprovalError: the autopilot's choice was refused.
        """
        return await self._decide(
            expect,
            timeout,
            choices={"continue": self._continue_button, "rollback": self._roll_back_button},
            open_=lambda: self._hook_id is not None,
            what=f"service deployment {self.arn}",
        )

    async def until(self, *statuses: str, timeout: float = 600.0) -> str:
        """Keep the panel live until the deployment's status is one of ``statuses``, or it
        ended; return the status.

        Raises:
            ApprovalError: it ended with another status.
            TimeoutError: it did not get there within ``timeout`` wall seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            now = self._tick()
            if now in statuses:
                return now
            if now in FINAL:
                reason = f": {self.reason}" if self.reason else ""
                raise ApprovalError(f"service deployment {self.arn} ended {now}{reason}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"service deployment {self.arn} is still {now} {self.stage}")
            await asyncio.sleep(TICK)

    async def settled(self, timeout: float = 600.0) -> str:
        """Keep the panel live until the deployment is over (``SUCCESSFUL`` after *Continue*
        and the bake time, ``ROLLBACK_SUCCESSFUL`` after *Roll back*); return the status."""
        return await self.until(*FINAL, timeout=timeout)

    def __repr__(self) -> str:
        return f"ServiceDeploymentPanel(arn={self.arn!r})"

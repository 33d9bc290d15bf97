"""The approval panel: a deployment live, and the buttons that decide it (ipywidgets).

:class:`ApprovalPanel` shows one CodeDeploy deployment — its phase, lifecycle events (with the
AppSpec's Lambda hook of each hook event beside its status), the blue and green task sets with
their traffic weights, the time the ready wait ends, and a picture of the topology (the load
balancer, its production and test listeners, the target groups with their weights, the blue and
green task sets: :func:`bgkit.observe.plot_topology`) redrawn when it changes — with three
buttons:

- *Reroute traffic* → :meth:`ApprovalPanel.reroute` (``ContinueDeployment``, ``READY_WAIT``);
- *Stop and roll back* → :meth:`ApprovalPanel.roll_back` (``StopDeployment`` with rollback);
- *Terminate original task set now* → :meth:`ApprovalPanel.terminate_now`
  (``ContinueDeployment``, ``TERMINATION_WAIT``), once traffic is rerouted.

Each refresh is one snapshot in four API calls (:class:`bgkit.observe.snapshot.DeploymentReader`)
at the pace of :class:`bgkit.observe.pace.Pace`. Buttons enable and disable with the phase; an
error AWS answers is shown in the panel and kept in
:attr:`ApprovalPanel.errors`. ``await panel.decision()`` waits for a click without blocking the
kernel's widget events (a loop on ``asyncio.sleep``, which ipykernel ≥ 7.4 needs); with
``BGKIT_AUTOPILOT`` it presses the button itself, and without a decision it fails after
``BGKIT_APPROVAL_TIMEOUT`` seconds, so no headless run hangs. Its words are English or, with
``BGKIT_LANG=ja`` or ``lang="ja"``, Japanese with the console's button labels (:mod:`bgkit.labels`).
"""

from __future__ import annotations

import asyncio
import datetime
import html
import time
from typing import Any

import ipywidgets as widgets
import yaml

from bgkit.labels import word
from bgkit.links import PortLinks
from bgkit.observe.frames import events_frame, forwards_frame, target_task_sets_frame
from bgkit.observe.snapshot import DeploymentReader, DeploymentSnapshot
from bgkit.observe.topology import merge_topology, task_sets_topology
from bgkit.walkthrough.deploy import phase, reached
from bgkit.widgets.parts import (
    TICK,
    ApprovalError,
    ApprovalTimeout,
    DeploymentPanel,
    button,
    table,
)

__all__ = ["ApprovalError", "ApprovalPanel", "ApprovalTimeout", "appspec_hooks"]

FINAL = ("Succeeded", "Failed", "Stopped")


class ApprovalPanel(DeploymentPanel):
    """A live view of one deployment with the buttons that decide it.

    Args:
        kit: the handle of :func:`bgkit.connect`.
        deployment_id: the deployment to follow.
        refresh_interval: wall seconds between two refreshes while things change (at least
            :data:`bgkit.observe.pace.AWS_FASTEST` on aws; longer while nothing changes).
        lang: the language of its words, ``en`` or ``ja``; default ``BGKIT_LANG``'s.
    """

    FINAL = FINAL

    def __init__(
        self, kit: Any, deployment_id: str, *, refresh_interval: float = 1.0,
        lang: str | None = None,
    ) -> None:  # fmt: skip
        self._start(kit, lang, refresh_interval)
        self.deployment_id = deployment_id
        self.ready_wait_ends: datetime.datetime | None = None
        self._reader = DeploymentReader(kit, deployment_id, appspec_hooks)
        self._info: dict[str, Any] = {}

        self._events = widgets.HTML()
        self._task_sets = widgets.HTML()
        self._reroute_button = button("reroute", self.lang, button_style="success", icon="random")
        self._roll_back_button = button("roll_back", self.lang, button_style="danger", icon="undo")
        self._terminate_button = button("terminate", self.lang, icon="trash")
        self._wire(self._reroute_button, self.reroute)
        self._wire(self._roll_back_button, self.roll_back)
        self._wire(self._terminate_button, self.terminate_now)
        title = (
            f"<b>{word('deployment', self.lang)} <code>{html.escape(deployment_id)}</code></b>"
            f" — {PortLinks(kit).html()}"
        )
        self._lay_out(title, self._events, self._task_sets)
        self.refresh()

    # -- what the buttons do ------------------------------------------------------------------

    def reroute(self) -> bool:
        """Send production traffic to the new revision: ``ContinueDeployment(READY_WAIT)``."""
        return self._act(
            "reroute",
            lambda: self._reader.codedeploy.continue_deployment(
                deploymentId=self.deployment_id, deploymentWaitType="READY_WAIT"
            ),
        )

    def roll_back(self) -> bool:
        """Stop the deployment and put everything back: ``StopDeployment`` with rollback."""
        return self._act(
            "rollback",
            lambda: self._reader.codedeploy.stop_deployment(
                deploymentId=self.deployment_id, autoRollbackEnabled=True
            ),
        )

    def terminate_now(self) -> bool:
        """End the termination wait: ``ContinueDeployment(TERMINATION_WAIT)``."""
        return self._act(
            None,
            lambda: self._reader.codedeploy.continue_deployment(
                deploymentId=self.deployment_id, deploymentWaitType="TERMINATION_WAIT"
            ),
        )

    @property
    def _buttons(self) -> tuple[widgets.Button, ...]:
        return (self._reroute_button, self._roll_back_button, self._terminate_button)

    # -- what it shows --------------------------------------------------------------------------

    def _read(self) -> DeploymentSnapshot:
        return self._reader.read()

    def _draw(self, snapshot: DeploymentSnapshot) -> Any:
        info, target = snapshot.info, snapshot.target
        self._info = info
        self.phase = phase(info, target)
        self.ready_wait_ends = _ready_wait_end(info, target)
        topology = merge_topology(
            forwards_frame(snapshot.listeners, snapshot.group_names),
            task_sets_topology(
                snapshot.task_sets, target, snapshot.group_names, snapshot.revisions.__getitem__
            ),
        )
        self._status.value = self._status_html(info)
        events = _with_hooks(events_frame(target), snapshot.hooks)
        self._events.value = table(events, "status", self.lang)
        self._task_sets.value = table(target_task_sets_frame(target), "label", self.lang)
        key = self._show_topology(topology)
        self._reroute_button.disabled = self.phase != "Ready"
        self._roll_back_button.disabled = self.phase not in ("InProgress", "Ready", "Created")
        self._terminate_button.disabled = self.phase != "TerminationWait"
        return (self._status.value, self._events.value, self._task_sets.value, key)

    def _status_html(self, info: dict[str, Any]) -> str:
        parts = [f"{word('phase', self.lang)}: <b>{html.escape(self.phase)}</b>"]
        if self.phase == "Ready" and self.ready_wait_ends is not None:
            ends = f"{self.ready_wait_ends:%H:%M:%S}"
            parts.append(word("ready_wait_ends", self.lang, time=ends))
        error = info.get("errorInformation")
        if error:
            parts.append(html.escape(f"{error.get('code')}: {error.get('message')}"))
        rollback = info.get("rollbackInfo", {}).get("rollbackDeploymentId")
        if rollback:
            code = f"<code>{html.escape(rollback)}</code>"
            parts.append(word("rolled_back_by", self.lang, deployment=code))
        return " · ".join(parts)

    # -- waiting without blocking widget events -------------------------------------------------

    async def decision(self, expect: str | None = None, timeout: float | None = None) -> str:
        """Wait until someone reroutes traffic or rolls back; return ``"reroute"`` or
        ``"rollback"`` (or the deployment's phase if it ended without a decision).

        Args:
            expect: the choice this step of the walkthrough teaches; on autopilot it is taken
                instead of ``BGKIT_AUTOPILOT``'s.
            timeout: wall seconds; default ``BGKIT_APPROVAL_TIMEOUT``.

        Raises:
            ApprovalTimeout: nobody decided in time.
            ApprovalError: the autopilot's choice was refused.
        """
        return await self._decide(
            expect,
            timeout,
            choices={"reroute": self._reroute_button, "rollback": self._roll_back_button},
            open_=lambda: self.phase == "Ready",
            what=f"deployment {self.deployment_id}",
        )

    async def until(self, *phases: str, timeout: float = 600.0) -> str:
        """Keep the panel live until the deployment reaches one of ``phases`` (or has gone past
        it on the way to success); return the phase.

        Raises:
            TimeoutError: it did not, within ``timeout`` wall seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            now = self._tick()
            if reached(now, phases):
                return now
            if now in FINAL:
                raise ApprovalError(f"deployment {self.deployment_id} ended {now}, not {phases}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"deployment {self.deployment_id} is still {now}")
            await asyncio.sleep(TICK)

    async def settled(self, timeout: float = 600.0) -> str:
        """Keep the panel live until the decision has taken effect; return the phase.

        After *Reroute traffic*: the termination wait (or later). After *Stop and roll back*, or
        when the ready wait ran out: ``Stopped``, once CodeDeploy's rollback deployment has put
        the listeners back (it succeeded). A deployment that failed returns ``Failed``.

        Raises:
            TimeoutError: it did not settle within ``timeout`` wall seconds.
        """
        deadline = time.monotonic() + timeout
        looked = -1  # the read after which the rollback deployment was looked at
        while True:
            now = self._tick()
            if reached(now, ("TerminationWait",)) or now == "Failed":
                return now
            if now == "Stopped" and looked != self.reads:
                looked = self.reads
                if self._rolled_back():
                    return now
            if time.monotonic() > deadline:
                raise TimeoutError(f"deployment {self.deployment_id} is still {now}")
            await asyncio.sleep(TICK)

    def _rolled_back(self) -> bool:
        """Whether the deployment's rollback deployment, if it has one, has ended."""
        info = self._info
        rollback = info.get("rollbackInfo", {}).get("rollbackDeploymentId")
        if not rollback:
            return not info.get("autoRollbackConfiguration", {}).get("enabled", False)
        return self._reader.deployment(rollback)["status"] in FINAL

    # -- how it shows itself --------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"ApprovalPanel(deployment_id={self.deployment_id!r})"


def _ready_wait_end(info: dict[str, Any], target: dict[str, Any] | None) -> Any:
    wait = (
        info.get("blueGreenDeploymentConfiguration", {})
        .get("deploymentReadyOption", {})
        .get("waitTimeInMinutes")
    )
    if not wait or target is None:
        return None
    ended = [e.get("endTime") for e in target.get("lifecycleEvents", []) if e.get("endTime")]
    if not ended:
        return None
    started = max(ended)
    return started.astimezone(datetime.timezone.utc) + datetime.timedelta(minutes=wait)


def appspec_hooks(codedeploy: Any, info: dict[str, Any]) -> dict[str, str]:
    """``{lifecycle event: Lambda function}`` from the ``Hooks`` of a deployment's AppSpec, read
    with ``GetApplicationRevision`` (none for a revision that is not AppSpec content)."""
    revision = info.get("revision") or {}
    if revision.get("revisionType") not in ("AppSpecContent", "String"):
        return {}
    found = codedeploy.get_application_revision(
        applicationName=info["applicationName"], revision=revision
    )["revision"]
    content = (found.get("appSpecContent") or found.get("string") or {}).get("content") or ""
    try:
        document = yaml.safe_load(content)
    except yaml.YAMLError:
        return {}
    hooks = document.get("Hooks") if isinstance(document, dict) else None
    return {
        str(event): str(function)
        for item in (hooks if isinstance(hooks, list) else [])
        if isinstance(item, dict)
        for event, function in item.items()
    }


def _with_hooks(events: Any, hooks: dict[str, str]) -> Any:
    """The events table with a ``hook`` column (the function of each hook event) when the
    AppSpec names hooks."""
    if not hooks or events.empty:
        return events
    shown = events.copy()
    shown["hook"] = [hooks.get(str(name), "") for name in shown["event"]]
    return shown

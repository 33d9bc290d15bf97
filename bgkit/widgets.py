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

Buttons enable and disable with the phase; an error AWS answers is shown in the panel and kept in
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
import io
import time
from collections.abc import Callable
from typing import Any, Protocol

import ipywidgets as widgets
import yaml
from botocore.exceptions import BotoCoreError, ClientError

from bgkit.errors import BgkitError
from bgkit.labels import header, word
from bgkit.live import LiveBox
from bgkit.observe.frames import deployment_frame, deployment_task_sets_frame
from bgkit.observe.plots import BLUE, GREEN, GREY, RED
from bgkit.observe.topology import plot_topology, topology_frame
from bgkit.walkthrough.deploy import deployment, deployment_target, phase, reached

__all__ = ["ApprovalError", "ApprovalPanel", "ApprovalTimeout"]

FINAL = ("Succeeded", "Failed", "Stopped")
DECISIONS = ("reroute", "rollback")


class ApprovalTimeout(BgkitError, TimeoutError):
    """Nobody decided within ``BGKIT_APPROVAL_TIMEOUT`` seconds."""


class ApprovalError(BgkitError, RuntimeError):
    """The decision could not be carried out (AWS refused it)."""


class ApprovalPanel(LiveBox):
    """A live view of one deployment with the buttons that decide it.

    Args:
        kit: the handle of :func:`bgkit.connect`.
        deployment_id: the deployment to follow.
        refresh_interval: wall seconds between two refreshes while it is followed.
        lang: the language of its words, ``en`` or ``ja``; default ``BGKIT_LANG``'s.
    """

    def __init__(
        self, kit: Any, deployment_id: str, *, refresh_interval: float = 1.0,
        lang: str | None = None,
    ) -> None:  # fmt: skip
        self._kit = kit
        self.lang = lang or getattr(kit.settings, "lang", None) or "en"
        word("phase", self.lang)  # an unknown language is refused here
        self.deployment_id = deployment_id
        self.refresh_interval = refresh_interval
        self.errors: list[str] = []
        self.phase = ""
        self.ready_wait_ends: datetime.datetime | None = None
        self._decision: str | None = None
        #: ``time.monotonic()`` when the decision was carried out (for a probe's mark)
        self.decided_at: float | None = None
        self._topology_key = ""
        self._hooks: dict[str, str] | None = None  # the AppSpec's hooks, read on the first refresh

        self._title = widgets.HTML(
            f"<b>{word('deployment', self.lang)} <code>{html.escape(deployment_id)}</code></b>"
        )
        self._status = widgets.HTML()
        self._events = widgets.HTML()
        self._task_sets = widgets.HTML()
        self._picture = widgets.Image(format="png", layout=widgets.Layout(max_width="800px"))
        self._message = widgets.HTML()
        # width "auto": a button as wide as its label, never "Stop and roll b…"
        self._reroute_button = widgets.Button(
            description=word("reroute", self.lang), button_style="success", icon="random",
            disabled=True, layout=widgets.Layout(width="auto"),
        )  # fmt: skip
        self._roll_back_button = widgets.Button(
            description=word("roll_back", self.lang), button_style="danger", icon="undo",
            disabled=True, layout=widgets.Layout(width="auto"),
        )  # fmt: skip
        self._terminate_button = widgets.Button(
            description=word("terminate", self.lang),
            icon="trash",
            disabled=True,
            layout=widgets.Layout(width="auto"),
        )
        self._reroute_button.on_click(self._on_reroute_button_click)
        self._roll_back_button.on_click(self._on_roll_back_button_click)
        self._terminate_button.on_click(self._on_terminate_button_click)
        super().__init__(
            children=[
                self._title,
                self._status,
                widgets.HBox([self._events, self._task_sets]),
                self._picture,
                widgets.HBox(
                    [self._reroute_button, self._roll_back_button, self._terminate_button]
                ),
                self._message,
            ]
        )
        self.refresh()

    # -- what the buttons do ------------------------------------------------------------------

    def _on_reroute_button_click(self, _button: widgets.Button) -> None:
        self.reroute()

    def _on_roll_back_button_click(self, _button: widgets.Button) -> None:
        self.roll_back()

    def _on_terminate_button_click(self, _button: widgets.Button) -> None:
        self.terminate_now()

    def reroute(self) -> bool:
        """Send production traffic to the new revision: ``ContinueDeployment(READY_WAIT)``."""
        return self._act(
            "reroute",
            lambda cd: cd.continue_deployment(
                deploymentId=self.deployment_id, deploymentWaitType="READY_WAIT"
            ),
        )

    def roll_back(self) -> bool:
        """Stop the deployment and put everything back: ``StopDeployment`` with rollback."""
        return self._act(
            "rollback",
            lambda cd: cd.stop_deployment(
                deploymentId=self.deployment_id, autoRollbackEnabled=True
            ),
        )

    def terminate_now(self) -> bool:
        """End the termination wait: ``ContinueDeployment(TERMINATION_WAIT)``."""
        return self._act(
            None,
            lambda cd: cd.continue_deployment(
                deploymentId=self.deployment_id, deploymentWaitType="TERMINATION_WAIT"
            ),
        )

    def _act(self, decision: str | None, call: Any) -> bool:
        for button in self._buttons:
            button.disabled = True
        try:
            call(self._kit.client("codedeploy"))
        except (ClientError, BotoCoreError) as error:
            self._error(str(error))
            self.refresh()
            return False
        if decision is not None and self._decision is None:
            self._decision = decision
            self.decided_at = time.monotonic()
        self._message.value = ""
        self.refresh()
        return True

    def _error(self, text: str) -> None:
        self.errors.append(text)
        self._message.value = f'<span style="color:#b42318">⚠ {html.escape(text)}</span>'

    @property
    def _buttons(self) -> tuple[widgets.Button, ...]:
        return (self._reroute_button, self._roll_back_button, self._terminate_button)

    # -- what it shows --------------------------------------------------------------------------

    def refresh(self) -> str:
        """Read the deployment again and redraw; returns its phase. Never raises: a failed read
        is shown in the panel."""
        try:
            info = deployment(self._kit, self.deployment_id)
            target = deployment_target(self._kit, self.deployment_id)
            self.phase = phase(info, target)
            events = _with_hooks(
                deployment_frame(self._kit, self.deployment_id), self._hooks_of(info)
            )
            task_sets = deployment_task_sets_frame(self._kit, self.deployment_id)
            topology = topology_frame(self._kit, self.deployment_id)
        except (ClientError, BotoCoreError, BgkitError, LookupError) as error:
            self._error(word("could_not_read", self.lang, error=error))
            return self.phase
        self.ready_wait_ends = _ready_wait_end(info, target)
        self._status.value = self._status_html(info)
        self._events.value = _table(events, "status", self.lang)
        self._task_sets.value = _table(task_sets, "label", self.lang)
        key = topology.to_json()
        if key != self._topology_key:
            self._topology_key = key
            self._picture.value = _png(plot_topology(topology))
        self._reroute_button.disabled = self.phase != "Ready"
        self._roll_back_button.disabled = self.phase not in ("InProgress", "Ready", "Created")
        self._terminate_button.disabled = self.phase != "TerminationWait"
        return self.phase

    def _hooks_of(self, info: dict[str, Any]) -> dict[str, str]:
        """``{lifecycle event: Lambda function}`` of the deployment's AppSpec (read once)."""
        if self._hooks is None:
            self._hooks = appspec_hooks(self._kit.client("codedeploy"), info)
        return self._hooks

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
        if expect not in (None, *DECISIONS):
            raise ValueError(f"expect must be one of {DECISIONS}, not {expect!r}")
        settings = self._kit.settings
        timeout = settings.approval_timeout if timeout is None else timeout
        choice = (expect or settings.autopilot) if settings.autopilot else None

        def autopilot_button() -> widgets.Button | None:
            if choice is None or self.phase != "Ready":
                return None
            return self._reroute_button if choice == "reroute" else self._roll_back_button

        return await wait_for_decision(
            self,
            decided=lambda: self._decision,
            ended=lambda: self.phase if self.phase in FINAL else None,
            autopilot_button=autopilot_button,
            timeout=timeout,
            refused=lambda error: ApprovalError(f"autopilot could not {choice}: {error}"),
            timed_out=lambda: ApprovalTimeout(
                f"no decision on deployment {self.deployment_id} within {timeout:.0f} s: "
                "click Reroute traffic or Stop and roll back in the panel, or set "
                "BGKIT_AUTOPILOT=reroute (or rollback) to decide without a browser"
            ),
        )

    async def until(self, *phases: str, timeout: float = 600.0) -> str:
        """Keep the panel live until the deployment reaches one of ``phases`` (or has gone past
        it on the way to success); return the phase.

        Raises:
            TimeoutError: it did not, within ``timeout`` wall seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            now = self.refresh()
            if reached(now, phases):
                return now
            if now in FINAL:
                raise ApprovalError(f"deployment {self.deployment_id} ended {now}, not {phases}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"deployment {self.deployment_id} is still {now}")
            await asyncio.sleep(min(self.refresh_interval, 0.25))

    async def settled(self, timeout: float = 600.0) -> str:
        """Keep the panel live until the decision has taken effect; return the phase.

        After *Reroute traffic*: the termination wait (or later). After *Stop and roll back*, or
        when the ready wait ran out: ``Stopped``, once CodeDeploy's rollback deployment has put
        the listeners back (it succeeded). A deployment that failed returns ``Failed``.

        Raises:
            TimeoutError: it did not settle within ``timeout`` wall seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            now = self.refresh()
            if reached(now, ("TerminationWait",)) or now == "Failed":
                return now
            if now == "Stopped" and self._rolled_back():
                return now
            if time.monotonic() > deadline:
                raise TimeoutError(f"deployment {self.deployment_id} is still {now}")
            await asyncio.sleep(min(self.refresh_interval, 0.25))

    def _rolled_back(self) -> bool:
        """Whether the deployment's rollback deployment, if it has one, has ended."""
        info = deployment(self._kit, self.deployment_id)
        rollback = info.get("rollbackInfo", {}).get("rollbackDeploymentId")
        if not rollback:
            return not info.get("autoRollbackConfiguration", {}).get("enabled", False)
        return deployment(self._kit, rollback)["status"] in FINAL

    async def _following(self) -> None:
        while self.refresh() not in FINAL:
            await asyncio.sleep(self.refresh_interval)

    # -- how it shows itself --------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"ApprovalPanel(deployment_id={self.deployment_id!r})"


class Decidable(Protocol):
    """A widget whose buttons decide something: what :func:`wait_for_decision` waits on."""

    refresh_interval: float
    errors: list[str]

    def refresh(self) -> str: ...


async def wait_for_decision(
    widget: Decidable,
    *,
    decided: Callable[[], str | None],
    ended: Callable[[], str | None],
    autopilot_button: Callable[[], widgets.Button | None],
    timeout: float,
    refused: Callable[[str], Exception],
    timed_out: Callable[[], Exception],
) -> str:
    """Wait for a click on ``widget`` without blocking the kernel's widget events; return the
    decision (or what ``ended`` returned if it ended first).

    A loop on ``asyncio.sleep`` (which ipykernel ≥ 7.4 needs to process a click): every
    ``min(refresh_interval, 0.5)`` wall seconds it refreshes the widget, returns what ``ended()``
    says once that is not ``None``, and clicks ``autopilot_button()`` when it returns a button.
    The approval panel and the pipeline's approval widget both wait this way.

    Args:
        widget: what to refresh; its ``errors`` tell whether an autopilot click was refused.
        decided: the decision taken so far, ``None`` while there is none.
        ended: what to return if the thing to decide ended without a decision, else ``None``.
        autopilot_button: the button the autopilot presses now, else ``None``.
        timeout: wall seconds.
        refused: the error to raise, given the last error shown, when the autopilot's click was
            refused.
        timed_out: the error to raise when nobody decided within ``timeout``.
    """
    deadline = time.monotonic() + timeout
    next_refresh = 0.0
    while (decision := decided()) is None:
        if time.monotonic() >= next_refresh:
            widget.refresh()
            next_refresh = time.monotonic() + min(widget.refresh_interval, 0.5)
            end = ended()
            if end is not None:
                return end
            button = autopilot_button()
            if button is not None:
                errors = len(widget.errors)
                button.click()
                if decided() is None and len(widget.errors) > errors:
                    raise refused(widget.errors[-1])
        if time.monotonic() > deadline:
            raise timed_out()
        await asyncio.sleep(0.05)
    widget.refresh()
    return decision


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


#: the colours of the tables: blue and green as the topology and traffic plots draw them
COLOURS = {
    "Succeeded": GREEN,
    "InProgress": BLUE,
    "Failed": RED,
    "Pending": GREY,
    "Blue": BLUE,
    "Green": GREEN,
}


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


def _table(frame: Any, colour_by: str, lang: str = "en") -> str:
    """A small HTML table, the cells of ``colour_by`` coloured, its headers in ``lang``."""
    if frame.empty:
        return f"<i>{word('nothing_yet', lang)}</i>"
    head = "".join(f"<th>{html.escape(header(str(c), lang))}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column, value in row.items():
            style = ""
            if column == colour_by and str(value) in COLOURS:
                style = f' style="color:{COLOURS[str(value)]};font-weight:bold"'
            cells.append(f"<td{style}>{html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<table style="margin-right:1.5em;font-size:90%"><tr>'
        + head
        + "</tr>"
        + "".join(rows)
        + "</table>"
    )


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()

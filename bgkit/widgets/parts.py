"""What the two deployment panels share: their base (words, errors, the refresh pace, the calm
throttled state), their tables and picture, and the wait for a click.

:class:`DeploymentPanel` is the base of :class:`~bgkit.widgets.ApprovalPanel` (CodeDeploy) and
:class:`~bgkit.widgets.ServiceDeploymentPanel` (ECS built-in blue/green). A subclass reads one
snapshot per refresh (:mod:`bgkit.observe.snapshot`) in :meth:`DeploymentPanel._read` and draws
it in :meth:`DeploymentPanel._draw`; the base paces the refreshes (:class:`bgkit.observe.pace.Pace`:
fast on a change or a click, slower while the snapshot stays the same) and shows a throttled
read as a calm note instead of an error.
"""

from __future__ import annotations

import asyncio
import html
import io
import time
from collections.abc import Callable
from typing import Any, Protocol

import ipywidgets as widgets
from botocore.exceptions import BotoCoreError, ClientError

from bgkit.errors import BgkitError
from bgkit.labels import header, word
from bgkit.live import LiveBox
from bgkit.observe.pace import Pace, throttled
from bgkit.observe.plots import BLUE, GREEN, GREY, RED
from bgkit.observe.topology import plot_topology

__all__ = [
    "COLOURS", "ApprovalError", "ApprovalTimeout", "Decidable", "DeploymentPanel", "button", "png",
    "table", "wait_for_decision",
]  # fmt: skip

#: the colours of the tables: blue and green as the topology and traffic plots draw them
COLOURS = {
    "Succeeded": GREEN,
    "SUCCEEDED": GREEN,
    "InProgress": BLUE,
    "IN_PROGRESS": BLUE,
    "AWAITING_ACTION": BLUE,
    "Failed": RED,
    "FAILED": RED,
    "TIMED_OUT": RED,
    "Pending": GREY,
    "Blue": BLUE,
    "Green": GREEN,
}
#: wall seconds between two looks at whether a refresh is due
TICK = 0.1
#: what a refresh may fail with and still be shown in the panel
READ_ERRORS = (ClientError, BotoCoreError, BgkitError, LookupError)


class ApprovalTimeout(BgkitError, TimeoutError):
    """Nobody decided within ``BGKIT_APPROVAL_TIMEOUT`` seconds."""


class ApprovalError(BgkitError, RuntimeError):
    """The decision could not be carried out (AWS refused it)."""


def button(key: str, lang: str, **style: Any) -> widgets.Button:
    """A disabled button labelled with the word ``key``, as wide as its label (never
    "Stop and roll b…")."""
    return widgets.Button(
        description=word(key, lang), disabled=True, layout=widgets.Layout(width="auto"), **style
    )


class DeploymentPanel(LiveBox):
    """A live view of a deployment: one snapshot per refresh, at a pace.

    Subclasses set :attr:`phase` in :meth:`_draw` and name the phases after which they stop
    following in :attr:`FINAL`.
    """

    FINAL: tuple[str, ...] = ()
    #: the word that says a read failed
    READ_FAILED = "could_not_read"

    def _start(self, kit: Any, lang: str | None, refresh_interval: float) -> None:
        self._kit = kit
        self.lang = lang or getattr(kit.settings, "lang", None) or "en"
        word("phase", self.lang)  # an unknown language is refused here
        self.errors: list[str] = []
        self.phase = ""
        #: how many reads AWS throttled (each shown as a calm note, then read again later)
        self.throttled_reads = 0
        self._decision: str | None = None
        #: ``time.monotonic()`` when the decision was carried out (for a probe's mark)
        self.decided_at: float | None = None
        self._pace = Pace(refresh_interval, getattr(kit.settings, "target", "local"))
        self._message = widgets.HTML()
        self._note = widgets.HTML()
        self._last_read = -float("inf")
        #: how many refreshes read the deployment
        self.reads = 0

    @property
    def refresh_interval(self) -> float:
        """Wall seconds until the next refresh: short after a change or a click, longer while
        nothing changes (and never under a few seconds on the aws target)."""
        return self._pace.interval

    def _lay_out(
        self, title: str, left: widgets.HTML, right: widgets.HTML, *after: widgets.Widget
    ) -> None:
        """The panels' one layout: the title, the status line, two tables side by side, the
        topology picture, the buttons, ``after`` (a line of help), the error and the note."""
        self._title = widgets.HTML(title)
        self._status = widgets.HTML()
        self._picture = widgets.Image(format="png", layout=widgets.Layout(max_width="800px"))
        self._topology_key = ""
        super().__init__(
            children=[
                self._title,
                self._status,
                widgets.HBox([left, right]),
                self._picture,
                widgets.HBox(list(self._buttons)),
                *after,
                self._message,
                self._note,
            ]
        )

    @staticmethod
    def _wire(pressed: widgets.Button, action: Callable[[], Any]) -> None:
        """``action()`` when ``pressed`` is clicked."""
        pressed.on_click(lambda _button: action())

    def _show_topology(self, topology: Any) -> str:
        """Redraw the picture when the topology changed; return its key."""
        key = topology.to_json()
        if key != self._topology_key:
            self._topology_key = key
            self._picture.value = png(plot_topology(topology))
        return key

    def _read(self) -> Any:
        """One snapshot of the deployment (the subclass's reader)."""
        raise NotImplementedError

    def _draw(self, snapshot: Any) -> Any:
        """Show ``snapshot``; return what tells two snapshots apart (what is shown)."""
        raise NotImplementedError

    def refresh(self) -> str:
        """Read the deployment again and redraw; returns its phase. Never raises: a failed read
        is shown in the panel, a throttled one as a calm note."""
        self._last_read = time.monotonic()
        self.reads += 1
        try:
            snapshot = self._read()
        except READ_ERRORS as error:
            if throttled(error):
                self.throttled_reads += 1
                seconds = self._pace.throttled()
                note = word("throttled", self.lang, seconds=f"{seconds:.0f}")
                self._note.value = f'<span style="color:{GREY}">⏸ {html.escape(note)}</span>'
                return self.phase
            self._error(word(self.READ_FAILED, self.lang, error=error))
            return self.phase
        self._note.value = ""
        self._pace.seen(self._draw(snapshot))
        return self.phase

    def _act(self, decision: str | None, call: Callable[[], Any]) -> bool:
        """Carry out a button's request; a refusal is shown and kept in :attr:`errors`."""
        for each in self._buttons:
            each.disabled = True
        self._pace.hurry()
        try:
            call()
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
        self._message.value = f'<span style="color:{RED}">⚠ {html.escape(text)}</span>'

    @property
    def _buttons(self) -> tuple[widgets.Button, ...]:
        raise NotImplementedError

    async def _decide(
        self,
        expect: str | None,
        timeout: float | None,
        *,
        choices: dict[str, widgets.Button],
        open_: Callable[[], bool],
        what: str,
    ) -> str:
        """:func:`wait_for_decision` on this panel: ``choices`` maps each decision to its button
        (the first is the one ``BGKIT_AUTOPILOT=reroute`` presses); the autopilot presses once
        ``open_()`` says the decision can be taken; ``what`` names the deployment in errors.

        Raises:
            ApprovalTimeout: nobody decided in time.
            ApprovalError: the autopilot's choice was refused.
        """
        if expect not in (None, *choices):
            raise ValueError(f"expect must be one of {tuple(choices)}, not {expect!r}")
        settings = self._kit.settings
        timeout = settings.approval_timeout if timeout is None else timeout
        choice = (expect or settings.autopilot) if settings.autopilot else None
        forward, back = choices.values()
        labels = " or ".join(b.description for b in choices.values())

        def autopilot_button() -> widgets.Button | None:
            if choice is None or not open_():
                return None
            return back if choice == "rollback" else forward

        return await wait_for_decision(
            self,
            decided=lambda: self._decision,
            ended=lambda: self.phase if self.phase in self.FINAL else None,
            autopilot_button=autopilot_button,
            timeout=timeout,
            refused=lambda error: ApprovalError(f"autopilot could not {choice}: {error}"),
            timed_out=lambda: ApprovalTimeout(
                f"no decision on {what} within {timeout:.0f} s: click {labels} in the panel, "
                "or set BGKIT_AUTOPILOT=reroute (or rollback) to decide without a browser"
            ),
        )

    def _tick(self) -> str:
        """Refresh if the pace says it is time (whoever read last: the background follower, a
        wait, a click); return the phase. Two loops on one panel never read twice as often."""
        if time.monotonic() - self._last_read >= self.refresh_interval:
            return self.refresh()
        return self.phase

    async def _following(self) -> None:
        while self._tick() not in self.FINAL:
            await asyncio.sleep(TICK)


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

    A loop on ``asyncio.sleep`` (which ipykernel ≥ 7.4 needs to process a click): it looks for
    a decision every 50 ms, and every ``widget.refresh_interval`` wall seconds (the panels'
    pace) it refreshes the widget, returns what ``ended()`` says once that is not ``None``, and
    clicks ``autopilot_button()`` when it returns a button. The approval panels and the
    pipeline's approval widget all wait this way.

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
            next_refresh = time.monotonic() + widget.refresh_interval
            end = ended()
            if end is not None:
                return end
            pressed = autopilot_button()
            if pressed is not None:
                errors = len(widget.errors)
                pressed.click()
                if decided() is None and len(widget.errors) > errors:
                    raise refused(widget.errors[-1])
        if time.monotonic() > deadline:
            raise timed_out()
        await asyncio.sleep(0.05)
    widget.refresh()
    return decision


def table(frame: Any, colour_by: str, lang: str = "en") -> str:
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


def png(figure: Any) -> bytes:
    """A matplotlib figure as PNG bytes (80 dpi)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()

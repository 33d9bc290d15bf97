"""The pipeline's approval widget: a person's check before a release goes out (ipywidgets).

:class:`PipelineApproval` follows one execution of notebook 12's pipeline — its stages drawn as
they progress (:func:`bgkit.observe.pipeline.plot_pipeline`), what the approval asks — with two
buttons that answer the Manual approval action, as the console's *Review* dialog does:

- *Approve* → :meth:`PipelineApproval.approve`
  (``codepipeline.put_approval_result(result={"status": "Approved", …}, token=…)``);
- *Reject* → :meth:`PipelineApproval.reject` (the same with ``"Rejected"``): the execution fails
  at the approval and nothing is deployed.

The token comes from ``get_pipeline_state``. ``await widget.decision()`` waits for a click without
blocking the kernel's widget events (:func:`bgkit.widgets.wait_for_decision`, the loop on
``asyncio.sleep`` that the approval panel of notebook 05 uses too); with ``BGKIT_AUTOPILOT`` it
presses a button itself — *Approve* for ``reroute``, *Reject* for ``rollback`` — and without a
decision it fails after ``BGKIT_APPROVAL_TIMEOUT`` seconds, so no headless run hangs. Once shown,
it keeps redrawing the stages while the kernel is idle, until the execution is over. Its words are
English or, with ``BGKIT_LANG=ja`` (or ``lang="ja"``), Japanese with the CodePipeline console's
labels (:mod:`bgkit.labels`).
"""

from __future__ import annotations

import asyncio
import html
import time
from typing import Any

import ipywidgets as widgets
from botocore.exceptions import BotoCoreError, ClientError

from bgkit.errors import BgkitError
from bgkit.labels import word
from bgkit.live import LiveBox
from bgkit.observe.pipeline import pipeline_frame, plot_pipeline
from bgkit.walkthrough.pipeline import APPROVAL, ENDED, pipeline_name, waiting_token
from bgkit.widgets import wait_for_decision

__all__ = ["PipelineApproval", "PipelineApprovalError", "PipelineApprovalTimeout"]

#: autopilot's setting → the button it presses
AUTOPILOT = {"reroute": "Approved", "rollback": "Rejected"}
#: the decisions, as ``decision(expect=…)`` takes them
DECISIONS = {"approve": "Approved", "reject": "Rejected"}


class PipelineApprovalTimeout(BgkitError, TimeoutError):
    """Nobody approved or rejected within ``BGKIT_APPROVAL_TIMEOUT`` seconds."""


class PipelineApprovalError(BgkitError, RuntimeError):
    """The decision could not be sent (CodePipeline refused it)."""


class PipelineApproval(LiveBox):
    """One execution of the pipeline, live, with the buttons that answer its approval.

    Args:
        kit: the handle of :func:`bgkit.connect`.
        execution_id: the pipeline execution to follow.
        refresh_interval: wall seconds between two refreshes while it is followed.
        lang: ``en`` or ``ja``; default ``BGKIT_LANG``'s.
    """

    def __init__(
        self, kit: Any, execution_id: str, *, refresh_interval: float = 1.0,
        lang: str | None = None,
    ) -> None:  # fmt: skip
        self._kit = kit
        self.lang = lang or getattr(kit.settings, "lang", None) or "en"
        word("pipeline", self.lang)  # an unknown language is refused here
        self.pipeline_name = pipeline_name(kit)
        self.execution_id = execution_id
        self.refresh_interval = refresh_interval
        self.errors: list[str] = []
        #: the execution's status, and the approval action's
        self.status = ""
        self.approval = ""
        self._decision: str | None = None
        #: ``time.monotonic()`` when the decision was sent
        self.decided_at: float | None = None
        self._picture_key = ""

        self._title = widgets.HTML(
            f"<b>{word('pipeline', self.lang)} <code>{html.escape(self.pipeline_name)}</code></b>"
        )
        self._status = widgets.HTML()
        self._picture = widgets.Image(format="png", layout=widgets.Layout(max_width="760px"))
        self._comments = widgets.Text(
            placeholder=word("comments", self.lang), layout=widgets.Layout(width="360px")
        )
        self._approve_button = widgets.Button(
            description=word("approve", self.lang), button_style="success", icon="check",
            disabled=True, layout=widgets.Layout(width="auto"),
        )  # fmt: skip
        self._reject_button = widgets.Button(
            description=word("reject", self.lang), button_style="danger", icon="times",
            disabled=True, layout=widgets.Layout(width="auto"),
        )  # fmt: skip
        self._message = widgets.HTML()
        self._approve_button.on_click(self._on_approve_button_click)
        self._reject_button.on_click(self._on_reject_button_click)
        super().__init__(
            children=[
                self._title,
                self._status,
                self._picture,
                widgets.HBox([self._comments, self._approve_button, self._reject_button]),
                self._message,
            ]
        )
        self.refresh()

    # -- what the buttons do --------------------------------------------------------------------

    def _on_approve_button_click(self, _button: widgets.Button) -> None:
        self.approve()

    def _on_reject_button_click(self, _button: widgets.Button) -> None:
        self.reject()

    def approve(self, summary: str | None = None) -> bool:
        """Let the release go on to the Deploy stage: ``PutApprovalResult`` ``Approved``."""
        return self._answer("Approved", summary)

    def reject(self, summary: str | None = None) -> bool:
        """Stop the release here: ``PutApprovalResult`` ``Rejected`` (the execution fails)."""
        return self._answer("Rejected", summary)

    def _answer(self, status: str, summary: str | None) -> bool:
        for button in (self._approve_button, self._reject_button):
            button.disabled = True
        text = summary if summary is not None else self._comments.value
        codepipeline = self._kit.client("codepipeline")
        try:
            token = waiting_token(self._kit)
            if token is None:
                raise LookupError(f"no approval of {self.pipeline_name} waits for a decision")
            codepipeline.put_approval_result(
                pipelineName=self.pipeline_name, stageName=APPROVAL, actionName=APPROVAL,
                result={"summary": text or f"{status} in the bgkit approval widget",
                        "status": status},
                token=token,
            )  # fmt: skip
        except (ClientError, BotoCoreError, LookupError) as error:
            self._error(str(error))
            self.refresh()
            return False
        if self._decision is None:
            self._decision = status
            self.decided_at = time.monotonic()
        self._message.value = ""
        self.refresh()
        return True

    def _error(self, text: str) -> None:
        self.errors.append(text)
        self._message.value = f'<span style="color:#b42318">⚠ {html.escape(text)}</span>'

    # -- what it shows --------------------------------------------------------------------------

    def refresh(self) -> str:
        """Read the execution again and redraw; returns the approval action's status
        (``Pending`` until the stage starts). Never raises: a failed read is shown."""
        codepipeline = self._kit.client("codepipeline")
        try:
            frame = pipeline_frame(self._kit, self.pipeline_name, self.execution_id)
            self.status = codepipeline.get_pipeline_execution(
                pipelineName=self.pipeline_name, pipelineExecutionId=self.execution_id
            )["pipelineExecution"]["status"]
        except (ClientError, BotoCoreError) as error:
            self._error(word("could_not_read_pipeline", self.lang, error=error))
            return self.approval
        row = frame[frame["stage"] == APPROVAL]
        self.approval = str(row["status"].iloc[0]) if len(row) else ""
        parts = [
            f"{word('execution', self.lang)}: <b>{html.escape(self.status)}</b>",
            f"{word('approval', self.lang)}: <b>{html.escape(self.approval)}</b>",
        ]
        self._status.value = " · ".join(parts)
        key = frame.to_json()
        if key != self._picture_key:
            self._picture_key = key
            self._picture.value = plot_pipeline(frame)._repr_png_()
        waiting = self.approval == "InProgress" and self._decision is None
        self._approve_button.disabled = self._reject_button.disabled = not waiting
        return self.approval

    # -- waiting without blocking widget events -------------------------------------------------

    async def decision(self, expect: str | None = None, timeout: float | None = None) -> str:
        """Wait until someone approves or rejects; return ``"Approved"`` or ``"Rejected"`` (or
        the execution's status if it ended first).

        Args:
            expect: ``"approve"`` or ``"reject"``, the choice this step teaches; on autopilot it
                is taken instead of ``BGKIT_AUTOPILOT``'s.
            timeout: wall seconds; default ``BGKIT_APPROVAL_TIMEOUT``.

        Raises:
            PipelineApprovalTimeout: nobody decided in time.
            PipelineApprovalError: the autopilot's answer was refused.
        """
        if expect not in (None, *DECISIONS):
            raise ValueError(f"expect must be one of {tuple(DECISIONS)}, not {expect!r}")
        settings = self._kit.settings
        timeout = settings.approval_timeout if timeout is None else timeout
        choice = None
        if settings.autopilot:
            choice = DECISIONS[expect] if expect else AUTOPILOT[settings.autopilot]

        def autopilot_button() -> widgets.Button | None:
            if choice is None or self.approval != "InProgress":
                return None
            return self._approve_button if choice == "Approved" else self._reject_button

        return await wait_for_decision(
            self,
            decided=lambda: self._decision,
            ended=lambda: self.status if self.status in ENDED else None,
            autopilot_button=autopilot_button,
            timeout=timeout,
            refused=lambda error: PipelineApprovalError(
                f"autopilot could not answer the approval: {error}"
            ),
            timed_out=lambda: PipelineApprovalTimeout(
                f"no decision on the approval of {self.pipeline_name} within {timeout:.0f} s:"
                " click Approve or Reject in the widget, or set BGKIT_AUTOPILOT=reroute (or"
                " rollback) to decide without a browser"
            ),
        )

    async def _following(self) -> None:
        while True:
            self.refresh()
            if self.status in ENDED:
                return
            await asyncio.sleep(self.refresh_interval)

    # -- how it shows itself --------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"PipelineApproval(pipeline_name={self.pipeline_name!r})"

"""Waiting with visible progress: a small bar in Jupyter, one line when it is done.

The bar is an ipywidgets ``IntProgress`` updated in place (widget updates are comm messages, so a
stored notebook keeps only the bar's stable ``text/plain`` and the final line); outside a kernel
nothing is drawn. :func:`poll` is the one wait loop of the walkthrough: short delays, a wall-clock
timeout that says what to check, never the ECS ``services_stable`` waiter (it never succeeds on a
``CODE_DEPLOY`` service).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from bgkit.errors import BgkitError

__all__ = ["Step", "WaitTimeout", "poll", "retry"]

DEFAULT_TIMEOUT = 600.0


class WaitTimeout(BgkitError, TimeoutError):
    """Something the walkthrough waited for did not happen in time."""


@dataclass(frozen=True)
class Step:
    """What a check saw: whether the wait is over, how far it is, and a short text."""

    done: bool
    text: str
    value: int = 0
    total: int = 1


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class _Bar:
    """A live bar in a Jupyter kernel; a no-op elsewhere."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._widget: Any = None
        if not _in_kernel():
            return
        import ipywidgets as widgets
        from IPython.display import display

        class Bar(widgets.HBox):
            def _repr_mimebundle_(self, **kwargs: Any) -> Any:
                bundle = super()._repr_mimebundle_(**kwargs)
                if isinstance(bundle, dict):
                    bundle["text/plain"] = f"waiting: {what}"
                return bundle

        self._bar = widgets.IntProgress(value=0, min=0, max=1, bar_style="info")
        self._label = widgets.Label(value=what)
        self._widget = Bar([self._bar, self._label])
        display(self._widget)

    def show(self, step: Step) -> None:
        if self._widget is None:
            return
        self._bar.max = max(step.total, 1)
        self._bar.value = min(step.value, self._bar.max)
        self._label.value = f"{self.what}: {step.text}"

    def finish(self, ok: bool) -> None:
        if self._widget is not None:
            self._bar.bar_style = "success" if ok else "danger"


def poll(
    check: Callable[[], Step],
    *,
    what: str,
    timeout: float = DEFAULT_TIMEOUT,
    delay: float = 0.25,
    quiet: bool = False,
) -> Step:
    """Call ``check`` every ``delay`` seconds until it says done; show the progress.

    Args:
        check: returns a :class:`Step`; it may raise to end the wait with an error.
        what: what is awaited, in a few words ("service bgkit-service healthy").
        timeout: wall seconds before :class:`WaitTimeout`.
        delay: wall seconds between two checks.
        quiet: print nothing when done.

    Returns:
        The last step (``done`` true).
    """
    bar = _Bar(what)
    deadline = time.monotonic() + timeout
    step = Step(False, "starting")
    try:
        while True:
            step = check()
            bar.show(step)
            if step.done:
                break
            if time.monotonic() > deadline:
                raise WaitTimeout(
                    f"waited {timeout:.0f} s for {what}; last seen: {step.text}. Check it with "
                    "the describe call of the previous cell, then run this cell again"
                )
            time.sleep(delay)
    except BaseException:
        bar.finish(False)
        raise
    bar.finish(True)
    if not quiet:
        print(f"✓ {what}: {step.text}")
    return step


def retry(action: Callable[[], Any], codes: tuple[str, ...], timeout: float) -> None:
    """Run ``action`` until AWS stops answering one of ``codes`` (a dependency still going away,
    such as a load balancer's network interfaces after it is deleted), for ``timeout`` seconds
    at most; any other error, or one of ``codes`` past the timeout, is raised."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            action()
            return
        except ClientError as error:
            if error.response["Error"]["Code"] not in codes or time.monotonic() > deadline:
                raise
        time.sleep(1.0)

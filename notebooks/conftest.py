"""nbval runs the notebooks against a fresh local cloud, on autopilot.

``pytest --nbval notebooks/`` loads this file first (it is an initial conftest), so the
environment is set before any kernel starts: a temporary state directory, a free endpoint port
and listener offset, the clock at 60× and ``BGKIT_AUTOPILOT=reroute`` (see
:func:`bgkit.tour.fresh_environment`). The local cloud is stopped when the session ends.
"""

from __future__ import annotations

import contextlib

import pytest

from bgkit.tour import fresh_environment

_running: contextlib.ExitStack | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    global _running
    if not session.config.getoption("nbval", default=False) and not session.config.getoption(
        "nbval_lax", default=False
    ):
        return
    _running = contextlib.ExitStack()
    _running.enter_context(fresh_environment())


def pytest_sessionfinish(session: pytest.Session) -> None:
    global _running
    if _running is not None:
        _running.close()
        _running = None

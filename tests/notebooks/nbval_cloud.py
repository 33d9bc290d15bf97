"""A pytest plugin: nbval runs the notebooks against a fresh local cloud, on autopilot.

It lives here, not in the learner's ``notebooks/`` folder; ``tests/notebooks/test_notebooks.py``
loads it by name, and so can you::

    PYTHONPATH=tests/notebooks python -m pytest -p nbval_cloud --nbval notebooks/ \
        --nbval-sanitize-with tests/notebooks/nbval-sanitize.cfg --nbval-current-env

Loaded with ``-p``, it sets the environment before any kernel starts: a temporary state
directory, a free endpoint port and listener offset, the clock at 60× and
``BGKIT_AUTOPILOT=reroute`` (see :func:`bgkit.tour.fresh_environment`). The local cloud is
stopped when the session ends. The Japanese edition, ``notebooks/ja/``, runs only in Japanese:
``BGKIT_LANG=ja ... --nbval notebooks/ja/``; without it ``--nbval notebooks/`` leaves it out.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

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


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave ``notebooks/ja/`` out unless ``BGKIT_LANG=ja``: its outputs are a Japanese run's,
    and on one local cloud after ``notebooks/`` its ids would not be a fresh run's."""
    japanese = collection_path.name == "ja" and collection_path.parent.name == "notebooks"
    return True if japanese and os.environ.get("BGKIT_LANG") != "ja" else None

"""Fixtures of the browser tests: a local cloud, JupyterLab and headless Chromium, as a learner has
them — except that everything is on free loopback ports and in temporary folders.

- ``lab``: a fresh local cloud (``bgkit local up`` in the background: a temporary state
  directory, a free endpoint port and listener offset, the clock at 60×) and JupyterLab on a free
  port whose root is a temporary folder holding **copies** of the notebooks. Its kernels inherit
  ``BGKIT_LOCAL_PORT``, ``BGKIT_STATE_DIR``, ``BGKIT_LISTENER_OFFSET`` and ``BGKIT_CLOCK``, and
  never ``BGKIT_AUTOPILOT``: the approval panel really waits for a click.
- ``browser``: Debian's Chromium (``/usr/bin/chromium``) through Playwright — never a browser
  download. Without it every test that needs it is skipped, saying how to install it.
- ``page``: a fresh browser context; the kernels it started are shut down afterwards.

Everything started here is stopped by its process id when the session ends.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .jupyterlab import CHROMIUM_ARGS, SCREENSHOTS, Lab, require_chromium, start_lab


@pytest.fixture(scope="session")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="package")
def timings(screenshots: Path) -> Iterator[dict[str, float]]:
    """Seconds the steps took, written to ``build/browser/timings.json`` at the end."""
    taken: dict[str, float] = {}
    yield taken
    if taken:
        rounded = {step: round(seconds, 2) for step, seconds in taken.items()}
        (screenshots / "timings.json").write_text(json.dumps(rounded, indent=2) + "\n")


@pytest.fixture(scope="package")
def lab(chromium: Path) -> Iterator[Lab]:
    with start_lab() as running:
        yield running


# -- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(
    browser: Any, lab: Lab, screenshots: Path, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A new page of 1400×1000 with a 30 s default timeout. At the end, whatever happened, the
    page is saved as ``build/browser/end-<test>.png`` and the kernels it started are shut down."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        with contextlib.suppress(Exception):  # a picture for the post-mortem, if there is a page
            opened.screenshot(path=screenshots / f"end-{request.node.name}.png", timeout=5_000)
        context.close()
        with contextlib.suppress(OSError):
            lab.shut_down_kernels()

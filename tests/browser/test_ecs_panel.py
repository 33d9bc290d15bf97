"""The ECS built-in approval panel as a learner sees it: notebook 09 from *Run All Cells* in
JupyterLab in headless Chromium, on a local cloud of its own (its service has the ``ECS``
deployment controller, so it cannot share a cloud with notebook 05's ``CODE_DEPLOY`` one).

The panel reaches the pause hook (``POST_TEST_TRAFFIC_SHIFT``, hook ``AWAITING_ACTION``) while
port 80 serves Nginx and 8080 FizzBuzz; it shows ECS's two buttons, *Continue* and *Roll back*,
and says which request each sends; the run waits for a click; *Continue* clicked in the rendered
widget releases it, and the deployment ends ``SUCCESSFUL`` with both ports on FizzBuzz. The
pictures go to ``build/browser/ecs-panel-*.png``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bgkit.labels import WORDS
from bgkit.tour import notebooks

from .jupyterlab import Lab, Notebook, start_lab
from .test_approval_panel import (
    NOTEBOOK_TIMEOUT,
    PANEL,
    VIEWPORT,
    assert_waits_for_click,
    ports_shown,
    shoot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BUILT_IN = next(path.name for path in notebooks() if path.name.startswith("09-"))
BUTTONS = [WORDS[key]["en"] for key in ("continue", "ecs_roll_back")]


@pytest.fixture(scope="module")
def ecs_lab(chromium: Path) -> Iterator[Lab]:
    with start_lab() as running:
        yield running


@pytest.mark.timeout(600)
def test_continue_in_the_ecs_panel_finishes_the_built_in_deployment(
    browser: Any, ecs_lab: Lab, screenshots: Path
) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        notebook = Notebook(page, ecs_lab, BUILT_IN).open()
        notebook.run_all()
        panel = notebook.cell("panel = ServiceDeploymentPanel").locator(PANEL).first
        panel.locator(".widget-html", has_text="stage: POST_TEST_TRAFFIC_SHIFT").first.wait_for(
            timeout=NOTEBOOK_TIMEOUT * 2000
        )
        labels = [text.strip() for text in panel.locator("button").all_text_contents()]
        assert labels == BUTTONS, "ECS offers Continue and Roll back, and nothing more"
        shown = " ".join(panel.locator(".widget-html").all_text_contents())
        assert "ContinueServiceDeployment(action=CONTINUE)" in shown
        assert "StopServiceDeployment(stopType=ROLLBACK)" in shown
        assert "AWAITING_ACTION" in shown and "PAUSE" in shown

        # while it waits: customers on 80 get Nginx, the test rule sends 8080 to FizzBuzz
        paused = ports_shown(notebook.cells("observe.compare_ports(kit)")[1])
        assert paused[80] == "nginx" and paused[8080].startswith("fizzbuzz")

        decision = notebook.cell("await panel.decision(")
        assert_waits_for_click(notebook, decision, notebook.next_code_cell("await panel.decision("))
        shoot(page, panel, screenshots, "ecs-panel-paused")

        clicked = time.monotonic()
        panel.locator("button.widget-button", has_text=BUTTONS[0]).click()
        decision.locator(".jp-OutputArea-output", has_text="'continue'").wait_for()
        assert time.monotonic() - clicked < NOTEBOOK_TIMEOUT
        notebook.cell("await panel.settled()").locator(
            ".jp-OutputArea-output", has_text="SUCCESSFUL"
        ).wait_for(timeout=NOTEBOOK_TIMEOUT * 1000)
        notebook.wait_all_run(NOTEBOOK_TIMEOUT * 2)
        notebook.assert_no_errors()
        after = ports_shown(notebook.cells("observe.compare_ports(kit)")[2])
        assert after[80].startswith("fizzbuzz") and after[8080].startswith("fizzbuzz")
        panel.locator(".widget-html", has_text="phase: SUCCESSFUL").first.wait_for()
        shoot(page, panel, screenshots, "ecs-panel-successful")
    finally:
        context.close()
        ecs_lab.shut_down_kernels()

"""The Japanese edition in the browser: JupyterLab over ``notebooks/ja/`` with ``BGKIT_LANG=ja``,
notebooks 00–05 run from the *Run* menu, and the approval panel showing the CodeDeploy console's
Japanese labels — its buttons, its phase, its tables' headers — and 「トラフィックの再ルーティング」
clicked in the rendered widget releases the waiting cell. The picture goes to
``build/browser/approval-panel-ja.png``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bgkit.labels import WORDS
from bgkit.tour import notebooks

from .jupyterlab import ROOT, Lab, Notebook, start_lab
from .test_approval_panel import NOTEBOOK_TIMEOUT, PANEL, VIEWPORT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JAPANESE = ROOT / "notebooks" / "ja"
NAMES = [path.name for path in notebooks(JAPANESE)]
BUTTONS = [WORDS[key]["ja"] for key in ("reroute", "roll_back", "terminate")]


@pytest.fixture(scope="module")
def japanese_lab(chromium: Path) -> Iterator[Lab]:
    with start_lab(JAPANESE, {"BGKIT_LANG": "ja"}) as running:
        yield running


@pytest.mark.timeout(600)
def test_the_panel_shows_the_consoles_japanese_labels_and_reroutes(
    browser: Any, japanese_lab: Lab, screenshots: Path
) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        for name in NAMES[:5]:
            notebook = Notebook(page, japanese_lab, name).open()
            notebook.run_all()
            notebook.wait_all_run(NOTEBOOK_TIMEOUT)
            notebook.close()
        notebook = Notebook(page, japanese_lab, NAMES[5]).open()
        notebook.run_all()
        panel = notebook.cell("panel = ApprovalPanel").locator(PANEL).first
        phase = panel.locator(".widget-html", has_text="フェーズ: Ready").first
        phase.wait_for(timeout=NOTEBOOK_TIMEOUT * 1000)
        labels = [text.strip() for text in panel.locator("button").all_text_contents()]
        assert labels == BUTTONS
        tables = " ".join(panel.locator("table th").all_text_contents())
        assert "イベント" in tables and "ターゲットグループ" in tables
        panel.scroll_into_view_if_needed()
        panel.screenshot(path=screenshots / "approval-panel-ja.png")

        panel.locator("button.widget-button", has_text=BUTTONS[0]).click()
        decision = notebook.cell("await panel.decision(")
        decision.locator(".jp-OutputArea-output", has_text="'reroute'").wait_for()
        notebook.wait_all_run(NOTEBOOK_TIMEOUT)
    finally:
        context.close()
        japanese_lab.shut_down_kernels()

"""The approval step as a learner sees it: JupyterLab in headless Chromium, the walkthrough run
from the *Run* menu, and the approval panel's buttons clicked in the rendered widget — both of
05's buttons, one run each (*Stop and roll back* first, then *Reroute traffic*), every later cell
running clean after either; then 06's *Stop and roll back*.

The kernels run without ``BGKIT_AUTOPILOT``, so ``await panel.decision()`` waits for the click;
these tests prove it (the cell after it has not run until the button is pressed). Screenshots go
to ``build/browser/``; with ``BGKIT_SCREENSHOT_DOCS=1`` the panel's picture is also written to
``docs/approval-panel.png``, the image the README shows.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from bgkit.tour import notebooks

from .jupyterlab import ROOT, Lab, Notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAMES = [path.name for path in notebooks()]
BEFORE_APPROVAL = [name for name in NAMES if name[:2] in ("00", "01", "02", "03", "04")]
APPROVE = next(name for name in NAMES if name.startswith("05-"))
ROLL_BACK = next(name for name in NAMES if name.startswith("06-"))
DOCS_IMAGE = ROOT / "docs" / "approval-panel.png"
#: wall seconds a notebook may take in the browser (the clock runs at 60×)
NOTEBOOK_TIMEOUT = 120.0
VIEWPORT = {"width": 1400, "height": 1000}
#: how long the tests watch a waiting panel to see that nothing after it runs
WATCH = 3.0

#: the approval panel, as ipywidgets 8 renders it (a VBox holding the buttons)
PANEL = ".jp-OutputArea-output .widget-vbox:has(button.widget-button)"


# -- what the page shows -----------------------------------------------------------------------


def ports_shown(cell: Any) -> dict[int, str]:
    """The ``compare_ports`` table of a cell's output, as the page renders it: port → revision."""
    table = cell.locator(".jp-OutputArea-output table").first
    table.wait_for()
    header = [text.strip() for text in table.locator("thead th").all_text_contents()]
    shown = {}
    for row in table.locator("tbody tr").all():
        cells = [text.strip() for text in row.locator("th, td").all_text_contents()]
        values = dict(zip(header, cells, strict=True))
        assert "revision" in values, f"not a compare_ports table: {header} {cells}"
        shown[int(values["port"])] = values["revision"]
    return shown


# -- notebooks 00–04 ----------------------------------------------------------------------------


@pytest.fixture(scope="package")
def before_approval(
    browser: Any, lab: Lab, screenshots: Path, timings: dict[str, float]
) -> dict[str, dict[str, Any]]:
    """Notebooks 00–04 run in the browser one after the other, each from *Run All Cells*, each
    in its own kernel (shut down afterwards); per notebook, the seconds it took and what its last
    ``compare_ports`` table showed."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    seen: dict[str, dict[str, Any]] = {}
    try:
        for name in BEFORE_APPROVAL:
            began = time.monotonic()
            notebook = Notebook(page, lab, name).open()
            notebook.run_all()
            notebook.wait_all_run(NOTEBOOK_TIMEOUT)
            page.screenshot(path=screenshots / f"{Path(name).stem}.png")
            compares = notebook.cells_or_none("observe.compare_ports(kit)")
            ports = ports_shown(compares[-1]) if compares else None
            notebook.close()
            seen[name] = {"seconds": time.monotonic() - began, "ports": ports}
            timings[f"{name}: open and run all"] = seen[name]["seconds"]
    finally:
        context.close()
        lab.shut_down_kernels()
    return seen


def test_notebooks_before_the_approval_run_in_the_browser(
    before_approval: dict[str, dict[str, Any]],
) -> None:
    assert list(before_approval) == BEFORE_APPROVAL
    prepare, service = BEFORE_APPROVAL[1], BEFORE_APPROVAL[3]
    assert before_approval[prepare]["ports"] == {80: "-", 8080: "-"}, "no target yet: 503"
    assert before_approval[service]["ports"] == {80: "nginx", 8080: "nginx"}


def panel_of(notebook: Notebook) -> Any:
    """The approval panel, rendered in the output of the cell that shows it."""
    return notebook.cell("panel = ApprovalPanel").locator(PANEL).first


def wait_for_phase(panel: Any, phase: str, timeout: float = NOTEBOOK_TIMEOUT) -> None:
    panel.locator(".widget-html", has_text=f"phase: {phase}").first.wait_for(timeout=timeout * 1000)


def assert_waits_for_click(notebook: Notebook, waiting: Any, following: Any) -> None:
    """``await panel.decision()`` holds the run: its cell and the next one stay ``[*]`` with no
    output for :data:`WATCH` seconds. (Lab's kernel status is no proof: ipykernel ≥ 7.4 handles
    widget messages while the cell awaits and reports ``idle`` after each of them.)"""
    deadline = time.monotonic() + WATCH
    while True:
        assert notebook.prompt(waiting) == "[*]:", "the decision cell is not waiting"
        assert notebook.prompt(following) == "[*]:", "the cell after the decision has run"
        assert notebook.outputs(waiting) == "", "the decision cell answered without a click"
        assert notebook.outputs(following) == "", "the cell after the decision has run"
        if time.monotonic() > deadline:
            return
        time.sleep(0.5)


def shoot(page: Any, element: Any, screenshots: Path, name: str, docs: bool = False) -> None:
    """The whole page and the element alone, under ``build/browser/``; with
    ``BGKIT_SCREENSHOT_DOCS=1`` and ``docs``, the element also as the README's image."""
    element.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / f"{name}-page.png")
    element.screenshot(path=screenshots / f"{name}.png")
    if docs and os.environ.get("BGKIT_SCREENSHOT_DOCS") == "1":
        DOCS_IMAGE.parent.mkdir(exist_ok=True)
        element.screenshot(path=DOCS_IMAGE)


# -- the tests ----------------------------------------------------------------------------------


@pytest.fixture
def approve(page: Any, lab: Lab, before_approval: dict[str, dict[str, Any]]) -> Notebook:
    return Notebook(page, lab, APPROVE).open()


@pytest.mark.timeout(420)
def test_stop_and_roll_back_in_05_the_later_cells_say_what_happened(
    approve: Notebook, page: Any, screenshots: Path, timings: dict[str, float]
) -> None:
    """Notebook 05 from *Run All Cells*, and *Stop and roll back* pressed instead of *Reroute
    traffic*: every later cell runs without an error; port 80 still serves Nginx, and the
    terminate step says there is nothing to terminate."""
    notebook = approve
    notebook.run_all()
    panel = panel_of(notebook)
    wait_for_phase(panel, "Ready")
    decision = notebook.cell("await panel.decision(")
    assert_waits_for_click(notebook, decision, notebook.next_code_cell("await panel.decision("))

    clicked = time.monotonic()
    panel.locator("button.widget-button", has_text="Stop and roll back").click()
    decision.locator(".jp-OutputArea-output", has_text="'rollback'").wait_for()
    notebook.cell("await panel.settled()").locator(
        ".jp-OutputArea-output", has_text="Stopped"
    ).wait_for(timeout=NOTEBOOK_TIMEOUT * 1000)
    notebook.wait_all_run(NOTEBOOK_TIMEOUT)
    timings[f"{notebook.name}: roll back, click to the end"] = time.monotonic() - clicked
    after = notebook.cells("observe.compare_ports(kit)")[1]
    assert ports_shown(after) == {80: "nginx", 8080: "nginx"}, "the rollback put 8080 back too"
    terminate = notebook.cell("TERMINATION_WAIT")
    assert "Nothing to terminate" in notebook.outputs(terminate)
    wait_for_phase(panel, "Stopped")
    shoot(page, panel, screenshots, "approval-panel-rolled-back")


@pytest.mark.timeout(420)
def test_reroute_traffic_after_the_click_port_80_serves_fizzbuzz(
    approve: Notebook, page: Any, screenshots: Path, timings: dict[str, float]
) -> None:
    """Notebook 05 from *Run All Cells* again (the rolled-back deployment no longer counts, so
    it deploys anew): the panel reaches ``Ready`` while 80 serves Nginx and 8080 FizzBuzz; the
    run waits for the click; *Reroute traffic* releases it, the deployment reaches its
    termination wait and port 80 serves FizzBuzz."""
    notebook = approve
    notebook.run_all()
    panel = panel_of(notebook)
    wait_for_phase(panel, "Ready")

    # while it waits: customers on 80 get Nginx, the test port 8080 FizzBuzz
    shown = ports_shown(notebook.cell("observe.compare_ports(kit)"))
    assert shown[80] == "nginx"
    assert shown[8080].startswith("fizzbuzz")

    decision = notebook.cell("await panel.decision(")
    following = notebook.next_code_cell("await panel.decision(")
    assert_waits_for_click(notebook, decision, following)
    shoot(page, panel, screenshots, "approval-panel-ready", docs=True)

    clicked = time.monotonic()
    panel.locator("button.widget-button", has_text="Reroute traffic").click()
    decision.locator(".jp-OutputArea-output", has_text="'reroute'").wait_for()
    timings[f"{notebook.name}: click to decision"] = time.monotonic() - clicked

    # the next cell keeps the panel live until the termination wait; then 80 serves FizzBuzz
    notebook.cell("await panel.settled()").locator(
        ".jp-OutputArea-output", has_text="TerminationWait"
    ).wait_for(timeout=NOTEBOOK_TIMEOUT * 1000)
    after = notebook.cells("observe.compare_ports(kit)")[1]
    assert ports_shown(after)[80].startswith("fizzbuzz")
    shoot(page, panel, screenshots, "approval-panel-rerouted")

    notebook.wait_all_run(NOTEBOOK_TIMEOUT)
    timings[f"{notebook.name}: click to the end"] = time.monotonic() - clicked
    wait_for_phase(panel, "Succeeded")
    shoot(page, panel, screenshots, "approval-panel-succeeded")


@pytest.mark.timeout(420)
def test_stop_and_roll_back_port_80_stays_on_the_old_revision(
    page: Any,
    lab: Lab,
    screenshots: Path,
    before_approval: dict[str, dict[str, Any]],
    timings: dict[str, float],
) -> None:
    """Notebook 06 from *Run All Cells*: a buggy revision waits on 8080; the run waits for the
    click; *Stop and roll back* stops it and port 80 keeps serving the old revision."""
    notebook = Notebook(page, lab, ROLL_BACK).open()
    notebook.run_all()
    panel = panel_of(notebook)
    wait_for_phase(panel, "Ready")

    compares = notebook.cells('compare_ports(kit, path="/fizzbuzz/15")')
    before = ports_shown(compares[0])
    assert before[8080] == "fizzbuzz-v2", "the test port serves the buggy revision"
    assert before[80] != "fizzbuzz-v2", "customers get the old revision"

    decision = notebook.cell("await panel.decision(")
    following = notebook.next_code_cell("await panel.decision(")
    assert_waits_for_click(notebook, decision, following)
    shoot(page, panel, screenshots, "rollback-panel-ready")

    clicked = time.monotonic()
    panel.locator("button.widget-button", has_text="Stop and roll back").click()
    decision.locator(".jp-OutputArea-output", has_text="'rollback'").wait_for()
    timings[f"{notebook.name}: click to decision"] = time.monotonic() - clicked

    after_rollback = compares[1]
    after_rollback.locator(".jp-OutputArea-output table").wait_for(timeout=NOTEBOOK_TIMEOUT * 1000)
    assert ports_shown(after_rollback)[80] == before[80]
    wait_for_phase(panel, "Stopped")
    shoot(page, panel, screenshots, "rollback-panel-stopped")

    notebook.wait_all_run(NOTEBOOK_TIMEOUT)
    # and when nobody decides, the ready wait runs out: 80 still serves the old revision
    assert ports_shown(compares[2])[80] == before[80]

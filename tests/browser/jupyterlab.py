"""JupyterLab, the local cloud and a notebook in the page, for the browser tests.

:func:`start_lab` starts a fresh local cloud and JupyterLab over copies of the notebooks, its
kernels set to use that cloud and never ``BGKIT_AUTOPILOT``; :class:`Notebook` drives one notebook
as a learner does (open, *Run ▸ Run All Cells*, read cells and outputs). Selectors and waits
follow the verified recipe of ``reference/notebooks-widgets-browser.md`` §C6 (JupyterLab 4.6).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bgkit.config import Settings
from bgkit.local.process import free_port
from bgkit.local.server import start_background, stop_background
from bgkit.tour import free_offset, notebooks

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",  # Docker's /dev/shm is 64 MiB; Debian's wrapper misjudges it
]
INSTALL_HINT = (
    "the browser tests need Debian's Chromium at /usr/bin/chromium: "
    "apt-get install -y chromium (as root), or run `bash .ci/run`"
)
#: where the screenshots go
SCREENSHOTS = ROOT / "build" / "browser"
#: the settings of the kernels Lab starts (the state dir, ports and offset are chosen per run)
KERNEL_SETTINGS = {
    "BGKIT_TARGET": "local",
    "BGKIT_CLOCK": "60",
    "BGKIT_APPROVAL_TIMEOUT": "180",  # a kernel left waiting gives up by itself
    "BGKIT_PREFIX": "bgkit",
    "AWS_REGION": "us-east-1",
}
#: what must not leak into the kernels from the environment pytest runs in
NOT_INHERITED = (
    "BGKIT_AUTOPILOT",
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
    "MPLBACKEND",  # Lab kernels draw inline
)
LAB_START_TIMEOUT = 60.0


def require_chromium() -> Path:
    """Debian's Chromium, or skip the test saying how to install it — or fail, when
    ``BGKIT_REQUIRE_BROWSER=1`` (``.ci/run`` sets it: in CI these tests never skip)."""
    missing = None
    if not CHROMIUM.exists():
        missing = INSTALL_HINT
    elif importlib.util.find_spec("playwright") is None:
        missing = "the browser tests need Playwright for Python: pip install -e '.[dev]'"
    if missing is None:
        return CHROMIUM
    if os.environ.get("BGKIT_REQUIRE_BROWSER") == "1":
        pytest.fail(missing + " (BGKIT_REQUIRE_BROWSER=1: required here)", pytrace=False)
    pytest.skip(missing)


@dataclass
class Lab:
    """A running JupyterLab and the local cloud its kernels use."""

    url: str
    root: Path
    settings: Settings
    log: Path

    def api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """End every session and its kernel, through the REST API (a failed test can leave a
        kernel busy waiting for a click)."""
        for session in self.api("GET", "/api/sessions"):
            with contextlib.suppress(urllib.error.HTTPError):
                self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels"):
            with contextlib.suppress(urllib.error.HTTPError):
                self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def client(self, service: str) -> Any:
        from bgkit.connect import Session

        return Session(self.settings).client(service)


def _lab_environment(home: Path, cloud: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(KERNEL_SETTINGS)
    env.update(cloud)
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "lab-workspaces",
        "IPYTHONDIR": home / "ipython",
    }
    for name, folder in dirs.items():
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    # no "Would you like to get notified about official Jupyter news?" toast over the page
    settings = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    return env


def _wait_for_lab(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + LAB_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited as it started:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url + "/api/status", timeout=2):
            return
        time.sleep(0.2)
    raise RuntimeError(
        f"JupyterLab did not answer in {LAB_START_TIMEOUT:.0f} s:\n{log.read_text()}"
    )


def _stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM to the one process we started (Lab shuts its kernels down), SIGKILL if needed."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def start_lab(folder: Path | None = None, more: dict[str, str] | None = None) -> Iterator[Lab]:
    """A fresh local cloud, and JupyterLab over copies of the notebooks of ``folder`` (default
    the English ones), its kernels set to use that cloud without autopilot, and ``more``
    settings (``{"BGKIT_LANG": "ja"}``)."""
    home = Path(tempfile.mkdtemp(prefix="bgkit-browser-"))
    root = home / "notebooks"
    root.mkdir()
    for path in notebooks() if folder is None else notebooks(folder):
        shutil.copy2(path, root / path.name)
    cloud = {
        "BGKIT_STATE_DIR": str(home / "state"),
        "BGKIT_LOCAL_PORT": str(free_port()),
        "BGKIT_LISTENER_OFFSET": str(free_offset()),
    }
    env = {**_lab_environment(home, cloud), **(more or {})}
    settings = Settings.load(env)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = home / "jupyterlab.log"
    start_background(settings)
    try:
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                    "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                    "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
                    "--IdentityProvider.token=", "--ServerApp.password=",
                    "--ServerApp.disable_check_xsrf=True",
                    "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
                    "--LabApp.extension_manager=readonly",
                    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                ],
                env=env, cwd=root, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            )  # fmt: skip
        try:
            _wait_for_lab(url, process, log)
            running = Lab(url=url, root=root, settings=settings, log=log)
            yield running
            with contextlib.suppress(OSError):
                running.shut_down_kernels()
        finally:
            _stop(process)
    finally:
        with contextlib.suppress(Exception):
            stop_background(settings)
        shutil.rmtree(home, ignore_errors=True)


# -- one notebook in the page ------------------------------------------------------------------

STDERR = 'data-mime-type="application/vnd.jupyter.stderr"'
KERNEL_READY = """() => {
    const kernel = window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""
SOURCES = """() => window.jupyterapp.shell.currentWidget.content.widgets.map(
    cell => [cell.model.type, cell.model.sharedModel.getSource()])"""
ALL_RUN = """() => {
    const prompts = [...document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
    return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""


class Notebook:
    """One notebook open in JupyterLab, driven as a learner would."""

    def __init__(self, page: Any, lab: Lab, name: str) -> None:
        self.page = page
        self.lab = lab
        self.name = name

    def open(self, timeout: float = 60.0) -> Notebook:
        """Open it in a fresh workspace and wait until its kernel is idle (one retry: the
        recipe saw the page miss the kernel's first idle once in ~35 runs)."""
        workspace = Path(self.name).stem
        url = f"{self.lab.url}/lab/workspaces/{workspace}/tree/{self.name}?reset"
        for attempt in (1, 2):
            self.page.goto(url)
            self.page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden)")
            try:
                self.page.wait_for_function(KERNEL_READY, timeout=timeout * 1000 / 2)
                return self
            except Exception:
                if attempt == 2:
                    raise
        return self

    def run_all(self) -> None:
        """Run ▸ Run All Cells, from the menu bar."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

    def wait_all_run(self, timeout: float) -> None:
        """Wait until every code cell has run, then check that none of them failed."""
        self.page.wait_for_function(ALL_RUN, timeout=timeout * 1000)
        self.assert_no_errors()

    def assert_no_errors(self) -> None:
        errors = self.page.locator(self._in_panel(f".jp-OutputArea-output[{STDERR}]"))
        tracebacks = [
            text for text in errors.all_text_contents() if "Traceback" in text or "Error" in text
        ]
        assert not tracebacks, f"{self.name}: a cell failed:\n" + "\n".join(tracebacks)

    def _in_panel(self, selector: str) -> str:
        return f".jp-NotebookPanel:not(.lm-mod-hidden) {selector}"

    def sources(self) -> list[tuple[str, str]]:
        """``(cell type, source)`` of every cell, read from the notebook's model (Lab renders the
        editors of cells out of view lazily, so the page's text is not a reliable source)."""
        return [tuple(pair) for pair in self.page.evaluate(SOURCES)]

    def at(self, index: int) -> Any:
        """The cell at ``index`` (counting every cell, markdown too)."""
        return self.page.locator(self._in_panel(f'.jp-Cell[data-windowed-list-index="{index}"]'))

    def indexes(self, text: str) -> list[int]:
        """The indexes of the code cells whose source contains ``text``, in order."""
        found = [
            index
            for index, (kind, source) in enumerate(self.sources())
            if kind == "code" and text in source
        ]
        if not found:
            raise LookupError(f"{self.name}: no code cell holds {text!r}")
        return found

    def cells(self, text: str) -> list[Any]:
        """The code cells whose source contains ``text``, in order."""
        return [self.at(index) for index in self.indexes(text)]

    def cells_or_none(self, text: str) -> list[Any]:
        try:
            return self.cells(text)
        except LookupError:
            return []

    def cell(self, text: str) -> Any:
        """The first code cell whose source contains ``text``."""
        return self.cells(text)[0]

    def next_code_cell(self, text: str) -> Any:
        """The code cell after the first one whose source contains ``text``."""
        start = self.indexes(text)[0]
        kinds = [kind for kind, _ in self.sources()]
        return self.at(next(i for i in range(start + 1, len(kinds)) if kinds[i] == "code"))

    def prompt(self, cell: Any) -> str:
        return cell.locator(".jp-InputPrompt").text_content().strip()

    def outputs(self, cell: Any) -> str:
        return "\n".join(cell.locator(".jp-OutputArea-output").all_text_contents())

    def close(self) -> None:
        """Shut its kernel down (File ▸ Close and Shut Down would ask; the API does not)."""
        self.lab.shut_down_kernels()

"""The headless tour: every notebook in order, on a fresh local cloud, on autopilot.

:func:`fresh_environment` is the one place that sets up such a run — a temporary state directory,
a free endpoint port and listener offset, a sped-up clock, autopilot — and it serves three
callers: ``bgkit tour``, the nbval conftest (``notebooks/conftest.py``) and
``scripts/store_outputs.py``, which stores the notebooks' outputs. :func:`run_tour` executes the
notebooks with nbclient and reports what ports 80 and 8080 served at each step.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bgkit.config import Settings
from bgkit.errors import NotRunningError
from bgkit.local.process import free_port, port_is_free, start_background, stop_background

__all__ = ["NOTEBOOKS", "TourReport", "fresh_environment", "notebooks", "run_tour"]

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK_NAME = re.compile(r"^\d\d-[a-z0-9-]+\.ipynb$")
#: settings of a headless run (the state dir, ports and offset are chosen per run)
HEADLESS = {
    "BGKIT_TARGET": "local",
    "BGKIT_CLOCK": "60",
    "BGKIT_AUTOPILOT": "reroute",
    "BGKIT_APPROVAL_TIMEOUT": "120",
    "BGKIT_PREFIX": "bgkit",
    "AWS_REGION": "us-east-1",
}


def notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The walkthrough's notebooks, in order (``NN-verb-phrase.ipynb``)."""
    return sorted(p for p in folder.iterdir() if NOTEBOOK_NAME.match(p.name))


def free_offset(ports: tuple[int, ...] = (80, 8080)) -> int:
    """A listener offset that puts each of ``ports`` on a free host port."""
    for _ in range(500):
        offset = random.randrange(20000, 65535 - 8100)
        if all(port_is_free(offset + port) for port in ports):
            return offset
    raise RuntimeError("no free listener offset found")


@contextlib.contextmanager
def fresh_environment(environ: Any = os.environ) -> Iterator[Settings]:
    """A fresh local cloud in the background, and ``environ`` set so that kernels started
    meanwhile use it; everything is stopped and restored afterwards."""
    state_dir = Path(tempfile.mkdtemp(prefix="bgkit-tour-"))
    values = {
        **HEADLESS,
        "BGKIT_STATE_DIR": str(state_dir),
        "BGKIT_LOCAL_PORT": str(free_port()),
        "BGKIT_LISTENER_OFFSET": str(free_offset()),
    }
    saved = {name: environ.get(name) for name in [*values, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    environ.update(values)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        environ.pop(name, None)
    settings = Settings.load(dict(environ))
    try:
        start_background(settings)
        yield settings
    finally:
        with contextlib.suppress(NotRunningError):
            stop_background(settings)
        for name, value in saved.items():
            if value is None:
                environ.pop(name, None)
            else:
                environ[name] = value
        shutil.rmtree(state_dir, ignore_errors=True)


@dataclass
class TourReport:
    """What the tour saw: per notebook, its time and what the ports served."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def __str__(self) -> str:
        lines = ["bgkit tour"]
        for step in self.steps:
            lines.append(f"  {step['notebook']}  {step['seconds']:5.1f} s  {step['outcome']}")
            lines += [f"      {seen}" for seen in step["ports"]]
        if self.deployments:
            lines.append("  deployments:")
            lines += [
                f"      {d['deployment']}  {d['status']:<10} {d['creator']}"
                + (f"  (rollback of {d['rollback of']})" if d["rollback of"] else "")
                for d in self.deployments
            ]
        lines.append(f"  total: {self.seconds:.1f} s")
        return "\n".join(lines)


PORT_ROW = re.compile(r"^\d+\s+(80|8080)\s+(\d+|NaN|None)\s+(\S+)")


def ports_seen(notebook: Any) -> list[str]:
    """What the ``compare_ports`` cells of an executed notebook showed, one line each."""
    seen = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or "compare_ports(" not in cell.source:
            continue
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain", "")
            rows = [PORT_ROW.match(line) for line in text.splitlines()]
            found = [f"{m.group(1)} → {m.group(3)} ({m.group(2)})" for m in rows if m]
            if found:
                seen.append(", ".join(found))
    return seen


def run_tour(
    folder: Path = NOTEBOOKS,
    out: Path | None = Path("build/tour"),
    timeout: int = 300,
    last: str | None = None,
) -> TourReport:
    """Run every notebook of ``folder`` in order on a fresh local cloud; write the executed
    notebooks to ``out`` (unless ``None``); return the report.

    Args:
        last: the number (``"04"``) of the last notebook to run; default all.
    """
    import nbformat
    from nbclient import NotebookClient

    from bgkit.connect import Session
    from bgkit.observe import deployments_frame

    report = TourReport()
    start = time.monotonic()
    with fresh_environment() as settings:
        for path in notebooks(folder):
            if last is not None and path.name[:2] > last:
                break
            notebook = nbformat.read(path, as_version=4)
            began = time.monotonic()
            outcome = "ok"
            client = NotebookClient(
                notebook, timeout=timeout, kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
            )  # fmt: skip
            try:
                client.execute()
            except Exception as error:  # the report says which notebook failed, and why
                outcome = f"FAILED: {type(error).__name__}: {str(error).strip().splitlines()[-1]}"
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                nbformat.write(notebook, out / path.name)
            report.steps.append(
                {
                    "notebook": path.stem,
                    "seconds": time.monotonic() - began,
                    "outcome": outcome,
                    "ports": ports_seen(notebook),
                }
            )
            with contextlib.suppress(Exception):  # the deployments, before the clean-up
                frame = deployments_frame(Session(settings))
                if len(frame):
                    report.deployments = frame.astype(str).to_dict("records")
            if outcome != "ok":
                break
    report.seconds = time.monotonic() - start
    return report

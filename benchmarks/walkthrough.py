"""The walkthrough's wall time: ``bgkit tour`` — every notebook, headless, on a fresh local cloud,
on autopilot — from the command to its report.

Bounded (one run, 10 minutes at most) and on loopback. The tour's own report gives each
notebook's time; the executed notebooks (nbclient stores when each cell started and finished) say
how much of it the cells took and how much starting and stopping each notebook's kernel took, and
which cells were the slowest — the profile of where the time goes. Prints a table and writes
``benchmarks/results/walkthrough.json``.

Usage: ``python benchmarks/walkthrough.py``
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from cloud import BGKIT, machine

RESULTS = Path(__file__).parent / "results" / "walkthrough.json"
STEP = re.compile(r"^\s+(\d\d-[a-z0-9-]+)\s+([\d.]+) s\s+(\S+)", re.MULTILINE)
TOTAL = re.compile(r"total: ([\d.]+) s")


def _when(stamp: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def cells(folder: Path) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Seconds of cells a notebook, and every cell's seconds and first line."""
    per_notebook: dict[str, float] = {}
    every: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.ipynb")):
        notebook = json.loads(path.read_text())
        total = 0.0
        for cell in notebook["cells"]:
            stamps = cell.get("metadata", {}).get("execution", {})
            if "iopub.execute_input" not in stamps or "shell.execute_reply" not in stamps:
                continue
            took = (
                _when(stamps["shell.execute_reply"]) - _when(stamps["iopub.execute_input"])
            ).total_seconds()
            total += took
            first = "".join(cell["source"]).splitlines()[0] if cell["source"] else ""
            every.append({"notebook": path.stem, "seconds": round(took, 2), "cell": first[:72]})
        per_notebook[path.stem] = round(total, 2)
    return per_notebook, every


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    facts = machine()
    with tempfile.TemporaryDirectory(prefix="bgkit-bench-tour-") as tmp:
        began = time.perf_counter()
        ran = subprocess.run(
            [*BGKIT, "tour", "--out", tmp],
            capture_output=True,
            text=True,
            timeout=args.timeout,
        )
        wall = time.perf_counter() - began
        if ran.returncode != 0:
            print(ran.stdout[-3000:], ran.stderr[-3000:])
            raise SystemExit(f"bgkit tour failed (exit {ran.returncode})")
        in_cells, every = cells(Path(tmp))
    steps = {name: float(seconds) for name, seconds, _ in STEP.findall(ran.stdout)}
    total = float(TOTAL.search(ran.stdout).group(1))
    print(f"{'notebook':<38} {'tour s':>7} {'cells s':>8} {'kernel etc. s':>14}")
    for name, seconds in steps.items():
        cell_time = in_cells.get(name, 0.0)
        print(f"{name:<38} {seconds:>7.1f} {cell_time:>8.1f} {seconds - cell_time:>14.1f}")
    cell_total = sum(in_cells.values())
    print(f"{'all notebooks':<38} {total:>7.1f} {cell_total:>8.1f} {total - cell_total:>14.1f}")
    print(f"bgkit tour wall time (command to report): {wall:.1f} s")
    slowest = sorted(every, key=lambda c: c["seconds"], reverse=True)[:8]
    imports = sum(c["seconds"] for c in every if c["cell"].startswith("import "))
    print(f"first cells (imports and connect): {imports:.1f} s in all; slowest cells:")
    for cell in slowest:
        print(f"  {cell['seconds']:>5.1f} s  {cell['notebook'][:2]}  {cell['cell']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                **facts,
                "wall_seconds": round(wall, 1),
                "tour_total_seconds": total,
                "notebooks": {
                    name: {"tour_seconds": s, "cell_seconds": in_cells.get(name)}
                    for name, s in steps.items()
                },
                "import_cell_seconds": round(imports, 2),
                "slowest_cells": slowest,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

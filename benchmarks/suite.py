"""The test suite's wall time as ``make test`` runs it: the parallel pass, then the tests marked
``alone`` one at a time (lint and set-up not counted), with the machine's load beside it.

Not bounded like the others (it is the whole suite: minutes), so ``make bench`` does not run it;
run it on its own, from the checkout: ``python benchmarks/suite.py [--workers auto]``. It prints
each pass's seconds, outcome and counts beside the goal (5 minutes) and writes
``benchmarks/results/suite.json``, which ``goals.py`` reads.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from cloud import machine

RESULTS = Path(__file__).parent / "results" / "suite.json"
ROOT = Path(__file__).resolve().parents[1]
#: issue 22's goal for ``make test`` after set-up, seconds
GOAL_SECONDS = 300.0
SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|errors?|deselected)")


def passes(workers: str) -> dict[str, list[str]]:
    """The two pytest commands of ``make test``'s test target."""
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return {
        "parallel": [*pytest, "-n", workers, "--dist", "loadfile", "-m", "not alone"],
        "alone": [*pytest, "-m", "alone"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="auto", help="pytest-xdist's -n (default auto)")
    args = parser.parse_args()
    facts = machine()
    rows = {}
    for name, command in passes(args.workers).items():
        began = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        seconds = time.monotonic() - began
        last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        counts = {kind: int(n) for n, kind in SUMMARY.findall(last)}
        rows[name] = {"seconds": round(seconds, 1), "exit": done.returncode, "counts": counts}
        print(f"{name + ' pass':<16} {seconds:7.1f} s  exit {done.returncode}  {last}", flush=True)
    total = sum(row["seconds"] for row in rows.values())
    print(f"{'make test':<16} {total:7.1f} s  goal ≤ {GOAL_SECONDS:.0f} s "
          f"({total / GOAL_SECONDS:.2f}×)")  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                **facts,
                "loadavg_1min_after": round(os.getloadavg()[0], 2),
                "workers": args.workers,
                "passes": rows,
                "total_seconds": round(total, 1),
                "goal_seconds": GOAL_SECONDS,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

"""Every benchmark, one after the other (``make bench``): each prints its table and writes its
JSON under ``benchmarks/results/``; last, the goals of issue 22 beside the figures measured
(``goals.py``). Bounded (a few minutes in all) and on loopback only. The listener benchmark needs
``apt-get install -y wrk nginx``; the control plane benchmark ``pip install 'moto[server]'``.

Usage: ``python benchmarks/run_all.py [name ...]`` (names: walkthrough, reroute, listener_overhead,
control_plane, footprint, startup; default all). The test suite's wall time (``suite.py``: the
whole suite, minutes) runs on its own.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import goals

HERE = Path(__file__).parent
BENCHMARKS = (
    "walkthrough", "reroute", "listener_overhead", "control_plane", "footprint", "startup",
    "scheduler",
)  # fmt: skip


def main() -> None:
    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"unknown benchmarks {sorted(unknown)}; they are {', '.join(BENCHMARKS)}")
    failed = []
    for name in chosen:
        print(f"\n== {name} ==", flush=True)
        began = time.monotonic()
        done = subprocess.run([sys.executable, str(HERE / f"{name}.py")], timeout=900)
        print(f"({name}: {time.monotonic() - began:.0f} s)", flush=True)
        if done.returncode != 0:
            failed.append(name)
    print("\n== goals ==", flush=True)
    goals.show(goals.all_goals())
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

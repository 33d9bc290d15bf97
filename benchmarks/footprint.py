"""Start-up and memory of the local cloud: ``bgkit local up`` to ready, and the resident memory of
its process idle and with the walkthrough's two tasks running.

Bounded and on loopback: ``--runs`` (5) fresh local clouds, each started with ``bgkit local up``
on a free port with a new state directory (the command returns once the endpoint answers) and
stopped with ``bgkit local down``; then one more, where notebooks 01–04 are run through
:mod:`bgkit.walkthrough` so that the service's two Nginx tasks run and are healthy. Memory is the
local cloud process's ``VmRSS`` (and its peak, ``VmHWM``) from ``/proc/<pid>/status``; the task
processes are its children and are counted apart. Prints a table and writes
``benchmarks/results/footprint.json``.

Usage: ``python benchmarks/footprint.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cloud import Cloud, free_offset, free_port, fresh_cloud, machine, vm_kib, walkthrough_world

RESULTS = Path(__file__).parent / "results" / "footprint.json"


def start_times(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bgkit-bench-") as tmp:
            cloud = Cloud(free_port(), Path(tmp) / "state", free_offset(), 1.0)
            times.append(cloud.up())
            cloud.down()
    return times


def import_seconds(module: str, runs: int = 3) -> float:
    """Median wall seconds of a fresh interpreter importing ``module`` (where start-up goes:
    ``bgkit local up`` imports :mod:`bgkit.cli`, then the server process imports the server)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in found.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    facts = machine()
    times = start_times(args.runs)
    imports = {
        "python": import_seconds("sys"),
        "bgkit.cli": import_seconds("bgkit.cli"),
        "bgkit.local.__main__": import_seconds("bgkit.local.__main__"),
    }
    with fresh_cloud(clock=60.0) as cloud:
        pid = cloud.pid()
        time.sleep(0.5)
        idle = vm_kib(pid)
        walkthrough_world(cloud.kit())
        time.sleep(1.0)
        busy, peak = vm_kib(pid), vm_kib(pid, "VmHWM")
        tasks = {child: vm_kib(child) for child in children(pid)}
    mib = 1024
    print(f"{'bgkit local up → ready':<44} median {statistics.median(times):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)})")  # fmt: skip
    print(f"{'  of which: interpreter start':<44} {imports['python']:.2f} s")
    print(f"{'  of which: the CLI imports bgkit.cli':<44} {imports['bgkit.cli']:.2f} s")
    print(f"{'  of which: the server imports its modules':<44} "
          f"{imports['bgkit.local.__main__']:.2f} s")  # fmt: skip
    print(f"{'local cloud RSS, idle':<44} {idle / mib:.0f} MiB")
    print(f"{'local cloud RSS, walkthrough world, 2 tasks':<44} {busy / mib:.0f} MiB "
          f"(peak {peak / mib:.0f} MiB)")  # fmt: skip
    print(f"{'each task process (its own RSS)':<44} "
          f"{', '.join(f'{kib / mib:.0f}' for kib in tasks.values())} MiB")  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                **facts,
                "start_seconds": [round(t, 3) for t in times],
                "start_median_seconds": round(statistics.median(times), 3),
                "import_seconds": {k: round(v, 3) for k, v in imports.items()},
                "rss_idle_kib": idle,
                "rss_two_tasks_kib": busy,
                "rss_peak_kib": peak,
                "task_rss_kib": list(tasks.values()),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

"""``bgkit local up`` to ready and to its first answered API call, and where the time goes.

Bounded and on loopback: ``--runs`` (7) fresh local clouds, each on a free port with a new state
directory. Each run times the command ``bgkit local up`` (it returns once the endpoint answers
its status), then, from the same start, the first AWS call answered (STS GetCallerIdentity with
plain boto3, made as soon as the command returned: it waits for the service models the server
loads once it listens); then ``bgkit local down``. Beside them, the import time of the CLI's
modules and of the server's, each in a fresh interpreter (median of 3). Prints a table beside
the goal (0.5 s) and writes ``benchmarks/results/startup.json``.

Usage: ``python benchmarks/startup.py [--runs 7]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cloud import BGKIT, Cloud, free_offset, free_port, machine

RESULTS = Path(__file__).parent / "results" / "startup.json"
#: issue 22's goal for ``bgkit local up``, seconds
GOAL_SECONDS = 0.5


def one_start() -> tuple[float, float]:
    """Seconds to ``bgkit local up`` returning, and to the first call answered."""
    import boto3

    with tempfile.TemporaryDirectory(prefix="bgkit-bench-") as tmp:
        cloud = Cloud(free_port(), Path(tmp) / "state", free_offset(), 1.0)
        began = time.perf_counter()
        up = cloud.up()
        sts = boto3.client(
            "sts", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{cloud.port}",
            aws_access_key_id="bench", aws_secret_access_key="bench",
        )  # fmt: skip
        sts.get_caller_identity()
        first_call = time.perf_counter() - began
        cloud.down()
    return up, first_call


def import_seconds(module: str, runs: int = 3) -> float:
    """Median wall seconds of a fresh interpreter importing ``module``."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    facts = machine()
    subprocess.run([*BGKIT, "--help"], check=True, capture_output=True)  # a warm file cache
    runs = [one_start() for _ in range(args.runs)]
    up = statistics.median(r[0] for r in runs)
    first = statistics.median(r[1] for r in runs)
    imports = {
        "python": import_seconds("sys"),
        "bgkit.cli": import_seconds("bgkit.cli"),
        "bgkit.local.__main__": import_seconds("bgkit.local.__main__"),
    }
    each = ", ".join(f"{r[0]:.2f}" for r in runs)
    print(f"{'bgkit local up → ready (median)':<46} {up:.3f} s   goal ≤ {GOAL_SECONDS} s "
          f"({up / GOAL_SECONDS:.2f}×; runs: {each})")  # fmt: skip
    print(f"{'  … → first API call answered (median)':<46} {first:.3f} s")
    for module, seconds in imports.items():
        print(f"{'  import ' + module + ' (fresh interpreter)':<46} {seconds:.3f} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                **facts,
                "loadavg_1min_after": round(os.getloadavg()[0], 2),
                "up_seconds": [round(r[0], 3) for r in runs],
                "first_call_seconds": [round(r[1], 3) for r in runs],
                "up_median_seconds": round(up, 3),
                "first_call_median_seconds": round(first, 3),
                "import_seconds": {k: round(v, 3) for k, v in imports.items()},
                "goal_seconds": GOAL_SECONDS,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

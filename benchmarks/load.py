"""Logged HTTP load for the reroute benchmark, in a process of its own (so that it never shares
an interpreter with what it measures); throughput and latency figures come from ``wrk``
(``wrk.py``).

- :func:`logged_loop`: a fixed rate of requests, each recorded with its start and end on the
  system-wide monotonic clock (``time.monotonic`` is ``CLOCK_MONOTONIC`` on Linux, the same in
  every process), its status and the ``Server`` header that answered — for the reroute benchmark.

It runs in a subprocess started by :func:`start_logged`. Usage of the subprocess side:
``python benchmarks/load.py logged URL [options]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path


async def logged_loop(url: str, rate: int, stop_file: Path, limit_seconds: float) -> list[list]:
    """``rate`` requests a second until ``stop_file`` exists (or ``limit_seconds`` pass); each
    request as ``[start, end, status, server]`` (monotonic seconds; status 0 for no answer)."""
    import aiohttp

    log: list[list] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as s:

        async def one() -> None:
            start = time.monotonic()
            try:
                async with s.get(url, timeout=aiohttp.ClientTimeout(total=10)) as answer:
                    await answer.read()
                    log.append(
                        [start, time.monotonic(), answer.status, answer.headers.get("Server", "")]
                    )
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                log.append([start, time.monotonic(), 0, type(error).__name__])

        began = time.monotonic()
        tasks: set[asyncio.Task] = set()
        number = 0
        while time.monotonic() - began < limit_seconds:
            if number % rate == 0 and stop_file.exists():
                break
            await asyncio.sleep(max(0.0, began + number / rate - time.monotonic()))
            task = asyncio.create_task(one())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            number += 1
        await asyncio.gather(*tasks)
    return sorted(log)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0.5 is the median's upper neighbour)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


# -- the subprocess side ------------------------------------------------------------------------


def start_logged(url: str, rate: int, stop_file: Path, out: Path, limit: float) -> subprocess.Popen:
    """Start :func:`logged_loop` in a subprocess; it writes its log to ``out`` once
    ``stop_file`` exists."""
    return subprocess.Popen(
        [sys.executable, __file__, "logged", url, "--rate", str(rate), "--stop-file",
         str(stop_file), "--out", str(out), "--seconds", str(limit)]
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["logged"])
    parser.add_argument("url", nargs="?")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rate", type=int, default=400)
    parser.add_argument("--stop-file", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    log = asyncio.run(logged_loop(args.url, args.rate, args.stop_file, args.seconds))
    args.out.write_text(json.dumps(log))
    return None


if __name__ == "__main__":
    main()

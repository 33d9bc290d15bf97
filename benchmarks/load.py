"""Load generation shared by the benchmarks: a backend that answers at once, and HTTP load in a
process of its own (so that it never shares an interpreter with what it measures).

- :func:`serve_backend`: an aiohttp server on a free loopback port answering ``ok``; prints its
  port on the first line of stdout.
- :func:`closed_loop`: as many requests as ``concurrency`` connections get through in a time.
- :func:`open_loop`: a fixed rate of requests whatever the answers' pace.
- :func:`logged_loop`: a fixed rate of requests, each recorded with its start and end on the
  system-wide monotonic clock (``time.monotonic`` is ``CLOCK_MONOTONIC`` on Linux, the same in
  every process), its status and the ``Server`` header that answered — for the reroute benchmark.

Each runs in a subprocess started by :func:`run`, which returns what the subprocess printed as
JSON. Usage of the subprocess side: ``python benchmarks/load.py <kind> URL [options]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CONCURRENCY = 32
RATES = (300, 1000)


def serve_backend() -> None:
    from aiohttp import web

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


async def closed_loop(url: str, seconds: float, concurrency: int = CONCURRENCY) -> dict[str, Any]:
    """As many requests as ``concurrency`` connections get through in ``seconds``."""
    import aiohttp

    latencies: list[float] = []
    errors = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:
        end = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < end:
                start = time.perf_counter()
                try:
                    async with s.get(url) as answer:
                        await answer.read()
                        if answer.status != 200:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append(time.perf_counter() - start)

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - began
    return summary(latencies, errors, elapsed)


async def open_loop(url: str, rate: int, seconds: float) -> dict[str, Any]:
    """``rate`` requests a second for ``seconds``, whatever the answers' pace (max 256 open)."""
    import aiohttp

    latencies: list[float] = []
    errors = skipped = 0
    gate = asyncio.Semaphore(256)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as s:

        async def one() -> None:
            nonlocal errors
            start = time.perf_counter()
            try:
                async with s.get(url) as answer:
                    await answer.read()
                    if answer.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            finally:
                gate.release()
            latencies.append(time.perf_counter() - start)

        began = time.monotonic()
        tasks = []
        for number in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, began + number / rate - time.monotonic()))
            if gate.locked():
                skipped += 1
                continue
            await gate.acquire()
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - began
    result = summary(latencies, errors, elapsed)
    result["skipped_overload"] = skipped
    return result


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


def summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "errors": errors,
        "rps": round(len(ordered) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
    }


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0.5 is the median's upper neighbour)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


# -- the subprocess side ------------------------------------------------------------------------


def fixed_runs(url: str, seconds: float) -> dict[str, Any]:
    """The listener overhead's runs: the closed loop, then each of :data:`RATES`."""

    async def main() -> dict[str, Any]:
        results = {"max": await closed_loop(url, seconds)}
        for rate in RATES:
            results[f"{rate}rps"] = await open_loop(url, rate, seconds)
        return results

    return asyncio.run(main())


def run(kind: str, url: str, *options: str, timeout: float) -> Any:
    """Run ``kind`` (``fixed``) in a subprocess; what it printed, as JSON."""
    answer = subprocess.run(
        [sys.executable, __file__, kind, url, *options],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return json.loads(answer.stdout)


def start_logged(url: str, rate: int, stop_file: Path, out: Path, limit: float) -> subprocess.Popen:
    """Start :func:`logged_loop` in a subprocess; it writes its log to ``out`` once
    ``stop_file`` exists."""
    return subprocess.Popen(
        [sys.executable, __file__, "logged", url, "--rate", str(rate), "--stop-file",
         str(stop_file), "--out", str(out), "--seconds", str(limit)]
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["backend", "fixed", "logged"])
    parser.add_argument("url", nargs="?")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rate", type=int, default=400)
    parser.add_argument("--stop-file", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.kind == "backend":
        return serve_backend()
    if args.kind == "fixed":
        print(json.dumps(fixed_runs(args.url, args.seconds)), flush=True)
        return None
    log = asyncio.run(logged_loop(args.url, args.rate, args.stop_file, args.seconds))
    args.out.write_text(json.dumps(log))
    return None


if __name__ == "__main__":
    main()

"""What a local listener adds: requests per second and latency through it against direct.

Runs on loopback only and is bounded: a backend process answering ``ok`` at once, a local cloud
(in this process) with one ALB listener forwarding to it, and a load generator process that
measures, for 3 seconds each, the most requests per second it gets with 32 connections, then
p50/p99 latency at fixed rates of 300 and 1000 requests per second — directly to the backend and
through the listener. Prints a table and writes ``benchmarks/results/listener_overhead.json``.

Usage: ``python benchmarks/listener_overhead.py [--seconds 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "listener_overhead.json"
LISTENER_PORT = 8001
CONCURRENCY = 32
RATES = (300, 1000)


# -- the backend and the load generator (each run as a process of its own) -------------------


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


async def closed_loop(url: str, seconds: float) -> dict[str, Any]:
    """As many requests as ``CONCURRENCY`` connections get through in ``seconds``."""
    import aiohttp

    latencies: list[float] = []
    errors = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as s:
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
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
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


def summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "errors": errors,
        "rps": round(len(ordered) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
    }


def load(url: str, seconds: float) -> None:
    async def main() -> dict[str, Any]:
        results = {"max": await closed_loop(url, seconds)}
        for rate in RATES:
            results[f"{rate}rps"] = await open_loop(url, rate, seconds)
        return results

    print(json.dumps(asyncio.run(main())), flush=True)


# -- the benchmark ---------------------------------------------------------------------------


def measure(url: str, seconds: float) -> dict[str, Any]:
    answer = subprocess.run(
        [sys.executable, __file__, "--load", url, "--seconds", str(seconds)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60 + 10 * seconds,
    )
    return json.loads(answer.stdout)


def listener_to(backend_port: int, state_dir: str) -> tuple[Any, str]:
    """A running local cloud with one listener forwarding to the backend, and its URL."""
    from bgkit.local.server import LocalCloud, port_is_free
    from bgkit.local.services.elbv2_health import PROVISIONING_SECONDS

    offset = next(o for o in range(30000, 60000, 97) if port_is_free(o + LISTENER_PORT))
    cloud = LocalCloud(state_dir, port=0, listener_offset=offset)
    cloud.start()
    ec2, elb = cloud.client("ec2"), cloud.client("elbv2")
    subnets = ec2.describe_subnets()["Subnets"]
    zones = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets}
    lb = elb.create_load_balancer(Name="bench", Subnets=list(zones.values())[:2])
    group = elb.create_target_group(
        Name="bench-1", Protocol="HTTP", Port=80, VpcId=subnets[0]["VpcId"], TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=group, Targets=[{"Id": "127.0.0.1", "Port": backend_port}])
    cloud.clock.advance(PROVISIONING_SECONDS)
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="HTTP",
        Port=LISTENER_PORT,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    url = f"http://127.0.0.1:{offset + LISTENER_PORT}/"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # served within one reconciliation
        if any(row["serving"] for c in cloud.components for row in getattr(c, "status", list)()):
            break
        time.sleep(0.01)
    return cloud, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--backend", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        return serve_backend()
    if args.load:
        return load(args.load, args.seconds)

    backend = subprocess.Popen(
        [sys.executable, __file__, "--backend"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert backend.stdout is not None
        port = int(backend.stdout.readline())
        with tempfile.TemporaryDirectory() as state_dir:
            cloud, url = listener_to(port, state_dir)
            try:
                direct = measure(f"http://127.0.0.1:{port}/", args.seconds)
                through = measure(url, args.seconds)
            finally:
                cloud.stop()
    finally:
        backend.terminate()
        backend.wait(10)

    print(f"{'run':<10} {'direct rps':>11} {'p50':>7} {'p99':>7}   {'listener rps':>12} "
          f"{'p50':>7} {'p99':>7}   {'added p50/p99 (ms)':>18}  errors")  # fmt: skip
    for run in direct:
        d, t = direct[run], through[run]
        added = f"{t['p50_ms'] - d['p50_ms']:+.2f} / {t['p99_ms'] - d['p99_ms']:+.2f}"
        print(
            f"{run:<10} {d['rps']:>11.0f} {d['p50_ms']:>7.2f} {d['p99_ms']:>7.2f}   "
            f"{t['rps']:>12.0f} {t['p50_ms']:>7.2f} {t['p99_ms']:>7.2f}   {added:>18}  "
            f"{d['errors']}/{t['errors']}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "seconds": args.seconds,
                "concurrency": CONCURRENCY,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "direct": direct,
                "listener": through,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

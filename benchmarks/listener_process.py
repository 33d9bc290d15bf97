"""An experiment for issue 22: the ALB data plane in a process of its own, measured against the
listener on the control plane's loop, in one run.

A fresh local cloud (``bgkit local up``) serves one ALB listener on its loop as it does today. A
second process runs the same :class:`bgkit.local.dataplane.alb.AlbDataPlane` — routing, health
checks, draining, ALB's pages, the metrics counting — against the same store (SQLite in WAL
mode, read by both) on another listener offset, reconciling every 0.25 s as the local cloud's
timer does, its loop asyncio's or uvloop's. wrk measures both, and nginx as the reference, at 32
connections and at a fixed rate idle and with 8 threads calling the API.

This is a measurement, not the product: the second process writes health records and metrics
beside the local cloud's own listener. Usage:
``python benchmarks/listener_process.py [--seconds 3] [--rate 200] [--uvloop]``; the subprocess
side: ``python benchmarks/listener_process.py --serve STATE_DIR OFFSET SPEED [--uvloop]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "listener_process.json"


@dataclass
class ProcessHost:
    """What the data plane needs of a local cloud, read from its state directory."""

    store: Any
    clock: Any
    listener_offset: int
    state_dir: Path
    endpoint_url: str = ""


async def serve(state_dir: Path, offset: int, speed: float) -> None:
    from bgkit.local.clock import Clock
    from bgkit.local.dataplane.alb import AlbDataPlane
    from bgkit.local.process import STATE_FILE
    from bgkit.local.store import Store

    store = Store(state_dir / STATE_FILE)
    host = ProcessHost(store, Clock(store, speed=speed), offset, state_dir)
    plane = AlbDataPlane()
    await plane.start(host)
    print("ready", flush=True)
    while True:
        await plane.reconcile()
        await asyncio.sleep(0.25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--serve", nargs=3, metavar=("STATE_DIR", "OFFSET", "SPEED"))
    args = parser.parse_args()
    if args.serve:
        state_dir, offset, speed = Path(args.serve[0]), int(args.serve[1]), float(args.serve[2])
        if args.uvloop:
            import uvloop

            uvloop.run(serve(state_dir, offset, speed))
        else:
            asyncio.run(serve(state_dir, offset, speed))
        return

    import engines
    import wrk
    from cloud import free_offset, fresh_cloud
    from listener_overhead import API_THREADS, CONNECTIONS, ApiCallers, listener, measured

    before = {**engines.machine_load(), "others_busy_share": engines.idle_share()}
    with engines.nginx() as proxy, fresh_cloud(60.0) as cloud:
        in_loop = listener(cloud, proxy.backend_port)
        offset = free_offset((80,))
        command = [sys.executable, __file__, "--serve", str(cloud.state_dir), str(offset), "60"]
        child = subprocess.Popen(
            command + (["--uvloop"] if args.uvloop else []), stdout=subprocess.PIPE, text=True
        )
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + 10
            while not engines.port_answers(offset + 80) and time.monotonic() < deadline:
                time.sleep(0.05)
            urls = {
                "nginx": f"http://127.0.0.1:{proxy.proxy_port}/",
                "on the loop": in_loop,
                "own process": f"http://127.0.0.1:{offset + 80}/",
            }
            meter = engines.CpuMeter([os.getpid(), cloud.pid()])
            for url in urls.values():
                wrk.closed(url, 1, CONNECTIONS)
            closed = {k: measured(meter, wrk.closed, u, args.seconds, CONNECTIONS)
                      for k, u in urls.items()}  # fmt: skip
            idle = {k: measured(meter, wrk.paced, u, args.rate, args.seconds)
                    for k, u in urls.items() if k != "nginx"}  # fmt: skip
            busy: dict[str, Any] = {}
            with ApiCallers(cloud, API_THREADS) as callers:
                for k in ("on the loop", "own process"):
                    busy[k] = measured(meter, wrk.paced, urls[k], args.rate, args.seconds)
            api_rate = round(callers.calls / callers.elapsed, 1)
        finally:
            child.terminate()
            child.wait(10)
    result = {
        "uvloop": args.uvloop,
        "seconds": args.seconds,
        "rate": args.rate,
        "machine": {"before": before, "after": engines.machine_load()},
        "closed": closed,
        "idle": idle,
        "busy": busy,
        "api_calls_per_s": api_rate,
    }
    print(f"machine before: {before}")
    nginx_rps, nginx_p50 = closed["nginx"]["rps"], closed["nginx"]["p50_ms"]
    for name, row in closed.items():
        print(f"{name:<12} {row['rps']:>8.0f} rps ({row['rps'] / nginx_rps:.2f}× nginx) "
              f"p50 {row['p50_ms']:.2f} ms ({row['p50_ms'] / nginx_p50:.1f}×) "
              f"p99 {row['p99_ms']:.2f}  CPU others {row['cpu']['others']:.0%}")  # fmt: skip
    for name in idle:
        print(f"{name:<12} at {args.rate:g}/s p99 idle {idle[name]['p99_ms']:.2f} ms, busy "
              f"{busy[name]['p99_ms']:.2f} ms ({busy[name]['p99_ms'] / idle[name]['p99_ms']:.1f}×)"
              f", p50 {idle[name]['p50_ms']:.2f} / {busy[name]['p50_ms']:.2f}")  # fmt: skip
    print(f"({API_THREADS} threads: {api_rate} API calls/s)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    out = RESULTS.with_name(f"listener_process{'_uvloop' if args.uvloop else ''}.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()

"""Reroute latency: from ``ContinueDeployment`` returning to the first, and to the last, request on
port 80 answered by green, under steady load.

Bounded and on loopback: a fresh local cloud (``bgkit local up``, clock 60× so the health checks
and waits of each deployment take seconds), the walkthrough's world built by
:mod:`bgkit.walkthrough` (ready wait with STOP_DEPLOYMENT, termination wait 0), and one service
deployed back and forth between two FizzBuzz revisions (``rev-a``, ``rev-b``; the first
deployment replaces Nginx). A load process sends a steady rate of requests to port 80 the whole
time and logs each one with its start on the system-wide monotonic clock and the ``Server``
header that answered (FizzBuzz names its revision there).

For each reroute, after the deployment is ``Ready``: ``t0`` is the moment
``ContinueDeployment(READY_WAIT)`` returned; *first* is the start of the first request answered
by green minus ``t0``; *last* is the start of the first request from which on every request was
answered by green, minus ``t0`` (what a customer waits until no one sees blue any more). A
negative figure means green answered before the call's answer was back: the local cloud reroutes
within the call (the listener reconciles as soon as the store changed), and the call's own round
trip is shown beside. Prints
p50/p99 of both over the reroutes, and writes ``benchmarks/results/reroute.json``.

Usage: ``python benchmarks/reroute.py [--reroutes 20] [--rate 400]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import load
from cloud import fresh_cloud, machine, walkthrough_world

RESULTS = Path(__file__).parent / "results" / "reroute.json"
CLOCK = 60.0


def wait_status(codedeploy: Any, deployment_id: str, wanted: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        if info["status"] == wanted:
            return
        if info["status"] in ("Failed", "Stopped"):
            raise RuntimeError(f"{deployment_id}: {info['status']}: {info.get('errorInformation')}")
        time.sleep(0.05)
    raise TimeoutError(f"{deployment_id} not {wanted} after {timeout} s")


def reroutes(kit: Any, world: Any, count: int) -> list[dict[str, Any]]:
    """``count`` deployments back and forth; each one's ``t0`` and green's ``Server`` header."""
    from bgkit import walkthrough as wt

    codedeploy = kit.client("codedeploy")
    role = world.prerequisites.execution_role_arn
    revisions = {
        name: wt.task_definition(kit, "fizzbuzz", role, revision=name)["taskDefinitionArn"]
        for name in ("rev-a", "rev-b")
    }
    done = []
    for number in range(count):
        green = "rev-a" if number % 2 == 0 else "rev-b"
        began = time.monotonic()  # this cycle's window opens: blue alone answers now
        deployment = wt.create_deployment(kit, revisions[green], f"reroute {number}")
        wait_status(codedeploy, deployment, "Ready")
        sent = time.monotonic()
        codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="READY_WAIT")
        t0 = time.monotonic()
        wait_status(codedeploy, deployment, "Succeeded")
        time.sleep(0.5)  # the old revision's last answers come back within this cycle
        done.append(
            {"deployment": deployment, "green": f"fizzbuzz/{green}", "t0": t0, "sent": sent,
             "began": began, "ended": time.monotonic()}
        )  # fmt: skip
        print(f"  reroute {number + 1}/{count}: {deployment} → {green}", flush=True)
    return done


def latencies(log: list[list], cycles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """First and last green answer after each ``t0`` (ms), from the load's log.

    Each cycle's window is its own: the requests started from just before its deployment was
    created to the end of its cycle (its deployment succeeded and the old revision's last
    answers came back), so no request of another cycle — the previous cycle's green is this
    one's blue — is counted in it.
    """
    measured = []
    for cycle in cycles:
        t0 = cycle["t0"]
        window = [r for r in log if cycle["began"] <= r[0] < cycle["ended"]]
        green = [r for r in window if r[3] == cycle["green"]]
        # a request without an answer (status 0) is a failure, counted apart, never blue
        blue = [r[0] for r in window if r[2] != 0 and r[3] != cycle["green"]]
        first = min(r[0] for r in green)
        last_blue = max(blue, default=float("-inf"))
        after_last_blue = [r[0] for r in green if r[0] > last_blue]
        measured.append(
            {
                **cycle,
                "first_ms": round((first - t0) * 1000, 2),
                # None: blue answered up to the cycle's end (the switch never completed)
                "last_ms": (
                    round((min(after_last_blue) - t0) * 1000, 2) if after_last_blue else None
                ),
                "call_ms": round((t0 - cycle["sent"]) * 1000, 2),
                "first_from_call_ms": round((first - cycle["sent"]) * 1000, 2),
                "failed": sum(1 for r in window if r[2] != 200),
            }
        )
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reroutes", type=int, default=20)
    parser.add_argument("--rate", type=int, default=400, help="requests a second on port 80")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--log", type=Path, help="also write the cycles and every request here")
    args = parser.parse_args()
    facts = machine()
    began = time.monotonic()
    with fresh_cloud(CLOCK) as cloud, tempfile.TemporaryDirectory() as tmp:
        kit = cloud.kit()
        world = walkthrough_world(kit, ready_wait=60, termination_wait=0)
        stop, out = Path(tmp) / "stop", Path(tmp) / "log.json"
        limit = 60 + 15 * args.reroutes
        traffic = load.start_logged(cloud.url(80), args.rate, stop, out, limit)
        try:
            time.sleep(1.0)
            cycles = reroutes(kit, world, args.reroutes)
        finally:
            stop.touch()
            traffic.wait(limit + 30)
        log = json.loads(out.read_text())
    if args.log is not None:
        args.log.write_text(json.dumps({"cycles": cycles, "log": log}))
    measured = latencies(log, cycles)
    first = [m["first_ms"] for m in measured]
    last = [m["last_ms"] for m in measured if m["last_ms"] is not None]
    unfinished = len(measured) - len(last)
    last = last or [float("nan")]
    failed = sum(1 for r in log if r[2] != 200)
    call = [m["call_ms"] for m in measured]
    from_call = [m["first_from_call_ms"] for m in measured]
    rows = {
        "first green answer": first,
        "last non-green answer gone": last,
        "(ContinueDeployment's own round trip)": call,
        "(first green answer from the call sent)": from_call,
    }
    note = f"; {unfinished} with blue still answering at the cycle's end" if unfinished else ""
    print(f"\n{len(measured)} reroutes under {args.rate} requests/s on port 80 "
          f"({len(log)} requests, {failed} failed), clock {CLOCK:g}×{note}")  # fmt: skip
    print(f"{'from ContinueDeployment returning to':<38} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, values in rows.items():
        print(
            f"{name:<38} {statistics.median(values):>8.1f} {load.percentile(values, 0.99):>8.1f} "
            f"{max(values):>8.1f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                **facts,
                "clock": CLOCK,
                "rate": args.rate,
                "requests": len(log),
                "failed_requests": failed,
                "unfinished_switches": unfinished,
                "loadavg_1min_after": round(os.getloadavg()[0], 2),
                "wall_seconds": round(time.monotonic() - began, 1),
                "first_ms": {
                    "p50": round(statistics.median(first), 2),
                    "p99": load.percentile(first, 0.99),
                },
                "last_ms": {
                    "p50": round(statistics.median(last), 2),
                    "p99": load.percentile(last, 0.99),
                },
                "call_ms": {
                    "p50": round(statistics.median(call), 2),
                    "p99": load.percentile(call, 0.99),
                },
                "first_from_call_ms": {
                    "p50": round(statistics.median(from_call), 2),
                    "p99": load.percentile(from_call, 0.99),
                },
                "reroutes": [
                    {
                        k: m[k]
                        for k in ("deployment", "green", "first_ms", "last_ms", "call_ms", "failed")
                    }
                    for m in measured
                ],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()

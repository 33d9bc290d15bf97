"""The local ALB listener against nginx as a reverse proxy, in one run, measured by ``wrk``.

Needs ``apt-get install -y wrk nginx`` (Debian's packages; the benchmark says so and stops
without them). On loopback only and bounded:

- the backend is nginx answering ``ok`` from memory; in front of it, in the same nginx worker,
  nginx as a reverse proxy (keep-alive upstream), and a local ALB listener of a fresh local
  cloud (``bgkit local up``, a process of its own) forwarding to the same backend;
- **throughput**: wrk with 32 connections for ``--seconds`` each, directly, through nginx and
  through the listener, one after the other: requests/s, p50, p99;
- **latency at a fixed rate**: wrk paced by its Lua script (``wrk.py``: a schedule a connection,
  coordinated omission corrected, the client's own lateness reported) at ``--rate`` requests/s;
- **busy control plane**: the listener's latency at the same rate, idle and then while 8 threads
  call the local cloud's API (ELBv2 describe calls, as approval panels poll), in the same run.

Beside every row the machine's CPU share is recorded: the whole machine's, ours (wrk, nginx, the
local cloud) and the other processes'; and the load average before and after. Prints tables and
the goals of issue 22 beside the figures, writes ``benchmarks/results/listener_overhead.json``.

Usage: ``python benchmarks/listener_overhead.py [--seconds 5] [--rate 200]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from pathlib import Path
from typing import Any

import engines
import goals
import wrk
from cloud import Cloud, fresh_cloud

RESULTS = Path(__file__).parent / "results" / "listener_overhead.json"
CONNECTIONS = 32
API_THREADS = 8


def listener(cloud: Cloud, backend_port: int) -> str:
    """One load balancer with a listener on port 80 forwarding to the backend; its URL."""
    kit = cloud.kit()
    ec2, elb = kit.client("ec2"), kit.client("elbv2")
    subnets = ec2.describe_subnets()["Subnets"]
    zones = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets}
    lb = elb.create_load_balancer(Name="bench", Subnets=list(zones.values())[:2])
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    group = elb.create_target_group(
        Name="bench-1", Protocol="HTTP", Port=80, VpcId=subnets[0]["VpcId"], TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=group, Targets=[{"Id": "127.0.0.1", "Port": backend_port}])
    deadline = time.monotonic() + 30
    while elb.describe_load_balancers(LoadBalancerArns=[lb_arn])["LoadBalancers"][0]["State"][
        "Code"
    ] != "active":  # fmt: skip
        if time.monotonic() > deadline:
            raise TimeoutError("the load balancer did not become active")
        time.sleep(0.05)
    elb.create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    while not engines.port_answers(cloud.listener_offset + 80):
        if time.monotonic() > deadline:
            raise TimeoutError("the listener did not serve")
        time.sleep(0.02)
    return cloud.url(80)


class ApiCallers:
    """``count`` threads calling the local cloud's API in a loop, each with its own client."""

    def __init__(self, cloud: Cloud, count: int) -> None:
        self.kit, self.count = cloud.kit(), count
        self.calls = self.errors = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _run(self) -> None:
        elb = self.kit.client("elbv2")
        arn = elb.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
        group = elb.describe_target_groups()["TargetGroups"][0]["TargetGroupArn"]
        calls = (
            lambda: elb.describe_load_balancers(LoadBalancerArns=[arn]),
            lambda: elb.describe_target_health(TargetGroupArn=group),
            lambda: elb.describe_listeners(LoadBalancerArn=arn),
            lambda: elb.describe_target_groups(LoadBalancerArn=arn),
        )
        number = 0
        while not self._stop.is_set():
            try:
                calls[number % len(calls)]()
                self.calls += 1
            except Exception:  # counted: a refused or failed call is still load
                self.errors += 1
            number += 1

    def __enter__(self) -> ApiCallers:
        self._began = time.monotonic()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.count)]
        for thread in self._threads:
            thread.start()
        time.sleep(0.5)  # every thread calling before the measurement starts
        self.calls = self.errors = 0
        self._began = time.monotonic()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.elapsed = time.monotonic() - self._began
        self._stop.set()
        for thread in self._threads:
            thread.join(30)


def measured(meter: engines.CpuMeter, run: Any, *args: Any) -> dict[str, Any]:
    meter.start()
    figures = run(*args)
    figures["cpu"] = meter.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds a row")
    parser.add_argument("--rate", type=float, default=200.0, help="requests a second, paced rows")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    missing = [name for name, found in (("wrk", wrk.binary()), ("nginx", engines.nginx_binary()))
               if found is None]  # fmt: skip
    if missing:
        raise SystemExit(f"{' and '.join(missing)} not installed: apt-get install -y wrk nginx")

    before = {**engines.machine_load(), "others_busy_share": engines.idle_share()}
    began = time.monotonic()
    with engines.nginx() as proxy, fresh_cloud(60.0) as cloud:
        urls = {
            "direct": f"http://127.0.0.1:{proxy.backend_port}/",
            "nginx": f"http://127.0.0.1:{proxy.proxy_port}/",
            "listener": listener(cloud, proxy.backend_port),
        }
        meter = engines.CpuMeter([os.getpid(), cloud.pid()])
        for url in urls.values():  # warm: connections, pools, first-request paths
            wrk.closed(url, 1, CONNECTIONS)
        closed = {k: measured(meter, wrk.closed, u, args.seconds, CONNECTIONS)
                  for k, u in urls.items()}  # fmt: skip
        paced = {k: measured(meter, wrk.paced, u, args.rate, args.seconds)
                 for k, u in urls.items()}  # fmt: skip
        idle = measured(meter, wrk.paced, urls["listener"], args.rate, args.seconds)
        with ApiCallers(cloud, API_THREADS) as callers:
            busy = measured(meter, wrk.paced, urls["listener"], args.rate, args.seconds)
        busy["api_calls_per_s"] = round(callers.calls / callers.elapsed, 1)
        busy["api_errors"] = callers.errors
    after = engines.machine_load()

    result = {
        "seconds": args.seconds,
        "rate": args.rate,
        "connections": CONNECTIONS,
        "api_threads": API_THREADS,
        "python": platform.python_version(),
        "nginx_version": proxy.version,
        "machine": {"before": before, "after": after},
        "wall_seconds": round(time.monotonic() - began, 1),
        "closed": closed,
        "paced": paced,
        "control_plane": {"idle": idle, "busy": busy},
    }
    print_tables(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")


def print_tables(result: dict[str, Any]) -> None:
    machine = result["machine"]
    print(f"machine: {machine['before']['cpus']} CPUs, load average "
          f"{machine['before']['loadavg_1min']} before, {machine['after']['loadavg_1min']} after; "
          f"other processes kept {machine['before']['others_busy_share']:.0%} of the CPUs busy "
          "before the run")  # fmt: skip
    header = f"{'':<10} {'rps':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}   " \
             f"{'CPU: machine · ours · others':>28}"  # fmt: skip

    def row(name: str, figures: dict[str, Any], extra: str = "") -> None:
        cpu = figures["cpu"]
        shares = f"{cpu['machine_busy']:>10.0%} · {cpu['ours']:>4.0%} · {cpu['others']:>4.0%}"
        print(f"{name:<10} {figures['rps']:>9.0f} {figures['p50_ms']:>8.2f} "
              f"{figures['p99_ms']:>8.2f} {figures['errors']:>7}   {shares}{extra}")  # fmt: skip

    print(f"\n{result['connections']} connections, as fast as they go (wrk, "
          f"{result['seconds']:g} s a row):")  # fmt: skip
    print(header)
    for name, figures in result["closed"].items():
        row(name, figures)
    print(f"\nfixed {result['rate']:g} requests/s (wrk paced; client lag p99 beside):")
    print(header)
    for name, figures in result["paced"].items():
        row(name, figures, f"   lag {figures['lag_p99_ms']:.2f} ms")
    plane = result["control_plane"]
    print(f"\nlistener at {result['rate']:g} requests/s, control plane idle and while "
          f"{result['api_threads']} threads call the API ({plane['busy']['api_calls_per_s']:g} "
          "calls/s):")  # fmt: skip
    print(header)
    row("idle", plane["idle"])
    row("busy", plane["busy"])
    print()
    goals.show(goals.listener_goals(result))


if __name__ == "__main__":
    main()

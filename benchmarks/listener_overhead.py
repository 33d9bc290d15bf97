"""What a local listener adds: requests per second and latency through it against direct.

Runs on loopback only and is bounded: a backend process answering ``ok`` at once, a local cloud
(in this process) with one ALB listener forwarding to it, and a load generator process that
measures, for 3 seconds each, the most requests per second it gets with 32 connections, then
p50/p99 latency at fixed rates of 300 and 1000 requests per second — directly to the backend and
through the listener; then, when nginx is installed, the same through an nginx reverse proxy of
ours (a temporary configuration, a loopback port, stopped by its pid) to give the ratio in one run.
Prints tables and writes ``benchmarks/results/listener_overhead.json``. The load generation lives
in ``load.py``.

Usage: ``python benchmarks/listener_overhead.py [--seconds 3] [--no-nginx]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import load

RESULTS = Path(__file__).parent / "results" / "listener_overhead.json"
LISTENER_PORT = 8001
CONCURRENCY = load.CONCURRENCY


# -- the benchmark ---------------------------------------------------------------------------


def measure(url: str, seconds: float) -> dict[str, Any]:
    return load.run("fixed", url, "--seconds", str(seconds), timeout=60 + 10 * seconds)


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream backend {{ server 127.0.0.1:{backend}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx_to(backend_port: int) -> Iterator[tuple[str, str] | None]:
    """nginx as a reverse proxy to the backend, as a process of ours with its configuration in
    a temporary directory (one worker, like the local cloud's one process; keep-alive to the
    backend); its URL and version, or ``None`` when nginx is not installed."""
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if binary is None:
        yield None
        return
    version = subprocess.run([binary, "-v"], capture_output=True, text=True).stderr.strip()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, backend=backend_port, port=port))
        nginx = subprocess.Popen([binary, "-p", tmp, "-e", f"{tmp}/error.log", "-c", str(conf)])
        try:
            deadline = time.monotonic() + 10
            while not port_answers(port):
                if nginx.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"nginx did not start: {(Path(tmp) / 'error.log').read_text()}"
                    )
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}/", version.removeprefix("nginx version: ")
        finally:
            nginx.terminate()  # fast shutdown of the master and its worker
            nginx.wait(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def listener_to(backend_port: int, state_dir: str) -> tuple[Any, str]:
    """A running local cloud with one listener forwarding to the backend, and its URL."""
    from bgkit.local.server import LocalCloud, port_is_free
    from bgkit.local.services.elbv2.models import PROVISIONING_SECONDS

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
    parser.add_argument("--no-nginx", action="store_true", help="skip the nginx comparison")
    args = parser.parse_args()

    backend = subprocess.Popen(
        [sys.executable, load.__file__, "backend"], stdout=subprocess.PIPE, text=True
    )
    nginx: dict[str, Any] | None = None
    nginx_version = None
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
        if not args.no_nginx:
            with nginx_to(port) as proxy:
                if proxy is not None:
                    nginx_url, nginx_version = proxy
                    nginx = measure(nginx_url, args.seconds)
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
    if nginx is None:
        print("nginx: not installed, no comparison (apt-get install nginx to have one)")
    else:
        print(f"\nagainst {nginx_version} as reverse proxy (1 worker, keep-alive upstream):")
        print(f"{'run':<10} {'nginx rps':>11} {'p50':>7} {'p99':>7}   {'added p50/p99 (ms)':>18}"
              f"   {'listener/nginx rps':>18} {'added p50':>10}")  # fmt: skip
        for run in direct:
            d, n, t = direct[run], nginx[run], through[run]
            added = f"{n['p50_ms'] - d['p50_ms']:+.2f} / {n['p99_ms'] - d['p99_ms']:+.2f}"
            ratio_added = (t["p50_ms"] - d["p50_ms"]) / max(n["p50_ms"] - d["p50_ms"], 1e-3)
            print(
                f"{run:<10} {n['rps']:>11.0f} {n['p50_ms']:>7.2f} {n['p99_ms']:>7.2f}   "
                f"{added:>18}   {t['rps'] / n['rps']:>18.2f} {ratio_added:>9.1f}x"
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
                "nginx": nginx,
                "nginx_version": nginx_version,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

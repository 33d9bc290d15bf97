"""The listener benchmark's load tools run and produce figures (never rates: speed is measured
in ``benchmarks/``, not asserted): nginx as backend and reverse proxy, wrk's closed loop and its
paced run, the CPU shares. Skipped, saying how to install them, without wrk or nginx."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

import engines
import wrk

pytestmark = pytest.mark.skipif(
    wrk.binary() is None or engines.nginx_binary() is None,
    reason="needs Debian's wrk and nginx: apt-get install -y wrk nginx",
)

FIGURES = {"requests", "errors", "rps", "p50_ms", "p99_ms"}


def test_wrk_measures_nginx_directly_and_as_a_proxy() -> None:
    with engines.nginx() as proxy:
        meter = engines.CpuMeter([os.getpid()])
        meter.start()
        closed = wrk.closed(f"http://127.0.0.1:{proxy.proxy_port}/", 1, connections=4)
        cpu = meter.stop()
        paced = wrk.paced(f"http://127.0.0.1:{proxy.backend_port}/", 50, 1, connections=2)
    assert closed.keys() >= FIGURES and closed["requests"] > 0 and closed["errors"] == 0
    assert FIGURES | {"lag_p99_ms"} <= paced.keys() and paced["requests"] > 0
    assert paced["errors"] == 0 and paced["p50_ms"] <= paced["p99_ms"]
    assert set(cpu) == {"machine_busy", "ours", "others"} and cpu["ours"] > 0

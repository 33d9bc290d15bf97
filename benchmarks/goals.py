"""The performance goals of issue 22 beside what the benchmarks measured.

:func:`listener_goals` reads a listener benchmark's result; :func:`all_goals` reads every result
file under ``results/`` that exists and gives each goal its measured figure and ratio; a goal no
benchmark measures yet says so. ``make bench`` prints them last (``run_all.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


@dataclass
class Goal:
    """One goal: what, the goal in words, the measured figure in words, and the ratio to the
    goal's reference (``None`` when nothing is measured) with the bound it must keep."""

    what: str
    goal: str
    measured: str
    ratio: float | None = None
    at_most: float | None = None
    at_least: float | None = None

    @property
    def met(self) -> str:
        if self.ratio is None:
            return "not measured" if self.measured == "—" else ""
        if self.at_most is not None:
            return "met" if self.ratio <= self.at_most else "missed"
        if self.at_least is not None:
            return "met" if self.ratio >= self.at_least else "missed"
        return ""


def listener_goals(result: dict[str, Any]) -> list[Goal]:
    """The listener's three goals from a listener benchmark's result."""
    closed, plane = result["closed"], result["control_plane"]
    listener, nginx = closed["listener"], closed["nginx"]
    idle, busy = plane["idle"], plane["busy"]
    return [
        Goal(
            "listener throughput, 32 connections",
            "≥ 0.2× nginx's",
            f"{listener['rps']:,.0f} requests/s against nginx's {nginx['rps']:,.0f}",
            listener["rps"] / nginx["rps"],
            at_least=0.2,
        ),
        Goal(
            "listener p50, 32 connections",
            "≤ 4× nginx's",
            f"{listener['p50_ms']:.2f} ms against nginx's {nginx['p50_ms']:.2f} ms",
            listener["p50_ms"] / nginx["p50_ms"],
            at_most=4.0,
        ),
        Goal(
            f"listener p99 at {result['rate']:g} requests/s, {result['api_threads']} threads "
            "calling the API",
            "≤ 2× idle",
            f"{busy['p99_ms']:.2f} ms against {idle['p99_ms']:.2f} ms idle "
            f"({busy['api_calls_per_s']:g} API calls/s)",
            busy["p99_ms"] / idle["p99_ms"],
            at_most=2.0,
        ),
    ]


def control_plane_goal(result: dict[str, Any]) -> Goal:
    """The control plane's goal from a control plane benchmark's result."""
    local, moto = result["targets"]["local"], result["targets"]["moto"]
    return Goal(
        f"control plane calls/s, {result['clients']} clients",
        "≥ moto server's",
        f"{local['calls_per_s']:,.0f} calls/s (p50 {local['p50_ms']:.0f} ms, p99 "
        f"{local['p99_ms']:.0f} ms) against moto's {moto['calls_per_s']:,.0f} (p50 "
        f"{moto['p50_ms']:.0f} ms, p99 {moto['p99_ms']:.0f} ms)",
        local["calls_per_s"] / moto["calls_per_s"],
        at_least=1.0,
    )


def _read(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def all_goals() -> list[Goal]:
    """Every goal of issue 22, with the figures of the result files there are."""
    rows: list[Goal] = []
    listener = _read("listener_overhead")
    if listener is not None and "closed" in listener:
        rows += listener_goals(listener)
    else:
        rows.append(Goal("listener", "≥ 0.2× nginx's throughput, p50 ≤ 4×", "—"))
    tour = _read("walkthrough")
    rows.append(
        Goal(
            "bgkit tour, every notebook",
            "≤ 30 s",
            f"{tour['wall_seconds']:.1f} s",
            tour["wall_seconds"] / 30,
            at_most=1.0,
        )
        if tour
        else Goal("bgkit tour, every notebook", "≤ 30 s", "—")
    )
    footprint = _read("footprint")
    rows.append(
        Goal(
            "bgkit local up to ready (median)",
            "≤ 0.5 s",
            f"{footprint['start_median_seconds']:.2f} s",
            footprint["start_median_seconds"] / 0.5,
            at_most=1.0,
        )
        if footprint
        else Goal("bgkit local up to ready (median)", "≤ 0.5 s", "—")
    )
    startup = _read("startup")
    if startup:
        rows.append(
            Goal(
                "bgkit local up to ready (median, startup.py)",
                "≤ 0.5 s",
                f"{startup['up_median_seconds']:.2f} s; first call answered "
                f"{startup['first_call_median_seconds']:.2f} s",
                startup["up_median_seconds"] / 0.5,
                at_most=1.0,
            )
        )
    reroute = _read("reroute")
    if reroute:
        rows.append(
            Goal(
                "reroute: first / last green answer (p50)",
                "(figure)",
                f"{reroute['first_ms']['p50']:.1f} / {reroute['last_ms']['p50']:.1f}"
                f" ms, {reroute['failed_requests']} failed requests",
            )
        )
    plane = _read("control_plane")
    rows.append(
        control_plane_goal(plane)
        if plane
        else Goal("control plane calls/s, 20 clients", "≥ moto server's", "—")
    )
    suite = _read("suite")  # benchmarks/suite.py, run on its own (the whole suite)
    rows.append(
        Goal(
            "make test (after set-up)",
            "≤ 5 min",
            f"{suite['total_seconds'] / 60:.1f} min on {suite['cpus']} cores (load "
            f"{suite['loadavg_1min_before']:g} before)",
            suite["total_seconds"] / 300,
            at_most=1.0,
        )
        if suite
        else Goal("make test (after set-up)", "≤ 5 min", "—")
    )
    return rows


def show(rows: list[Goal]) -> None:
    """Print goals as a table: what, goal, measured, ratio, met."""
    print(f"{'goal':<64} {'target':<18} {'ratio':>6}  {'':<12} measured")
    for row in rows:
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else ""
        print(f"{row.what:<64} {row.goal:<18} {ratio:>6}  {row.met:<12} {row.measured}")

"""Pictures (matplotlib): the traffic across a switch (the topology is :mod:`.topology`'s).

Each ``plot_*`` function is pure: it takes a frame and returns a new :class:`Figure` without
touching pyplot's global state, so a notebook shows it by leaving it last in a cell and a test can
inspect it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import pandas as pd
from matplotlib.figure import Figure

__all__ = ["BLUE", "GREEN", "GREY", "RED", "ShownFigure", "colour_of", "plot_traffic"]

BLUE = "#1c64b0"
GREEN = "#2f8132"
RED = "#b42318"
GREY = "#7b8794"


class ShownFigure(Figure):
    """A matplotlib ``Figure`` that shows itself as a PNG in a notebook, whatever backend
    pyplot would use — the views never touch pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


def colour_of(revision: str) -> str:
    """Nginx, the original revision, is blue; any FizzBuzz revision is green."""
    if revision == "nginx":
        return BLUE
    if revision == "-" or not revision:
        return GREY
    return GREEN


def plot_traffic(
    frame: pd.DataFrame,
    marks: Iterable[tuple[float, str]] = (),
    title: str = "",
    window: float = 10.0,
) -> Figure:
    """One panel per listener port: which revision answered each request, over the seconds
    around the switch — a dot per request in its revision's lane and colour, failed requests as
    red crosses in a lane of their own; ``marks`` as dashed vertical lines.

    Args:
        frame: a probe's frame (:class:`bgkit.observe.Probe`).
        marks: ``(time, label)`` pairs, e.g. the reroute; the first one is the time axis's zero.
        title: the figure's title.
        window: with a mark, show ``window`` seconds either side of it.
    """
    ports = sorted(frame["port"].unique()) if len(frame) else [80]
    marks = list(marks)
    zero = marks[0][0] if marks else 0.0
    failed_all = frame["status"].isna() | (frame["status"].fillna(0) >= 500)
    revisions = sorted({str(r) for r in frame[~failed_all]["revision"]}, key=_lane_order)
    lanes = {revision: index for index, revision in enumerate(revisions)}
    if failed_all.any():
        lanes["failed"] = len(lanes)
    figure = ShownFigure(
        figsize=(9, (0.35 * max(len(lanes), 2) + 0.9) * len(ports) + 0.6), layout="constrained"
    )
    axes = figure.subplots(len(ports), 1, sharex=True, squeeze=False)[:, 0]
    for ax, port in zip(axes, ports, strict=True):
        requests = frame[frame["port"] == port]
        failed = failed_all[frame["port"] == port]
        for revision, rows in requests[~failed].groupby("revision", sort=True):
            ax.scatter(rows["time"] - zero, [lanes[str(revision)]] * len(rows), s=10,
                       color=colour_of(str(revision)))  # fmt: skip
        if failed.any():
            ax.scatter(requests[failed]["time"] - zero, [lanes["failed"]] * int(failed.sum()),
                       marker="x", s=30, color=RED)  # fmt: skip
        for moment, label in marks:
            ax.axvline(moment - zero, color="black", linestyle="--", linewidth=1)
            ax.annotate(label, (moment - zero, 1), xycoords=("data", "axes fraction"),
                        xytext=(3, -12), textcoords="offset points", fontsize=8)  # fmt: skip
        ax.set_yticks(range(len(lanes)), list(lanes))
        ax.set_ylim(-0.6, len(lanes) - 0.4)
        ax.set_ylabel(f"port {port}\nanswered by")
        ax.grid(axis="x", alpha=0.3)
    if marks and len(frame):
        times = frame["time"] - zero
        axes[-1].set_xlim(max(times.min(), -window) - 0.5, min(times.max(), window) + 0.5)
        axes[-1].set_xlabel(f"seconds from the {marks[0][1]} (each dot a request)")
    else:
        axes[-1].set_xlabel("seconds since the probe started (each dot a request)")
    if title:
        figure.suptitle(title)
    return figure


def _lane_order(revision: str) -> tuple[int, str]:
    """Nginx (the original) in the bottom lane, then the FizzBuzz revisions, ``-`` last."""
    return (0 if revision == "nginx" else 2 if revision == "-" else 1, revision)

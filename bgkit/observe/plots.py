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
    frame: pd.DataFrame, marks: Iterable[tuple[float, str]] = (), title: str = ""
) -> Figure:
    """One panel per listener port: each request's latency over time, coloured by the revision
    that answered; failed requests as red crosses; ``marks`` as dashed vertical lines.

    Args:
        frame: a probe's frame (:class:`bgkit.observe.Probe`).
        marks: ``(time, label)`` pairs, e.g. the reroute.
        title: the figure's title.
    """
    ports = sorted(frame["port"].unique()) if len(frame) else [80]
    figure = ShownFigure(figsize=(9, 1.9 * len(ports) + 0.6), layout="constrained")
    axes = figure.subplots(len(ports), 1, sharex=True, squeeze=False)[:, 0]
    marks = list(marks)
    for ax, port in zip(axes, ports, strict=True):
        requests = frame[frame["port"] == port]
        failed = requests["status"].isna() | (requests["status"].fillna(0) >= 500)
        for revision, rows in requests[~failed].groupby("revision", sort=True):
            ax.scatter(rows["time"], rows["latency_ms"], s=8, color=colour_of(str(revision)),
                       label=str(revision))  # fmt: skip
        if failed.any():
            top = max(requests["latency_ms"].max(), 1.0)
            ax.scatter(requests[failed]["time"], [top] * int(failed.sum()), marker="x", s=30,
                       color=RED, label="failed")  # fmt: skip
        for moment, label in marks:
            ax.axvline(moment, color="black", linestyle="--", linewidth=1)
            ax.annotate(label, (moment, 1), xycoords=("data", "axes fraction"),
                        xytext=(3, -12), textcoords="offset points", fontsize=8)  # fmt: skip
        ax.set_ylabel(f"port {port}\nlatency (ms)")
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("seconds since the probe started")
    if title:
        figure.suptitle(title)
    return figure

"""Pictures (matplotlib): the traffic across a switch, and the routing of the listeners.

Each ``plot_*`` function is pure: it takes a frame and returns a new :class:`Figure` without
touching pyplot's global state, so a notebook shows it by leaving it last in a cell and a test can
inspect it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

__all__ = ["BLUE", "GREEN", "RED", "ShownFigure", "colour_of", "plot_routing", "plot_traffic"]

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


def _box(ax, x: float, y: float, text: str, colour: str) -> None:
    ax.add_patch(FancyBboxPatch((x - 0.42, y - 0.22), 0.84, 0.44,
                                boxstyle="round,pad=0.02", facecolor=colour, alpha=0.15,
                                edgecolor=colour))  # fmt: skip
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def plot_routing(routing: pd.DataFrame, title: str = "") -> Figure:
    """Listeners → target groups → task sets, each arrow labelled with its weight.

    Args:
        routing: :func:`bgkit.observe.routing_frame`'s table.
    """
    figure = ShownFigure(figsize=(7.5, 2.8), layout="constrained")
    ax = figure.subplots()
    ax.set_xlim(-0.6, 2.6)
    ax.set_axis_off()
    ports = sorted(routing["port"].unique()) if len(routing) else []
    groups = sorted(routing["target group"].unique()) if len(routing) else []
    rows = max(len(ports), len(groups), 1)
    ax.set_ylim(-0.6, rows - 0.4)

    def y_of(index: int, count: int) -> float:
        return (rows - 1) / 2 + (count - 1) / 2 - index

    port_y = {p: y_of(i, len(ports)) for i, p in enumerate(ports)}
    group_y = {g: y_of(i, len(groups)) for i, g in enumerate(groups)}
    for port, y in port_y.items():
        _box(ax, 0, y, f"listener :{port}", GREY)
    for group, y in group_y.items():
        _box(ax, 1, y, group, GREY)
        sets = routing[routing["target group"] == group].iloc[0]
        label = sets["task set"]
        if label != "—":
            colour = GREEN if "fizzbuzz" in str(sets.get("task definition", "")) else BLUE
            text = f"{label}\n{sets['task definition']}\n{sets['running']} running"
            _box(ax, 2, y, text, colour)
            ax.annotate("", (1.58, y), (1.42, y), arrowprops={"arrowstyle": "->", "color": GREY})
    for _, row in routing.iterrows():
        y0, y1 = port_y[row["port"]], group_y[row["target group"]]
        weight = int(row["weight"])
        style = {
            "arrowstyle": "->",
            "color": "black" if weight else GREY,
            "linewidth": 2 if weight else 0.8,
            "linestyle": "-" if weight else ":",
        }
        ax.annotate("", (0.58, y1), (0.42, y0), arrowprops=style)
        ax.text(0.5, (y0 + y1) / 2 + 0.08, f"{weight}%", ha="center", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return figure

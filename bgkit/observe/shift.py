"""Gradual traffic shifting (notebook 08): a deployment config's schedule, the weights the
production listener really had, the share of requests the new revision served, and a picture of
the three.

Times are wall seconds since a probe started; ``speed`` is the local clock's speed
(``BGKIT_CLOCK``, 1 on AWS), so ``seconds * speed / 60`` is minutes as CodeDeploy counts them.
Every function is pure: frames in, a frame or a new ``Figure`` out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from bgkit.observe.plots import BLUE, GREEN, GREY, ShownFigure

__all__ = ["plot_shift", "schedule_frame", "share_frame", "steps_frame"]


def schedule_frame(config: dict[str, Any]) -> pd.DataFrame:
    """The shift a deployment config promises: ``minute`` (after the reroute starts) and
    ``green %`` (the new revision's share of production traffic from then on).

    Args:
        config: ``GetDeploymentConfig``'s ``deploymentConfigInfo`` (or its
            ``trafficRoutingConfig``).
    """
    routing = config.get("trafficRoutingConfig", config)
    kind = routing.get("type", "AllAtOnce")
    rows: list[tuple[int, int]] = []
    if kind == "TimeBasedCanary":
        canary = routing["timeBasedCanary"]
        rows = [(0, canary["canaryPercentage"]), (canary["canaryInterval"], 100)]
    elif kind == "TimeBasedLinear":
        linear = routing["timeBasedLinear"]
        step, every = linear["linearPercentage"], linear["linearInterval"]
        share, minute = step, 0
        while share < 100:
            rows.append((minute, share))
            share, minute = share + step, minute + every
        rows.append((minute, 100))
    else:
        rows = [(0, 100)]
    return pd.DataFrame(rows, columns=["minute", "green %"])


def _green(weights: pd.DataFrame, port: int) -> pd.DataFrame:
    """The weight of the target group that had the least traffic when the record began."""
    on_port = weights[weights["port"] == port].sort_values("time", kind="stable")
    if on_port.empty:
        return pd.DataFrame(columns=["time", "weight"])
    first = on_port[on_port["time"] == on_port["time"].iloc[0]]
    green = first.sort_values(["weight", "target group"])["target group"].iloc[0]
    return on_port[on_port["target group"] == green][["time", "weight"]]


def steps_frame(weights: pd.DataFrame, speed: float = 1.0, port: int = 80) -> pd.DataFrame:
    """Each change of the new revision's weight on the listener: ``minute`` (local minutes
    after the first change, rounded to the minute), ``green %`` and ``seconds`` (wall seconds
    since the probe started).

    Args:
        weights: :meth:`bgkit.observe.Probe.weights_frame`.
        speed: the local clock's speed (``kit.settings.clock``).
        port: the listener.
    """
    green = _green(weights, port)
    changes = green[green["weight"].diff().fillna(0) != 0]
    if changes.empty:
        return pd.DataFrame(columns=["minute", "green %", "seconds"])
    start = changes["time"].iloc[0]
    return pd.DataFrame(
        {
            "minute": ((changes["time"] - start) * speed / 60).round().astype(int),
            "green %": changes["weight"].astype(int),
            "seconds": changes["time"].round(2),
        }
    ).reset_index(drop=True)


def share_frame(
    frame: pd.DataFrame, revision: str, port: int = 80, bin_seconds: float = 0.5
) -> pd.DataFrame:
    """The share of requests ``revision`` answered, per ``bin_seconds`` of a probe's frame:
    ``time`` (the bin's middle), ``requests``, ``green %``."""
    requests = frame[frame["port"] == port]
    if requests.empty:
        return pd.DataFrame(columns=["time", "requests", "green %"])
    bins = (requests["time"] // bin_seconds).astype(int)
    grouped = requests.assign(green=requests["revision"] == revision).groupby(bins)
    shares = pd.DataFrame(
        {
            "time": ((grouped["time"].first().index + 0.5) * bin_seconds).round(3),
            "requests": grouped.size().to_numpy(),
            "green %": (100 * grouped["green"].mean()).round(1).to_numpy(),
        }
    )
    return shares.reset_index(drop=True)


def plot_shift(
    shares: pd.DataFrame,
    steps: pd.DataFrame,
    schedule: pd.DataFrame,
    speed: float = 1.0,
    title: str = "",
) -> Figure:
    """The share of requests the new revision answered (dots), the listener's weight (solid
    steps) and the config's schedule (dashed steps), over the deployment's minutes from the
    listener's first change — as CodeDeploy counts them, whatever the local clock's speed.

    Args:
        shares: :func:`share_frame`.
        steps: :func:`steps_frame`.
        schedule: :func:`schedule_frame`.
        speed: the local clock's speed.
    """
    figure = ShownFigure(figsize=(9, 3.2), layout="constrained")
    ax = figure.subplots()
    origin = float(steps["seconds"].iloc[0]) if len(steps) else 0.0

    def minutes(seconds: Any) -> Any:
        """Wall seconds since the probe started → the deployment's minutes since the shift."""
        return (seconds - origin) * speed / 60

    end = float(shares["time"].max()) if len(shares) else 1.0
    ax.scatter(minutes(shares["time"]), shares["green %"], s=10, color=GREEN,
               label="requests to green")  # fmt: skip
    if len(steps):
        x = [minutes(t) for t in [*steps["seconds"], end]]
        y = [*steps["green %"], steps["green %"].iloc[-1]]
        ax.step(x, y, where="post", color=BLUE, linewidth=1.5, label="listener weight")
        planned = list(schedule["minute"])
        ax.step([*planned, max(minutes(end), planned[-1])], [*schedule["green %"], 100],
                where="post", color=GREY, linestyle="--", linewidth=1.2,
                label="config's schedule")  # fmt: skip
    ax.set_ylim(-5, 105)
    ax.set_ylabel("served by green (%)")
    label = "minutes of the deployment since the shift began"
    if speed != 1:
        label += f" (the local clock runs {speed:g}× faster: a minute is {60 / speed:g} s here)"
    ax.set_xlabel(label)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    return figure

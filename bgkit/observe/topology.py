"""The topology a learner built, from the live state: a table, and its picture.

:func:`topology_frame` reads the load balancer's listeners, where they forward and with which
weights, and the service's task sets — which one is **blue** (the revision that served before the
deployment) and which one **green** (its replacement), as CodeDeploy labels them in a
deployment's target, with the revision each one runs. :func:`plot_topology` draws it: the
Application Load Balancer, the production listener (:80) and the test listener (:8080), the
target groups ``-1`` and ``-2`` with each forward's weight, and the task sets in blue and green —
the colours of the approval panel and of the traffic plot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from bgkit.observe.frames import listeners_frame, target_group_names
from bgkit.observe.plots import BLUE, GREEN, GREY, ShownFigure
from bgkit.walkthrough import existing
from bgkit.walkthrough.deploy import deployment_target
from bgkit.walkthrough.prerequisites import REVISION_TAG

__all__ = [
    "COLUMNS", "LISTENER_ROLES", "merge_topology", "plot_topology", "revision_of",
    "task_sets_topology", "topology_frame",
]  # fmt: skip

#: the kit's listeners: which port carries which traffic
LISTENER_ROLES = {80: "production", 8080: "test"}
#: the columns of :func:`topology_frame`
COLUMNS = [
    "listener", "port", "target group", "weight", "task set", "revision", "task definition",
    "running",
]  # fmt: skip
#: task definition ARN → the revision it runs (task definitions never change)
_REVISIONS: dict[str, str] = {}


def revision_of(ecs: Any, arn: str) -> str:
    """The revision a task definition runs (its ``bgkit:revision`` tag, else its
    ``family:revision``), read once per task definition: they never change."""
    if arn not in _REVISIONS:
        tags = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"]).get("tags", [])
        found = {t["key"]: t["value"] for t in tags}
        _REVISIONS[arn] = found.get(REVISION_TAG, arn.rsplit("/", 1)[-1])
    return _REVISIONS[arn]


def task_sets_topology(
    task_sets: list[dict[str, Any]],
    target: dict[str, Any] | None,
    group_names: dict[str, str],
    revision: Callable[[str], str],
) -> pd.DataFrame:
    """The service's task sets (``DescribeServices``' ``taskSets``) by target group:
    ``target group``, ``task set`` (blue/green: the labels of the deployment's ECS ``target``;
    without one, the PRIMARY task set is blue and any other green), ``revision`` (``revision``
    of its task definition ARN), ``task definition``, ``running``."""
    labels = {
        info.get("targetGroup", {}).get("name", ""): info["taskSetLabel"].lower()
        for info in (target or {}).get("taskSetsInfo", [])
    }
    rows = []
    for task_set in task_sets:
        balanced = task_set.get("loadBalancers") or [{}]
        group = group_names.get(balanced[0].get("targetGroupArn", ""), "?")
        role = labels.get(group) or ("blue" if task_set["status"] == "PRIMARY" else "green")
        rows.append(
            {
                "target group": group,
                "task set": role,
                "revision": revision(task_set["taskDefinition"]),
                "task definition": task_set["taskDefinition"].rsplit("/", 1)[1],
                "running": task_set["runningCount"],
            }
        )
    return pd.DataFrame(
        rows, columns=["target group", "task set", "revision", "task definition", "running"]
    )


def merge_topology(forwards: pd.DataFrame, task_sets: pd.DataFrame) -> pd.DataFrame:
    """:func:`topology_frame`'s table from the listeners' forwards (``port``, ``target group``,
    ``weight``) and the task sets behind the groups (:func:`task_sets_topology`'s columns)."""
    forwards = forwards.copy()
    forwards.insert(0, "listener", forwards["port"].map(LISTENER_ROLES).fillna("listener"))
    merged = forwards.merge(task_sets, on="target group", how="left")
    for column in ("task set", "revision", "task definition"):
        merged[column] = merged[column].fillna("—")
    merged["running"] = merged["running"].fillna(0).astype(int)
    return merged[COLUMNS].sort_values(["port", "target group"]).reset_index(drop=True)


def topology_frame(kit: Any, deployment_id: str | None = None) -> pd.DataFrame:
    """One row per forward of a listener: ``listener`` (production/test), ``port``,
    ``target group``, ``weight`` (percent), and the task set behind that group — ``task set``
    (``blue``/``green``, or ``—``), ``revision``, ``task definition``, ``running``.

    Args:
        deployment_id: the deployment whose blue and green task sets to tell apart (CodeDeploy's
            labels); without one, the PRIMARY task set is blue and any other green.
    """
    ecs = kit.client("ecs")
    service = existing.service(kit)
    target = deployment_target(kit, deployment_id) if deployment_id is not None else None
    task_sets = task_sets_topology(
        service.get("taskSets", []) if service else [],
        target,
        target_group_names(kit),
        lambda arn: revision_of(ecs, arn),
    )
    return merge_topology(listeners_frame(kit), task_sets)


def _box(ax: Any, x: float, y: float, text: str, colour: str, width: float = 0.8) -> None:
    ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.3), width, 0.6, boxstyle="round,pad=0.02",
                                facecolor=colour, alpha=0.15, edgecolor=colour))  # fmt: skip
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5)


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float], strong: bool) -> None:
    style = {"arrowstyle": "->", "color": "black" if strong else GREY,
             "linewidth": 1.8 if strong else 0.8, "linestyle": "-" if strong else ":"}  # fmt: skip
    ax.annotate("", end, start, arrowprops=style)


def plot_topology(topology: pd.DataFrame, title: str = "") -> Figure:
    """The load balancer → its production and test listeners → the target groups (each arrow
    labelled with its weight) → the blue and green task sets.

    Args:
        topology: :func:`topology_frame`'s table.
        title: the figure's title.
    """
    figure = ShownFigure(figsize=(10, 3.0), layout="constrained")
    ax = figure.subplots()
    ax.set_axis_off()
    ax.set_xlim(-0.4, 4.15)
    ports = sorted(topology["port"].unique()) if len(topology) else [80, 8080]
    groups = sorted(topology["target group"].unique()) if len(topology) else []
    rows = max(len(ports), len(groups), 1)
    ax.set_ylim(-0.5, rows - 0.5)

    def y_of(index: int, count: int) -> float:
        return (rows - 1) / 2 + (count - 1) / 2 - index

    port_y = {port: y_of(i, len(ports)) for i, port in enumerate(ports)}
    group_y = {group: y_of(i, len(groups)) for i, group in enumerate(groups)}
    middle = (rows - 1) / 2
    _box(ax, 0, middle, "Application\nLoad Balancer", GREY, width=0.7)
    for port, y in port_y.items():
        role = LISTENER_ROLES.get(int(port), "listener")
        _box(ax, 1.05, y, f"{role} listener\n:{port}", GREY, width=0.75)
        _arrow(ax, (0.36, middle), (0.66, y), strong=True)
    for group, y in group_y.items():
        _box(ax, 2.45, y, str(group), GREY, width=0.7)
        behind = topology[topology["target group"] == group].iloc[0]
        if behind["task set"] in ("blue", "green"):
            colour = BLUE if behind["task set"] == "blue" else GREEN
            text = (f"{behind['task set']} task set: {behind['revision']}\n"
                    f"{behind['task definition']} · {behind['running']} running")  # fmt: skip
            _box(ax, 3.6, y, text, colour, width=1.0)
            _arrow(ax, (2.81, y), (3.09, y), strong=True)
    for _, row in topology.iterrows():
        (x0, y0), (x1, y1) = (1.44, port_y[row["port"]]), (2.08, group_y[row["target group"]])
        weight = int(row["weight"])
        _arrow(ax, (x0, y0), (x1, y1), strong=bool(weight))
        # the label sits near the listener's end, above or below its arrow: never on another's
        at = 0.22
        x, y = x0 + at * (x1 - x0), y0 + at * (y1 - y0)
        offset = 0.09 if y1 >= y0 else -0.09
        ax.text(x, y + offset, f"{weight}%", ha="center", va="center", fontsize=8,
                color="black" if weight else GREY)  # fmt: skip
    if title:
        ax.set_title(title, fontsize=10)
    return figure

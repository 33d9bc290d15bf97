"""A pipeline execution's stages: a table from the live state, and its picture.

:func:`pipeline_frame` reads the pipeline's structure (``GetPipeline``), the execution's status
(``GetPipelineExecution``) and its actions (``ListActionExecutions`` filtered by the execution):
one row an action, in the order of the stages, with the status CodePipeline's console shows —
an action not reached yet is ``Pending`` while the execution runs and ``Didn't run`` once it is
over. :func:`plot_pipeline` draws the stages left to right, coloured by their status.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from bgkit.observe.plots import BLUE, GREEN, GREY, RED, ShownFigure
from bgkit.walkthrough.pipeline import ENDED

__all__ = ["COLUMNS", "pipeline_frame", "plot_pipeline", "status_colour"]

#: the columns of :func:`pipeline_frame`
COLUMNS = ["stage", "action", "provider", "status", "message"]


def pipeline_frame(kit: Any, pipeline_name: str, execution_id: str) -> pd.DataFrame:
    """The actions of one execution of ``pipeline_name``, stage by stage.

    Returns:
        One row an action: ``stage``, ``action``, ``provider``, ``status``, ``message`` (what
        went wrong, for an action that failed).
    """
    codepipeline = kit.client("codepipeline")
    structure = codepipeline.get_pipeline(name=pipeline_name)["pipeline"]
    status = codepipeline.get_pipeline_execution(
        pipelineName=pipeline_name, pipelineExecutionId=execution_id
    )["pipelineExecution"]["status"]
    details = codepipeline.list_action_executions(
        pipelineName=pipeline_name, filter={"pipelineExecutionId": execution_id}
    )["actionExecutionDetails"]
    latest = {(d["stageName"], d["actionName"]): d for d in reversed(details)}
    rows = []
    for stage in structure["stages"]:
        for action in stage["actions"]:
            detail = latest.get((stage["name"], action["name"]))
            if detail is None:
                shown, message = ("Didn't run" if status in ENDED else "Pending"), ""
            else:
                result = detail.get("output", {}).get("executionResult", {})
                shown = detail["status"]
                message = result.get("errorDetails", {}).get("message", "")
            provider = action["actionTypeId"]["provider"]
            rows.append([stage["name"], action["name"], provider, shown, message])
    return pd.DataFrame(rows, columns=COLUMNS)


def status_colour(status: str) -> str:
    """Green for done, blue for running, red for failed, grey for the rest."""
    if status == "Succeeded":
        return GREEN
    if status == "InProgress":
        return BLUE
    if status in ("Failed", "Stopped", "Abandoned"):
        return RED
    return GREY


def plot_pipeline(frame: pd.DataFrame, title: str = "") -> Figure:
    """The stages left to right, an arrow between two; each box names its stage, its action
    and provider, and its status, in the status's colour.

    Args:
        frame: :func:`pipeline_frame`'s table.
        title: the figure's title.
    """
    stages = list(dict.fromkeys(frame["stage"])) if len(frame) else []
    figure = ShownFigure(figsize=(9, 2.2), layout="constrained")
    ax = figure.subplots()
    ax.set_axis_off()
    count = max(len(stages), 1)
    ax.set_xlim(-0.1, count * 1.5 - 0.4)
    ax.set_ylim(-0.6, 0.6)
    for index, stage in enumerate(stages):
        rows = frame[frame["stage"] == stage]
        statuses = list(rows["status"])
        status = next((s for s in statuses if s != "Succeeded"), statuses[0])
        colour = status_colour(status)
        x = index * 1.5
        ax.add_patch(FancyBboxPatch((x, -0.45), 1.0, 0.9, boxstyle="round,pad=0.02",
                                    facecolor=colour, alpha=0.15, edgecolor=colour))  # fmt: skip
        lines = [f"{a} ({p})" for a, p in zip(rows["action"], rows["provider"], strict=True)]
        ax.text(x + 0.5, 0.25, stage, ha="center", va="center", fontsize=10, weight="bold")
        ax.text(x + 0.5, 0.0, "\n".join(lines), ha="center", va="center", fontsize=8)
        ax.text(x + 0.5, -0.28, status, ha="center", va="center", fontsize=9, color=colour,
                weight="bold")  # fmt: skip
        if index:
            ax.annotate(
                "",
                (x - 0.02, 0.0),
                (x - 0.48, 0.0),
                arrowprops={"arrowstyle": "->", "color": "black", "linewidth": 1.5},
            )
    if title:
        ax.set_title(title, fontsize=10)
    return figure

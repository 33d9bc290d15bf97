"""The pipeline's picture is pure: a frame in, a new Figure out, one box a stage coloured by its
status (the colours of the other views)."""

from __future__ import annotations

import pandas as pd
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from bgkit.observe.pipeline import COLUMNS, plot_pipeline, status_colour
from bgkit.observe.plots import BLUE, GREEN, GREY, RED


def frame(*statuses: str) -> pd.DataFrame:
    stages = [("Source", "S3"), ("Approval", "Manual"), ("Deploy", "CodeDeployToECS")]
    rows = [[s, s, p, status, ""] for (s, p), status in zip(stages, statuses, strict=True)]
    return pd.DataFrame(rows, columns=COLUMNS)


def test_each_stage_is_a_box_in_the_colour_of_its_status():
    figure = plot_pipeline(frame("Succeeded", "InProgress", "Pending"), title="Waiting")
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    colours = [p.get_edgecolor()[:3] for p in boxes]
    assert colours == [to_rgb(GREEN), to_rgb(BLUE), to_rgb(GREY)]
    texts = {t.get_text() for t in ax.texts}
    assert {"Source", "Approval", "Deploy", "InProgress", "Deploy (CodeDeployToECS)"} <= texts
    assert ax.get_title() == "Waiting"


def test_a_failed_action_is_red_and_a_new_figure_each_call():
    one, two = (plot_pipeline(frame("Succeeded", "Failed", "Didn't run")) for _ in range(2))
    assert one is not two
    assert status_colour("Failed") == RED and status_colour("Didn't run") == GREY
    assert plot_pipeline(pd.DataFrame(columns=COLUMNS)).axes  # an empty frame draws nothing

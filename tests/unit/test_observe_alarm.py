"""The alarm plot of notebook 11: the metric, the threshold, the alarm's state and the
deployments' events on one time axis, from frames (no cloud needed)."""

from __future__ import annotations

import datetime

import pandas as pd

from bgkit.observe import plot_alarm

T0 = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    metric = pd.DataFrame({"time": [at(60), at(120)], "value": [6.0, 2.0]})
    states = pd.DataFrame({"time": [at(1), at(124)], "from": ["INSUFFICIENT_DATA", "OK"],
                           "to": ["OK", "ALARM"], "reason": ["", ""]})  # fmt: skip
    events = pd.DataFrame({
        "time": [at(5), at(60), at(140), at(140.1), at(143)],
        "deployment": ["d-1", "d-1", "d-1", "d-2", "d-2"],
        "event": ["deployment created", "shift started", "deployment Stopped",
                  "rollback created", "rollback Succeeded"],
    })  # fmt: skip
    return metric, states, events


def test_plot_alarm_draws_the_metric_threshold_state_and_events_on_one_axis():
    metric, states, events = frames()
    figure = plot_alarm(metric, states, events, 1.0, title="Stopped by its alarm")
    top, bottom = figure.axes[:2]
    assert top.get_shared_x_axes().joined(top, bottom)
    assert [round(p.get_height()) for p in top.patches] == [6, 2]  # a bar a period
    assert any(list(line.get_ydata()) == [1.0, 1.0] for line in top.get_lines())  # threshold
    labels = [t.get_text() for t in top.texts]
    assert labels == list(events["event"])
    assert len([x for x in bottom.get_lines() if x.get_xydata().shape[0] == 2]) >= 5  # events
    state = next(line for line in bottom.get_lines() if len(line.get_ydata()) == 3)
    assert list(state.get_ydata()) == [0, 1, 1]  # OK, then ALARM to the end
    assert figure._repr_png_().startswith(b"\x89PNG")


def test_close_events_have_their_labels_stacked():
    metric, states, events = frames()
    top = plot_alarm(metric, states, events, 1.0).axes[0]
    heights = {t.get_text(): t.xy[1] for t in top.texts}
    assert (
        heights["deployment Stopped"] > heights["rollback created"] > heights["rollback Succeeded"]
    )
    assert heights["deployment created"] == heights["shift started"]


def test_plot_alarm_with_no_datapoints_still_shows_threshold_and_events():
    _, states, events = frames()
    empty = pd.DataFrame(columns=["time", "value"])
    figure = plot_alarm(empty, states, events, 5.0)
    assert len(figure.axes[0].patches) == 0
    assert [t.get_text() for t in figure.axes[0].texts] == list(events["event"])

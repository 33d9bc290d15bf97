"""The views: pure functions from frames to frames and figures."""

from __future__ import annotations

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from bgkit import observe
from bgkit.observe.plots import BLUE, GREEN
from bgkit.observe.topology import COLUMNS
from bgkit.observe.traffic import revision_of


def test_revision_from_the_server_header_or_the_title():
    assert revision_of(200, "", "fizzbuzz/fizzbuzz-v2") == "fizzbuzz-v2"
    assert revision_of(200, "FizzBuzz — revision fizzbuzz") == "fizzbuzz"
    assert revision_of(200, "Welcome to nginx!", "nginx-standin (bgkit local cloud)") == "nginx"
    assert revision_of(503, "503 Service Temporarily Unavailable", "") == "-"


def traffic() -> pd.DataFrame:
    rows = [
        (0.0, 80, 200, "nginx"),
        (0.1, 8080, 200, "fizzbuzz"),
        (0.2, 80, 200, "nginx"),
        (0.3, 80, 200, "fizzbuzz"),
        (0.4, 8080, None, "-"),
        (0.5, 80, 200, "fizzbuzz"),
    ]
    return pd.DataFrame(
        [
            {"time": t, "port": p, "status": s, "revision": r, "latency_ms": 1.0, "error": ""}
            for t, p, s, r in rows
        ]
    )


def test_summary_lists_revisions_in_order_and_counts_failures():
    summary = observe.summary(traffic())
    assert summary.to_dict("records") == [
        {"port": 80, "revisions": "nginx → fizzbuzz", "failed": 0},
        {"port": 8080, "revisions": "fizzbuzz", "failed": 1},
    ]


def test_plot_traffic_is_a_figure_with_a_panel_per_port():
    figure = observe.plot_traffic(traffic(), [(0.25, "reroute")], title="switch")
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 2
    assert [ax.get_ylabel().split("\n")[0] for ax in figure.axes] == ["port 80", "port 8080"]


def test_plot_traffic_shows_which_revision_answered_around_the_mark():
    figure = observe.plot_traffic(traffic(), [(0.25, "reroute")])
    lanes = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert lanes == ["nginx", "fizzbuzz", "failed"]
    assert figure.axes[-1].get_xlabel().startswith("seconds from the reroute")
    assert figure.axes[-1].get_xlim()[0] < -0.25 < 0.25 < figure.axes[-1].get_xlim()[1]


def rerouted() -> pd.DataFrame:
    """After a reroute: both listeners forward to tg-2 (green) at 100 and tg-1 (blue) at 0, so
    two arrows cross between the listeners and the target groups."""
    rows = [
        ("production", 80, "t-tg-1", 0, "blue", "nginx", "t-web:1"),
        ("production", 80, "t-tg-2", 100, "green", "fizzbuzz", "t-web:2"),
        ("test", 8080, "t-tg-1", 0, "blue", "nginx", "t-web:1"),
        ("test", 8080, "t-tg-2", 100, "green", "fizzbuzz", "t-web:2"),
    ]
    return pd.DataFrame(
        [dict(zip(COLUMNS, [*row, 2], strict=True)) for row in rows], columns=COLUMNS
    )


def test_plot_topology_names_the_listeners_groups_weights_and_task_sets():
    figure = observe.plot_topology(rerouted())
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert "production listener\n:80" in texts and "test listener\n:8080" in texts
    assert "t-tg-1" in texts and "t-tg-2" in texts
    assert sorted(t for t in texts if t.endswith("%")) == ["0%", "0%", "100%", "100%"]
    assert "blue task set: nginx\nt-web:1 · 2 running" in texts
    assert "green task set: fizzbuzz\nt-web:2 · 2 running" in texts


def test_plot_topology_colours_blue_and_green_as_the_panel_does():
    figure = observe.plot_topology(rerouted())
    edges = {to_hex(p.get_edgecolor()) for p in figure.axes[0].patches}
    assert {BLUE, GREEN} <= edges


def test_plot_topology_weight_labels_do_not_overprint():
    figure = observe.plot_topology(rerouted())
    renderer = FigureCanvasAgg(figure).get_renderer()
    boxes = [t.get_window_extent(renderer) for t in figure.axes[0].texts if "%" in t.get_text()]
    assert len(boxes) == 4
    for i, box in enumerate(boxes):
        for other in boxes[i + 1 :]:
            assert not box.overlaps(other), "two weight labels overprint"


def test_probe_of_nothing_records_failures(monkeypatch):
    class Kit:
        def url(self, port, path=""):
            return f"http://127.0.0.1:9/{path}"  # discard port: nothing listens

    frame = observe.probe(Kit(), seconds=0.2, ports=(80,), interval=0.05)
    assert len(frame) >= 1
    assert frame["status"].isna().all()


def test_schedule_frame_spells_out_canary_linear_and_all_at_once():
    canary = {"type": "TimeBasedCanary",
              "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}  # fmt: skip
    linear = {"type": "TimeBasedLinear",
              "timeBasedLinear": {"linearPercentage": 30, "linearInterval": 2}}  # fmt: skip
    frame = observe.schedule_frame({"trafficRoutingConfig": canary})
    assert frame.values.tolist() == [[0, 10], [5, 100]]
    assert observe.schedule_frame(linear).values.tolist() == [[0, 30], [2, 60], [4, 90], [6, 100]]
    assert observe.schedule_frame({"type": "AllAtOnce"}).values.tolist() == [[0, 100]]


def weights() -> pd.DataFrame:
    rows = []
    for time, green in [(0.0, 0), (0.5, 0), (1.0, 10), (1.5, 10), (6.0, 100), (6.5, 100)]:
        rows.append({"time": time, "port": 80, "target group": "tg-1", "weight": 100 - green})
        rows.append({"time": time, "port": 80, "target group": "tg-2", "weight": green})
        rows.append({"time": time, "port": 8080, "target group": "tg-2", "weight": 100})
    return pd.DataFrame(rows)


def test_steps_frame_lists_each_change_of_green_in_local_minutes():
    steps = observe.steps_frame(weights(), speed=60)
    assert steps[["minute", "green %"]].values.tolist() == [[0, 10], [5, 100]]
    assert steps["seconds"].tolist() == [1.0, 6.0]
    assert observe.steps_frame(weights().iloc[:0]).empty


def test_share_frame_and_plot_shift():
    frame = pd.DataFrame(
        [
            {
                "time": t / 10,
                "port": 80,
                "status": 200,
                "revision": r,
                "latency_ms": 1.0,
                "error": "",
            }
            for t, r in enumerate(["nginx", "nginx", "v2", "nginx", "v2", "v2", "v2", "v2"])
        ]
    )
    shares = observe.share_frame(frame, revision="v2", bin_seconds=0.4)
    assert shares.values.tolist() == [[0.2, 4, 25.0], [0.6, 4, 100.0]]
    steps = observe.steps_frame(weights(), speed=60)
    figure = observe.plot_shift(shares, steps, observe.schedule_frame({"type": "AllAtOnce"}), 60)
    assert isinstance(figure, Figure)
    label = figure.axes[0].get_xlabel()
    assert label.startswith("minutes of the deployment") and "60× faster" in label
    listener = figure.axes[0].lines[0].get_xdata()  # the listener's steps, in local minutes
    assert list(listener[:2]) == [0.0, 5.0]

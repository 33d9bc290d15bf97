"""What a learner looks at: traffic probes, state tables (pandas) and plots (matplotlib).

- :func:`compare_ports` — what 80 and 8080 serve now; :class:`Probe` / :func:`probe` — steady
  requests, one row each; :func:`summary` — the revisions each port served, in order.
- :func:`topology_frame` and :func:`plot_topology` — the load balancer, its production and test
  listeners, the target groups and the blue and green task sets, from the live state.
- :func:`listeners_frame`, :func:`task_sets_frame`,
  :func:`deployment_frame`, :func:`deployment_task_sets_frame`, :func:`deployments_frame`,
  :func:`rules_frame` (the listener rules of ECS's built-in blue/green).
- :func:`plot_traffic`, :func:`plot_topology` — each returns a new matplotlib ``Figure``.
- Gradual shifts: :func:`schedule_frame`, :func:`steps_frame`, :func:`share_frame`,
  :func:`plot_shift`.
- A deployment stopped by an alarm: :func:`alarm_metric_frame`, :func:`alarm_states_frame`,
  :func:`deployment_events_frame`, :func:`plot_alarm`.
"""

from __future__ import annotations

from bgkit.observe.alarm import (
    alarm_metric_frame,
    alarm_states_frame,
    deployment_events_frame,
    plot_alarm,
)
from bgkit.observe.frames import (
    deployment_frame,
    deployment_status,
    deployment_task_sets_frame,
    deployments_frame,
    listeners_frame,
    rules_frame,
    task_sets_frame,
)
from bgkit.observe.plots import plot_traffic
from bgkit.observe.shift import plot_shift, schedule_frame, share_frame, steps_frame
from bgkit.observe.topology import plot_topology, topology_frame
from bgkit.observe.traffic import Pages, Probe, compare_ports, fetch, probe, summary

__all__ = [
    "Pages",
    "Probe",
    "alarm_metric_frame",
    "alarm_states_frame",
    "compare_ports",
    "deployment_events_frame",
    "deployment_frame",
    "deployment_status",
    "deployment_task_sets_frame",
    "deployments_frame",
    "fetch",
    "listeners_frame",
    "plot_alarm",
    "plot_shift",
    "plot_topology",
    "plot_traffic",
    "probe",
    "rules_frame",
    "schedule_frame",
    "share_frame",
    "steps_frame",
    "summary",
    "task_sets_frame",
    "topology_frame",
]

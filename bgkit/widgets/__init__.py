"""The deployment panels: a deployment live, and the buttons that decide it (ipywidgets).

- :class:`ApprovalPanel` (:mod:`.codedeploy`) — a CodeDeploy deployment (notebooks 05, 06, 08,
  12): *Reroute traffic*, *Stop and roll back*, *Terminate original task set now*.
- :class:`ServiceDeploymentPanel` (:mod:`.ecs`) — an ECS built-in blue/green service deployment
  (notebook 09): *Continue* (the pause hook) and *Roll back*.
- :func:`wait_for_decision` and the panels' shared base (:mod:`.parts`).

Each refresh is one snapshot (:mod:`bgkit.observe.snapshot`), read at a pace that slows while
nothing changes, with clients that retry throttled calls adaptively (:mod:`bgkit.observe.pace`).
"""

from __future__ import annotations

from bgkit.widgets.codedeploy import ApprovalError, ApprovalPanel, ApprovalTimeout, appspec_hooks
from bgkit.widgets.ecs import ServiceDeploymentPanel
from bgkit.widgets.parts import Decidable, wait_for_decision

__all__ = [
    "ApprovalError",
    "ApprovalPanel",
    "ApprovalTimeout",
    "Decidable",
    "ServiceDeploymentPanel",
    "appspec_hooks",
    "wait_for_decision",
]

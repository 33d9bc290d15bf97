"""Tables of an ECS built-in blue/green service deployment, from one snapshot
(:class:`bgkit.observe.snapshot.ServiceDeploymentSnapshot`): its hooks and their status, its
blue and green revisions with the traffic each is asked to take, and the topology the listener
rules make (for :func:`bgkit.observe.plot_topology`).

Blue is the *source* revision (what served before), green the *target*, as
``DescribeServiceDeployments`` names them. Which target group runs which is not in the answer:
it is the group whose weights on the production and test rules are those the revision asks for
(``requestedProductionTrafficWeight``, ``requestedTestTrafficWeight``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from bgkit.observe.snapshot import ServiceDeploymentSnapshot, group_name
from bgkit.observe.topology import merge_topology

__all__ = ["awaiting_pause", "hooks_frame", "revisions_frame", "service_topology"]

HOOK_COLUMNS = ["stages", "hook", "status", "on timeout"]
REVISION_COLUMNS = [
    "label", "revision", "task definition", "running", "desired", "production", "test",
]  # fmt: skip


def awaiting_pause(deployment: dict[str, Any]) -> dict[str, Any] | None:
    """The ``PAUSE`` hook that waits for ``ContinueServiceDeployment``, if one does."""
    return next(
        (
            d
            for d in deployment.get("lifecycleHookDetails", [])
            if d.get("targetType") == "PAUSE" and d.get("status") == "AWAITING_ACTION"
        ),
        None,
    )


def _hook_name(hook: dict[str, Any]) -> str:
    if hook.get("targetType") == "PAUSE":
        return "PAUSE"
    arn = hook.get("hookTargetArn") or hook.get("targetArn") or ""
    return arn.split(":function:", 1)[-1] or arn


def hooks_frame(snapshot: ServiceDeploymentSnapshot) -> pd.DataFrame:
    """One row per lifecycle hook of the deployment's configuration: ``stages``, ``hook``
    (``PAUSE`` or the Lambda function), ``status`` (of its latest run in
    ``lifecycleHookDetails``; ``—`` before it ran), ``on timeout``."""
    deployment = snapshot.deployment
    details = deployment.get("lifecycleHookDetails", [])
    rows = []
    for hook in deployment.get("deploymentConfiguration", {}).get("lifecycleHooks", []):
        kind = hook.get("targetType")
        runs = [
            d
            for d in details
            if d.get("targetType") == kind
            and (kind == "PAUSE" or d.get("targetArn") == hook.get("hookTargetArn"))
        ]
        timeout = hook.get("timeoutConfiguration") or {}
        rows.append(
            {
                "stages": ", ".join(hook.get("lifecycleStages", [])),
                "hook": _hook_name(hook),
                "status": runs[-1].get("status", "") if runs else "—",
                "on timeout": (
                    f"{timeout['action']} after {timeout['timeoutInMinutes']} min"
                    if timeout.get("action") and timeout.get("timeoutInMinutes")
                    else ""
                ),
            }
        )
    return pd.DataFrame(rows, columns=HOOK_COLUMNS)


def _sides(snapshot: ServiceDeploymentSnapshot) -> list[tuple[str, dict[str, Any]]]:
    deployment = snapshot.deployment
    sides = [("Blue", s) for s in deployment.get("sourceServiceRevisions", [])]
    if deployment.get("targetServiceRevision"):
        sides.append(("Green", deployment["targetServiceRevision"]))
    return sides


def revisions_frame(snapshot: ServiceDeploymentSnapshot) -> pd.DataFrame:
    """The blue (source) and green (target) revisions: ``label``, ``revision``,
    ``task definition``, ``running``, ``desired`` (requested tasks), ``production`` and
    ``test`` (the percent of each listener's traffic ECS asks for it)."""
    rows = []
    for label, side in _sides(snapshot):
        known = snapshot.revisions.get(side.get("arn", ""), {})
        rows.append(
            {
                "label": label,
                "revision": known.get("revision", "?"),
                "task definition": known.get("taskDefinition", "?").rsplit("/", 1)[-1],
                "running": side.get("runningTaskCount", 0),
                "desired": side.get("requestedTaskCount", 0),
                "production": round(side.get("requestedProductionTrafficWeight", 0.0)),
                "test": round(side.get("requestedTestTrafficWeight", 0.0)),
            }
        )
    return pd.DataFrame(rows, columns=REVISION_COLUMNS)


def _forwards(snapshot: ServiceDeploymentSnapshot) -> pd.DataFrame:
    rows = []
    for rule in snapshot.rules:
        for action in rule.get("Actions", []):
            forward = action.get("ForwardConfig", {}).get("TargetGroups") or []
            if not forward and action.get("TargetGroupArn"):
                forward = [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
            total = sum(t.get("Weight", 1) for t in forward) or 1
            rows += [
                {
                    "port": snapshot.ports.get(rule["RuleArn"], 0),
                    "target group": group_name(t["TargetGroupArn"]),
                    "weight": round(100 * t.get("Weight", 1) / total),
                }
                for t in forward
            ]
    return pd.DataFrame(rows, columns=["port", "target group", "weight"])


def _green_group(snapshot: ServiceDeploymentSnapshot, forwards: pd.DataFrame) -> str | None:
    """The target group whose rule weights are closest to what green asks for."""
    green = snapshot.deployment.get("targetServiceRevision") or {}
    groups = [group_name(arn) for arn in snapshot.groups]
    if not green or not groups:
        return None
    production_port = snapshot.ports.get(snapshot.production_rule)
    production = [production_port]
    test = [port for port in snapshot.ports.values() if port != production_port]

    def weight(group: str, ports: list[int | None]) -> float:
        rows = forwards[(forwards["target group"] == group) & forwards["port"].isin(ports)]
        return float(rows["weight"].sum())

    def distance(group: str) -> float:
        wanted_production = green.get("requestedProductionTrafficWeight", 0.0)
        wanted_test = green.get("requestedTestTrafficWeight", 0.0)
        return abs(weight(group, production) - wanted_production) + abs(
            weight(group, test) - wanted_test
        )

    # a tie (50/50 everywhere) goes to the alternate group, where ECS starts green
    return min(reversed(groups), key=distance)


def service_topology(snapshot: ServiceDeploymentSnapshot) -> pd.DataFrame:
    """:func:`bgkit.observe.topology_frame`'s table for a service deployment: the production
    and test rules' forwards, and the blue and green revisions behind their target groups."""
    forwards = _forwards(snapshot)
    green = _green_group(snapshot, forwards)
    by_label = dict(_sides(snapshot))
    rows = []
    for arn in snapshot.groups:
        group = group_name(arn)
        label = "Green" if group == green else "Blue"
        side = by_label.get(label)
        if side is None:
            continue
        known = snapshot.revisions.get(side.get("arn", ""), {})
        rows.append(
            {
                "target group": group,
                "task set": label.lower(),
                "revision": known.get("revision", "?"),
                "task definition": known.get("taskDefinition", "?").rsplit("/", 1)[-1],
                "running": side.get("runningTaskCount", 0),
            }
        )
    task_sets = pd.DataFrame(
        rows, columns=["target group", "task set", "revision", "task definition", "running"]
    )
    return merge_topology(forwards, task_sets)

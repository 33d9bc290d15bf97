"""State tables: what the listeners, task sets and deployments look like now (pandas).

Pure views of plain describe calls: no timestamps, ids that change from run to run left out,
rows sorted — so a stored notebook shows the same table every run.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from bgkit.walkthrough.deploy import deployment, deployment_target, phase
from bgkit.walkthrough.naming import names

__all__ = [
    "deployment_frame",
    "deployment_status",
    "deployment_task_sets_frame",
    "deployments_frame",
    "events_frame",
    "forwards_frame",
    "listeners_frame",
    "rules_frame",
    "target_group_names",
    "target_task_sets_frame",
    "task_sets_frame",
]


def target_group_names(kit: Any) -> dict[str, str]:
    """Target group ARN → name, for the walkthrough's two groups."""
    groups = kit.client("elbv2").describe_target_groups(Names=list(names(kit).target_groups))
    return {g["TargetGroupArn"]: g["TargetGroupName"] for g in groups["TargetGroups"]}


def forwards_frame(listeners: list[dict[str, Any]], groups: dict[str, str]) -> pd.DataFrame:
    """Where ``DescribeListeners``' listeners forward: ``port``, ``target group`` (named with
    ``groups``, ARN → name), ``weight`` (percent)."""
    rows = []
    for listener in listeners:
        for action in listener["DefaultActions"]:
            if action["Type"] != "forward":
                continue
            forward = action.get("ForwardConfig", {}).get("TargetGroups")
            if not forward:
                forward = [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
            total = sum(t.get("Weight", 1) for t in forward) or 1
            for target in forward:
                rows.append(
                    {
                        "port": listener["Port"],
                        "target group": groups.get(target["TargetGroupArn"], "?"),
                        "weight": round(100 * target.get("Weight", 1) / total),
                    }
                )
    frame = pd.DataFrame(rows, columns=["port", "target group", "weight"])
    return frame.sort_values(["port", "target group"]).reset_index(drop=True)


def listeners_frame(kit: Any) -> pd.DataFrame:
    """Each listener of ``<prefix>-alb`` and where it forwards: ``port``, ``target group``,
    ``weight`` (percent)."""
    elbv2 = kit.client("elbv2")
    lb = elbv2.describe_load_balancers(Names=[names(kit).load_balancer])["LoadBalancers"][0]
    listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    return forwards_frame(listeners, target_group_names(kit))


def rules_frame(kit: Any) -> pd.DataFrame:
    """The listener rules of ``<prefix>-alb`` other than the defaults (ECS's built-in blue/green
    moves traffic on them): ``port``, ``priority``, ``target group``, ``weight`` (percent)."""
    elbv2 = kit.client("elbv2")
    lb = elbv2.describe_load_balancers(Names=[names(kit).load_balancer])["LoadBalancers"][0]
    groups = target_group_names(kit)
    rows = []
    for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
            if rule.get("IsDefault"):
                continue
            for action in rule["Actions"]:
                forward = action.get("ForwardConfig", {}).get("TargetGroups") or []
                total = sum(t.get("Weight", 1) for t in forward) or 1
                rows += [
                    {
                        "port": listener["Port"],
                        "priority": int(rule["Priority"]),
                        "target group": groups.get(t["TargetGroupArn"], "?"),
                        "weight": round(100 * t.get("Weight", 1) / total),
                    }
                    for t in forward
                ]
    frame = pd.DataFrame(rows, columns=["port", "priority", "target group", "weight"])
    return frame.sort_values(["port", "priority", "target group"]).reset_index(drop=True)


def task_sets_frame(kit: Any) -> pd.DataFrame:
    """The service's task sets: ``status`` (PRIMARY/ACTIVE), ``task definition``,
    ``target group``, ``running``, ``desired``, ``stability``."""
    ecs = kit.client("ecs")
    found = ecs.describe_services(cluster=names(kit).cluster, services=[names(kit).service])
    groups = target_group_names(kit)
    rows = []
    for service in found["services"]:
        for task_set in service.get("taskSets", []):
            group = (
                task_set["loadBalancers"][0]["targetGroupArn"] if task_set["loadBalancers"] else ""
            )
            rows.append(
                {
                    "status": task_set["status"],
                    "task definition": task_set["taskDefinition"].rsplit("/", 1)[1],
                    "target group": groups.get(group, "?"),
                    "running": task_set["runningCount"],
                    "desired": task_set["computedDesiredCount"],
                    "stability": task_set["stabilityStatus"],
                }
            )
    frame = pd.DataFrame(
        rows,
        columns=["status", "task definition", "target group", "running", "desired", "stability"],
    )
    return frame.sort_values(["status", "target group"], ascending=[False, True]).reset_index(
        drop=True
    )


def events_frame(target: dict[str, Any] | None) -> pd.DataFrame:
    """The lifecycle events of a deployment's ECS target, in order: ``event``, ``status``."""
    events = target.get("lifecycleEvents", []) if target else []
    return pd.DataFrame(
        [{"event": e["lifecycleEventName"], "status": e["status"]} for e in events],
        columns=["event", "status"],
    )


def deployment_frame(kit: Any, deployment_id: str) -> pd.DataFrame:
    """A deployment's lifecycle events in order: ``event``, ``status``."""
    return events_frame(deployment_target(kit, deployment_id))


def target_task_sets_frame(target: dict[str, Any] | None) -> pd.DataFrame:
    """The task sets of a deployment's ECS target: ``label`` (Blue/Green), ``target group``,
    ``weight``, ``running``, ``desired``, ``status``."""
    rows = [
        {
            "label": info.get("taskSetLabel", ""),
            "target group": info.get("targetGroup", {}).get("name", ""),
            "weight": info.get("trafficWeight", 0.0),
            "running": info.get("runningCount", 0),
            "desired": info.get("desiredCount", 0),
            "status": info.get("status", ""),
        }
        for info in (target.get("taskSetsInfo", []) if target else [])
    ]
    frame = pd.DataFrame(
        rows, columns=["label", "target group", "weight", "running", "desired", "status"]
    )
    return frame.sort_values("label").reset_index(drop=True)


def deployment_task_sets_frame(kit: Any, deployment_id: str) -> pd.DataFrame:
    """The deployment's task sets as CodeDeploy sees them: ``label`` (Blue/Green),
    ``target group``, ``weight``, ``running``, ``desired``, ``status``."""
    return target_task_sets_frame(deployment_target(kit, deployment_id))


def deployments_frame(kit: Any) -> pd.DataFrame:
    """The deployment group's deployments, oldest first: ``deployment``, ``status``,
    ``creator``, ``rollback of``, ``error``."""
    codedeploy = kit.client("codedeploy")
    ids = codedeploy.list_deployments(
        applicationName=names(kit).application, deploymentGroupName=names(kit).deployment_group
    )["deployments"]
    infos = codedeploy.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"] if ids else []
    infos.sort(key=lambda d: d["createTime"])
    rows = [
        {
            "deployment": d["deploymentId"],
            "status": phase(d, None),
            "creator": d.get("creator", ""),
            "rollback of": d.get("rollbackInfo", {}).get("rollbackTriggeringDeploymentId", ""),
            "error": d.get("errorInformation", {}).get("code", ""),
        }
        for d in infos
    ]
    return pd.DataFrame(rows, columns=["deployment", "status", "creator", "rollback of", "error"])


def deployment_status(kit: Any, deployment_id: str) -> str:
    """The phase of a deployment (see :func:`bgkit.walkthrough.phase`)."""
    return phase(deployment(kit, deployment_id), deployment_target(kit, deployment_id))

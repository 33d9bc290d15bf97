"""Deployments (notebooks 05 and 06): the AppSpec, creating one, following it, deciding.

A deployment moves through CodeDeploy's lifecycle events — BeforeInstall, Install (the green task
set), AfterInstall, AllowTestTraffic (8080 → green), AfterAllowTestTraffic, then the **ready
wait** (status ``Ready``) until someone reroutes traffic (``ContinueDeployment`` with
``READY_WAIT``), then BeforeAllowTraffic, AllowTraffic (80 → green), AfterAllowTraffic and the
termination wait before the original task set is deleted. :func:`phase` names where a deployment
is, including the two waits, from ``GetDeployment`` and ``GetDeploymentTarget``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from bgkit.data import DATA
from bgkit.errors import BgkitError
from bgkit.walkthrough import existing
from bgkit.walkthrough.existing import ACTIVE
from bgkit.walkthrough.naming import names
from bgkit.walkthrough.progress import Step, poll

__all__ = [
    "ACTIVE",
    "DeploymentFailed",
    "appspec",
    "create_deployment",
    "deployment",
    "deployment_target",
    "phase",
    "reached",
    "wait_deployment",
    "wait_green_weight",
]

#: the AppSpec template, in ``data/``
APPSPEC = "appspec.yaml"
#: phases :func:`phase` gives
PHASES = ("Created", "InProgress", "Ready", "TerminationWait", "Succeeded", "Failed", "Stopped")
#: the order of the phases of a deployment that goes well
ORDER = {name: index for index, name in enumerate(PHASES[:5])}
EVENTS = (
    "BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
    "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic",
)  # fmt: skip


class DeploymentFailed(BgkitError, RuntimeError):
    """A deployment ended in a way the caller did not wait for (``Failed`` or ``Stopped``)."""


def appspec(task_definition_arn: str) -> str:
    """The AppSpec of a deployment: ``data/appspec.yaml`` with its ``<TASK_DEFINITION>``
    placeholder (CodePipeline's) replaced by ``task_definition_arn`` — which task definition,
    and which container and port the load balancer sends traffic to."""
    template = (DATA / APPSPEC).read_text(encoding="utf-8")
    return template.replace("<TASK_DEFINITION>", task_definition_arn)


def deployment(kit: Any, deployment_id: str) -> dict[str, Any]:
    """``GetDeployment``'s ``deploymentInfo``."""
    return kit.client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]


def create_deployment(
    kit: Any, task_definition_arn: str, description: str = "", *, config: str | None = None
) -> str:
    """Deploy ``task_definition_arn`` unless that is already under way or done.

    The newest deployment of the group with the same AppSpec is reused when it is still active,
    or when it succeeded and nothing was deployed since; otherwise a new one is created.

    Args:
        config: a deployment config for this deployment only (``deploymentConfigName``);
            default the deployment group's.

    Returns:
        The deployment id.
    """
    content = appspec(task_definition_arn)
    found = existing.deployment(kit, content)
    if found is not None:
        return found
    codedeploy = kit.client("codedeploy")
    app, group = names(kit).application, names(kit).deployment_group
    sha256 = hashlib.sha256(content.encode()).hexdigest()
    extra = {"deploymentConfigName": config} if config else {}
    return codedeploy.create_deployment(
        applicationName=app,
        deploymentGroupName=group,
        description=description,
        **extra,
        revision={
            "revisionType": "AppSpecContent",
            "appSpecContent": {"content": content, "sha256": sha256},
        },
    )["deploymentId"]


def deployment_target(kit: Any, deployment_id: str) -> dict[str, Any] | None:
    """The deployment's ECS target (lifecycle events, task sets), or ``None`` before it starts."""
    codedeploy = kit.client("codedeploy")
    try:
        ids = codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
    except codedeploy.exceptions.DeploymentNotStartedException:
        return None
    if not ids:
        return None
    found = codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=ids[0])
    return found["deploymentTarget"].get("ecsTarget")


def phase(info: dict[str, Any], target: dict[str, Any] | None) -> str:
    """Where a deployment is: its status, or ``TerminationWait`` when traffic is rerouted and
    the original task set still runs (status ``InProgress``, target ``Succeeded``)."""
    status = info["status"]
    if status == "InProgress" and target is not None and target.get("status") == "Succeeded":
        return "TerminationWait"
    if status in ("Queued", "Baking"):
        return "InProgress"
    return status


def reached(now: str, wanted: tuple[str, ...]) -> bool:
    """Whether phase ``now`` is one of ``wanted`` or past one of them on the way to success
    (``Succeeded`` has passed ``Ready``); ``Failed`` and ``Stopped`` only match themselves."""
    if now in wanted:
        return True
    if now not in ORDER:
        return False
    return any(ORDER[now] >= ORDER[w] for w in wanted if w in ORDER)


def _progress(target: dict[str, Any] | None) -> tuple[int, str]:
    """How many lifecycle events have succeeded, and the one under way."""
    if target is None:
        return 0, "not started"
    events = target.get("lifecycleEvents", [])
    done = sum(1 for e in events if e["status"] in ("Succeeded", "Skipped"))
    current = next((e["lifecycleEventName"] for e in events if e["status"] == "InProgress"), "")
    return done, current


def wait_deployment(
    kit: Any,
    deployment_id: str,
    until: str | tuple[str, ...] = ("Ready",),
    timeout: float = 600.0,
) -> str:
    """Wait until the deployment reaches one of the phases ``until`` (see :data:`PHASES`), or
    has gone past it (run twice, a cell waiting for ``Ready`` returns ``Succeeded``).

    Raises:
        DeploymentFailed: it ended (``Failed``, ``Stopped``, ``Succeeded``) outside ``until``.

    Returns:
        The phase reached.
    """
    wanted = (until,) if isinstance(until, str) else tuple(until)
    unknown = set(wanted) - set(PHASES)
    if unknown:
        raise ValueError(f"unknown phases {sorted(unknown)}; the phases are {', '.join(PHASES)}")

    def check() -> Step:
        info = deployment(kit, deployment_id)
        target = deployment_target(kit, deployment_id)
        now = phase(info, target)
        done, current = _progress(target)
        total = max(len(target.get("lifecycleEvents", [])) if target else 0, 1)
        if reached(now, wanted):
            return Step(True, now, total, total)
        if now in ("Succeeded", "Failed", "Stopped"):
            error = info.get("errorInformation", {})
            raise DeploymentFailed(
                f"deployment {deployment_id} is {now}"
                + (f": {error.get('code')}: {error.get('message')}" if error else "")
            )
        return Step(False, f"{now}, {current or 'waiting'}", done, total)

    return poll(check, what=f"deployment {deployment_id}", timeout=timeout).text


def wait_green_weight(
    kit: Any, deployment_id: str, at_least: float, timeout: float = 600.0
) -> float:
    """Wait until the deployment's green task set takes at least ``at_least`` percent of
    production traffic (``trafficWeight`` of ``GetDeploymentTarget``); return that weight.

    Raises:
        DeploymentFailed: the deployment ended first.
    """

    seen = {"weight": 0.0}

    def check() -> Step:
        target = deployment_target(kit, deployment_id) or {}
        weights = {
            info.get("taskSetLabel"): info.get("trafficWeight", 0.0)
            for info in target.get("taskSetsInfo", [])
        }
        weight = seen["weight"] = weights.get("Green", 0.0)
        if weight >= at_least:
            return Step(True, f"green takes {weight:.0f}% of production traffic", 1, 1)
        status = deployment(kit, deployment_id)["status"]
        if status in ("Succeeded", "Failed", "Stopped"):
            raise DeploymentFailed(f"deployment {deployment_id} is {status}")
        return Step(False, f"green at {weight:.0f}%", 0, 1)

    poll(check, what=f"deployment {deployment_id}", timeout=timeout, delay=0.05)
    return seen["weight"]

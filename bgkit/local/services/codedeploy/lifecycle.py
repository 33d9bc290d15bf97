"""A deployment record and what happens to it: made, stepped, failed, stopped, rolled back.

A deployment's engine state (``_engine``) is a :class:`DeploymentState`: the keys
:func:`new_deployment` gives it, then those the engine's steps add (:mod:`.engine`). It is JSON in
the record, so a local cloud restarted with deployments in flight reads the same keys back.
:class:`DeploymentRun` wraps one deployment record while the engine steps it: its lifecycle
events, its target's status, saving it (and its entry in the index of deployments that have not
ended). :func:`fail`, :func:`stop` and :func:`finish` end a deployment as CodeDeploy does;
:func:`start_rollback` makes the rollback deployment (``creator codeDeployRollback``, both linked
by ``rollbackInfo``).
"""

from __future__ import annotations

import copy
from typing import Any, TypedDict

from bgkit.local.lifecycle import LifecycleRun, MachineState
from bgkit.local.provider import RequestContext
from bgkit.local.services.codedeploy.models import ACTIVE, DEPLOYMENT, GROUP, group_key
from bgkit.local.services.codedeploy.traffic import DeploymentFailure, ListenerActions

__all__ = [
    "DeploymentFailure",
    "DeploymentRun",
    "DeploymentState",
    "fail",
    "finish",
    "new_deployment",
    "start_rollback",
    "stop",
]

EVENTS = (
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)
TEST_EVENTS = ("AllowTestTraffic", "AfterAllowTestTraffic")
OVERVIEW = ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")
#: the group's settings a deployment keeps a copy of
COPIED = (
    "deploymentStyle",
    "blueGreenDeploymentConfiguration",
    "loadBalancerInfo",
    "computePlatform",
)


class TaskSetSide(TypedDict):
    """Blue or green: a task set of the service and the target group it registers in."""

    taskSetArn: str
    targetGroupArn: str


class AppSpecTarget(TypedDict):
    """What the AppSpec deploys (``Resources[0].TargetService.Properties``), read at the start."""

    taskDefinition: str
    containerName: str
    containerPort: int
    networkConfiguration: dict[str, Any] | None
    platformVersion: str | None
    capacityProviderStrategy: list[dict[str, Any]] | None
    hooks: dict[str, str]  # lifecycle event → the Lambda function the AppSpec names for it


class NewDeploymentState(MachineState):
    """The engine state a deployment has from the start (:func:`new_deployment`); a rollback
    deployment copies it from the deployment it rolls back."""

    events: list[dict[str, Any]]  # the target's lifecycle events (``LifecycleEvent``), in order
    targetStatus: str  # the ECS target's status: Pending, InProgress, Ready, Succeeded, Failed
    lastUpdatedAt: float  # local time an event or the target's status last changed
    roleArn: str  # the group's service role, which CodeDeploy assumes for ECS and ELBv2
    cluster: str  # the ECS service's cluster name
    service: str  # the ECS service's name
    targetGroupArns: list[str]  # the group's pair of target groups, as the group names them
    prodListeners: list[str]  # production listener ARNs
    testListeners: list[str]  # test listener ARNs (none: no test traffic events)
    config: dict[str, Any]  # the deployment config, as GetDeploymentConfig shows it
    appSpecContent: str | None  # the AppSpec as given (YAML or JSON text)
    weight: int  # percent of production traffic on green now


class DeploymentState(NewDeploymentState, total=False):
    """A deployment's whole engine state: the keys it starts with and those that appear as it
    runs."""

    rollback: bool  # True: a rollback deployment (start_rollback)
    appspec: AppSpecTarget  # the parsed AppSpec (Created, when it starts)
    targetArn: str  # the ECS service's ARN (Install)
    listenersBefore: dict[str, ListenerActions]  # listener ARN → actions before (Install)
    blue: TaskSetSide  # the PRIMARY task set when the deployment began (Install)
    green: TaskSetSide  # the replacement task set (Install)
    installDeadline: float  # local time the replacement must be healthy by (Install)
    readyDeadline: float  # local time the ready wait expires (ReadyWait)
    continued: str  # the wait ContinueDeployment ended: READY_WAIT or TERMINATION_WAIT
    shiftStart: float  # local time production traffic began to shift (AllowTraffic)
    terminationDeadline: float  # local time blue is deleted (TerminationWait)
    hooks: dict[str, Any]  # event → its hook execution (:mod:`.hooks`)
    alarmConfiguration: dict[str, Any]  # the alarms it watches (:mod:`.alarms`; CreateDeployment)


def event_list(with_test_listener: bool) -> list[dict[str, Any]]:
    """The lifecycle events of a deployment, all ``Pending`` (test ones only with a test
    listener)."""
    return [
        {"lifecycleEventName": name, "status": "Pending"}
        for name in EVENTS
        if with_test_listener or name not in TEST_EVENTS
    ]


def overview(target_status: str) -> dict[str, int]:
    """``deploymentOverview`` for the single ECS target ([I]: AWS shows no public sample)."""
    counts = dict.fromkeys(OVERVIEW, 0)
    counts["Failed" if target_status == "Unknown" else target_status] = 1
    return counts


def new_deployment(
    ctx: RequestContext,
    deployment_id: str,
    group: dict[str, Any],
    *,
    config: dict[str, Any],
    revision: dict[str, Any] | None,
    content: str | None,
    creator: str,
    auto_rollback: dict[str, Any],
    description: str | None = None,
) -> dict[str, Any]:
    """A ``Created`` deployment record of ``group`` with its engine state."""
    pair = group["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    test = list((pair.get("testTrafficRoute") or {}).get("listenerArns") or [])
    service = group["ecsServices"][0]
    state: NewDeploymentState = {
        "phase": "Created",
        "due": ctx.now(),
        "events": event_list(bool(test)),
        "targetStatus": "Pending",
        "lastUpdatedAt": ctx.now(),
        "roleArn": group["serviceRoleArn"],
        "cluster": service["clusterName"],
        "service": service["serviceName"],
        "targetGroupArns": list(group["_targetGroupArns"]),
        "prodListeners": list(pair["prodTrafficRoute"]["listenerArns"]),
        "testListeners": test,
        "config": copy.deepcopy(config),
        "appSpecContent": content,
        "weight": 0,
    }
    record: dict[str, Any] = {
        "applicationName": group["applicationName"],
        "deploymentGroupName": group["deploymentGroupName"],
        "deploymentConfigName": config["deploymentConfigName"],
        "deploymentId": deployment_id,
        "status": "Created",
        "createTime": ctx.now(),
        "creator": creator,
        "ignoreApplicationStopFailures": False,
        "updateOutdatedInstancesOnly": False,
        "autoRollbackConfiguration": copy.deepcopy(auto_rollback),
        "instanceTerminationWaitTimeStarted": False,
        "deploymentStatusMessages": [],
        "deploymentOverview": overview("Pending"),
        **{member: copy.deepcopy(group[member]) for member in COPIED},
        "_engine": state,
    }
    if revision is not None:
        record["revision"] = copy.deepcopy(revision)
    if group.get("targetRevision"):
        record["previousRevision"] = copy.deepcopy(group["targetRevision"])
    if description:
        record["description"] = description
    return record


class DeploymentRun(LifecycleRun[DeploymentState]):
    """One deployment record while the engine steps it."""

    @property
    def role(self) -> str:
        """The group's service role, which CodeDeploy assumes for ECS and ELB calls."""
        return self.engine["roleArn"]

    def rolls_back_on(self, event: str) -> bool:
        config = self.record.get("autoRollbackConfiguration") or {}
        return bool(config.get("enabled")) and event in (config.get("events") or [])

    # lifecycle events ---------------------------------------------------------------------

    def event_names(self) -> list[str]:
        return [e["lifecycleEventName"] for e in self.engine["events"]]

    def has_event(self, name: str) -> bool:
        return name in self.event_names()

    def _event(self, name: str) -> dict[str, Any]:
        return next(e for e in self.engine["events"] if e["lifecycleEventName"] == name)

    def _touch(self) -> None:
        self.engine["lastUpdatedAt"] = self.now()

    def begin(self, name: str) -> None:
        event = self._event(name)
        if event["status"] != "InProgress":
            event.update(status="InProgress", startTime=self.now())
            event.pop("endTime", None)
            self._touch()

    def succeed(self, name: str) -> None:
        event = self._event(name)
        event.setdefault("startTime", self.now())
        event.update(status="Succeeded", endTime=self.now())
        self._touch()

    def skip(self, name: str) -> None:
        if self.has_event(name):
            self._event(name)["status"] = "Skipped"
            self._touch()

    def set_target(self, status: str) -> None:
        self.engine["targetStatus"] = status
        self.record["deploymentOverview"] = overview(status)
        self._touch()

    # storing ------------------------------------------------------------------------------

    def save(self) -> None:
        """Store the record, and its entry in the index of deployments that have not ended."""
        save(self.ctx, self.record)


def save(ctx: RequestContext, record: dict[str, Any]) -> None:
    deployment_id = record["deploymentId"]
    ctx.records(DEPLOYMENT).put(deployment_id, record)
    engine = record["_engine"]
    if engine["phase"] in ("Succeeded", "Failed", "Stopped"):
        ctx.records(ACTIVE).delete(deployment_id)
    else:
        ctx.records(ACTIVE).put(
            deployment_id, {"deploymentId": deployment_id, "due": engine["due"]}
        )


def _end(
    run: DeploymentRun, status: str, code: str | None = None, message: str | None = None
) -> None:
    record = run.record
    record["status"] = status
    record["completeTime"] = run.now()
    record.setdefault("startTime", run.now())
    if code:
        record["errorInformation"] = {"code": code, "message": message or ""}
    run.engine["phase"] = status
    run.engine["due"] = 0.0
    group = run.ctx.records(GROUP).get(
        group_key(record["applicationName"], record["deploymentGroupName"])
    )
    if group is None:
        return
    summary = {
        "deploymentId": record["deploymentId"],
        "status": status,
        "endTime": record["completeTime"],
        "createTime": record["createTime"],
    }
    group["lastAttemptedDeployment"] = summary
    if status == "Succeeded":
        group["lastSuccessfulDeployment"] = summary
        if record.get("revision"):
            group["targetRevision"] = record["revision"]
    run.ctx.records(GROUP).put(
        group_key(record["applicationName"], record["deploymentGroupName"]), group
    )


def finish(run: DeploymentRun, status: str) -> None:
    """End a deployment that went through (``Succeeded``)."""
    _end(run, status)


def fail(run: DeploymentRun, code: str, message: str) -> None:
    """End a deployment ``Failed``: the running event failed, those not reached are skipped;
    roll back when the deployment says so on ``DEPLOYMENT_FAILURE`` (never from BeforeInstall,
    where "a rollback is not possible")."""
    failed = None
    for event in run.engine["events"]:
        if event["status"] == "InProgress" and failed is None:
            failed = event
        elif event["status"] in ("Pending", "InProgress"):
            event["status"] = "Skipped"
    if failed is None:
        failed = next((e for e in run.engine["events"] if e["status"] == "Skipped"), None)
    if failed is not None:
        failed.setdefault("startTime", run.now())
        failed.update(status="Failed", endTime=run.now())
        failed.setdefault("diagnostics", {"errorCode": "UnknownError", "message": message})
    run.set_target("Failed")
    _end(run, "Failed", code, message)
    before_install = failed is not None and failed["lifecycleEventName"] == "BeforeInstall"
    if run.rolls_back_on("DEPLOYMENT_FAILURE") and not before_install:
        start_rollback(run, f"Deployment {run.record['deploymentId']} failed: {message}")


def stop(run: DeploymentRun, code: str, message: str, *, rollback: bool) -> None:
    """End a deployment ``Stopped`` (StopDeployment, or an expired ready wait)."""
    for event in run.engine["events"]:
        if event["status"] == "InProgress":
            event.update(status="Failed", endTime=run.now())
        elif event["status"] == "Pending":
            event["status"] = "Skipped"
    if run.engine["targetStatus"] != "Succeeded":
        run.set_target("Failed")
    _end(run, "Stopped", code, message)
    if rollback:
        start_rollback(run, f"Deployment {run.record['deploymentId']} was stopped: {message}")


def start_rollback(run: DeploymentRun, reason: str) -> dict[str, Any] | None:
    """The rollback deployment of ``run``'s: it puts the listeners back on blue, makes blue
    PRIMARY and deletes green. Nothing to roll back when green was never made."""
    original, engine = run.record, run.engine
    if engine.get("rollback") or not engine.get("blue"):
        return None
    ctx = run.ctx
    rollback_id = "d-" + ctx.ids.upper("deployment", 9)
    record = {
        **{k: copy.deepcopy(v) for k, v in original.items() if not k.startswith("_")},
        "deploymentId": rollback_id,
        "status": "Created",
        "createTime": run.now(),
        "creator": "codeDeployRollback",
        "instanceTerminationWaitTimeStarted": False,
        "deploymentOverview": overview("Pending"),
        "rollbackInfo": {
            "rollbackTriggeringDeploymentId": original["deploymentId"],
            "rollbackMessage": f"Rollback of deployment {original['deploymentId']}. {reason}",
        },
    }
    for member in ("startTime", "completeTime", "errorInformation", "revision", "description"):
        record.pop(member, None)
    if original.get("previousRevision"):
        record["revision"] = copy.deepcopy(original["previousRevision"])
    record["_engine"] = {
        **{k: copy.deepcopy(v) for k, v in engine.items() if k != "events"},
        "phase": "Created",
        "due": run.now(),
        "rollback": True,
        "events": event_list(bool(engine["testListeners"])),
        "targetStatus": "Pending",
        "lastUpdatedAt": run.now(),
    }
    for key in ("readyDeadline", "terminationDeadline", "shiftStart", "continued", "hooks"):
        record["_engine"].pop(key, None)
    original["rollbackInfo"] = {
        "rollbackDeploymentId": rollback_id,
        "rollbackMessage": f"Rolled back by deployment {rollback_id}. {reason}",
    }
    save(ctx, record)
    return record

"""Service deployments and revisions of ECS's built-in blue/green: making, starting, showing.

A ``BLUE_GREEN``, ``LINEAR`` or ``CANARY`` service's ``CreateService`` makes its first revision
and deployment (:func:`start_initial`); an ``UpdateService`` with a new revision makes the green
set at 0 tasks, a revision and a deployment (:func:`start`), superseding one still in progress.
:class:`ServiceDeploymentRun` is one deployment record while :mod:`.engine` steps it, its engine
state (``_engine``) a :class:`ServiceDeploymentState`, JSON in the record (so a restarted local
cloud reads the same keys back); :func:`show` and :func:`brief` are the record as
``DescribeServiceDeployments`` and ``ListServiceDeployments`` show it. Ids have the shapes of
AWS's examples: deployments ``service-deployment/<cluster>/<service>/<21 characters>``, revisions
``service-revision/<cluster>/<service>/<19 digits>``, pause hooks ``ecs-pause-<43 characters>``.
"""

from __future__ import annotations

import copy
from typing import Any, Literal, TypedDict

from bgkit.local.forwarding import Action, weights_for
from bgkit.local.lifecycle import LifecycleRun, MachineState
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.bluegreen.alarms import initial_status
from bgkit.local.services.ecs.bluegreen.config import serving_group
from bgkit.local.services.ecs.bluegreen.traffic import healthy_count, set_tasks
from bgkit.local.services.ecs.checks import platform_of
from bgkit.local.services.ecs.models import (
    BLUE_GREEN,
    DEPLOYMENT,
    SERVICE,
    SERVICE_REVISION,
    name_of,
    public,
    sets_of,
)
from bgkit.local.services.ecs.task_sets import follow_primary, new_set

TERMINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: [I] AWS's words are not published for this one
SUPERSEDED = "Service deployment stopped because a new service deployment was started."


#: which revision of a deployment: ``source`` (blue) or ``target`` (green)
Side = Literal["source", "target"]


class RevisionSide(TypedDict):
    """Blue (the source) or green (the target): a service revision and the set that runs it."""

    revision: str  # the ServiceRevision's ARN
    set: str  # the id of its ``deployment`` set (key ``<serviceKey>/<set>``)
    group: str | None  # the target group its tasks register in (None: no load balancer)


class NewServiceDeploymentState(MachineState):
    """The engine state a service deployment has from the start (:func:`_new_record`)."""

    serviceKey: str  # the service record's key
    initial: bool  # True: a CreateService's first deployment (nothing to shift)
    supersedes: str | None  # the deployment still in progress that this one stopped, by ARN
    balancer: dict[str, Any] | None  # the service's load balancer with advancedConfiguration
    source: RevisionSide | None  # blue (None: the service has no revision to deploy from)
    target: RevisionSide  # green
    rulesBefore: dict[str, list[Action]]  # rule ARN → actions before (PRE_SCALE_UP), for rollback
    productionWeight: float  # percent of production traffic on green now
    testWeight: float  # percent of test traffic on green now
    step: int  # which step of the traffic schedule the production shift is at
    pending: list[str]  # the ids of the PAUSE hooks the current stage waits for
    decisions: dict[str, str]  # hook id → CONTINUE or ROLLBACK (ContinueServiceDeployment)


class ServiceDeploymentState(NewServiceDeploymentState, total=False):
    """A service deployment's whole engine state: the keys it starts with and those that appear
    as it runs."""

    worked: str | None  # the stage whose work is done (None again after each move)
    hooksAt: str | None  # the stage whose PAUSE hooks were made (None again after each move)
    scaled: bool  # green was scaled up to the service's desired count (SCALE_UP)
    stepDeadline: float | None  # local time the current production step's bake ends
    bakeDeadline: float  # local time the bake ends (BAKE_TIME)
    blueRestored: bool  # blue is PRIMARY at its desired count again (ROLLBACK)


class ServiceDeploymentRun(LifecycleRun[ServiceDeploymentState]):
    """One service deployment record while the engine steps it."""

    def service(self) -> dict[str, Any]:
        """The service record ({} once it is gone)."""
        return self.ctx.records(SERVICE).get(self.engine["serviceKey"]) or {}

    def save_service(self, service: dict[str, Any]) -> None:
        self.ctx.records(SERVICE).put(self.engine["serviceKey"], service)

    def set(self, which: Side) -> dict[str, Any] | None:
        """The ``deployment`` set of a revision, if it still exists."""
        side = self.engine.get(which)
        if not side:
            return None
        return self.ctx.records(DEPLOYMENT).get(f"{self.engine['serviceKey']}/{side['set']}")

    def save_set(self, found: dict[str, Any]) -> None:
        found["updatedAt"] = self.now()
        self.ctx.records(DEPLOYMENT).put(f"{self.engine['serviceKey']}/{found['id']}", found)

    def healthy(self, which: Side) -> bool:
        """Whether the revision's tasks run, healthy in its target group, at its desired count."""
        found = self.set(which)
        if found is None:
            return False
        side = self.engine[which]
        key = f"{self.engine['serviceKey']}/{found['id']}"
        return healthy_count(self.ctx, key, side.get("group")) >= found["desiredCount"]

    @property
    def role(self) -> str:
        """The ECS infrastructure role that shifts traffic."""
        return self.engine["balancer"]["advancedConfiguration"]["roleArn"]

    def rule(self, which: str) -> str | None:
        """``productionListenerRule`` or ``testListenerRule``, if the service has one."""
        balancer = self.engine.get("balancer")
        if not balancer:
            return None
        return balancer["advancedConfiguration"].get(which)

    def weights(self, percent: float) -> dict[str, int]:
        """The forward weights that give green ``percent`` of the requests."""
        return weights_for(self.engine["source"]["group"], self.engine["target"]["group"], percent)


# --- ids, revisions, starting ----------------------------------------------------------------


def _draw(ctx: RequestContext, namespace: str, length: int) -> str:
    return ctx.ids.draw(namespace, ID_ALPHABET, length)


def new_hook_id(ctx: RequestContext, kind: str = "pause") -> str:
    """``ecs-pause-<43 characters>`` (the shape of pause-lifecycle-hooks' example); ``kind``
    ``lambda`` for an AWS_LAMBDA hook ([I])."""
    return f"ecs-{kind}-" + _draw(ctx, "ecs-hook", 43)


def new_revision(
    ctx: RequestContext, service: dict[str, Any], found: dict[str, Any], group: str | None
) -> dict[str, Any]:
    """A ``ServiceRevision`` of ``service`` for the set ``found``, serving from ``group``."""
    cluster = name_of(service["clusterArn"])
    number = "4" + ctx.ids.draw("ecs-service-revision", "0123456789", 18)
    arn = ctx.arn("ecs", f"service-revision/{cluster}/{service['serviceName']}/{number}")
    record: dict[str, Any] = {
        "serviceRevisionArn": arn,
        "serviceArn": service["serviceArn"],
        "clusterArn": service["clusterArn"],
        "taskDefinition": found["taskDefinition"],
        "launchType": service.get("launchType", "FARGATE"),
        **platform_of(
            service.get("launchType", "FARGATE"), service.get("platformVersion", "LATEST")
        ),
        "loadBalancers": copy.deepcopy(service.get("loadBalancers", [])),
        "serviceRegistries": [],
        "guardDutyEnabled": False,
        "createdAt": ctx.now(),
        "_set_id": found["id"],
    }
    if found.get("networkConfiguration"):
        record["networkConfiguration"] = found["networkConfiguration"]
    if group:
        production = (
            (service.get("loadBalancers") or [{}])[0]
            .get("advancedConfiguration", {})
            .get("productionListenerRule")
        )
        resolved = {"targetGroupArn": group}
        if production:
            resolved["productionListenerRule"] = production
        record["resolvedConfiguration"] = {"loadBalancers": [resolved]}
    ctx.records(SERVICE_REVISION).put(arn, record)
    return record


def revision_group(revision: dict[str, Any] | None) -> str | None:
    loaded = ((revision or {}).get("resolvedConfiguration") or {}).get("loadBalancers") or [{}]
    return loaded[0].get("targetGroupArn")


def _new_record(
    ctx: RequestContext,
    service: dict[str, Any],
    key: str,
    *,
    source: RevisionSide | None,
    target: RevisionSide,
    initial: bool,
    supersedes: str | None = None,
) -> dict[str, Any]:
    cluster = name_of(service["clusterArn"])
    identifier = _draw(ctx, "ecs-service-deployment", 21)
    arn = ctx.arn("ecs", f"service-deployment/{cluster}/{service['serviceName']}/{identifier}")
    now = ctx.now()
    config = copy.deepcopy(service["deploymentConfiguration"])
    state: NewServiceDeploymentState = {
        "phase": "PENDING",
        "due": now,
        "serviceKey": key,
        "initial": initial,
        "supersedes": supersedes,
        "balancer": copy.deepcopy((service.get("loadBalancers") or [None])[0]),
        "source": source,
        "target": target,
        "rulesBefore": {},
        "productionWeight": 0.0,
        "testWeight": 0.0,
        "step": 0,
        "pending": [],
        "decisions": {},
    }
    record = {
        "serviceDeploymentArn": arn,
        "serviceArn": service["serviceArn"],
        "clusterArn": service["clusterArn"],
        "createdAt": now,
        "updatedAt": now,
        "status": "PENDING",
        "lifecycleHookDetails": [],
        "deploymentConfiguration": config,
        "deploymentCircuitBreaker": {"status": "DISABLED", "failureCount": 0, "threshold": 3},
        "alarms": initial_status(config),
        "_engine": state,
    }
    ctx.records(BLUE_GREEN).put(arn, record)
    service["currentServiceDeployment"] = arn
    return record


def start_initial(ctx: RequestContext, service: dict[str, Any], key: str, made: dict[str, Any]):
    """The first deployment of a ``CreateService`` (its only revision, nothing to shift)."""
    balancers = service.get("loadBalancers") or []
    group = balancers[0]["targetGroupArn"] if balancers else None
    revision = new_revision(ctx, service, made, group)
    target = {"revision": revision["serviceRevisionArn"], "set": made["id"], "group": group}
    return _new_record(ctx, service, key, source=None, target=target, initial=True)


def in_progress(ctx: RequestContext, service_arn: str) -> dict[str, Any] | None:
    """The deployment of a service that has not ended, if any."""
    for record in ctx.records(BLUE_GREEN).list():
        if record["serviceArn"] == service_arn and record["status"] not in TERMINAL:
            return record
    return None


def _source_of(ctx: RequestContext, service: dict[str, Any], key: str) -> RevisionSide | None:
    """Blue: the revision the service runs now (made from its primary set when it has none)."""
    primary = next((s for s in sets_of(ctx, key, DEPLOYMENT) if s["status"] == "PRIMARY"), None)
    if primary is None:
        return None
    revision = ctx.records(SERVICE_REVISION).get(service.get("_revision") or "")
    if revision is None or revision["_set_id"] != primary["id"]:
        balancers = service.get("loadBalancers") or []
        group = None
        if balancers:
            group = (
                serving_group(ctx, balancers[0])
                if balancers[0].get("advancedConfiguration")
                else balancers[0]["targetGroupArn"]
            )
        revision = new_revision(ctx, service, primary, group)
    group = revision_group(revision)
    return {"revision": revision["serviceRevisionArn"], "set": primary["id"], "group": group}


def start(
    ctx: RequestContext,
    service: dict[str, Any],
    key: str,
    definition: dict[str, Any],
    balancers: list[dict[str, Any]],
    network: dict[str, Any] | None,
) -> dict[str, Any]:
    """The deployment an ``UpdateService`` starts: green made at 0 tasks, blue left running."""
    superseded = in_progress(ctx, service["serviceArn"])
    if superseded is not None:
        source = superseded["_engine"]["source"]
        superseded["status"], superseded["statusReason"] = "STOPPED", SUPERSEDED
        superseded["stoppedAt"] = superseded["updatedAt"] = ctx.now()
        ctx.records(BLUE_GREEN).put(superseded["serviceDeploymentArn"], superseded)
    else:
        source = _source_of(ctx, service, key)
    for found in sets_of(ctx, key, DEPLOYMENT):
        if found["status"] == "PRIMARY":
            found["status"] = "ACTIVE"
            ctx.records(DEPLOYMENT).put(f"{key}/{found['id']}", found)
    service["loadBalancers"] = balancers
    green_group, green_balancers = None, []
    if balancers:
        pair = (
            balancers[0]["targetGroupArn"],
            balancers[0]["advancedConfiguration"]["alternateTargetGroupArn"],
        )
        blue_group = (source or {}).get("group") or pair[0]
        green_group = pair[1] if blue_group == pair[0] else pair[0]
        green_balancers = [
            {
                "targetGroupArn": green_group,
                "containerName": balancers[0]["containerName"],
                "containerPort": balancers[0]["containerPort"],
            }
        ]
    made = new_set(
        ctx, service, definition, kind=DEPLOYMENT, load_balancers=green_balancers, network=network
    )
    made["desiredCount"] = 0
    ctx.records(DEPLOYMENT).put(f"{key}/{made['id']}", made)
    follow_primary(service, {**made, "loadBalancers": balancers})
    if network:
        service["networkConfiguration"] = network
    service["_steady"] = False
    revision = new_revision(ctx, service, made, green_group)
    target = {"revision": revision["serviceRevisionArn"], "set": made["id"], "group": green_group}
    return _new_record(
        ctx,
        service,
        key,
        source=source,
        target=target,
        initial=False,
        supersedes=superseded["serviceDeploymentArn"] if superseded else None,
    )


def resize(ctx: RequestContext, service: dict[str, Any]) -> None:
    """A new desired count reaches the revisions of a deployment in progress."""
    record = in_progress(ctx, service["serviceArn"])
    if record is None:
        return
    run = ServiceDeploymentRun(ctx, record)
    phase = run.engine["phase"]
    blue, green = run.set("source"), run.set("target")
    if blue is not None and phase != "CLEAN_UP":
        blue["desiredCount"] = service["desiredCount"]
        run.save_set(blue)
    if green is not None:
        green["desiredCount"] = service["desiredCount"] if run.engine.get("scaled") else 0
        run.save_set(green)


# --- showing -----------------------------------------------------------------------------------


def _summary(run: ServiceDeploymentRun, which: Side) -> dict[str, Any]:
    side = run.engine[which]
    found = run.set(which)
    tasks = (
        set_tasks(run.ctx, f"{run.engine['serviceKey']}/{found['id']}") if found is not None else []
    )
    production = run.engine["productionWeight"]
    test = run.engine["testWeight"]
    if which == "source":
        production, test = 100.0 - production, 100.0 - test
    return {
        "arn": side["revision"],
        "requestedTaskCount": found["desiredCount"] if found is not None else 0,
        "runningTaskCount": sum(t["lastStatus"] == "RUNNING" for t in tasks),
        "pendingTaskCount": sum(t["lastStatus"] != "RUNNING" for t in tasks),
        "requestedProductionTrafficWeight": production,
        "requestedTestTrafficWeight": test,
    }


def show(ctx: RequestContext, record: dict[str, Any]) -> dict[str, Any]:
    """A deployment as ``DescribeServiceDeployments`` shows it."""
    current = ServiceDeploymentRun(ctx, record)
    shown = public(record)
    shown["sourceServiceRevisions"] = (
        [_summary(current, "source")] if record["_engine"].get("source") else []
    )
    shown["targetServiceRevision"] = _summary(current, "target")
    return shown


def brief(record: dict[str, Any]) -> dict[str, Any]:
    """A deployment as ``ListServiceDeployments`` shows it."""
    members = ("serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt", "createdAt",
               "finishedAt", "status", "statusReason")  # fmt: skip
    shown = {m: record[m] for m in members if record.get(m) is not None}
    shown["targetServiceRevisionArn"] = record["_engine"]["target"]["revision"]
    return shown

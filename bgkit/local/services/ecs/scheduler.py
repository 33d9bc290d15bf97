"""The ECS service scheduler: one idempotent pass over a region's services, sets and tasks.

:func:`advance` runs after every API call and every quarter second (see
:meth:`bgkit.local.provider.Provider.advance`). For each set of each service (task sets
and rolling deployments alike) it:

1. observes what the runtime did: a task that stopped by itself is marked stopped (and replaced
   after a back-off that grows while tasks keep failing to start); a task that became ``RUNNING``
   is registered in the set's target groups (``ip`` targets: its private address and container
   port; see :mod:`.targets`); a registered task whose target is ``unhealthy`` once the
   service's health check grace period has passed is replaced ("Task failed ELB health checks in
   (target-group …)");
2. keeps the set at its desired count: starts tasks (at most :data:`LAUNCH_BATCH` a set a pass,
   so a pass stays short whatever the desired count; ECS too launches a service's tasks at a
   bounded rate), and stops the extra ones (pending ones
   first, then the newest) — a registered task is deregistered first and stays ``RUNNING``
   (shown ``DEACTIVATING``) until the target group's deregistration delay has passed;
3. computes the counts and ``stabilityStatus``, and writes the service events as ECS words them.

Rolling deployments scale the old revision in once the new one is steady (a ``BLUE_GREEN``,
``LINEAR`` or ``CANARY`` service's old revision is scaled in by :mod:`.bluegreen.engine`);
``DRAINING`` task sets and services end (deleted, or ``INACTIVE``) once their tasks are gone.
Nothing is written when nothing changed: a pass writes back the tasks it changed (each change
goes through one of its methods, which note the task), and the services and sets whose record
differs from what it read. A pass costs its region's task records read once and a few
look-ups a task (``benchmarks/scheduler.py`` measures it at 5,000 tasks).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs import targets
from bgkit.local.services.ecs.checks import role_problem
from bgkit.local.services.ecs.models import (
    CLUSTER,
    DEPLOYMENT,
    SERVICE,
    TASK,
    TASK_SET,
    TRAFFIC_STRATEGIES,
    add_event,
    computed_desired,
    name_of,
    resolve_task_definition,
    service_key_of,
    set_key_of,
    sets_of,
    strategy_of,
)
from bgkit.local.services.ecs.tasks import new_task, request_stop

#: local seconds before a set replaces a task that stopped on its own; doubled per failure to start
BACKOFF = 5.0
MAX_BACKOFF = 300.0
#: tasks a set starts in one pass at most (AWS: 500 a minute a service on Fargate)
LAUNCH_BATCH = 10
#: local seconds a stopped task stays describable (AWS: at least an hour)
STOPPED_RETENTION = 3600.0
NOT_YET_HEALTHY = ("initial", "unhealthy")
ENI_STATUS = {"RUNNING": "ATTACHED", "STOPPED": "DELETED", "DEACTIVATING": "ATTACHED"}


def _snapshot(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True)


class _Pass:
    """One scheduling pass over a region (:func:`advance`)."""

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.now = ctx.now()
        self.tasks = ctx.records(TASK).list()
        #: the ARNs of the tasks this pass changed or made, written back at its end
        self.changed: set[str] = set()
        self.by_set: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for task in self.tasks:
            if task.get("_task_set_arn"):
                self.by_set[task["_task_set_arn"]].append(task)
        self.messages: dict[str, list[str]] = {}
        #: the private addresses the region's tasks hold, kept as tasks are made
        self.addresses = {t["_private_ip"] for t in self.tasks if t.get("_private_ip")}

    # -- events ---------------------------------------------------------------------------------

    def note(self, what: str, detail: str) -> None:
        """Gather like events of a pass into one, as ECS does (``2 tasks: (task a) (task b)``)."""
        if what == "other":
            what = f"other|{len(self.messages)}"
        self.messages.setdefault(what, []).append(detail)

    def flush_events(self, service: dict[str, Any]) -> None:
        name = service["serviceName"]
        for what, details in self.messages.items():
            kind, _, where = what.partition("|")
            count = len(details)
            if kind == "started":
                text = f"(service {name}) has started {count} tasks: {' '.join(details)}."
            elif kind == "stopped":
                text = f"(service {name}) has stopped {count} running tasks: {' '.join(details)}."
            elif kind == "draining":
                text = f"({where}) has begun draining connections on {count} tasks."
            elif kind in ("registered", "deregistered"):
                text = f"(service {name}) {kind} {count} targets in (target-group {where})"
            else:
                text = details[0]
            add_event(service, self.ctx, text)
        self.messages.clear()

    # -- targets (:mod:`.targets`) --------------------------------------------------------------

    def register(self, task: dict[str, Any], balancers: list[dict[str, Any]]) -> None:
        self.changed.add(task["taskArn"])
        for group in targets.register(self.ctx, task, balancers, self.now):
            self.note(f"registered|{group}", task["taskArn"])

    def deregister(self, task: dict[str, Any]) -> float:
        """Deregister a task from its target groups; the longest deregistration delay."""
        self.changed.add(task["taskArn"])
        delay, groups = targets.deregister(self.ctx, task)
        for group in groups:
            self.note(f"deregistered|{group}", task["taskArn"])
        return delay

    # -- stopping -------------------------------------------------------------------------------

    def begin_stop(self, task: dict[str, Any], reason: str, set_label: str) -> None:
        """Stop a task; a registered running one is drained first."""
        if task.get("_stopping") is not None or task["desiredStatus"] == "STOPPED":
            return
        if task.get("_registered") and task["lastStatus"] == "RUNNING":
            delay = self.deregister(task)  # noted changed
            task["_stopping"] = {"at": self.now, "reason": reason, "until": self.now + delay}
            self.note(f"draining|{set_label}", task["taskArn"])
            return
        self.stop_now(task, reason)

    def request_stop(self, task: dict[str, Any], reason: str) -> None:
        """:func:`.tasks.request_stop`, the task noted changed."""
        self.changed.add(task["taskArn"])
        request_stop(task, self.now, reason)

    def stop_now(self, task: dict[str, Any], reason: str) -> None:
        was_running = task["lastStatus"] == "RUNNING"
        self.request_stop(task, reason)
        if was_running:
            self.note("stopped", f"(task {name_of(task['taskArn'])})")

    # -- one set --------------------------------------------------------------------------------

    def observe(self, service: dict[str, Any], found: dict[str, Any], label: str) -> None:
        balancers = found.get("loadBalancers", found.get("_load_balancers", []))
        grace = service.get("healthCheckGracePeriodSeconds") or 0
        for task in self.by_set.get(set_key_of(found), []):
            status = task["lastStatus"]
            if status == "STOPPED":
                if task.get("_registered"):
                    self.deregister(task)
                if task["desiredStatus"] == "RUNNING" or task.get("_stopping") is not None:
                    started = task.get("startedAt") is not None
                    if task.get("_stopping") is None:
                        found["_failures"] = 0 if started else found.get("_failures", 0) + 1
                        wait = BACKOFF * 2 ** max(found["_failures"] - 1, 0)
                        found["_backoff_until"] = self.now + min(wait, MAX_BACKOFF)
                        if "failedTasks" in found:
                            found["failedTasks"] += 1
                    self.request_stop(
                        task, task.get("stoppedReason") or "Essential container in task exited"
                    )
                continue
            if task.get("_stopping") is not None:
                if status != "RUNNING" or self.now >= task["_stopping"]["until"]:
                    self.stop_now(task, task["_stopping"]["reason"])
                continue
            if task["desiredStatus"] != "RUNNING" or status != "RUNNING":
                continue
            if "_registered" not in task:
                self.register(task, balancers)
                found["_failures"] = 0
                continue
            started = task.get("startedAt") or task.get("_registered_at") or self.now
            sick = targets.unhealthy_in(self.ctx, task) if self.now >= started + grace else None
            if sick is not None and "_unhealthy" not in task:
                group, health = sick
                port = task["_container"]["containerPort"]
                why = health.get("Description") or "Health checks failed"
                self.note(
                    "other",
                    f"(service {service['serviceName']}) (port {port}) is unhealthy in "
                    f"(target-group {group}) due to (reason {why}).",
                )
                self.flush_events(service)
                # Replaced before it is stopped (see scale): it keeps serving meanwhile.
                task["_unhealthy"] = f"Task failed ELB health checks in (target-group {group})"
                self.changed.add(task["taskArn"])

    def desired(self, service: dict[str, Any], found: dict[str, Any], kind: str) -> int:
        if kind == DEPLOYMENT:
            return found["desiredCount"]
        if found["status"] == "DRAINING" or service["status"] != "ACTIVE":
            found["computedDesiredCount"] = 0
        else:
            found["computedDesiredCount"] = computed_desired(
                service["desiredCount"], found["scale"]
            )
        return found["computedDesiredCount"]

    def scale(self, service: dict[str, Any], found: dict[str, Any], kind: str, label: str) -> None:
        """Keep ``want`` tasks that are not unhealthy. As ECS does, an unhealthy task is replaced
        first and stopped once enough healthy ones run, never leaving its target group empty;
        ``maximumPercent`` of the service bounds how many run meanwhile."""
        want = self.desired(service, found, kind)
        tasks = self.by_set.get(set_key_of(found), [])
        running = [
            t
            for t in tasks
            if t["desiredStatus"] == "RUNNING"
            and t.get("_stopping") is None
            and t["lastStatus"] != "STOPPED"
        ]
        sick = sorted((t for t in running if "_unhealthy" in t), key=lambda t: t["createdAt"])
        live = [t for t in running if "_unhealthy" not in t]
        percent = service.get("deploymentConfiguration", {}).get("maximumPercent", 200)
        room = max(want * percent // 100, want + 1) - len(running)
        if len(live) > want:
            extra = sorted(live, key=lambda t: (t["lastStatus"] == "RUNNING", -t["createdAt"]))
            for task in extra[: len(live) - want]:
                self.begin_stop(
                    task, f"Scaling activity initiated by (deployment {found['id']})", label
                )
        elif len(live) < want and self.now >= found.get("_backoff_until", 0.0):
            if room > 0:
                count = min(want - len(live), room, LAUNCH_BATCH)
                self.start(service, found, kind, count, tasks)
            elif sick:  # no room to replace first: make room with the oldest unhealthy task
                self.begin_stop(sick[0], sick[0]["_unhealthy"], label)
                return
        healthy = [t for t in live if targets.serving(self.ctx, t)]
        if sick and len(healthy) >= want:
            for task in sick:
                self.begin_stop(task, task["_unhealthy"], label)

    def start(
        self,
        service: dict[str, Any],
        found: dict[str, Any],
        kind: str,
        count: int,
        tasks: list[dict[str, Any]],
    ) -> None:
        definition = resolve_task_definition(self.ctx, found["taskDefinition"])
        cluster = self.ctx.records(CLUSTER).get(name_of(service["clusterArn"]))
        if definition is None or cluster is None:
            return
        problem = role_problem(self.ctx, definition)
        if problem:
            if service.get("_launch_error") != problem:
                service["_launch_error"] = problem
                self.note(
                    "other",
                    f"(service {service['serviceName']}) failed to launch a task with "
                    f"(error {problem}).",
                )
            return
        service["_launch_error"] = None
        network = found.get("networkConfiguration") or service.get("networkConfiguration")
        for _ in range(count):
            task = new_task(
                self.ctx,
                cluster,
                definition,
                network,
                started_by=found["id"],
                group=f"service:{service['serviceName']}",
                set_record=found,
                set_kind=kind,
                service_key=found["_service_key"],
                siblings=tasks,
                used_addresses=self.addresses,
            )
            tasks.append(task)
            self.tasks.append(task)
            self.changed.add(task["taskArn"])
            self.by_set[set_key_of(found)] = tasks
            self.note("started", f"(task {name_of(task['taskArn'])})")

    def count(self, service: dict[str, Any], found: dict[str, Any], kind: str) -> bool:
        """Update a set's counts and stability; whether it is steady."""
        tasks = self.by_set.get(set_key_of(found), [])
        running = pending = busy = 0
        for task in tasks:
            stopping = task.get("_stopping") is not None or task["desiredStatus"] == "STOPPED"
            if task["lastStatus"] == "STOPPED":
                continue
            if stopping:
                busy += 1
            elif task["lastStatus"] == "RUNNING":
                running += 1
                healths = [targets.health(self.ctx, task, h) for h in task.get("_registered") or []]
                if "_registered" not in task or any(
                    h and h["State"] in NOT_YET_HEALTHY for h in healths
                ):
                    busy += 1
            else:
                pending += 1
        want = found["desiredCount"] if kind == DEPLOYMENT else found["computedDesiredCount"]
        steady = running == want and pending == 0 and busy == 0
        found["runningCount"], found["pendingCount"] = running, pending
        if kind == TASK_SET:
            state = "STEADY_STATE" if steady else "STABILIZING"
            if found["stabilityStatus"] != state:
                found["stabilityStatus"], found["stabilityStatusAt"] = state, self.now
                if steady and found["status"] != "DRAINING":
                    self.note(
                        "other",
                        f"(service {service['serviceName']}, taskSet {found['id']}) updated "
                        "state to STEADY_STATE.",
                    )
        return steady

    # -- one service ----------------------------------------------------------------------------

    def service(self, service: dict[str, Any]) -> None:
        key = service_key_of(service)
        name = service["serviceName"]
        steady_all, running, pending = True, 0, 0
        for kind in (TASK_SET, DEPLOYMENT):
            for found in sets_of(self.ctx, key, kind):
                before = _snapshot(found)
                label = (
                    f"service {name}, taskSet {found['id']}"
                    if kind == TASK_SET
                    else f"service {name}"
                )
                self.observe(service, found, label)
                self.scale(service, found, kind, label)
                steady = self.count(service, found, kind)
                running += found["runningCount"]
                pending += found["pendingCount"]
                if kind == DEPLOYMENT:
                    steady = self.roll(service, found, key, steady)
                live = [
                    t
                    for t in self.by_set.get(set_key_of(found), [])
                    if t["lastStatus"] != "STOPPED"
                ]
                ended = (
                    (found["status"] == "DRAINING" or service["status"] != "ACTIVE")
                    if kind == TASK_SET
                    else found["status"] != "PRIMARY" or service["status"] != "ACTIVE"
                )
                records = self.ctx.records(kind)
                if ended and not live and (kind == TASK_SET or found["desiredCount"] == 0):
                    records.delete(set_key_of(found))
                    continue
                steady_all = steady_all and steady and not ended
                if _snapshot(found) != before:
                    records.put(set_key_of(found), found)
        service["runningCount"], service["pendingCount"] = running, pending
        if (
            service["status"] == "DRAINING"
            and not sets_of(self.ctx, key)
            and not sets_of(self.ctx, key, DEPLOYMENT)
        ):
            service["status"] = "INACTIVE"
        if service["status"] == "ACTIVE" and steady_all and not service.get("_steady"):
            self.note("other", f"(service {name}) has reached a steady state.")
        service["_steady"] = steady_all
        self.flush_events(service)

    def roll(self, service: dict[str, Any], found: dict[str, Any], key: str, steady: bool) -> bool:
        """ECS controller: once the primary deployment is steady, scale the old ones in."""
        if found["status"] != "PRIMARY":
            return steady
        others = [d for d in sets_of(self.ctx, key, DEPLOYMENT) if d["id"] != found["id"]]
        if steady and strategy_of(service) not in TRAFFIC_STRATEGIES:  # else bluegreen's
            for old in others:
                if old["desiredCount"]:
                    old["desiredCount"] = 0
                    self.ctx.records(DEPLOYMENT).put(set_key_of(old), old)
        if steady and not others and found["rolloutState"] != "COMPLETED":
            found["rolloutState"] = "COMPLETED"
            found["rolloutStateReason"] = f"ECS deployment {found['id']} completed."
            self.note(
                "other",
                f"(service {service['serviceName']}) (deployment {found['id']}) deployment "
                "completed.",
            )
        return steady and not others

    # -- the whole region -----------------------------------------------------------------------

    def run(self) -> None:
        for service in self.ctx.records(SERVICE).list():
            if service["status"] == "INACTIVE":
                continue
            before = _snapshot(service)
            self.service(service)
            if _snapshot(service) != before:
                self.ctx.records(SERVICE).put(service_key_of(service), service)
        records = self.ctx.records(TASK)
        for task in self.tasks:
            arn = task["taskArn"]
            for attachment in task.get("attachments", []):
                status = ENI_STATUS.get(task["lastStatus"], "PRECREATED")
                if attachment.get("status") != status:
                    attachment["status"] = status
                    self.changed.add(arn)
            gone_at = task.get("stoppedAt") or task.get("stoppingAt") or self.now
            if task["lastStatus"] == "STOPPED" and self.now >= gone_at + STOPPED_RETENTION:
                records.delete(arn)
            elif arn in self.changed:
                records.put(arn, task)


def advance(ctx: RequestContext) -> None:
    """One scheduling pass over the region of ``ctx`` (inside the caller's transaction)."""
    _Pass(ctx).run()

"""The engine of ECS's built-in blue/green deployments (``BLUE_GREEN``, ``LINEAR``, ``CANARY``).

A service deployment (a ``blue-green-deployment`` record, the API's ``ServiceDeployment``) moves
a service from its *source* revision (blue) to a *target* revision (green). Each revision runs as
a ``deployment`` set the scheduler keeps at its desired count (:mod:`..scheduler`), its tasks
registered in the revision's target group: blue's is the group the production listener rule
serves, green's the other one of ``targetGroupArn`` / ``advancedConfiguration.
alternateTargetGroupArn``. The engine only changes desired counts and listener rule weights;
making, starting and showing the records is :mod:`.deployments`'s.

The whole state is in the record (``_engine``, a :class:`~.deployments.ServiceDeploymentState`),
deadlines as local clock times, so a restarted local cloud resumes each deployment where it was.
:data:`TRANSITIONS` maps each phase to its step and the phase that follows; the local cloud's one
lifecycle machine (:mod:`bgkit.local.lifecycle`) steps it. A step returns :data:`NEXT`, another
phase (a branch) or ``None`` (wait, ``due`` set), or raises :class:`Rollback`, which begins the
rollback. Each move records the lifecycle stage entered and clears the stage's markers; the
record is stored when the steps changed it. After a lifecycle stage's work, its ``PAUSE`` hooks
wait for ``ContinueServiceDeployment`` or their timeout, its ``AWS_LAMBDA`` hooks for their
function's ``hookStatus`` (:mod:`.lambda_hooks`)::

    PENDING → [RECONCILE_SERVICE] → PRE_SCALE_UP → SCALE_UP → POST_SCALE_UP
      → TEST_TRAFFIC_SHIFT → POST_TEST_TRAFFIC_SHIFT
      → PRE_PRODUCTION_TRAFFIC_SHIFT ⇄ PRODUCTION_TRAFFIC_SHIFT   (once a linear/canary step)
      → POST_PRODUCTION_TRAFFIC_SHIFT → BAKE_TIME → CLEAN_UP → SUCCESSFUL
    a service's first deployment:  PENDING → INITIAL → SUCCESSFUL (or STOPPED)
    a failure, a hook's ROLLBACK, StopServiceDeployment:  → ROLLBACK → ROLLBACK_SUCCESSFUL
    an alarm in ALARM (read on every pass, :mod:`.alarms`):  → ROLLBACK, or STOPPED without rollback

``RECONCILE_SERVICE`` runs when an ``UpdateService`` supersedes a deployment still in progress:
its rules are put back and its green set scaled in. Rollback scales blue back up if need be,
restores the rules as they were before the deployment, then scales green in.
"""

from __future__ import annotations

from typing import Any

from bgkit.local.lifecycle import NEXT, Lifecycle, Step, Transition
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.bluegreen import alarms, lambda_hooks
from bgkit.local.services.ecs.bluegreen.config import (
    hook_timeout,
    network_problem,
    traffic_schedule,
)
from bgkit.local.services.ecs.bluegreen.deployments import (
    TERMINAL,
    ServiceDeploymentRun,
    brief,
    in_progress,
    new_hook_id,
    resize,
    show,
    start,
    start_initial,
)
from bgkit.local.services.ecs.bluegreen.traffic import Rollback, restore, set_weights, snapshot
from bgkit.local.services.ecs.models import BLUE_GREEN
from bgkit.local.services.ecs.task_sets import follow_primary

STAGES = (
    "RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP",
)  # fmt: skip
#: [I] AWS's words are not published for these
STOPPED_BY_USER = "Service deployment rolled back because StopServiceDeployment was called."
ROLLED_BACK_BY_HOOK = (
    "Service deployment rolled back because {stage} pause hook received a ROLLBACK action from "
    "ContinueServiceDeployment."
)
HOOK_TIMED_OUT = "Service deployment rolled back because {stage} {kind} hook timed out."  # [V]

__all__ = [
    "TERMINAL",
    "ServiceDeploymentRun",
    "advance",
    "begin_rollback",
    "brief",
    "in_progress",
    "resize",
    "run",
    "show",
    "start",
    "start_initial",
]


# --- lifecycle hooks ---------------------------------------------------------------------------


def _hooks(run: ServiceDeploymentRun, stage: str) -> str | None:
    """The hooks of ``stage``: made on the first visit, then waited for (``PAUSE``: the user's
    ContinueServiceDeployment; ``AWS_LAMBDA``: the function's hookStatus, :mod:`.lambda_hooks`)."""
    engine, record, now = run.engine, run.record, run.now()
    if engine.get("hooksAt") != stage:
        engine["hooksAt"], engine["pending"] = stage, []
        for hook in record["deploymentConfiguration"].get("lifecycleHooks") or []:
            kind = hook.get("targetType") or "AWS_LAMBDA"
            if stage not in hook.get("lifecycleStages", []):
                continue
            timeout = hook_timeout(hook)
            detail = {
                "hookId": new_hook_id(run.ctx, "pause" if kind == "PAUSE" else "lambda"),
                "targetType": kind,
                "status": "AWAITING_ACTION" if kind == "PAUSE" else "IN_PROGRESS",
                "expiresAt": now + timeout["timeoutInMinutes"] * 60.0,
                "timeoutAction": timeout["action"],
            }
            if kind != "PAUSE":
                detail["targetArn"] = hook["hookTargetArn"]
                lambda_hooks.begin(run, detail["hookId"], hook)
            record["lifecycleHookDetails"].append(detail)
            engine["pending"].append(detail["hookId"])
    details = {d["hookId"]: d for d in record["lifecycleHookDetails"]}
    waiting, looks = [], []
    for hook_id in engine["pending"]:
        detail = details[hook_id]
        decision = engine["decisions"].pop(hook_id, None)
        if detail["targetType"] != "PAUSE" and now < detail["expiresAt"]:
            again = lambda_hooks.look(run, stage, detail)
            if again is not None:
                waiting.append(hook_id)
                looks.append(again)
        elif decision == "CONTINUE":
            detail["status"] = "SUCCEEDED"
        elif decision == "ROLLBACK":
            detail["status"] = "FAILED"
            raise Rollback(ROLLED_BACK_BY_HOOK.format(stage=stage))
        elif now >= detail["expiresAt"]:
            detail["status"] = "TIMED_OUT"
            if detail["timeoutAction"] == "ROLLBACK":
                raise Rollback(HOOK_TIMED_OUT.format(stage=stage, kind=_kind(detail)))
        else:
            waiting.append(hook_id)
            looks.append(detail["expiresAt"])
    engine["pending"] = waiting
    if waiting:
        return run.wait_until(min(looks))
    return NEXT


def _kind(detail: dict[str, Any]) -> str:
    return "pause" if detail["targetType"] == "PAUSE" else "lifecycle"


def _stage(
    stage: str, work: Step[ServiceDeploymentRun] | None = None
) -> Step[ServiceDeploymentRun]:
    """A lifecycle stage: its work (once), then its hooks."""

    def step(run: ServiceDeploymentRun) -> str | None:
        if work is not None and run.engine.get("worked") != stage:
            outcome = work(run)
            if outcome != NEXT:
                return outcome
            run.engine["worked"] = stage
        return _hooks(run, stage)

    step.__name__ = f"stage_{stage}"
    return step


# --- the steps ---------------------------------------------------------------------------------


def _pending(run: ServiceDeploymentRun) -> str | None:
    run.record["status"], run.record["startedAt"] = "IN_PROGRESS", run.now()
    if run.engine["initial"]:
        return "INITIAL"
    return "RECONCILE_SERVICE" if run.engine.get("supersedes") else "PRE_SCALE_UP"


def _initial(run: ServiceDeploymentRun) -> str | None:
    balancer = run.engine.get("balancer")
    if balancer and balancer.get("advancedConfiguration"):
        problem = network_problem(run.ctx, balancer)
        if problem:
            _finish(run, "STOPPED", problem)
            return "STOPPED"
    if not run.healthy("target"):
        return run.wait_until(0.0)
    return _succeeded(run)


def _reconcile(run: ServiceDeploymentRun) -> str | None:
    old = run.ctx.records(BLUE_GREEN).get(run.engine["supersedes"])
    if old is not None:
        saved = old["_engine"].get("rulesBefore") or {}
        if saved and run.engine.get("balancer"):
            restore(run.ctx, run.role, saved)
        other = ServiceDeploymentRun(run.ctx, old).set("target")
        if other is not None and other["id"] != run.engine["target"]["set"]:
            other["desiredCount"] = 0
            run.save_set(other)
    return NEXT


def _pre_scale_up(run: ServiceDeploymentRun) -> str | None:
    balancer = run.engine.get("balancer")
    if run.engine.get("source") is None:
        raise Rollback("Service deployment rolled back because the service has no revision to "
                       "deploy from.")  # fmt: skip
    if balancer:
        problem = network_problem(run.ctx, balancer)
        if problem:
            raise Rollback(problem)
        rules = [r for r in (run.rule("productionListenerRule"), run.rule("testListenerRule")) if r]
        run.engine["rulesBefore"] = snapshot(run.ctx, rules)
    return NEXT


def _scale_up(run: ServiceDeploymentRun) -> str | None:
    green = run.set("target")
    if green is None:
        raise Rollback("Service deployment rolled back because the green service revision's "
                       "tasks were removed.")  # fmt: skip
    if not run.engine.get("scaled"):
        green["desiredCount"] = run.service().get("desiredCount", 0)
        run.save_set(green)
        run.engine["scaled"] = True
    if run.healthy("target"):
        return NEXT
    return run.wait_until(0.0)


def _test_traffic_shift(run: ServiceDeploymentRun) -> str | None:
    rule = run.rule("testListenerRule")
    if rule:
        set_weights(run.ctx, run.role, "TEST_TRAFFIC_SHIFT", rule, run.weights(100.0))
    run.engine["testWeight"] = 100.0
    return NEXT


def _production_traffic_shift(run: ServiceDeploymentRun) -> str | None:
    engine = run.engine
    schedule = traffic_schedule(run.record["deploymentConfiguration"])
    if engine.get("stepDeadline") is None:
        weight, bake = schedule[engine["step"]]
        rule = run.rule("productionListenerRule")
        if rule:
            set_weights(run.ctx, run.role, "PRODUCTION_TRAFFIC_SHIFT", rule, run.weights(weight))
        engine["productionWeight"] = weight
        engine["stepDeadline"] = run.now() + bake
    if run.now() < engine["stepDeadline"]:
        return run.wait_until(engine["stepDeadline"])
    engine["stepDeadline"] = None
    engine["step"] += 1
    return "PRE_PRODUCTION_TRAFFIC_SHIFT" if engine["step"] < len(schedule) else NEXT


def _bake_time(run: ServiceDeploymentRun) -> str | None:
    engine = run.engine
    if engine.get("bakeDeadline") is None:
        minutes = run.record["deploymentConfiguration"].get("bakeTimeInMinutes") or 0
        engine["bakeDeadline"] = run.now() + minutes * 60.0
    if run.now() < engine["bakeDeadline"]:
        return run.wait_until(engine["bakeDeadline"])
    return NEXT


def _clean_up(run: ServiceDeploymentRun) -> str | None:
    blue = run.set("source")
    if blue is not None:
        if blue["desiredCount"]:
            blue["desiredCount"] = 0
            run.save_set(blue)
        return run.wait_until(0.0)  # the scheduler drains blue, then deletes its set
    return _succeeded(run)


def _rollback(run: ServiceDeploymentRun) -> str | None:
    """Blue back up (if it was scaled in), the rules as they were, green scaled in."""
    engine, record = run.engine, run.record
    record["status"] = "ROLLBACK_IN_PROGRESS"
    blue, green = run.set("source"), run.set("target")
    if blue is None:
        _finish(run, "ROLLBACK_FAILED", record.get("statusReason"))
        return "ROLLBACK_FAILED"
    if not engine.get("blueRestored"):
        service = run.service()
        blue["status"], blue["desiredCount"] = "PRIMARY", service.get("desiredCount", 0)
        run.save_set(blue)
        if green is not None:
            green["status"] = "ACTIVE"
            run.save_set(green)
        follow_primary(service, {**blue, "loadBalancers": service.get("loadBalancers", [])})
        run.save_service(service)
        engine["blueRestored"] = True
    if not run.healthy("source"):
        return run.wait_until(0.0)
    try:
        if engine.get("rulesBefore"):
            restore(run.ctx, run.role, engine["rulesBefore"])
    except Rollback as failure:
        _finish(run, "ROLLBACK_FAILED", failure.reason)
        return "ROLLBACK_FAILED"
    engine["productionWeight"] = engine["testWeight"] = 0.0
    if green is not None and green["desiredCount"]:
        green["desiredCount"] = 0
        run.save_set(green)
    _finish(run, "ROLLBACK_SUCCESSFUL", record.get("statusReason"))
    return "ROLLBACK_SUCCESSFUL"


def _succeeded(run: ServiceDeploymentRun) -> str:
    """The service runs the target revision: the deployment ends ``SUCCESSFUL``."""
    service = run.service()
    service["_revision"] = run.engine["target"]["revision"]
    run.save_service(service)
    alarms.completed(run.record)
    _finish(run, "SUCCESSFUL")
    return "SUCCESSFUL"


def _finish(run: ServiceDeploymentRun, status: str, reason: str | None = None) -> None:
    record = run.record
    record["status"] = status
    if reason:
        record["statusReason"] = reason
    if status == "STOPPED":
        record["stoppedAt"] = run.now()
    else:
        record["finishedAt"] = run.now()
    run.engine["pending"] = []


def begin_rollback(run: ServiceDeploymentRun, reason: str, *, requested: bool = False) -> str:
    """Turn a deployment back towards its source revision (``STOPPED`` when it has none)."""
    record, engine = run.record, run.engine
    if engine.get("source") is None:
        _finish(run, "STOPPED", reason)
        engine["phase"] = "STOPPED"
        return "STOPPED"
    record["status"] = "ROLLBACK_REQUESTED" if requested else "ROLLBACK_IN_PROGRESS"
    record["statusReason"] = reason
    record["rollback"] = {
        "reason": reason,
        "startedAt": run.now(),
        "serviceRevisionArn": engine["source"]["revision"],
    }
    for detail in record["lifecycleHookDetails"]:
        if detail["status"] in ("AWAITING_ACTION", "IN_PROGRESS"):
            detail["status"] = "FAILED"
    engine["pending"], engine["worked"], engine["hooksAt"] = [], None, None
    engine["phase"], engine["due"] = "ROLLBACK", 0.0
    return "ROLLBACK"


TRANSITIONS: dict[str, Transition[ServiceDeploymentRun]] = {
    "PENDING": Transition(_pending, "PRE_SCALE_UP"),
    "INITIAL": Transition(_initial, "SUCCESSFUL"),
    "RECONCILE_SERVICE": Transition(_stage("RECONCILE_SERVICE", _reconcile), "PRE_SCALE_UP"),
    "PRE_SCALE_UP": Transition(_stage("PRE_SCALE_UP", _pre_scale_up), "SCALE_UP"),
    "SCALE_UP": Transition(_stage("SCALE_UP", _scale_up), "POST_SCALE_UP"),
    "POST_SCALE_UP": Transition(_stage("POST_SCALE_UP"), "TEST_TRAFFIC_SHIFT"),
    "TEST_TRAFFIC_SHIFT": Transition(
        _stage("TEST_TRAFFIC_SHIFT", _test_traffic_shift), "POST_TEST_TRAFFIC_SHIFT"
    ),
    "POST_TEST_TRAFFIC_SHIFT": Transition(
        _stage("POST_TEST_TRAFFIC_SHIFT"), "PRE_PRODUCTION_TRAFFIC_SHIFT"
    ),
    "PRE_PRODUCTION_TRAFFIC_SHIFT": Transition(
        _stage("PRE_PRODUCTION_TRAFFIC_SHIFT"), "PRODUCTION_TRAFFIC_SHIFT"
    ),
    "PRODUCTION_TRAFFIC_SHIFT": Transition(
        _stage("PRODUCTION_TRAFFIC_SHIFT", _production_traffic_shift),
        "POST_PRODUCTION_TRAFFIC_SHIFT",
    ),
    "POST_PRODUCTION_TRAFFIC_SHIFT": Transition(
        _stage("POST_PRODUCTION_TRAFFIC_SHIFT"), "BAKE_TIME"
    ),
    "BAKE_TIME": Transition(_stage("BAKE_TIME", _bake_time), "CLEAN_UP"),
    "CLEAN_UP": Transition(_stage("CLEAN_UP", _clean_up), "SUCCESSFUL"),
    "ROLLBACK": Transition(_rollback, "ROLLBACK_SUCCESSFUL"),
}


def _rolled_back(run: ServiceDeploymentRun, failure: Rollback) -> str:
    """A failed step turns the deployment back towards blue: go on from ``ROLLBACK``."""
    return begin_rollback(run, failure.reason)


def _entered(run: ServiceDeploymentRun, phase: str) -> None:
    """After each move: the stage's markers cleared, the lifecycle stage shown."""
    run.engine["worked"] = run.engine["hooksAt"] = None
    if phase in STAGES:
        run.record["lifecycleStage"] = phase


def _save(run: ServiceDeploymentRun) -> None:
    run.record["updatedAt"] = run.now()
    run.ctx.records(BLUE_GREEN).put(run.record["serviceDeploymentArn"], run.record)


LIFECYCLE = Lifecycle(
    TRANSITIONS,
    terminal=TERMINAL,
    fails_with=Rollback,
    on_failure=_rolled_back,
    save=_save,
    on_move=_entered,
    only_changed=True,
    steps_per_phase=8,
)


def _alarmed(run: ServiceDeploymentRun) -> bool:
    """Its alarms read (:mod:`.alarms`): one in ALARM turns the deployment back (``rollback``)
    or stops it where it is, and it is stored. True when that happened."""
    names = alarms.triggered(run)
    if not names:
        return False
    reason = alarms.reason(run.record, names)
    if alarms.rolls_back(run.record):
        begin_rollback(run, reason)
    else:
        _finish(run, "STOPPED", reason)
        run.engine["phase"] = "STOPPED"
    _save(run)
    return True


def run(ctx: RequestContext, record: dict[str, Any]) -> dict[str, Any]:
    """Read its alarms, then take the deployment's steps until one waits or it ends; store it if
    they changed it; return it."""
    current = ServiceDeploymentRun(ctx, record)
    _alarmed(current)
    LIFECYCLE.run(current)
    return record


def advance(ctx: RequestContext) -> None:
    """Step every deployment of the region whose next look is due; read the alarms of those that
    watch some on every pass."""
    now = ctx.now()
    for record in ctx.records(BLUE_GREEN).list():
        if record["status"] in TERMINAL:
            continue
        if record["_engine"]["due"] <= now or _alarmed(ServiceDeploymentRun(ctx, record)):
            run(ctx, record)

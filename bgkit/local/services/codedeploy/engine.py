"""The lifecycle engine of CodeDeploy's ECS blue/green deployments, as a transition table.

A deployment's whole state is in its record (``_engine``, a
:class:`~.lifecycle.DeploymentState`): the phase it is in, the lifecycle events with their
statuses and times, the blue and green task sets and target groups, the listener actions from
before the deployment, and every deadline as a *local clock* time. Nothing is kept in memory
between two steps, so a restarted local cloud resumes each deployment where it was, with the same
deadlines.

:data:`TRANSITIONS` maps each phase to its step and the phase that follows; the local cloud's one
lifecycle machine (:mod:`bgkit.local.lifecycle`) steps it. A step either returns :data:`NEXT` (go
on to the table's next phase, at once), another phase's name (a branch), or ``None`` — wait,
having set ``due`` to the local time at which something can change (or to 0 to be looked at again
on the next pass, e.g. while the green tasks become healthy). A step raises
:class:`DeploymentFailure` to fail the deployment. :func:`run` takes steps until one waits, then
stores the record (always)::

    Created → BeforeInstall → Install → InstallWait → AfterInstall → AllowTestTraffic
      → AfterAllowTestTraffic → ReadyWait → BeforeAllowTraffic → AllowTraffic
      → AfterAllowTraffic → TerminationWait → Terminate → Succeeded
    (a rollback deployment)  Created → RollbackReroute → RollbackCleanup → Succeeded
    any step may end in Failed; StopDeployment, an expired ready wait and an alarm in ALARM
    (polled before every run while the deployment is in progress, :mod:`.alarms`) end in Stopped

The test-listener events are left out when the group has no test listener (as the 2018 sample
shows six events); a hook event with no function in the AppSpec succeeds at once, one with a
function runs it and waits for its answer (:mod:`.hooks`).
"""

from __future__ import annotations

from typing import Any

from bgkit.local.forwarding import weights_for
from bgkit.local.lifecycle import NEXT, Lifecycle, Step, Transition
from bgkit.local.provider import RequestContext
from bgkit.local.services.codedeploy import alarms, traffic
from bgkit.local.services.codedeploy.appspec import AppSpecError, parsed_appspec
from bgkit.local.services.codedeploy.configs import traffic_schedule
from bgkit.local.services.codedeploy.hooks import run_hook
from bgkit.local.services.codedeploy.lifecycle import (
    DeploymentFailure,
    DeploymentRun,
    fail,
    finish,
    stop,
)

#: [I] local seconds a deployment stays ``Created`` before it starts (AWS: about 0.2 s)
START_DELAY = 1.0
#: the Install timeout, and its message (CodeDeploy's troubleshooting guide)
INSTALL_TIMEOUT = 3600.0
INSTALL_TIMEOUT_MESSAGE = (
    "The deployment timed out while waiting for the replacement task set to become healthy. "
    "This time out period is 60 minutes."
)
READY_TIMEOUT_MESSAGE = (
    "The deployment timed out while waiting for a notification to continue. This time out "
    "period is {minutes} minutes."
)
TERMINAL = ("Succeeded", "Failed", "Stopped")


def _start(run: DeploymentRun) -> str | None:
    record, engine = run.record, run.engine
    if run.now() < record["createTime"] + START_DELAY:
        return run.wait_until(record["createTime"] + START_DELAY)
    if record["status"] == "Created":
        record["status"], record["startTime"] = "InProgress", run.now()
        run.set_target("InProgress")
        if engine.get("rollback"):
            return "RollbackReroute"
        run.begin("BeforeInstall")
    try:
        spec = parsed_appspec(engine["appSpecContent"])  # off the loop, with limits
    except AppSpecError as error:
        raise DeploymentFailure(error.code, error.message) from None
    if spec is None:  # still being parsed: look again on the next pass
        return run.wait_until(0)
    engine["appspec"] = {
        "taskDefinition": spec.task_definition,
        "containerName": spec.container_name,
        "containerPort": spec.container_port,
        "networkConfiguration": spec.network_configuration,
        "platformVersion": spec.platform_version,
        "capacityProviderStrategy": spec.capacity_provider_strategy,
        "hooks": dict(spec.hooks),
    }
    return NEXT


def _hook(event: str) -> Step[DeploymentRun]:
    """A hook event: the AppSpec's function for it runs (:func:`.hooks.run_hook`); with none, it
    succeeds at once."""

    def step(run: DeploymentRun) -> str | None:
        if not run.has_event(event):
            return NEXT
        function = (run.engine.get("appspec") or {}).get("hooks", {}).get(event)
        if function:
            return run_hook(run, event, function)
        run.begin(event)
        run.succeed(event)
        return NEXT

    step.__name__ = f"hook_{event}"
    return step


def _install(run: DeploymentRun) -> str | None:
    """Find blue, check the listeners, create green on the other group at 100 % scale."""
    ctx, engine = run.ctx, run.engine
    run.begin("Install")
    service = traffic.describe_service(ctx, run.role, engine["cluster"], engine["service"])
    engine["targetArn"] = service["serviceArn"]
    primary = next((s for s in service.get("taskSets", []) if s["status"] == "PRIMARY"), None)
    if primary is None:
        raise DeploymentFailure(
            "INVALID_ECS_SERVICE", f"The ECS service {engine['service']} has no PRIMARY task set"
        )
    pair = engine["targetGroupArns"]
    blue_group = next(
        (lb["targetGroupArn"] for lb in primary.get("loadBalancers", [])
         if lb.get("targetGroupArn") in pair),
        None,
    )  # fmt: skip
    if blue_group is None:
        raise DeploymentFailure(
            "ELASTIC_LOAD_BALANCING_INVALID",
            "A deployment group associated with an application that uses the ECS compute "
            "platform must contain a valid pair of target groups that identify a load balancer. "
            "The target group of the service's PRIMARY task set is not one of the pair.",
        )
    green_group = pair[1] if blue_group == pair[0] else pair[0]
    listeners = engine["prodListeners"] + engine["testListeners"]
    traffic.check_behind(ctx, listeners, blue_group)
    engine["listenersBefore"] = traffic.snapshot(ctx, listeners)
    engine["blue"] = {"taskSetArn": primary["taskSetArn"], "targetGroupArn": blue_group}
    traffic.attach_idle(ctx, run.role, listeners, blue_group, green_group)
    spec = engine["appspec"]
    params: dict[str, Any] = {
        "service": engine["service"],
        "cluster": engine["cluster"],
        "external_id": run.record["deploymentId"],
        "task_definition": spec["taskDefinition"],
        "load_balancers": [
            {
                "targetGroupArn": green_group,
                "containerName": spec["containerName"],
                "containerPort": spec["containerPort"],
            }
        ],
        "scale": {"value": 100.0, "unit": "PERCENT"},
    }
    network = spec.get("networkConfiguration") or primary.get("networkConfiguration")
    if network:
        params["network_configuration"] = network
    if spec.get("capacityProviderStrategy"):
        params["capacity_provider_strategy"] = spec["capacityProviderStrategy"]
    else:
        params["launch_type"] = primary.get("launchType", "FARGATE")
    if spec.get("platformVersion"):
        params["platform_version"] = spec["platformVersion"]
    made = traffic.call(ctx, run.role, "ecs", "CreateTaskSet", **params)["taskSet"]
    engine["green"] = {"taskSetArn": made["taskSetArn"], "targetGroupArn": green_group}
    engine["installDeadline"] = run.now() + INSTALL_TIMEOUT
    return NEXT


def _install_wait(run: DeploymentRun) -> str | None:
    engine = run.engine
    service = traffic.describe_service(run.ctx, run.role, engine["cluster"], engine["service"])
    green = traffic.task_set(service, engine["green"]["taskSetArn"])
    if green is None:
        raise DeploymentFailure(
            "ECS_UPDATE_ERROR", "The replacement task set was deleted before it became healthy."
        )
    if traffic.green_is_healthy(run.ctx, green, engine["green"]["targetGroupArn"]):
        run.succeed("Install")
        return NEXT
    if run.now() >= engine["installDeadline"]:
        raise DeploymentFailure("TIMEOUT", INSTALL_TIMEOUT_MESSAGE)
    return run.wait_until(0.0)  # look again on the next pass


def _allow_test_traffic(run: DeploymentRun) -> str | None:
    if not run.has_event("AllowTestTraffic"):
        return NEXT
    engine = run.engine
    run.begin("AllowTestTraffic")
    weights = {engine["green"]["targetGroupArn"]: 100, engine["blue"]["targetGroupArn"]: 0}
    for listener in engine["testListeners"]:
        traffic.set_weights(run.ctx, run.role, listener, weights)
    run.succeed("AllowTestTraffic")
    return NEXT


def _ready_wait(run: DeploymentRun) -> str | None:
    record, engine = run.record, run.engine
    ready = record["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    if ready["actionOnTimeout"] != "STOP_DEPLOYMENT":
        return NEXT
    if engine.get("continued") == "READY_WAIT":
        record["status"] = "InProgress"
        run.set_target("InProgress")
        return NEXT
    if engine.get("readyDeadline") is None:
        engine["readyDeadline"] = run.now() + ready["waitTimeInMinutes"] * 60.0
        record["status"] = "Ready"
        run.set_target("Ready")
    if run.now() >= engine["readyDeadline"]:
        message = READY_TIMEOUT_MESSAGE.format(minutes=ready["waitTimeInMinutes"])
        stop(run, "TIMEOUT", message, rollback=run.rolls_back_on("DEPLOYMENT_FAILURE"))
        return "Stopped"
    return run.wait_until(engine["readyDeadline"])


def _allow_traffic(run: DeploymentRun) -> str | None:
    """Shift production traffic by the configuration's schedule, then make green PRIMARY."""
    ctx, engine = run.ctx, run.engine
    if engine.get("shiftStart") is None:
        run.begin("AllowTraffic")
        engine["shiftStart"] = run.now()
    config = engine["config"]
    schedule = traffic_schedule(config)
    elapsed = run.now() - engine["shiftStart"]
    due = [weight for offset, weight in schedule if offset <= elapsed]
    weight = due[-1] if due else 0
    if weight != engine.get("weight", 0):
        blue, green = engine["blue"]["targetGroupArn"], engine["green"]["targetGroupArn"]
        for listener in engine["prodListeners"]:
            traffic.set_weights(ctx, run.role, listener, weights_for(blue, green, weight))
        engine["weight"] = weight
    if weight < 100:
        later = [engine["shiftStart"] + offset for offset, _ in schedule if offset > elapsed]
        return run.wait_until(min(later))
    traffic.call(
        ctx, run.role, "ecs", "UpdateServicePrimaryTaskSet", cluster=engine["cluster"],
        service=engine["service"], primary_task_set=engine["green"]["taskSetArn"],
    )  # fmt: skip
    run.succeed("AllowTraffic")
    return NEXT


def _after_allow_traffic(run: DeploymentRun) -> str | None:
    if _hook("AfterAllowTraffic")(run) != NEXT:
        return None  # the hook waits
    run.set_target("Succeeded")
    return NEXT


def _termination_wait(run: DeploymentRun) -> str | None:
    record, engine = run.record, run.engine
    if engine.get("terminationDeadline") is None:
        minutes = record["blueGreenDeploymentConfiguration"][
            "terminateBlueInstancesOnDeploymentSuccess"
        ]["terminationWaitTimeInMinutes"]
        engine["terminationDeadline"] = run.now() + minutes * 60.0
        record["instanceTerminationWaitTimeStarted"] = True
    if engine.get("continued") == "TERMINATION_WAIT" or run.now() >= engine["terminationDeadline"]:
        return NEXT
    return run.wait_until(engine["terminationDeadline"])


def _terminate(run: DeploymentRun) -> str | None:
    engine = run.engine
    traffic.call(
        run.ctx, run.role, "ecs", "DeleteTaskSet", cluster=engine["cluster"],
        service=engine["service"], task_set=engine["blue"]["taskSetArn"],
    )  # fmt: skip
    finish(run, "Succeeded")
    return "Succeeded"


def _rollback_reroute(run: DeploymentRun) -> str | None:
    """Listeners back to blue, blue PRIMARY again (a rollback deployment)."""
    ctx, engine = run.ctx, run.engine
    for event in ("BeforeInstall", "Install", "AfterInstall"):
        run.skip(event)
    if run.has_event("AllowTestTraffic"):
        run.begin("AllowTestTraffic")
    run.begin("AllowTraffic")
    traffic.restore(ctx, run.role, engine.get("listenersBefore") or {})
    blue = engine.get("blue") or {}
    service = traffic.describe_service(ctx, run.role, engine["cluster"], engine["service"])
    current = traffic.task_set(service, blue.get("taskSetArn"))
    if current is not None and current["status"] != "PRIMARY":
        traffic.call(
            ctx, run.role, "ecs", "UpdateServicePrimaryTaskSet", cluster=engine["cluster"],
            service=engine["service"], primary_task_set=blue["taskSetArn"],
        )  # fmt: skip
    for event in run.event_names():
        if event not in ("BeforeInstall", "Install", "AfterInstall"):
            run.begin(event)
            run.succeed(event)
    engine["weight"] = 0
    return NEXT


def _rollback_cleanup(run: DeploymentRun) -> str | None:
    """The replacement task set is deleted; the rollback has succeeded."""
    engine = run.engine
    green = engine.get("green") or {}
    service = traffic.describe_service(run.ctx, run.role, engine["cluster"], engine["service"])
    if traffic.task_set(service, green.get("taskSetArn")) is not None:
        traffic.call(
            run.ctx, run.role, "ecs", "DeleteTaskSet", cluster=engine["cluster"],
            service=engine["service"], task_set=green["taskSetArn"],
        )  # fmt: skip
    run.set_target("Succeeded")
    finish(run, "Succeeded")
    return "Succeeded"


TRANSITIONS: dict[str, Transition[DeploymentRun]] = {
    "Created": Transition(_start, "BeforeInstall"),
    "BeforeInstall": Transition(_hook("BeforeInstall"), "Install"),
    "Install": Transition(_install, "InstallWait"),
    "InstallWait": Transition(_install_wait, "AfterInstall"),
    "AfterInstall": Transition(_hook("AfterInstall"), "AllowTestTraffic"),
    "AllowTestTraffic": Transition(_allow_test_traffic, "AfterAllowTestTraffic"),
    "AfterAllowTestTraffic": Transition(_hook("AfterAllowTestTraffic"), "ReadyWait"),
    "ReadyWait": Transition(_ready_wait, "BeforeAllowTraffic"),
    "BeforeAllowTraffic": Transition(_hook("BeforeAllowTraffic"), "AllowTraffic"),
    "AllowTraffic": Transition(_allow_traffic, "AfterAllowTraffic"),
    "AfterAllowTraffic": Transition(_after_allow_traffic, "TerminationWait"),
    "TerminationWait": Transition(_termination_wait, "Terminate"),
    "Terminate": Transition(_terminate, "Succeeded"),
    "RollbackReroute": Transition(_rollback_reroute, "RollbackCleanup"),
    "RollbackCleanup": Transition(_rollback_cleanup, "Succeeded"),
}


def _failed(run: DeploymentRun, failure: DeploymentFailure) -> None:
    """A failed step ends the deployment ``Failed`` (and may start its rollback): stop stepping."""
    fail(run, failure.code, failure.message)


LIFECYCLE = Lifecycle(
    TRANSITIONS,
    terminal=TERMINAL,
    fails_with=DeploymentFailure,
    on_failure=_failed,
    save=DeploymentRun.save,
    steps_per_phase=4,
)


def run(ctx: RequestContext, record: dict[str, Any]) -> dict[str, Any]:
    """Poll the alarms it watches (:mod:`.alarms`), then take the deployment's steps until one
    waits or it ends; store it; return it."""
    current = DeploymentRun(ctx, record)
    if alarms.poll(current):
        current.save()
        return record
    LIFECYCLE.run(current)
    alarms.reschedule(current)
    return record

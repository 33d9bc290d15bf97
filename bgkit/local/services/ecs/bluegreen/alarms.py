"""CloudWatch alarms that fail an ECS built-in blue/green deployment (``deploymentConfiguration.
alarms``: ``alarmNames``, ``enable``, ``rollback``).

A deployment of a service whose configuration enables alarms shows them as ``alarms`` (the
``ServiceDeploymentAlarms`` shape): ``MONITORING`` with the alarm names while it is in progress,
``MONITORING_COMPLETE`` once it has succeeded, ``TRIGGERED`` with ``triggeredAlarmNames`` when one
went into ``ALARM``; ``DISABLED`` otherwise. :func:`triggered` reads the alarms of a deployment in
progress — every stage after it started, bake time included — as the ECS Developer Guide, *How
CloudWatch alarms detect Amazon ECS deployment failures*, describes: "Amazon ECS considers the
service deployment as failed when any of the alarms move to the ALARM state"; with ``rollback``
the engine turns it back to the source revision, without it the deployment stops where it is.
An alarm name that is no alarm is never in ``ALARM`` (ECS has no ``ignorePollAlarmFailure``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bgkit.local.services.cloudwatch.models import alarm_states, partition_of

if TYPE_CHECKING:  # deployments.py makes the records with initial_status
    from bgkit.local.services.ecs.bluegreen.deployments import ServiceDeploymentRun

#: [I] ECS's service event for it is "deployment failed: alarm detected."; the service
#: deployment's statusReason is not published
ROLLED_BACK = (
    "Service deployment rolled back because the CloudWatch alarm(s) {names} went into ALARM state."
)
STOPPED = (
    "Service deployment stopped because the CloudWatch alarm(s) {names} went into ALARM state."
)
#: the phases in which a deployment is watched (it has started, and is not going back)
UNWATCHED = ("PENDING", "INITIAL", "ROLLBACK")


def configured(config: dict[str, Any]) -> dict[str, Any] | None:
    """The ``alarms`` of a ``deploymentConfiguration`` when they are enabled, else ``None``."""
    alarms = config.get("alarms") or {}
    return alarms if alarms.get("enable") and alarms.get("alarmNames") else None


def initial_status(config: dict[str, Any]) -> dict[str, Any]:
    """A new deployment's ``alarms`` member."""
    alarms = configured(config)
    if alarms is None:
        return {"status": "DISABLED"}
    return {"status": "MONITORING", "alarmNames": list(alarms["alarmNames"])}


def triggered(run: ServiceDeploymentRun) -> list[str]:
    """The deployment's alarms in ``ALARM`` now (none when it watches none or is not watched in
    its phase); marks the deployment's ``alarms`` ``TRIGGERED`` when there are some."""
    record = run.record
    alarms = configured(record["deploymentConfiguration"])
    if alarms is None or record["status"] != "IN_PROGRESS":
        return []
    if run.engine["phase"] in UNWATCHED or run.engine["initial"]:
        return []
    ctx = run.ctx
    states = alarm_states(ctx.store, partition_of(ctx.account, ctx.region), alarms["alarmNames"])
    names = [name for name, state in states.items() if state == "ALARM"]
    if names:
        record["alarms"] = {
            "status": "TRIGGERED",
            "alarmNames": list(alarms["alarmNames"]),
            "triggeredAlarmNames": names,
        }
    return names


def rolls_back(record: dict[str, Any]) -> bool:
    """Whether an alarm turns the deployment back (``alarms.rollback``)."""
    return bool((configured(record["deploymentConfiguration"]) or {}).get("rollback"))


def reason(record: dict[str, Any], names: list[str]) -> str:
    """The ``statusReason`` of a deployment its alarms failed."""
    text = ROLLED_BACK if rolls_back(record) else STOPPED
    return text.format(names=", ".join(names))


def completed(record: dict[str, Any]) -> None:
    """A deployment that succeeded has finished monitoring its alarms."""
    if record.get("alarms", {}).get("status") == "MONITORING":
        record["alarms"]["status"] = "MONITORING_COMPLETE"

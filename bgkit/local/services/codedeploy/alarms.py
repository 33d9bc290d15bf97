"""CloudWatch alarms that stop a CodeDeploy deployment: the group's ``alarmConfiguration``.

:func:`check_alarm_configuration` validates an ``alarmConfiguration`` (CreateDeploymentGroup,
UpdateDeploymentGroup, CreateDeployment's ``overrideAlarmConfiguration``) as the model documents
``InvalidAlarmConfigException`` and ``AlarmsLimitExceededException``: at most 10 alarms, each
named (1 to 255 characters) and named once, at least one when the configuration is enabled.

:func:`poll` reads the alarms a deployment watches while it is in progress — every lifecycle
stage, the wait for reroute and the termination wait included — and ends it when one of them is
in ``ALARM``: ``Stopped`` with ``errorInformation`` ``ALARM_ACTIVE`` in AWS's words, and rolled
back like any stopped deployment when its ``autoRollbackConfiguration`` names
``DEPLOYMENT_STOP_ON_ALARM`` (CodeDeploy User Guide, *Monitoring deployments with CloudWatch
alarms in CodeDeploy*: "If any of the specified alarms are activated, the deployment stops, and
the status is updated to Stopped"). An alarm that does not exist is a poll failure: ignored with
``ignorePollAlarmFailure``, else the deployment stops the same way ("false: The deployment stops
if alarm status information can't be retrieved", the ``AlarmConfiguration`` reference).
:func:`reschedule` has a deployment that watches alarms looked at again at least every
:data:`POLL_EVERY` local seconds, whatever it waits for.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.services.cloudwatch.models import alarm_states, partition_of
from bgkit.local.services.codedeploy.lifecycle import DeploymentRun, stop
from bgkit.local.services.codedeploy.models import ACTIVE

#: the model's limit (``AlarmsLimitExceededException``: "The maximum number of alarms for a
#: deployment group (10) was exceeded.")
MAX_ALARMS = 10
MAX_NAME = 255
#: [I] local seconds between two polls of a deployment's alarms (AWS does not publish its pace;
#: the alarms themselves change at most once a minute)
POLL_EVERY = 10.0
#: the message of ``ALARM_ACTIVE`` as CodeDeploy writes it (seen in GetDeployment's output)
ALARM_ACTIVE = (
    "One or more alarms have been activated according to the Amazon CloudWatch metrics you "
    "selected, and the affected deployments have been stopped. Activated alarms: {names}"
)
#: [I] AWS's words (and code) for an alarm it cannot read are not published
POLL_FAILED = (
    "The deployment was stopped because the state of its alarms could not be retrieved from "
    "Amazon CloudWatch: no alarm named {names} in this Region. Create the alarm, remove it from "
    "the alarm configuration, or set ignorePollAlarmFailure to let deployments go on."
)
DISABLED = {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []}


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidAlarmConfigException", message)


def check_alarm_configuration(config: dict[str, Any] | None) -> dict[str, Any]:
    """An ``alarmConfiguration`` as a group keeps it (all three members), or CodeDeploy's
    refusal naming what to fix."""
    if config is None:
        return dict(DISABLED)
    enabled = bool(config.get("enabled"))
    alarms = config.get("alarms")
    if alarms is None and enabled:
        raise _invalid("The alarm configuration is enabled but its alarm list is null: name at "
                       "least one CloudWatch alarm in alarms.")  # fmt: skip
    names: list[str] = []
    for alarm in alarms or []:
        name = (alarm or {}).get("name")
        if not name or len(name) > MAX_NAME:
            raise _invalid(f"Each alarm must have a name of 1 to {MAX_NAME} characters; "
                           f"got {name!r}.")  # fmt: skip
        if name in names:
            raise _invalid(f"The alarm {name} is named twice: name each alarm once.")
        names.append(name)
    if len(names) > MAX_ALARMS:
        raise ServiceError(
            "AlarmsLimitExceededException",
            f"The maximum number of alarms for a deployment group ({MAX_ALARMS}) was exceeded: "
            f"{len(names)} were given.",
        )
    if enabled and not names:
        raise _invalid("The alarm configuration is enabled but the alarm list is empty: name at "
                       "least one CloudWatch alarm, or set enabled to false.")  # fmt: skip
    return {
        "enabled": enabled,
        "ignorePollAlarmFailure": bool(config.get("ignorePollAlarmFailure")),
        "alarms": [{"name": name} for name in names],
    }


def _watched(run: DeploymentRun) -> dict[str, Any] | None:
    """The alarm configuration the deployment watches now, or ``None``."""
    config = run.engine.get("alarmConfiguration") or DISABLED
    if run.engine.get("rollback") or not config["enabled"] or not config["alarms"]:
        return None
    if run.record["status"] not in ("InProgress", "Ready"):
        return None
    return config


def reschedule(run: DeploymentRun) -> None:
    """Index a deployment that watches alarms to be looked at again within :data:`POLL_EVERY`
    (its own ``due`` stays what its step set)."""
    due = run.engine["due"]
    if _watched(run) is None or run.engine["phase"] in ("Succeeded", "Failed", "Stopped"):
        return
    if due and due > run.now() + POLL_EVERY:
        deployment_id = run.record["deploymentId"]
        entry = {"deploymentId": deployment_id, "due": run.now() + POLL_EVERY}
        run.ctx.records(ACTIVE).put(deployment_id, entry)


def poll(run: DeploymentRun) -> bool:
    """Read the deployment's alarms; end it when one is in ``ALARM`` (or cannot be read and the
    configuration does not ignore that). True when it has ended."""
    config = _watched(run)
    if config is None:
        return False
    ctx = run.ctx
    names = [alarm["name"] for alarm in config["alarms"]]
    states = alarm_states(ctx.store, partition_of(ctx.account, ctx.region), names)
    active = [name for name, state in states.items() if state == "ALARM"]
    missing = [name for name, state in states.items() if state is None]
    rollback = run.rolls_back_on("DEPLOYMENT_STOP_ON_ALARM")
    if active:
        message = ALARM_ACTIVE.format(names=" ".join(f"<{name}>" for name in active))
        stop(run, "ALARM_ACTIVE", message, rollback=rollback)
        return True
    if missing and not config["ignorePollAlarmFailure"]:
        stop(run, "ALARM_ACTIVE", POLL_FAILED.format(names=", ".join(missing)), rollback=rollback)
        return True
    return False

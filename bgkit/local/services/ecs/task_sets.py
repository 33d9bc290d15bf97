"""ECS task sets: :class:`TaskSetOperations`, and making the sets the scheduler keeps running.

A service's tasks belong to a *set*. ``CODE_DEPLOY`` and ``EXTERNAL`` services have task sets
(``task-set`` records: ``PRIMARY``, ``ACTIVE`` or ``DRAINING``, at ``computedDesiredCount =
ceil(desiredCount × scale %)``); ``ECS``-controller services have rolling deployments
(``deployment`` records, shown in ``deployments``). Both are made by :func:`new_set`.

Users manage task sets only on ``EXTERNAL`` services; on ``CODE_DEPLOY`` services only the local
CodeDeploy may, calling these methods with ``ctx.caller == "codedeploy.amazonaws.com"`` (and its
service role in ``ctx.extras["role_arn"]``, which must be allowed to pass the task roles).
When the primary set changes, the service's task definition, load balancers and network
configuration follow it.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.capacity import check_strategy, placed
from bgkit.local.services.ecs.checks import (
    check_launch_type,
    check_load_balancers,
    check_network,
    check_pass_role,
)
from bgkit.local.services.ecs.models import (
    CLUSTER,
    CODEDEPLOY,
    DEPLOYMENT,
    SERVICE,
    TASK_SET,
    computed_desired,
    described,
    find_service,
    invalid,
    names,
    service_key_of,
    set_id,
    sets_of,
    show_set,
    task_set_arn,
    usable_task_definition,
)

MAX_TASK_SETS = 5


def new_set(
    ctx: RequestContext,
    service: dict[str, Any],
    task_definition: dict[str, Any],
    *,
    kind: str = TASK_SET,
    status: str = "PRIMARY",
    load_balancers: list[dict[str, Any]] | None = None,
    network: dict[str, Any] | None = None,
    scale: dict[str, Any] | None = None,
    external_id: str | None = None,
    started_by: str | None = None,
    launch_type: str | None = None,
    capacity_provider_strategy: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Make and store a task set (``kind`` ``task-set``) or a rolling deployment, of
    ``launch_type`` or ``capacity_provider_strategy``, else its service's."""
    strategy = capacity_provider_strategy or (
        None if launch_type else service.get("capacityProviderStrategy")
    )
    launch = None if strategy else launch_type or service.get("launchType", "FARGATE")
    key = service_key_of(service)
    identifier, created = set_id(ctx, kind, key)
    common = {
        "id": identifier,
        "status": status,
        "taskDefinition": task_definition["taskDefinitionArn"],
        "pendingCount": 0,
        "runningCount": 0,
        "createdAt": created,
        "updatedAt": created,
        **placed(launch, strategy),
        "_service_key": key,
        "_failures": 0,
        "_backoff_until": 0.0,
    }
    if network:
        common["networkConfiguration"] = network
    if kind == DEPLOYMENT:
        record = {
            **common,
            "desiredCount": service["desiredCount"],
            "failedTasks": 0,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {identifier} in progress.",
            "_load_balancers": load_balancers or [],
        }
        ctx.records(DEPLOYMENT).put(f"{key}/{identifier}", record)
        return record
    scale = scale or {"value": 100.0, "unit": "PERCENT"}
    arn = task_set_arn(ctx, key, identifier)
    record = {
        **common,
        "taskSetArn": arn,
        "serviceArn": service["serviceArn"],
        "clusterArn": service["clusterArn"],
        "computedDesiredCount": computed_desired(service["desiredCount"], scale),
        "loadBalancers": load_balancers or [],
        "serviceRegistries": [],
        "scale": scale,
        "stabilityStatus": "STABILIZING",
        "stabilityStatusAt": created,
        "tags": [],
    }
    if started_by:
        record["startedBy"] = started_by
    if external_id:
        record["externalId"] = external_id
    ctx.records(TASK_SET).put(arn, record)
    return record


def follow_primary(service: dict[str, Any], primary: dict[str, Any]) -> None:
    """The service takes its task definition, load balancers and network from its primary."""
    service["taskDefinition"] = primary["taskDefinition"]
    service["loadBalancers"] = primary.get("loadBalancers", service.get("loadBalancers", []))
    if primary.get("networkConfiguration"):
        service["networkConfiguration"] = primary["networkConfiguration"]
    if primary.get("capacityProviderStrategy"):
        service.pop("launchType", None)
        service["capacityProviderStrategy"] = primary["capacityProviderStrategy"]
    elif primary.get("launchType"):
        service.pop("capacityProviderStrategy", None)
        service["launchType"] = primary["launchType"]


def _check_scale(scale: dict[str, Any] | None) -> dict[str, Any]:
    scale = {"value": 100.0, "unit": "PERCENT", **(scale or {})}
    if scale["unit"] != "PERCENT" or not 0 <= float(scale["value"]) <= 100:
        raise invalid("Scale value must be between 0 and 100 PERCENT.")
    return {"value": float(scale["value"]), "unit": "PERCENT"}


class TaskSetOperations:
    """CreateTaskSet and its neighbours, mixed into the ECS provider."""

    def _managed_service(
        self, ctx: RequestContext, cluster: str, service: str, *, active: bool = True
    ) -> dict[str, Any]:
        """A service whose task sets the caller may manage."""
        record = find_service(ctx, cluster, service, active=active)
        controller = record["deploymentController"]["type"]
        if controller == "EXTERNAL" or (controller == "CODE_DEPLOY" and ctx.caller == CODEDEPLOY):
            return record
        raise invalid(
            "Amazon ECS only supports task set management on services configured to use "
            "external deployment controllers."
        )

    def _set_named(
        self, ctx: RequestContext, service: dict[str, Any], ref: str
    ) -> dict[str, Any] | None:
        """The task set of ``service`` that ``ref`` (its id or ARN) names, or ``None``."""
        for record in sets_of(ctx, service_key_of(service)):
            if ref == record["id"] or names(ref, record["taskSetArn"]):
                return record
        return None

    def _find_set(self, ctx: RequestContext, service: dict[str, Any], ref: str) -> dict[str, Any]:
        record = self._set_named(ctx, service, ref)
        if record is None:
            raise ServiceError("TaskSetNotFoundException", "The specified task set does not exist.")
        return record

    def create_task_set(
        self,
        ctx: RequestContext,
        service: str,
        cluster: str,
        task_definition: str,
        external_id: str | None = None,
        network_configuration: dict[str, Any] | None = None,
        load_balancers: list[dict[str, Any]] | None = None,
        launch_type: str | None = None,
        scale: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        record = self._managed_service(ctx, cluster, service)
        key = service_key_of(record)
        existing = sets_of(ctx, key)
        if len(existing) >= MAX_TASK_SETS:
            raise invalid(
                f"{len(existing)} deployments exist on the service. Unable to create new TaskSet "
                "since this exceeds the maximum limit."
            )
        strategy = others.get("capacity_provider_strategy")
        check_launch_type(launch_type, strategy, "task sets")
        if strategy:
            cluster = ctx.records(CLUSTER).get(record["clusterArn"].rsplit("/", 1)[-1]) or {}
            strategy = check_strategy(strategy, cluster.get("capacityProviders", []))
        launch_type = launch_type or (None if strategy else record.get("launchType"))
        definition = usable_task_definition(ctx, task_definition)
        network = check_network(
            ctx, definition, network_configuration or record.get("networkConfiguration")
        )
        balancers = check_load_balancers(ctx, definition, load_balancers)
        check_pass_role(ctx, definition)
        made = new_set(
            ctx,
            record,
            definition,
            status="ACTIVE" if existing else "PRIMARY",
            load_balancers=balancers,
            network=network,
            scale=_check_scale(scale),
            external_id=external_id,
            launch_type=launch_type,
            capacity_provider_strategy=strategy,
            started_by="CODE_DEPLOY" if ctx.caller == CODEDEPLOY else None,
        )
        if tags:
            made["tags"] = list(tags)
            ctx.records(TASK_SET).put(made["taskSetArn"], made)
        if not existing:
            follow_primary(record, made)
            ctx.records(SERVICE).put(key, record)
        return {"taskSet": show_set(made)}

    def describe_task_sets(
        self,
        ctx: RequestContext,
        cluster: str,
        service: str,
        task_sets: list[str] | None = None,
        include: list[str] | None = None,
    ) -> dict[str, Any]:
        record = find_service(ctx, cluster, service)
        if task_sets is None:
            found = sets_of(ctx, service_key_of(record))
            return {"taskSets": [show_set(s) for s in found], "failures": []}
        return described(
            "taskSets", task_sets, lambda ref: self._set_named(ctx, record, ref), show_set
        )

    def update_task_set(
        self, ctx: RequestContext, cluster: str, service: str, task_set: str, scale: dict[str, Any]
    ) -> dict[str, Any]:
        record = self._managed_service(ctx, cluster, service)
        found = self._find_set(ctx, record, task_set)
        found["scale"] = _check_scale(scale)
        found["computedDesiredCount"] = computed_desired(record["desiredCount"], found["scale"])
        found["updatedAt"] = ctx.now()
        ctx.records(TASK_SET).put(found["taskSetArn"], found)
        return {"taskSet": show_set(found)}

    def update_service_primary_task_set(
        self, ctx: RequestContext, cluster: str, service: str, primary_task_set: str
    ) -> dict[str, Any]:
        record = self._managed_service(ctx, cluster, service)
        found = self._find_set(ctx, record, primary_task_set)
        if found["status"] == "DRAINING":
            raise invalid("The specified task set is DRAINING and cannot be made primary.")
        key = service_key_of(record)
        now = ctx.now()
        for other in sets_of(ctx, key):
            if other["status"] == "PRIMARY" and other["id"] != found["id"]:
                other["status"], other["updatedAt"] = "ACTIVE", now
                ctx.records(TASK_SET).put(other["taskSetArn"], other)
        found["status"], found["updatedAt"] = "PRIMARY", now
        ctx.records(TASK_SET).put(found["taskSetArn"], found)
        follow_primary(record, found)
        ctx.records(SERVICE).put(key, record)
        return {"taskSet": show_set(found)}

    def delete_task_set(
        self,
        ctx: RequestContext,
        cluster: str,
        service: str,
        task_set: str,
        force: bool | None = None,
    ) -> dict[str, Any]:
        record = self._managed_service(ctx, cluster, service, active=False)
        found = self._find_set(ctx, record, task_set)
        if found["computedDesiredCount"] > 0 and not force and ctx.caller != CODEDEPLOY:
            raise invalid(
                "The task set cannot be deleted while it is scaled above 0; scale it to 0 with "
                "UpdateTaskSet first, or pass force."
            )
        if found["status"] != "DRAINING":
            found["status"], found["updatedAt"] = "DRAINING", ctx.now()
            found["computedDesiredCount"] = 0
            found["stabilityStatus"], found["stabilityStatusAt"] = "STABILIZING", ctx.now()
            ctx.records(TASK_SET).put(found["taskSetArn"], found)
        return {"taskSet": show_set(found)}

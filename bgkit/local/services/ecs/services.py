"""ECS services: :class:`ServiceOperations` (CreateService … DeleteService).

A service runs on Fargate with one of three deployment controllers. ``ECS`` (rolling): a
``deployment`` set a task definition, shown in ``deployments``; a new task definition (or
``forceNewDeployment``) starts a new primary deployment and the old one is scaled in once the new
one is steady — unless its ``deploymentConfiguration.strategy`` is ``BLUE_GREEN``, ``LINEAR`` or
``CANARY``: then a service deployment of :mod:`.bluegreen.engine` shifts traffic on the listener
rules of ``loadBalancers[].advancedConfiguration``. ``CODE_DEPLOY``: a ``PRIMARY`` task set made
at once, ``deployments`` stays empty, and only the members AWS allows may be updated (the rest
are CodeDeploy's job, with AWS's exact messages). ``EXTERNAL``: task sets made by the user.
Deleting a service drains it (``DRAINING``) until its tasks are gone (``INACTIVE``).
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.bluegreen import engine as bluegreen
from bgkit.local.services.ecs.bluegreen.config import (
    check_advanced,
    check_deployment_configuration,
)
from bgkit.local.services.ecs.capacity import new_strategy, placed, placement
from bgkit.local.services.ecs.checks import (
    check_desired_count,
    check_launch_type,
    check_load_balancers,
    check_network,
)
from bgkit.local.services.ecs.models import (
    DEPLOYMENT,
    PAGER,
    SERVICE,
    TASK_SET,
    TRAFFIC_STRATEGIES,
    as_arn,
    computed_desired,
    described,
    find_cluster,
    find_service,
    invalid,
    named_service,
    service_arn,
    service_key,
    service_key_of,
    set_key_of,
    sets_of,
    show_service,
    strategy_of,
    usable_task_definition,
)
from bgkit.local.services.ecs.task_sets import follow_primary, new_set

CONTROLLERS = ("ECS", "CODE_DEPLOY", "EXTERNAL")
CODE_DEPLOY_FIXED = (
    ("task_definition", "task definition"),
    ("load_balancers", "load balancers"),
    ("network_configuration", "network parameters"),
    ("platform_version", "platform version"),
    ("capacity_provider_strategy", "capacity provider strategy"),
    ("service_registries", "service registries"),
)
DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
MAX_DESCRIBE = 10


def _check_controller_rules(
    controller: str,
    load_balancers: list[dict[str, Any]] | None,
    grace: int | None,
    deployment_configuration: dict[str, Any] | None,
) -> None:
    if controller not in CONTROLLERS:
        raise invalid(f"Invalid deployment controller type: {controller}")
    if controller == "CODE_DEPLOY" and not load_balancers:
        raise invalid(
            "A service configured with the CODE_DEPLOY deployment controller requires a load "
            "balancer (an Application or Network Load Balancer target group)."
        )
    if grace is not None and not load_balancers:
        raise invalid(
            "Health check grace period is only valid for services configured to use load balancers"
        )
    config = deployment_configuration or {}
    if controller != "ECS" and (config.get("alarms") or {}).get("enable"):
        raise invalid(
            "Alarm based rollback feature is only supported with ECS deployment controller. "
            "Update to ECS deployment controller and try again."
        )


def role_arn(ctx: RequestContext, role: str) -> str:
    """The ARN of CreateService's ``role``, shown as the service's ``roleArn``.

    The model's ``CreateServiceRequest.role``: "The name or full Amazon Resource Name (ARN) of the
    IAM role … If your specified role has a path other than /, then you must either specify the
    full role ARN (this is recommended) or prefix the role name with the path."
    """
    return role if role.startswith("arn:") else ctx.arn("iam", f"role/{role}", global_=True)


class ServiceOperations:
    """CreateService, DescribeServices, ListServices, UpdateService and DeleteService."""

    def create_service(
        self,
        ctx: RequestContext,
        service_name: str,
        cluster: str | None = None,
        task_definition: str | None = None,
        load_balancers: list[dict[str, Any]] | None = None,
        desired_count: int | None = None,
        launch_type: str | None = None,
        capacity_provider_strategy: list[dict[str, Any]] | None = None,
        platform_version: str | None = None,
        deployment_configuration: dict[str, Any] | None = None,
        network_configuration: dict[str, Any] | None = None,
        health_check_grace_period_seconds: int | None = None,
        scheduling_strategy: str | None = None,
        deployment_controller: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
        enable_ecs_managed_tags: bool | None = None,
        propagate_tags: str | None = None,
        placement_constraints: list[dict[str, Any]] | None = None,
        placement_strategy: list[dict[str, Any]] | None = None,
        role: str | None = None,
        service_registries: list[dict[str, Any]] | None = None,
        enable_execute_command: bool | None = None,
        availability_zone_rebalancing: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        check_launch_type(launch_type, capacity_provider_strategy, "services")
        found_cluster = find_cluster(ctx, cluster)
        launch, providers = placement(found_cluster, launch_type, capacity_provider_strategy)
        controller = (deployment_controller or {}).get("type", "ECS")
        _check_controller_rules(
            controller, load_balancers, health_check_grace_period_seconds, deployment_configuration
        )
        check_deployment_configuration(deployment_configuration, controller)
        if (scheduling_strategy or "REPLICA") != "REPLICA":
            raise invalid("Fargate and the bgkit local cloud support the REPLICA strategy only.")
        check_desired_count(desired_count)
        desired = desired_count or 0
        definition = None
        if controller != "EXTERNAL" or task_definition:
            definition = usable_task_definition(ctx, task_definition)
        network = (
            check_network(ctx, definition, network_configuration)
            if definition
            else (network_configuration)
        )
        balancers = check_load_balancers(ctx, definition, load_balancers) if definition else []
        strategy = (deployment_configuration or {}).get("strategy") or "ROLLING"
        balancers = check_advanced(ctx, load_balancers, balancers, strategy)
        key = service_key(found_cluster["clusterName"], service_name)
        existing = ctx.records(SERVICE).get(key)
        if existing is not None and existing["status"] != "INACTIVE":
            raise invalid("Creation of service was not idempotent.")
        if existing is not None:
            for kind in (TASK_SET, DEPLOYMENT):
                for old in sets_of(ctx, key, kind):
                    ctx.records(kind).delete(set_key_of(old))
        now = ctx.now()
        record: dict[str, Any] = {
            "serviceArn": service_arn(ctx, found_cluster["clusterName"], service_name),
            "serviceName": service_name,
            "clusterArn": found_cluster["clusterArn"],
            "loadBalancers": balancers,
            "serviceRegistries": service_registries or [],
            "status": "ACTIVE",
            "desiredCount": desired,
            "runningCount": 0,
            "pendingCount": 0,
            **placed(launch, providers, platform_version or "LATEST"),
            "deploymentConfiguration": {
                **DEFAULT_DEPLOYMENT_CONFIGURATION,
                **(deployment_configuration or {}),
            },
            "events": [],
            "createdAt": now,
            "placementConstraints": placement_constraints or [],
            "placementStrategy": placement_strategy or [],
            "schedulingStrategy": "REPLICA",
            "deploymentController": {"type": controller},
            "createdBy": ctx.arn("iam", "root", global_=True),
            "enableECSManagedTags": bool(enable_ecs_managed_tags),
            "propagateTags": propagate_tags or "NONE",
            "enableExecuteCommand": bool(enable_execute_command),
            "availabilityZoneRebalancing": availability_zone_rebalancing or "DISABLED",
            "_tags": list(tags or []),
            "_steady": False,
        }
        if definition:
            record["taskDefinition"] = definition["taskDefinitionArn"]
        if role:
            record["roleArn"] = role_arn(ctx, role)
        if network:
            record["networkConfiguration"] = network
        if health_check_grace_period_seconds is not None:
            record["healthCheckGracePeriodSeconds"] = health_check_grace_period_seconds
        elif balancers:
            record["healthCheckGracePeriodSeconds"] = 0
        ctx.records(SERVICE).put(key, record)
        if controller == "CODE_DEPLOY":
            new_set(ctx, record, definition, load_balancers=balancers, network=network)
        elif controller == "ECS":
            made = new_set(
                ctx, record, definition, kind=DEPLOYMENT, load_balancers=balancers, network=network
            )
            if strategy in TRAFFIC_STRATEGIES:
                bluegreen.start_initial(ctx, record, key, made)
                ctx.records(SERVICE).put(key, record)
        return {"service": show_service(ctx, record, tags=True)}

    def describe_services(
        self,
        ctx: RequestContext,
        services: list[str],
        cluster: str | None = None,
        include: list[str] | None = None,
    ) -> dict[str, Any]:
        found_cluster = find_cluster(ctx, cluster)
        if len(services) > MAX_DESCRIBE:
            raise invalid("services can have at most 10 items.")
        name = found_cluster["clusterName"]
        tags = bool(include and "TAGS" in include)
        return described(
            "services",
            services,
            lambda reference: named_service(ctx, name, reference),
            lambda record: show_service(ctx, record, tags=tags),
            lambda reference: as_arn(reference, lambda service: service_arn(ctx, name, service)),
        )

    def list_services(
        self,
        ctx: RequestContext,
        cluster: str | None = None,
        launch_type: str | None = None,
        scheduling_strategy: str | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        found_cluster = find_cluster(ctx, cluster)
        arns = [
            s["serviceArn"]
            for s in ctx.records(SERVICE).list()
            if s["clusterArn"] == found_cluster["clusterArn"]
            and s["status"] != "INACTIVE"
            and launch_type in (None, s.get("launchType"))
            and scheduling_strategy in (None, s["schedulingStrategy"])
        ]
        return PAGER.page("ListServices", arns, paging)

    def update_service(
        self,
        ctx: RequestContext,
        service: str,
        cluster: str | None = None,
        desired_count: int | None = None,
        task_definition: str | None = None,
        deployment_configuration: dict[str, Any] | None = None,
        network_configuration: dict[str, Any] | None = None,
        force_new_deployment: bool | None = None,
        health_check_grace_period_seconds: int | None = None,
        load_balancers: list[dict[str, Any]] | None = None,
        deployment_controller: dict[str, Any] | None = None,
        enable_ecs_managed_tags: bool | None = None,
        propagate_tags: str | None = None,
        placement_constraints: list[dict[str, Any]] | None = None,
        placement_strategy: list[dict[str, Any]] | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        record = find_service(ctx, cluster, service, active=True)
        controller = record["deploymentController"]["type"]
        given = {
            "task_definition": task_definition,
            "load_balancers": load_balancers,
            "network_configuration": network_configuration,
            **others,
        }
        if deployment_controller and deployment_controller.get("type") != controller:
            raise invalid(
                "Changing a service's deployment controller is not available in the bgkit local "
                "cloud; create a new service instead."
            )
        if controller != "ECS":
            for member, words in CODE_DEPLOY_FIXED:
                if given.get(member) is not None:
                    raise invalid(self._fixed_message(controller, words))
            if force_new_deployment:
                raise invalid(
                    "Cannot force a new deployment on services with a "
                    f"{controller} deployment controller. " + self._fixed_hint(controller)
                )
        if deployment_configuration:
            check_deployment_configuration(
                {**record["deploymentConfiguration"], **deployment_configuration}, controller
            )
        check_desired_count(desired_count)
        if health_check_grace_period_seconds is not None and not record["loadBalancers"]:
            raise invalid(
                "Health check grace period is only valid for services configured to use load "
                "balancers"
            )
        key = service_key_of(record)
        if deployment_configuration:
            record["deploymentConfiguration"].update(deployment_configuration)
        if health_check_grace_period_seconds is not None:
            record["healthCheckGracePeriodSeconds"] = health_check_grace_period_seconds
        if enable_ecs_managed_tags is not None:
            record["enableECSManagedTags"] = enable_ecs_managed_tags
        for member, value in (
            ("propagateTags", propagate_tags),
            ("placementConstraints", placement_constraints),
            ("placementStrategy", placement_strategy),
        ):
            if value is not None:
                record[member] = value
        if desired_count is not None and desired_count != record["desiredCount"]:
            record["desiredCount"] = desired_count
            record["_steady"] = False
            self._rescale(ctx, record, key)
            if strategy_of(record) in TRAFFIC_STRATEGIES:
                bluegreen.resize(ctx, record)
        if controller == "ECS":
            moved = new_strategy(ctx, record, given.get("capacity_provider_strategy"))
            self._revise(ctx, record, key, given, bool(force_new_deployment) or moved)
        ctx.records(SERVICE).put(key, record)
        return {"service": show_service(ctx, record)}

    @staticmethod
    def _fixed_hint(controller: str) -> str:
        if controller == "CODE_DEPLOY":
            return "Use AWS CodeDeploy to trigger a new deployment."
        return "Use task sets (CreateTaskSet) to deploy a new revision."

    def _fixed_message(self, controller: str, words: str) -> str:
        return (
            f"Unable to update {words} on services with a {controller} deployment controller. "
            + self._fixed_hint(controller)
        )

    def _rescale(self, ctx: RequestContext, record: dict[str, Any], key: str) -> None:
        """A new desired count reaches the task sets (or the primary deployment)."""
        for task_set in sets_of(ctx, key):
            if task_set["status"] != "DRAINING":
                task_set["computedDesiredCount"] = computed_desired(
                    record["desiredCount"], task_set["scale"]
                )
                ctx.records(TASK_SET).put(task_set["taskSetArn"], task_set)
        for deployment in sets_of(ctx, key, DEPLOYMENT):
            if deployment["status"] == "PRIMARY":
                deployment["desiredCount"] = record["desiredCount"]
                ctx.records(DEPLOYMENT).put(set_key_of(deployment), deployment)

    def _revise(
        self,
        ctx: RequestContext,
        record: dict[str, Any],
        key: str,
        given: dict[str, Any],
        force: bool,
    ) -> None:
        """On an ECS-controller service, a new revision (or ``force``) starts a deployment: a
        rolling one, or for a ``BLUE_GREEN``, ``LINEAR`` or ``CANARY`` service a service
        deployment of :mod:`.bluegreen.engine` (blue keeps running until traffic has moved)."""
        definition = usable_task_definition(
            ctx, given.get("task_definition") or record["taskDefinition"]
        )
        network = record.get("networkConfiguration")
        if given.get("network_configuration") is not None:
            network = check_network(ctx, definition, given["network_configuration"])
        strategy = strategy_of(record)
        wanted = given.get("load_balancers")
        if strategy in TRAFFIC_STRATEGIES:
            wanted = record["loadBalancers"] if wanted is None else wanted
            balancers = check_load_balancers(ctx, definition, wanted)
            balancers = check_advanced(ctx, wanted, balancers, strategy)
        elif wanted is not None:
            balancers = check_load_balancers(ctx, definition, wanted)
        else:
            balancers = record["loadBalancers"]
        changed = (
            definition["taskDefinitionArn"] != record["taskDefinition"]
            or network != record.get("networkConfiguration")
            or balancers != record["loadBalancers"]
        )
        if not (changed or force):
            return
        if strategy in TRAFFIC_STRATEGIES:
            bluegreen.start(ctx, record, key, definition, balancers, network)
        else:
            self._roll(ctx, record, key, definition, network, balancers)

    def _roll(
        self,
        ctx: RequestContext,
        record: dict[str, Any],
        key: str,
        definition: dict[str, Any],
        network: dict[str, Any] | None,
        balancers: list[dict[str, Any]],
    ) -> None:
        """A new primary rolling deployment of a revision; the old ones go once it is steady."""
        for deployment in sets_of(ctx, key, DEPLOYMENT):
            if deployment["status"] == "PRIMARY":
                deployment["status"] = "ACTIVE"
                ctx.records(DEPLOYMENT).put(set_key_of(deployment), deployment)
        record["taskDefinition"] = definition["taskDefinitionArn"]
        record["loadBalancers"] = balancers
        if network:
            record["networkConfiguration"] = network
        record["_steady"] = False
        made = new_set(
            ctx, record, definition, kind=DEPLOYMENT, load_balancers=balancers, network=network
        )
        follow_primary(record, {**made, "loadBalancers": balancers})

    def delete_service(
        self,
        ctx: RequestContext,
        service: str,
        cluster: str | None = None,
        force: bool | None = None,
    ) -> dict[str, Any]:
        record = find_service(ctx, cluster, service)
        if record["status"] == "INACTIVE":
            raise ServiceError("ServiceNotActiveException", "Service was not ACTIVE.")
        if record["desiredCount"] > 0 and not force:
            raise invalid("The service cannot be stopped while it is scaled above 0.")
        key = service_key_of(record)
        record["status"] = "DRAINING"
        record["desiredCount"] = 0
        self._rescale(ctx, record, key)
        for kind in (TASK_SET, DEPLOYMENT):
            for found in sets_of(ctx, key, kind):
                if kind == TASK_SET:
                    found["status"] = "DRAINING"
                    found["computedDesiredCount"] = 0
                else:
                    found["desiredCount"] = 0
                ctx.records(kind).put(set_key_of(found), found)
        ctx.records(SERVICE).put(key, record)
        return {"service": show_service(ctx, record)}

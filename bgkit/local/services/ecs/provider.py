"""The local cloud's ECS: clusters, task definitions, services, task sets and tasks on Fargate.

This is the control plane and the service scheduler; :mod:`bgkit.local.dataplane.runtime` makes
tasks real processes by reading and updating the same ``task`` records (the contract is in
:mod:`.tasks`; every record kind in :mod:`.models`). The operations are mixed in by
concept: task definitions (:mod:`.task_definitions`), services (:mod:`.services`), task sets
(:mod:`.task_sets`), tasks (:mod:`.tasks`), service deployments and revisions
(:mod:`.service_deployments`); clusters and tags are here, and :meth:`EcsProvider.advance`
runs the scheduler (:mod:`.scheduler`), then the engine of the ``BLUE_GREEN``, ``LINEAR``
and ``CANARY`` deployments (:mod:`.bluegreen.engine`).

The local CodeDeploy drives blue/green deployments by calling :meth:`create_task_set`,
:meth:`update_service_primary_task_set` and :meth:`delete_task_set` directly, inside its own
transaction, with ``ctx.caller = "codedeploy.amazonaws.com"`` and its service role in
``ctx.extras["role_arn"]``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bgkit.errors import ServiceError
from bgkit.local.ids import parse_arn
from bgkit.local.provider import Provider, Records, RequestContext
from bgkit.local.services.ec2.models import ensure_defaults
from bgkit.local.services.ecs.account_settings import AccountSettingOperations, effective_value
from bgkit.local.services.ecs.bluegreen.engine import advance as shift_traffic
from bgkit.local.services.ecs.capacity import CapacityProviderOperations, check_cluster_providers
from bgkit.local.services.ecs.models import (
    CLUSTER,
    PAGER,
    SERVICE,
    TASK,
    TASK_DEFINITION,
    TASK_SET,
    as_arn,
    cluster_arn,
    described,
    find_cluster,
    invalid,
    named_cluster,
    public,
)
from bgkit.local.services.ecs.scheduler import advance as schedule
from bgkit.local.services.ecs.service_deployments import ServiceDeploymentOperations
from bgkit.local.services.ecs.services import ServiceOperations
from bgkit.local.services.ecs.task_definitions import TaskDefinitionOperations
from bgkit.local.services.ecs.task_sets import TaskSetOperations
from bgkit.local.services.ecs.tasks import TaskOperations, check_no_tasks
from bgkit.local.tagging import merge, remove

__all__ = ["EcsProvider"]

MAX_TAGS = 50
#: Cloud Map namespaces a cluster's Service Connect defaults made, by name
NAMESPACE = "service-connect-namespace"
LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def namespace_arn(ctx: RequestContext, namespace: str) -> str:
    """The Cloud Map namespace a cluster's ``serviceConnectDefaults`` names, as its ARN.

    The model's ``ClusterServiceConnectDefaultsRequest.namespace``: "The namespace name or full
    Amazon Resource Name (ARN) of the Cloud Map namespace … If you enter a new name, a Cloud Map
    namespace will be created"; the cluster shows it by ARN (``ClusterServiceConnectDefaults``).
    A name is given one ``ns-`` id for good, so every cluster naming it shows the same ARN.
    """
    if namespace.startswith("arn:"):
        return namespace
    made = ctx.records(NAMESPACE)
    record = made.get(namespace)
    if record is None:
        identifier = ctx.ids.draw("servicediscovery-namespace", LOWER_ALNUM, 16)
        record = made.put(
            namespace,
            {"name": namespace, "arn": ctx.arn("servicediscovery", f"namespace/ns-{identifier}")},
        )
    return record["arn"]


class EcsProvider(
    AccountSettingOperations,
    CapacityProviderOperations,
    TaskDefinitionOperations,
    ServiceOperations,
    ServiceDeploymentOperations,
    TaskSetOperations,
    TaskOperations,
    Provider,
):
    """ECS for Fargate services with the ``ECS``, ``CODE_DEPLOY`` and ``EXTERNAL`` controllers."""

    service: ClassVar[str] = "ecs"
    advancing: ClassVar[tuple[str, ...]] = ("service", "task-set", "task")

    def advance(self, ctx: RequestContext) -> None:
        schedule(ctx)
        shift_traffic(ctx)

    # clusters ---------------------------------------------------------------------------------

    def _show_cluster(
        self, ctx: RequestContext, record: dict[str, Any], *, tags: bool = True
    ) -> dict[str, Any]:
        shown = public(record)
        arn = record["clusterArn"]
        tasks = [t for t in ctx.records(TASK).list() if t["clusterArn"] == arn]
        shown["runningTasksCount"] = sum(t["lastStatus"] == "RUNNING" for t in tasks)
        shown["pendingTasksCount"] = sum(
            t["lastStatus"] in ("PROVISIONING", "PENDING", "ACTIVATING") for t in tasks
        )
        shown["activeServicesCount"] = sum(
            s["clusterArn"] == arn and s["status"] == "ACTIVE" for s in ctx.records(SERVICE).list()
        )
        if tags:
            shown["tags"] = record.get("_tags", [])
        return shown

    def create_cluster(
        self,
        ctx: RequestContext,
        cluster_name: str | None = None,
        tags: list[dict[str, str]] | None = None,
        settings: list[dict[str, str]] | None = None,
        capacity_providers: list[str] | None = None,
        default_capacity_provider_strategy: list[dict[str, Any]] | None = None,
        configuration: dict[str, Any] | None = None,
        service_connect_defaults: dict[str, str] | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        ensure_defaults(ctx)
        name = cluster_name or "default"
        if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 255:
            raise invalid(
                "Cluster name can only contain letters, numbers, hyphens and underscores (up to "
                "255)."
            )
        strategy = check_cluster_providers(
            capacity_providers or [], default_capacity_provider_strategy or []
        )
        records = ctx.records(CLUSTER)
        existing = records.get(name)
        if existing is not None and existing["status"] == "ACTIVE":
            return {"cluster": self._show_cluster(ctx, existing)}
        record = {
            "clusterArn": cluster_arn(ctx, name),
            "clusterName": name,
            "status": "ACTIVE",
            "registeredContainerInstancesCount": 0,
            "runningTasksCount": 0,
            "pendingTasksCount": 0,
            "activeServicesCount": 0,
            "statistics": [],
            # the account setting containerInsights is a new cluster's default (the Developer
            # Guide, *Amazon ECS account settings*)
            "settings": settings
            or [{"name": "containerInsights", "value": effective_value(ctx, "containerInsights")}],
            "capacityProviders": capacity_providers or [],
            "defaultCapacityProviderStrategy": strategy,
            "_tags": self._checked_tags(tags),
        }
        if configuration is not None:
            record["configuration"] = configuration
        namespace = (service_connect_defaults or {}).get("namespace")
        if namespace:
            record["serviceConnectDefaults"] = {"namespace": namespace_arn(ctx, namespace)}
        records.put(name, record)
        return {"cluster": self._show_cluster(ctx, record)}

    def describe_clusters(
        self,
        ctx: RequestContext,
        clusters: list[str] | None = None,
        include: list[str] | None = None,
    ) -> dict[str, Any]:
        tags = bool(include and "TAGS" in include)
        return described(
            "clusters",
            clusters or ["default"],
            lambda reference: named_cluster(ctx, reference),
            lambda record: self._show_cluster(ctx, record, tags=tags),
            lambda reference: as_arn(reference, lambda name: cluster_arn(ctx, name)),
        )

    def list_clusters(self, ctx: RequestContext, **paging: Any) -> dict[str, Any]:
        arns = [c["clusterArn"] for c in ctx.records(CLUSTER).list() if c["status"] == "ACTIVE"]
        return PAGER.page("ListClusters", arns, paging)

    def delete_cluster(self, ctx: RequestContext, cluster: str) -> dict[str, Any]:
        record = find_cluster(ctx, cluster)
        for service in ctx.records(SERVICE).list():
            if service["clusterArn"] == record["clusterArn"] and service["status"] != "INACTIVE":
                raise ServiceError(
                    "ClusterContainsServicesException",
                    "The Cluster cannot be deleted while Services are active.",
                )
        check_no_tasks(ctx, record)
        record["status"] = "INACTIVE"
        ctx.records(CLUSTER).put(record["clusterName"], record)
        return {"cluster": self._show_cluster(ctx, record)}

    # tags -------------------------------------------------------------------------------------

    @staticmethod
    def _checked_tags(tags: list[dict[str, str]] | None) -> list[dict[str, str]]:
        tags = list(tags or [])
        if len(tags) > MAX_TAGS:
            raise invalid("The number of tags exceeds the limit of 50.")
        for tag in tags:
            if str(tag.get("key", "")).lower().startswith("aws:"):
                raise invalid("Tag keys and values that begin with aws: are reserved.")
        return tags

    def _tagged(self, ctx: RequestContext, arn: str) -> tuple[Records, str, dict[str, Any], str]:
        """The records, key, record and tag member an ECS ARN names."""
        parts = parse_arn(arn)
        kind, _, rest = (parts["resource"] if parts else "").partition("/")
        where = {
            "cluster": (CLUSTER, rest, "_tags", "clusterArn"),
            "service": (SERVICE, rest, "_tags", "serviceArn"),
            "task-definition": (TASK_DEFINITION, rest, "_tags", "taskDefinitionArn"),
            "task": (TASK, arn, "tags", "taskArn"),
            "task-set": (TASK_SET, arn, "tags", "taskSetArn"),
        }.get(kind)
        if where is None or not rest:
            raise invalid("The ARN provided is not a valid ECS resource ARN.")
        records = ctx.records(where[0])
        record = records.get(where[1])
        if record is not None and record[where[3]] != arn:  # an ARN is read whole
            record = None
        if record is None:
            if kind == "cluster":
                raise ServiceError("ClusterNotFoundException", "Cluster not found.")
            raise ServiceError("ResourceNotFoundException", "The specified resource is not found.")
        return records, where[1], record, where[2]

    def tag_resource(
        self, ctx: RequestContext, resource_arn: str, tags: list[dict[str, str]]
    ) -> dict[str, Any]:
        records, key, record, member = self._tagged(ctx, resource_arn)
        new = self._checked_tags(tags)
        record[member] = self._checked_tags(merge(record.get(member, []), new, key="key"))
        records.put(key, record)
        return {}

    def untag_resource(
        self, ctx: RequestContext, resource_arn: str, tag_keys: list[str]
    ) -> dict[str, Any]:
        records, key, record, member = self._tagged(ctx, resource_arn)
        record[member] = remove(record.get(member, []), tag_keys, key="key")
        records.put(key, record)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, resource_arn: str) -> dict[str, Any]:
        _, _, record, member = self._tagged(ctx, resource_arn)
        return {"tags": record.get(member, [])}

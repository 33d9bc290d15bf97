"""ECS tasks: making them, and :class:`TaskOperations` (List/DescribeTasks, StopTask, RunTask).

A ``task`` record is the contract between the control plane and the runtime
(:mod:`bgkit.local.dataplane.runtime`). The control plane makes a task ``PROVISIONING`` with
``desiredStatus`` ``RUNNING`` and these private keys:

- ``_task_set_arn``, ``_set_kind``, ``_service_key`` — its set and service (``None`` for RunTask);
- ``_private_ip`` — its address in its subnet, unique in the region, shown in the ENI attachment;
- ``_container`` — what the runtime runs: ``{"name", "image", "entryPoint", "command",
  "environment" {k: v}, "containerPort"}`` (the first essential container with a port mapping);
- ``_log`` — ``{"group", "stream"}`` from the container's ``awslogs`` configuration, or ``None``s.

The runtime moves ``lastStatus`` to ``PENDING``, ``RUNNING`` (``_pid``, ``_host_port``,
``startedAt``) and ``STOPPED`` (``stoppedAt``, ``stopCode``, ``stoppedReason``); the control plane
stops a task by setting ``desiredStatus`` ``STOPPED``. A task registered in a target group is
first drained (``_stopping``, shown ``DEACTIVATING``) and only then told to stop.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.capacity import pick_provider, placement
from bgkit.local.services.ecs.checks import (
    check_launch_type,
    check_network,
    platform_of,
    role_problem,
)
from bgkit.local.services.ecs.models import (
    PAGER,
    TASK,
    as_arn,
    described,
    family_of,
    find_cluster,
    find_service,
    invalid,
    name_of,
    names,
    public,
    set_key_of,
    show_task,
    task_arn,
    usable_task_definition,
)

#: addresses AWS reserves at the start of every subnet (network, router, DNS, future)
RESERVED_LOW = 4
MAX_RUN_COUNT = 10
USER_STOP_REASON = "Task stopped by user"


def main_container(task_definition: dict[str, Any]) -> dict[str, Any]:
    """The container the runtime runs: the first essential one with a port mapping."""
    containers = task_definition["containerDefinitions"]
    for container in containers:
        if container.get("essential", True) and container.get("portMappings"):
            return container
    return next((c for c in containers if c.get("essential", True)), containers[0])


def _free_address(ctx: RequestContext, subnet: dict[str, Any], used: set[str]) -> str:
    network = ipaddress.ip_network(subnet["CidrBlock"])
    for offset in range(RESERVED_LOW, network.num_addresses - 1):
        address = str(network.network_address + offset)
        if address not in used:
            return address
    raise invalid(f"The subnet {subnet['SubnetId']} has no free IP address left.")


def _pick_subnet(ctx: RequestContext, subnets: list[str], tasks: list[dict[str, Any]]) -> str:
    """The subnet with fewest live tasks among ``tasks`` (ECS spreads tasks across zones)."""
    load = {subnet: 0 for subnet in subnets}
    for task in tasks:
        subnet = task.get("_subnet")
        if subnet in load and task.get("lastStatus") != "STOPPED":
            load[subnet] += 1
    return min(subnets, key=lambda s: (load[s], subnets.index(s)))


def new_task(
    ctx: RequestContext,
    cluster: dict[str, Any],
    task_definition: dict[str, Any],
    network: dict[str, Any] | None,
    *,
    started_by: str | None = None,
    group: str | None = None,
    set_record: dict[str, Any] | None = None,
    set_kind: str | None = None,
    service_key: str | None = None,
    siblings: list[dict[str, Any]] | None = None,
    used_addresses: set[str] | None = None,
    launch_type: str | None = None,
    capacity_provider_strategy: list[dict[str, Any]] | None = None,
    placed_on: list[str | None] | None = None,
) -> dict[str, Any]:
    """Make and store a ``PROVISIONING`` task (see the module docstring for its contract).

    Its launch type is ``launch_type``, else its task set's or deployment's, else ``FARGATE``.
    A task of a capacity provider strategy (``capacity_provider_strategy``, else its set's)
    runs on Fargate on the provider :func:`.capacity.pick_provider` picks, its ``siblings``
    (or ``placed_on``, the providers of the tasks placed before it) being where they are.

    ``used_addresses``, when given, are the private addresses the region's tasks hold (the new
    task's is added to it), so a caller making many tasks reads the tasks once, not once each.
    """
    strategy = capacity_provider_strategy or (set_record or {}).get("capacityProviderStrategy")
    launch = "FARGATE" if strategy else launch_type or (set_record or {}).get("launchType")
    launch = launch or "FARGATE"
    records = ctx.records(TASK)
    task_id = ctx.ids.hex("ecs-task", 32)
    arn = task_arn(ctx, cluster["clusterName"], task_id)
    now = ctx.now()
    container = main_container(task_definition)
    subnet_ids = (network or {}).get("awsvpcConfiguration", {}).get("subnets") or []
    subnet = (
        ctx.records("subnet").get(_pick_subnet(ctx, subnet_ids, siblings or []))
        if (subnet_ids)
        else None
    )
    if used_addresses is None:
        used_addresses = {t["_private_ip"] for t in records.list() if t.get("_private_ip")}
    address = "127.0.0.1"
    if subnet:
        address = _free_address(ctx, subnet, used_addresses)
        used_addresses.add(address)
    zone = subnet["AvailabilityZone"] if subnet else f"{ctx.region}a"
    mappings = container.get("portMappings") or []
    log = container.get("logConfiguration") or {}
    options = log.get("options") or {} if log.get("logDriver") == "awslogs" else {}
    prefix = options.get("awslogs-stream-prefix")
    eni = f"eni-{ctx.ids.hex('ecs-eni', 17)}"
    mac = ":".join(ctx.ids.hex("ecs-mac", 12)[i : i + 2] for i in range(0, 12, 2))
    dns_suffix = "ec2.internal" if ctx.region == "us-east-1" else f"{ctx.region}.compute.internal"
    private_dns = f"ip-{address.replace('.', '-')}.{dns_suffix}"
    ordered = [container] + [
        c for c in task_definition["containerDefinitions"] if c["name"] != container["name"]
    ]
    provider = _provider_of(strategy, siblings, placed_on) if strategy else None
    task: dict[str, Any] = {
        **({"capacityProviderName": provider} if provider else {}),
        "taskArn": arn,
        "clusterArn": cluster["clusterArn"],
        "taskDefinitionArn": task_definition["taskDefinitionArn"],
        "group": group or f"family:{task_definition['family']}",
        "lastStatus": "PROVISIONING",
        "desiredStatus": "RUNNING",
        "launchType": launch,
        **platform_of(launch),
        "cpu": task_definition.get("cpu"),
        "memory": task_definition.get("memory"),
        "createdAt": now,
        "version": 1,
        "availabilityZone": zone,
        "connectivity": "CONNECTED",
        "connectivityAt": now,
        "healthStatus": "UNKNOWN",
        "enableExecuteCommand": False,
        "ephemeralStorage": {"sizeInGiB": 20},
        "overrides": {
            "containerOverrides": [{"name": c["name"]} for c in ordered],
            "inferenceAcceleratorOverrides": [],
        },
        "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}],
        "tags": [],
        "containers": [
            {
                "containerArn": ctx.arn(
                    "ecs",
                    f"container/{cluster['clusterName']}/{task_id}/{ctx.ids.uuid('ecs-container')}",
                ),
                "taskArn": arn,
                "name": c["name"],
                "image": c.get("image", ""),
                "lastStatus": "PENDING",
                "networkInterfaces": [{"attachmentId": eni, "privateIpv4Address": address}]
                if subnet
                else [],
                "healthStatus": "UNKNOWN",
                "cpu": str(c.get("cpu", 0)),
                **({"memory": str(c["memory"])} if c.get("memory") else {}),
            }
            for c in ordered
        ],
        "attachments": [],
        "_task_set_arn": set_key_of(set_record) if set_record else None,
        "_set_kind": set_kind,
        "_service_key": service_key,
        "_subnet": subnet["SubnetId"] if subnet else None,
        "_private_ip": address,
        "_container": {
            "name": container["name"],
            "image": container.get("image", ""),
            "entryPoint": container.get("entryPoint"),
            "command": container.get("command"),
            "environment": {
                e["name"]: e.get("value", "") for e in container.get("environment", [])
            },
            "containerPort": mappings[0].get("containerPort") if mappings else None,
        },
        "_log": {
            "group": options.get("awslogs-group"),
            "stream": f"{prefix}/{container['name']}/{task_id}" if prefix else None,
        },
        "_stopping": None,
    }
    if started_by:
        task["startedBy"] = started_by
    if subnet:
        task["attachments"] = [
            {
                "id": ctx.ids.uuid("ecs-attachment"),
                "type": "ElasticNetworkInterface",
                "status": "PRECREATED",
                "details": [
                    {"name": "subnetId", "value": subnet["SubnetId"]},
                    {"name": "networkInterfaceId", "value": eni},
                    {"name": "macAddress", "value": mac},
                    {"name": "privateDnsName", "value": private_dns},
                    {"name": "privateIPv4Address", "value": address},
                ],
            }
        ]
    records.put(arn, task)
    return task


def named_task(ctx: RequestContext, cluster: str, reference: str) -> dict[str, Any] | None:
    """The task of the cluster named ``cluster`` that an id or ARN names (an ARN read whole,
    :func:`~bgkit.local.services.ecs.models.names`), or ``None``."""
    record = ctx.records(TASK).get(task_arn(ctx, cluster, name_of(reference)))
    return record if record is not None and names(reference, record["taskArn"]) else None


def find_task(ctx: RequestContext, cluster: dict[str, Any], reference: str) -> dict[str, Any]:
    record = named_task(ctx, cluster["clusterName"], reference)
    if record is None:
        raise invalid("The referenced task was not found.")
    return record


def request_stop(task: dict[str, Any], now: float, reason: str) -> None:
    """Tell the runtime to stop a task (no draining: StopTask does not drain, as on AWS)."""
    if task["desiredStatus"] == "STOPPED":
        return
    stopping = task.get("_stopping") or {}
    task["desiredStatus"] = "STOPPED"
    task["stoppingAt"] = stopping.get("at", now)
    task["stoppedReason"] = stopping.get("reason", reason)
    task["_stopping"] = None


class TaskOperations:
    """ListTasks, DescribeTasks, StopTask and RunTask, mixed into the ECS provider."""

    def list_tasks(
        self,
        ctx: RequestContext,
        cluster: str | None = None,
        family: str | None = None,
        started_by: str | None = None,
        service_name: str | None = None,
        desired_status: str | None = None,
        launch_type: str | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        found_cluster = find_cluster(ctx, cluster)
        group = None
        if service_name:
            group = f"service:{find_service(ctx, cluster, service_name)['serviceName']}"
        wanted = desired_status or "RUNNING"
        arns = []
        for task in ctx.records(TASK).list():
            shown = show_task(task)
            if (
                task["clusterArn"] == found_cluster["clusterArn"]
                and shown["desiredStatus"] == wanted
                and (group is None or task["group"] == group)
                and (started_by is None or task.get("startedBy") == started_by)
                and (launch_type is None or task["launchType"] == launch_type)
                and (family is None or family_of(task["taskDefinitionArn"]) == family)
            ):
                arns.append(task["taskArn"])
        return PAGER.page("ListTasks", arns, paging)

    def describe_tasks(
        self,
        ctx: RequestContext,
        tasks: list[str],
        cluster: str | None = None,
        include: list[str] | None = None,
    ) -> dict[str, Any]:
        if not tasks:  # AWS's words, as SDK users quote them (aws/copilot-cli#3551)
            raise invalid("Tasks cannot be empty.")
        found_cluster = find_cluster(ctx, cluster)
        if len(tasks) > 100:
            raise invalid("Tasks cannot have more than 100 elements")
        name = found_cluster["clusterName"]
        return described(
            "tasks",
            tasks,
            lambda reference: named_task(ctx, name, reference),
            show_task,
            lambda reference: as_arn(reference, lambda task: task_arn(ctx, name, task)),
        )

    def stop_task(
        self, ctx: RequestContext, task: str, cluster: str | None = None, reason: str | None = None
    ) -> dict[str, Any]:
        found_cluster = find_cluster(ctx, cluster)
        record = find_task(ctx, found_cluster, task)
        if record["lastStatus"] != "STOPPED":
            request_stop(record, ctx.now(), reason or USER_STOP_REASON)
            ctx.records(TASK).put(record["taskArn"], record)
        return {"task": show_task(record)}

    def run_task(
        self,
        ctx: RequestContext,
        task_definition: str,
        cluster: str | None = None,
        count: int | None = None,
        launch_type: str | None = None,
        network_configuration: dict[str, Any] | None = None,
        started_by: str | None = None,
        group: str | None = None,
        tags: list[dict[str, str]] | None = None,
        capacity_provider_strategy: list[dict[str, Any]] | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        check_launch_type(launch_type, capacity_provider_strategy, "tasks")
        found_cluster = find_cluster(ctx, cluster)
        launch, providers = placement(found_cluster, launch_type, capacity_provider_strategy)
        count = 1 if count is None else count
        if not 1 <= count <= MAX_RUN_COUNT:
            raise invalid("count must be between 1 and 10.")
        definition = usable_task_definition(ctx, task_definition)
        if (launch or "FARGATE") not in definition["compatibilities"]:
            raise invalid(f"Task definition does not support launch_type {launch or 'FARGATE'}.")
        network = check_network(ctx, definition, network_configuration)
        problem = role_problem(ctx, definition)
        if problem:
            raise invalid(problem)
        made = []
        for _ in range(count):
            task = new_task(
                ctx,
                found_cluster,
                definition,
                network,
                started_by=started_by,
                group=group,
                launch_type=launch,
                capacity_provider_strategy=providers,
                placed_on=[t.get("capacityProviderName") for t in made],
            )
            if tags:
                task["tags"] = list(tags)
                ctx.records(TASK).put(task["taskArn"], task)
            made.append(public(task))
        return {"tasks": made, "failures": []}


def _provider_of(
    strategy: list[dict[str, Any]],
    siblings: list[dict[str, Any]] | None,
    placed_on: list[str | None] | None,
) -> str:
    """The capacity provider of a new task of ``strategy``, beside its running siblings."""
    if placed_on is None:
        placed_on = [
            t.get("capacityProviderName") for t in siblings or [] if t["lastStatus"] != "STOPPED"
        ]
    return pick_provider(strategy, placed_on)


def check_no_tasks(ctx: RequestContext, cluster: dict[str, Any]) -> None:
    """``ClusterContainsTasksException`` while a cluster has tasks that did not stop."""
    for task in ctx.records(TASK).list():
        if task["clusterArn"] == cluster["clusterArn"] and task["lastStatus"] != "STOPPED":
            raise ServiceError(
                "ClusterContainsTasksException",
                "The Cluster cannot be deleted while Tasks are active.",
            )

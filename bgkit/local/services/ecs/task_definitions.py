"""ECS task definitions: :class:`TaskDefinitionOperations` and Fargate's rules.

A family's revisions count from 1; a deregistered revision is ``INACTIVE`` and stays describable,
as on AWS. A task definition that requires ``FARGATE`` is checked as Fargate checks it, with its
messages: network mode ``awsvpc``, task-level CPU and memory forming one of Fargate's sizes, and a
task execution role when a container logs with ``awslogs`` or pulls a private ECR image. Every
task definition keeps ECS's limits: at most 10 containers, 64 KiB of JSON, and environment
variables with names.
"""

from __future__ import annotations

import json
import re
from typing import Any

from botocore import xform_name

from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.models import (
    PAGER,
    TASK_DEFINITION,
    client_error,
    public,
    resolve_task_definition,
    task_definition_arn,
    task_definition_key,
)

ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")
#: a private registry's image in the commercial or the China partition (Amazon ECR's registry
#: endpoints: ``<account>.dkr.ecr.<region>.amazonaws.com``, ``….amazonaws.com.cn``)
ECR_IMAGE = re.compile(r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")
NETWORK_MODES = ("bridge", "host", "awsvpc", "none")
#: members of RegisterTaskDefinition's input that its TaskDefinition output shape also lists
KEPT_AS_GIVEN = (
    "proxyConfiguration",
    "inferenceAccelerators",
    "pidMode",
    "ipcMode",
    "enableFaultInjection",
)
#: Amazon ECS service quotas: "Containers per task definition"
MAX_CONTAINERS = 10
#: the largest task definition RegisterTaskDefinition takes, in bytes of JSON
MAX_BYTES = 64 * 1024


def check_limits(request: dict[str, Any]) -> None:
    """Refuse a task definition over ECS's limits, with its ``ClientException`` messages.

    Args:
        request: the RegisterTaskDefinition request's members, as the caller sent them.
    """
    containers = request["containerDefinitions"]
    if len(containers) > MAX_CONTAINERS:
        raise client_error(
            f"The task definition has {len(containers)} containers; a task definition holds "
            f"at most {MAX_CONTAINERS}."
        )
    for container in containers:
        for variable in container.get("environment") or []:
            if not (variable.get("name") or "").strip():
                raise client_error("Environment variable name cannot be null or blank.")
    present = {name: value for name, value in request.items() if value is not None}
    size = len(json.dumps(present, separators=(",", ":"), default=str).encode())
    if size > MAX_BYTES:
        raise client_error(f"Actual length: '{size}'. Max allowed length is '{MAX_BYTES}' bytes.")


def _fargate_memory(cpu: int) -> list[int]:
    """The memory sizes (MiB) Fargate offers with ``cpu`` units."""
    steps = {
        256: [512, 1024, 2048],
        512: list(range(1024, 4097, 1024)),
        1024: list(range(2048, 8193, 1024)),
        2048: list(range(4096, 16385, 1024)),
        4096: list(range(8192, 30721, 1024)),
        8192: list(range(16384, 61441, 4096)),
        16384: list(range(32768, 122881, 8192)),
    }
    return steps.get(cpu, [])


def _units(value: str, unit: str) -> int | None:
    """``"256"`` → 256, ``"1 vCPU"`` → 1024, ``"2 GB"`` → 2048; ``None`` when not a size."""
    text = value.strip()
    match = re.fullmatch(rf"(\d+(?:\.\d+)?)\s*{unit}", text, flags=re.IGNORECASE)
    if match:
        return int(float(match.group(1)) * 1024)
    return int(text) if text.isdigit() else None


def check_fargate(
    network_mode: str,
    cpu: str | None,
    memory: str | None,
    execution_role_arn: str | None,
    containers: list[dict[str, Any]],
) -> None:
    """Refuse a task definition Fargate cannot run, with ECS's ``ClientException`` messages."""
    if network_mode != "awsvpc":
        raise client_error("Fargate only supports network mode \u2018awsvpc\u2019.")
    if cpu is None:
        raise client_error("Fargate requires that 'cpu' be defined at the task level.")
    if memory is None:
        raise client_error("Fargate requires that 'memory' be defined at the task level.")
    cpu_units, memory_mib = _units(cpu, "vCPU"), _units(memory, "GB")
    if cpu_units is None or memory_mib not in _fargate_memory(cpu_units):
        raise client_error(
            f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
            "See the Amazon ECS documentation for the valid values."
        )
    for container in containers:
        if container.get("memory") and memory_mib and int(container["memory"]) > memory_mib:
            raise client_error(
                f"The 'memory' setting for container '{container.get('name')}' is greater "
                "than for the task."
            )
    if execution_role_arn:
        return
    for container in containers:
        if (container.get("logConfiguration") or {}).get("logDriver") == "awslogs":
            raise client_error(
                "Fargate requires task definition to have execution role ARN to support log "
                "driver awslogs."
            )
        if ECR_IMAGE.match(container.get("image", "")):
            raise client_error(
                "Fargate requires task definition to have execution role ARN to support ECR images."
            )


def _container(definition: dict[str, Any], network_mode: str) -> dict[str, Any]:
    """A container definition with the defaults ECS fills in."""
    container = {
        "cpu": 0,
        "environment": [],
        "mountPoints": [],
        "volumesFrom": [],
        "essential": True,
        **definition,
    }
    mappings = []
    for mapping in definition.get("portMappings", []):
        filled = {"protocol": "tcp", **mapping}
        if network_mode in ("awsvpc", "host") and "containerPort" in filled:
            filled.setdefault("hostPort", filled["containerPort"])
            if filled["hostPort"] != filled["containerPort"]:
                raise client_error(
                    f"When networkMode={network_mode}, the host ports and container ports in "
                    "port mappings must match."
                )
        mappings.append(filled)
    container["portMappings"] = mappings
    return container


class TaskDefinitionOperations:
    """RegisterTaskDefinition and its neighbours, mixed into the ECS provider."""

    def register_task_definition(
        self,
        ctx: RequestContext,
        family: str,
        container_definitions: list[dict[str, Any]],
        task_role_arn: str | None = None,
        execution_role_arn: str | None = None,
        network_mode: str | None = None,
        requires_compatibilities: list[str] | None = None,
        cpu: str | None = None,
        memory: str | None = None,
        tags: list[dict[str, str]] | None = None,
        volumes: list[dict[str, Any]] | None = None,
        placement_constraints: list[dict[str, Any]] | None = None,
        runtime_platform: dict[str, Any] | None = None,
        ephemeral_storage: dict[str, Any] | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", family):
            # AWS's words, as ECS CLI users quote them (aws/amazon-ecs-cli#37, #542)
            raise client_error("Family contains invalid characters.")
        if not container_definitions:
            raise client_error("Container list cannot be empty.")
        check_limits(
            {
                "family": family,
                "containerDefinitions": container_definitions,
                "taskRoleArn": task_role_arn,
                "executionRoleArn": execution_role_arn,
                "networkMode": network_mode,
                "requiresCompatibilities": requires_compatibilities,
                "cpu": cpu,
                "memory": memory,
                "tags": tags,
                "volumes": volumes,
                "placementConstraints": placement_constraints,
                "runtimePlatform": runtime_platform,
                "ephemeralStorage": ephemeral_storage,
                **others,
            }
        )
        mode = network_mode or "bridge"
        if mode not in NETWORK_MODES:
            raise client_error(f"Invalid networkMode: {mode}")
        for role in (task_role_arn, execution_role_arn):
            if role and not ROLE_ARN.fullmatch(role):
                raise client_error("Role is not valid")
        names = [c.get("name") for c in container_definitions]
        if any(not n for n in names):
            raise client_error("Container.name should not be null or empty.")
        if len(set(names)) != len(names):
            raise client_error("Container names must be unique.")
        required = list(requires_compatibilities or [])
        if "FARGATE" in required:
            check_fargate(mode, cpu, memory, execution_role_arn, container_definitions)
        records = ctx.records(TASK_DEFINITION)
        revision = 1 + max(
            (td["revision"] for td in records.list() if td["family"] == family), default=0
        )
        compatibilities = ["EC2"]
        if mode == "awsvpc" and cpu and memory:
            compatibilities.append("FARGATE")
        record: dict[str, Any] = {
            "taskDefinitionArn": task_definition_arn(ctx, family, revision),
            "containerDefinitions": [_container(c, mode) for c in container_definitions],
            "family": family,
            "networkMode": mode,
            "revision": revision,
            "volumes": volumes or [],
            "status": "ACTIVE",
            "requiresAttributes": [],
            "placementConstraints": placement_constraints or [],
            "compatibilities": compatibilities,
            "requiresCompatibilities": required,
            "registeredAt": ctx.now(),
            "registeredBy": ctx.arn("iam", "root", global_=True),
            "_tags": list(tags or []),
        }
        optional = {
            "taskRoleArn": task_role_arn,
            "executionRoleArn": execution_role_arn,
            "cpu": cpu,
            "memory": memory,
            "runtimePlatform": runtime_platform,
            "ephemeralStorage": ephemeral_storage,
        }
        # the other members RegisterTaskDefinition takes that the TaskDefinition shape shows
        # back (botocore's output shape): kept as given
        optional.update({k: others.get(xform_name(k)) for k in KEPT_AS_GIVEN})
        record.update({k: v for k, v in optional.items() if v is not None})
        records.put(f"{family}:{revision}", record)
        return {"taskDefinition": public(record), "tags": record["_tags"]}

    def describe_task_definition(
        self, ctx: RequestContext, task_definition: str, include: list[str] | None = None
    ) -> dict[str, Any]:
        record = resolve_task_definition(ctx, task_definition)
        if record is None:
            raise client_error("Unable to describe task definition.")
        result: dict[str, Any] = {"taskDefinition": public(record)}
        if include and "TAGS" in include:
            result["tags"] = record.get("_tags", [])
        return result

    def list_task_definitions(
        self,
        ctx: RequestContext,
        family_prefix: str | None = None,
        status: str | None = None,
        sort: str | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        wanted = status or "ACTIVE"
        found = [
            td
            for td in ctx.records(TASK_DEFINITION).list()
            if td["status"] == wanted and (not family_prefix or td["family"] == family_prefix)
        ]
        found.sort(key=lambda td: (td["family"], td["revision"]), reverse=sort == "DESC")
        arns = [td["taskDefinitionArn"] for td in found]
        return PAGER.page("ListTaskDefinitions", arns, paging)

    def list_task_definition_families(
        self,
        ctx: RequestContext,
        family_prefix: str | None = None,
        status: str | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        active: dict[str, bool] = {}
        for td in ctx.records(TASK_DEFINITION).list():
            active[td["family"]] = active.get(td["family"], False) or td["status"] == "ACTIVE"
        families = sorted(
            family
            for family, is_active in active.items()
            if (not family_prefix or family.startswith(family_prefix))
            and (status in (None, "ALL") or is_active == (status == "ACTIVE"))
        )
        return PAGER.page("ListTaskDefinitionFamilies", families, paging)

    def deregister_task_definition(
        self, ctx: RequestContext, task_definition: str
    ) -> dict[str, Any]:
        key = task_definition_key(task_definition)
        if key is None:
            raise client_error(
                "Revision should be specified: deregister task definitions as family:revision "
                "or by ARN."
            )
        records = ctx.records(TASK_DEFINITION)
        record = records.get(key)
        if record is None:
            raise client_error("The specified task definition does not exist.")
        if record["status"] == "ACTIVE":
            record["status"] = "INACTIVE"
            record["deregisteredAt"] = ctx.now()
            records.put(key, record)
        return {"taskDefinition": public(record)}

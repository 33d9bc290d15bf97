"""ECS records: their kinds, ARNs and ids, finding them, and showing them as botocore's shapes.

Records of the local cloud's ECS, per region (``ctx.records(kind)``), keep the members of botocore's
output shapes plus private bookkeeping under keys that start with ``_`` (:func:`public` strips
them):

- ``cluster`` (key ``clusterName``): ``Cluster`` + ``_tags`` (task and service counts computed);
- ``task-definition`` (key ``family:revision``): ``TaskDefinition`` + ``_tags``;
- ``service`` (key ``cluster/service``): ``Service`` + ``_tags``, ``_steady``, ``_launch_error``
  (counts, ``taskSets`` and ``deployments`` computed);
- ``task-set`` (key ``taskSetArn``): ``TaskSet`` + ``_service_key``, ``_backoff_until``,
  ``_failures`` — the sets of ``CODE_DEPLOY`` and ``EXTERNAL`` services;
- ``deployment`` (key ``<service key>/<id>``): ``Deployment`` + ``_service_key`` … — the rolling
  deployments of ``ECS``-controller services, scheduled exactly like task sets;
- ``task`` (key ``taskArn``): ``Task`` + the runtime contract (see :mod:`.tasks`);
- ``blue-green-deployment`` (key ``serviceDeploymentArn``): ``ServiceDeployment`` + ``_engine`` —
  the service deployments of ``BLUE_GREEN``, ``LINEAR`` and ``CANARY`` services, each revision
  running as a ``deployment`` set (see :mod:`.bluegreen.engine`);
- ``service-revision`` (key ``serviceRevisionArn``): ``ServiceRevision`` + ``_set_id``.

Tasks point at their set with ``_set_kind`` (``task-set`` or ``deployment``) and
``_task_set_arn`` (the set's key).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.ids import parse_arn
from bgkit.local.paging import Members, Pager
from bgkit.local.provider import RequestContext

#: the service principal ECS acts as when it calls ELBv2 or IAM
PRINCIPAL = "ecs.amazonaws.com"

CLUSTER = "cluster"
TASK_DEFINITION = "task-definition"
SERVICE = "service"
TASK_SET = "task-set"
DEPLOYMENT = "service-deployment"  # a rollout of a service with the ECS controller
TASK = "task"
BLUE_GREEN = "blue-green-deployment"  # a service deployment that shifts traffic (bluegreen)
SERVICE_REVISION = "service-revision"
#: the strategies whose deployments the blue/green engine runs (``ROLLING`` is the scheduler's)
TRAFFIC_STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")

#: ``Long.MAX_VALUE``: a task set's number is this less its creation time in milliseconds
LONG_MAX = 9223372036854775807
MAX_EVENTS = 100
CODEDEPLOY = "codedeploy.amazonaws.com"
ECS_TASKS = "ecs-tasks.amazonaws.com"


def strategy_of(service: dict[str, Any]) -> str:
    """The deployment strategy of a service (``ROLLING`` unless it says otherwise)."""
    return (service.get("deploymentConfiguration") or {}).get("strategy") or "ROLLING"


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A record without its private (``_``-prefixed) bookkeeping."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def client_error(message: str) -> ServiceError:
    return ServiceError("ClientException", message)


#: items a page of an ECS list operation holds when the call does not say (ListServices: 10)
PAGE_SIZE = 100
#: ListServiceDeployments: 20 a page unless the call asks for 1 to 100
DEPLOYMENTS_PAGE, MAX_DEPLOYMENTS_PAGE = 20, 100


def _deployments_page(max_results: int | None) -> int:
    if max_results is not None and not 1 <= max_results <= MAX_DEPLOYMENTS_PAGE:
        raise invalid(f"maxResults must be between 1 and {MAX_DEPLOYMENTS_PAGE}.")
    return max_results or DEPLOYMENTS_PAGE


#: ECS's pages: decimal offsets, :data:`PAGE_SIZE` items unless the call or the operation says
PAGER = Pager(
    "ecs",
    lambda token: invalid("The nextToken is not valid: pass the one the previous page returned."),
    size=lambda max_results: max_results or PAGE_SIZE,
    sizes={
        "ListServices": lambda max_results: max_results or 10,
        "ListServiceDeployments": _deployments_page,
    },
    members={  # no paginator model in botocore
        "ListServiceDeployments": Members(
            "nextToken", "nextToken", "serviceDeployments", "maxResults"
        ),
        "DescribeCapacityProviders": Members(
            "nextToken", "nextToken", "capacityProviders", "maxResults"
        ),
    },
)


# --- names, ARNs and ids -----------------------------------------------------------------------


def name_of(reference: str) -> str:
    """The last part of a name or ARN (``cluster/name`` → ``name``)."""
    return reference.rsplit("/", 1)[-1] if reference.startswith("arn:") else reference


def names(reference: str, arn: str) -> bool:
    """Whether ``reference`` (a name or id, or an ARN) names the resource whose ARN is ``arn``.

    An ARN is read whole, as on AWS: its partition, region and account must be the resource's,
    and its resource part the resource's own, or ECS's older short form without the cluster
    (``service/web`` for ``service/bgkit/web``, ``task/<id>`` for ``task/bgkit/<id>``). A name or
    id names the resource it ends the ARN with.
    """
    if not reference.startswith("arn:"):
        return arn.rsplit("/", 1)[-1] == reference
    if reference == arn:
        return True
    given, own = parse_arn(reference), parse_arn(arn)
    if given is None or own is None:
        return False
    if any(given[part] != own[part] for part in ("partition", "service", "region", "account")):
        return False
    kind, _, rest = own["resource"].partition("/")
    return "/" in rest and given["resource"] == f"{kind}/{rest.rsplit('/', 1)[-1]}"


def as_arn(reference: str, arn: Callable[[str], str]) -> str:
    """``reference`` when it is an ARN, else ``arn(reference)``: what a ``MISSING`` failure
    names."""
    return reference if reference.startswith("arn:") else arn(reference)


def cluster_arn(ctx: RequestContext, name: str) -> str:
    return ctx.arn("ecs", f"cluster/{name}")


def service_arn(ctx: RequestContext, cluster: str, name: str) -> str:
    return ctx.arn("ecs", f"service/{cluster}/{name}")


def task_definition_arn(ctx: RequestContext, family: str, revision: int) -> str:
    return ctx.arn("ecs", f"task-definition/{family}:{revision}")


def task_arn(ctx: RequestContext, cluster: str, task_id: str) -> str:
    return ctx.arn("ecs", f"task/{cluster}/{task_id}")


def set_id(ctx: RequestContext, kind: str, service_key: str) -> tuple[str, float]:
    """A fresh ``ecs-svc/<Long.MAX − createdAt ms>`` id and its creation time."""
    created = ctx.now()
    number = LONG_MAX - int(created * 1000)
    taken = {
        record["id"]
        for record in ctx.records(kind).list()
        if record.get("_service_key") == service_key
    }
    while f"ecs-svc/{number}" in taken:
        number -= 1
    return f"ecs-svc/{number}", created


def task_set_arn(ctx: RequestContext, service_key: str, set_id_: str) -> str:
    return ctx.arn("ecs", f"task-set/{service_key}/{set_id_}")


def cluster_name(cluster: str | None) -> str:
    """The cluster a call names (``default`` when it names none)."""
    return name_of(cluster) if cluster else "default"


# --- finding records ---------------------------------------------------------------------------


def named_cluster(ctx: RequestContext, reference: str) -> dict[str, Any] | None:
    """The cluster record a name or ARN names (an ARN read whole, :func:`names`), or ``None``."""
    record = ctx.records(CLUSTER).get(name_of(reference))
    return record if record is not None and names(reference, record["clusterArn"]) else None


def find_cluster(ctx: RequestContext, cluster: str | None) -> dict[str, Any]:
    """The ACTIVE cluster a call names, or ``ClusterNotFoundException``."""
    record = named_cluster(ctx, cluster or "default")
    if record is None or record["status"] != "ACTIVE":
        raise ServiceError("ClusterNotFoundException", "Cluster not found.")
    return record


def service_key(cluster: str, service: str) -> str:
    return f"{cluster}/{name_of(service)}"


def service_key_of(service: dict[str, Any]) -> str:
    """The key of a service record (``cluster/service``)."""
    return service_key(name_of(service["clusterArn"]), service["serviceName"])


def named_service(ctx: RequestContext, cluster: str, reference: str) -> dict[str, Any] | None:
    """The service of the cluster named ``cluster`` that a name or ARN names (an ARN read whole,
    :func:`names`), or ``None``."""
    record = ctx.records(SERVICE).get(service_key(cluster, reference))
    return record if record is not None and names(reference, record["serviceArn"]) else None


def find_service(
    ctx: RequestContext, cluster: str | None, service: str, *, active: bool = False
) -> dict[str, Any]:
    """A service of a cluster; ``ServiceNotFoundException`` (or ``ServiceNotActiveException``
    when ``active`` and it is draining or gone)."""
    record = named_service(ctx, find_cluster(ctx, cluster)["clusterName"], service)
    if record is None:
        raise ServiceError("ServiceNotFoundException", "Service not found.")
    if active and record["status"] != "ACTIVE":
        raise ServiceError("ServiceNotActiveException", "Service was not ACTIVE.")
    return record


def task_definition_key(reference: str) -> str | None:
    """``family:revision`` from ``family:revision`` or an ARN; ``None`` for a bare family."""
    text = (
        reference.rsplit("task-definition/", 1)[-1] if reference.startswith("arn:") else reference
    )
    return text if ":" in text else None


def family_of(task_definition_arn: str) -> str:
    """The family of a task definition's ARN (``…:task-definition/web:3`` → ``web``)."""
    parts = parse_arn(task_definition_arn)
    resource = parts["resource"] if parts else task_definition_arn
    return resource.rsplit("/", 1)[-1].partition(":")[0]


def resolve_task_definition(ctx: RequestContext, reference: str) -> dict[str, Any] | None:
    """The task definition ``family``, ``family:revision`` or ARN names (a bare family: its
    latest ACTIVE revision), or ``None``."""
    key = task_definition_key(reference)
    records = ctx.records(TASK_DEFINITION)
    if key is not None:
        record = records.get(key)
        if record is not None and reference.startswith("arn:"):
            # an ARN is read whole: another region's or account's names nothing here
            return record if record["taskDefinitionArn"] == reference else None
        return record
    found = [td for td in records.list() if td["family"] == reference and td["status"] == "ACTIVE"]
    return max(found, key=lambda td: td["revision"]) if found else None


def usable_task_definition(ctx: RequestContext, reference: str | None) -> dict[str, Any]:
    """The ACTIVE task definition a service, task set or task is made from."""
    if not reference:
        raise invalid("TaskDefinition must be specified.")
    record = resolve_task_definition(ctx, reference)
    if record is None:
        raise invalid("TaskDefinition not found.")
    if record["status"] != "ACTIVE":
        raise invalid("TaskDefinition is inactive")
    return record


def sets_of(ctx: RequestContext, key: str, kind: str = TASK_SET) -> list[dict[str, Any]]:
    """The task sets (or rolling deployments) of a service, oldest first."""
    return [s for s in ctx.records(kind).list() if s.get("_service_key") == key]


def set_key_of(record: dict[str, Any]) -> str:
    """The key of a task set or deployment record."""
    return record.get("taskSetArn") or f"{record['_service_key']}/{record['id']}"


# --- shown state -------------------------------------------------------------------------------


def computed_desired(desired: int, scale: dict[str, Any] | None) -> int:
    """``ceil(desiredCount × scale %)`` — ECS's ``computedDesiredCount``."""
    percent = float((scale or {}).get("value", 100.0))
    return math.ceil(desired * percent / 100.0 - 1e-9)


def is_stopping(task: dict[str, Any]) -> bool:
    """Whether the scheduler or a user asked the task to stop (draining included)."""
    return task.get("desiredStatus") == "STOPPED" or task.get("_stopping") is not None


def show_task(task: dict[str, Any]) -> dict[str, Any]:
    """A task as ``DescribeTasks`` shows it: a draining task is ``DEACTIVATING``, to stop."""
    shown = public(task)
    if task.get("_stopping") is not None and task.get("desiredStatus") == "RUNNING":
        shown["desiredStatus"] = "STOPPED"
        shown["stoppingAt"] = task["_stopping"]["at"]
        shown["stoppedReason"] = task["_stopping"]["reason"]
        if task.get("lastStatus") == "RUNNING":
            shown["lastStatus"] = "DEACTIVATING"
    return shown


def add_event(service: dict[str, Any], ctx: RequestContext, message: str) -> None:
    """Put a service event first (newest first), keeping the last :data:`MAX_EVENTS`."""
    event = {"id": ctx.ids.uuid("ecs-event"), "createdAt": ctx.now(), "message": message}
    service["events"] = [event, *service.get("events", [])][:MAX_EVENTS]


def show_set(record: dict[str, Any]) -> dict[str, Any]:
    return public(record)


def show_service(
    ctx: RequestContext, service: dict[str, Any], *, tags: bool = False
) -> dict[str, Any]:
    """A service as ``DescribeServices`` shows it, task sets or deployments included."""
    shown = public(service)
    key = service_key_of(service)
    controller = service["deploymentController"]["type"]
    if controller == "ECS":
        deployments = sorted(sets_of(ctx, key, DEPLOYMENT), key=lambda d: d["status"] != "PRIMARY")
        shown["deployments"] = [public(d) for d in deployments]
    else:
        shown["deployments"] = []
        shown["taskSets"] = [show_set(s) for s in sets_of(ctx, key)]
    if tags:
        shown["tags"] = service.get("_tags", [])
    return shown


def described(
    member: str,
    references: Iterable[str],
    find: Callable[[str], dict[str, Any] | None],
    show: Callable[[dict[str, Any]], dict[str, Any]],
    arn: Callable[[str], str] = lambda reference: reference,
) -> dict[str, Any]:
    """The answer of a ``Describe…`` operation: the records ``references`` name, shown.

    Args:
        member: the output member of the shown records (``clusters``, ``tasks`` …).
        references: what the call names, in its order.
        find: the record a reference names, or ``None``.
        show: a found record as the operation shows it.
        arn: the ARN a ``MISSING`` failure names for a reference that finds nothing.

    Returns:
        ``{member: [shown…], "failures": [{"arn", "reason": "MISSING"}…]}``.
    """
    shown, failures = [], []
    for reference in references:
        record = find(reference)
        if record is None:
            failures.append({"arn": arn(reference), "reason": "MISSING"})
        else:
            shown.append(show(record))
    return {member: shown, "failures": failures}

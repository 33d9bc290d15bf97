"""ECS capacity providers for Fargate: ``FARGATE`` and ``FARGATE_SPOT``, clusters' strategies,
and which provider each task of a strategy runs on.

The two AWS-managed capacity providers exist in every account and region (ECS's
``DescribeCapacityProviders`` lists them, ``type`` ``FARGATE`` and ``FARGATE_SPOT``); a cluster
uses those it names (``CreateCluster``'s or ``PutClusterCapacityProviders``' ``capacityProviders``)
and may have a default strategy. A service or task names a ``launchType`` or a
``capacityProviderStrategy``, never both; with neither, the cluster's default strategy applies,
else the launch type ``EC2`` (the Amazon ECS Developer Guide, *Capacity provider strategies*
and *Service definition parameters*). A service placed by a strategy shows the strategy and no
``launchType``; its tasks run on Fargate and name their ``capacityProviderName``.

The strategy's rules (the Developer Guide and the ``CapacityProviderStrategyItem`` reference):
each provider must be one the cluster uses and appear once; only one may have a ``base``;
when several are named at least one needs a ``weight`` above zero. Tasks are placed as AWS
describes: the base first, then the rest in proportion to the weights (:func:`pick_provider`).
FARGATE_SPOT tasks are never interrupted here: the local cloud has no spare capacity to lose.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.checks import platform_of
from bgkit.local.services.ecs.models import CLUSTER, PAGER, SERVICE, TASK, find_cluster, invalid

__all__ = [
    "FARGATE_PROVIDERS",
    "CapacityProviderOperations",
    "check_cluster_providers",
    "check_strategy",
    "new_strategy",
    "pick_provider",
    "placed",
    "placement",
]

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
NOT_ASSOCIATED = (
    "The specified capacity provider strategy cannot contain a capacity provider that is not "
    "associated with the cluster. Associate the capacity provider with the cluster or specify "
    "a valid capacity provider and try again."
)


def check_cluster_providers(providers: list[str], default: list[dict[str, Any]]) -> list[Any]:
    """The default strategy of a cluster that uses ``providers``, checked; refuse a provider
    that does not exist."""
    for name in providers:
        if name not in FARGATE_PROVIDERS:
            raise invalid(
                f"The specified capacity provider {name} does not exist. Specify a valid "
                "capacity provider (FARGATE or FARGATE_SPOT here) and try again."
            )
    if len(set(providers)) != len(providers):
        raise invalid("The capacityProviders list names a capacity provider more than once.")
    return check_strategy(default, providers)


def check_strategy(strategy: list[dict[str, Any]], providers: Iterable[str]) -> list[Any]:
    """``strategy`` with its ``base`` and ``weight`` filled in (0 unless given), checked against
    the capacity providers the cluster uses."""
    providers = list(providers)
    items = [
        {"capacityProvider": item["capacityProvider"], "weight": item.get("weight") or 0,
         "base": item.get("base") or 0}
        for item in strategy
    ]  # fmt: skip
    names = [item["capacityProvider"] for item in items]
    if any(name not in providers for name in names):
        raise invalid(NOT_ASSOCIATED)
    if len(set(names)) != len(names):
        raise invalid("A capacity provider strategy names each capacity provider once only.")
    if sum(item["base"] > 0 for item in items) > 1:
        raise invalid("Only one capacity provider in a capacity provider strategy can have a base.")
    if len(items) > 1 and not any(item["weight"] > 0 for item in items):
        raise invalid(
            "At least one capacity provider in a capacity provider strategy must have a weight "
            "greater than zero."
        )
    return items


def placement(
    cluster: dict[str, Any], launch_type: str | None, strategy: list[dict[str, Any]] | None
) -> tuple[str | None, list[dict[str, Any]] | None]:
    """How a new service or task is placed: ``(launch type, None)`` or ``(None, strategy)``."""
    if strategy:
        return None, check_strategy(strategy, cluster.get("capacityProviders", []))
    if launch_type:
        return launch_type, None
    default = cluster.get("defaultCapacityProviderStrategy")
    if default:
        return None, default
    return "EC2", None


def new_strategy(
    ctx: RequestContext, service: dict[str, Any], strategy: list[dict[str, Any]] | None
) -> bool:
    """``UpdateService``'s ``capacityProviderStrategy``: the service takes it (and loses its
    launch type); whether it changed, which starts a new deployment (the UpdateService
    reference)."""
    if not strategy:
        return False
    cluster = ctx.records(CLUSTER).get(service["clusterArn"].rsplit("/", 1)[-1]) or {}
    checked = check_strategy(strategy, cluster.get("capacityProviders", []))
    if checked == service.get("capacityProviderStrategy"):
        return False
    service.pop("launchType", None)
    service["capacityProviderStrategy"] = checked
    return True


def placed(
    launch_type: str | None, strategy: list[dict[str, Any]] | None, version: str | None = None
) -> dict[str, Any]:
    """The members a service, deployment or task set shows of its placement."""
    if strategy:
        return {"capacityProviderStrategy": strategy, **platform_of("FARGATE", version)}
    assert launch_type is not None
    return {"launchType": launch_type, **platform_of(launch_type, version)}


def pick_provider(strategy: list[dict[str, Any]], placed_on: Iterable[str | None]) -> str:
    """The provider of the next task of ``strategy``, the running ones being on ``placed_on``:
    a provider below its ``base`` first, else the one furthest below its share by weight
    (the first of the strategy on a tie)."""
    counts = Counter(placed_on)
    for item in strategy:
        if counts[item["capacityProvider"]] < item["base"]:
            return item["capacityProvider"]
    weighted = [item for item in strategy if item["weight"] > 0] or strategy[:1]

    def load(item: dict[str, Any]) -> float:
        beyond = max(0, counts[item["capacityProvider"]] - item["base"])
        return (beyond + 1) / max(item["weight"], 1)

    return min(weighted, key=load)["capacityProvider"]


def _provider(ctx: RequestContext, name: str) -> dict[str, Any]:
    return {
        "capacityProviderArn": ctx.arn("ecs", f"capacity-provider/{name}"),
        "name": name,
        "status": "ACTIVE",
        "type": name,
    }


class CapacityProviderOperations:
    """DescribeCapacityProviders and PutClusterCapacityProviders."""

    def describe_capacity_providers(
        self,
        ctx: RequestContext,
        capacity_providers: list[str] | None = None,
        include: list[str] | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        found, failures = [], []
        for reference in capacity_providers or list(FARGATE_PROVIDERS):
            name = reference.rsplit("/", 1)[-1]
            arn = _provider(ctx, name)["capacityProviderArn"]
            if name in FARGATE_PROVIDERS and reference in (name, arn):
                shown = _provider(ctx, name)
                if include and "TAGS" in include:
                    shown["tags"] = []
                found.append(shown)
            else:
                failures.append({"arn": arn if name == reference else reference,
                                 "reason": "MISSING"})  # fmt: skip
        answer = PAGER.page("DescribeCapacityProviders", found, paging)
        answer["failures"] = failures
        return answer

    def put_cluster_capacity_providers(
        self,
        ctx: RequestContext,
        cluster: str,
        capacity_providers: list[str],
        default_capacity_provider_strategy: list[dict[str, Any]],
    ) -> dict[str, Any]:
        record = find_cluster(ctx, cluster)
        strategy = check_cluster_providers(capacity_providers, default_capacity_provider_strategy)
        removed = set(record.get("capacityProviders", [])) - set(capacity_providers)
        if removed and _in_use(ctx, record["clusterArn"], removed):
            raise ServiceError(
                "ResourceInUseException",
                f"The specified capacity provider {sorted(removed)[0]} is in use and cannot be "
                "removed: update or delete the services and stop the tasks that use it first.",
            )
        record["capacityProviders"] = list(capacity_providers)
        record["defaultCapacityProviderStrategy"] = strategy
        ctx.records(CLUSTER).put(record["clusterName"], record)
        return {"cluster": self._show_cluster(ctx, record)}  # type: ignore[attr-defined]


def _in_use(ctx: RequestContext, cluster_arn: str, names: set[str]) -> bool:
    for service in ctx.records(SERVICE).list():
        if service["clusterArn"] == cluster_arn and service["status"] != "INACTIVE":
            used = {i["capacityProvider"] for i in service.get("capacityProviderStrategy", [])}
            if used & names:
                return True
    return any(
        task["clusterArn"] == cluster_arn
        and task["lastStatus"] != "STOPPED"
        and task.get("capacityProviderName") in names
        for task in ctx.records(TASK).list()
    )

"""For a facilitator: every participant prefix the kit has resources of, in one account.

The walkthrough tags what it creates with ``bgkit:kit=bgkit`` and ``bgkit:prefix=<prefix>``
(:mod:`bgkit.walkthrough.tags`); :func:`known_prefixes` reads those tags, service by service,
with plain describe/list calls, and :func:`sessions_by_prefix` gives one session a prefix so that
``bgkit cleanup --all-prefixes`` runs :func:`bgkit.walkthrough.clean_up` once for each.

:func:`room_status` is the facilitator's view of the room (``bgkit workshop status``, the
facilitator notebook): one row per prefix — how far the participant got, what runs, what it
costs an hour — read with bulk calls wherever the APIs offer them; :class:`RoomView` is the same
as a live table.
"""

from __future__ import annotations

import asyncio
import html
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import ipywidgets as widgets
from botocore.exceptions import BotoCoreError, ClientError

from bgkit.errors import BgkitError
from bgkit.live import LiveBox
from bgkit.walkthrough.cleanup import all_applications, all_clusters
from bgkit.walkthrough.tags import KIT, KIT_VALUE, PREFIX

__all__ = ["STATUS_COLUMNS", "RoomView", "known_prefixes", "room_status", "sessions_by_prefix"]

#: what a missing API looks like on the local cloud
UNAVAILABLE = ("UnknownOperationException", "InvalidAction")


def _prefix(tags: Any) -> str | None:
    """The ``bgkit:prefix`` of tags made by the kit (any spelling), else ``None``."""
    if isinstance(tags, dict):
        found = tags
    else:
        found = {t.get("Key", t.get("key")): t.get("Value", t.get("value")) for t in tags or []}
    return found.get(PREFIX) if found.get(KIT) == KIT_VALUE else None


def _elbv2(kit: Any) -> Iterator[Any]:
    elbv2 = kit.client("elbv2")
    arns = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    arns += [tg["TargetGroupArn"] for tg in elbv2.describe_target_groups()["TargetGroups"]]
    for start in range(0, len(arns), 20):
        for described in elbv2.describe_tags(ResourceArns=arns[start : start + 20])[
            "TagDescriptions"
        ]:
            yield described.get("Tags")


def _ec2(kit: Any) -> Iterator[Any]:
    groups = kit.client("ec2").describe_security_groups(
        Filters=[{"Name": f"tag:{KIT}", "Values": [KIT_VALUE]}]
    )["SecurityGroups"]
    for group in groups:
        yield group.get("Tags")


def _ecs(kit: Any) -> Iterator[Any]:
    for cluster in all_clusters(kit):
        yield cluster.get("tags")


def _iam(kit: Any) -> Iterator[Any]:
    iam = kit.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if role.get("Path", "/") == "/" and "-" in role["RoleName"]:
                yield iam.list_role_tags(RoleName=role["RoleName"])["Tags"]


def _codedeploy(kit: Any) -> Iterator[Any]:
    for _, tags in all_applications(kit):
        yield tags


def _logs(kit: Any) -> Iterator[Any]:
    logs = kit.client("logs")
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/ecs/"):
        for group in page["logGroups"]:
            yield logs.list_tags_log_group(logGroupName=group["logGroupName"]).get("tags")


SCANS: tuple[Callable[[Any], Iterator[Any]], ...] = (_elbv2, _ec2, _ecs, _iam, _codedeploy, _logs)


def known_prefixes(kit: Any) -> list[str]:
    """Every prefix that resources tagged by the kit carry in ``kit``'s account and region,
    sorted. A service the target does not offer is skipped."""
    found: set[str] = set()
    for scan in SCANS:
        try:
            found.update(p for p in map(_prefix, scan(kit)) if p)
        except ClientError as error:
            if error.response["Error"]["Code"] not in UNAVAILABLE:
                raise
    return sorted(found)


def sessions_by_prefix(kit: Any) -> dict[str, Any]:
    """A session for each of :func:`known_prefixes`, like ``kit`` but for that prefix.

    A tag value that cannot be a prefix (``BGKIT_PREFIX``'s rules) is reported on stderr and
    left alone: the kit never made it.
    """
    sessions = {}
    for prefix in known_prefixes(kit):
        try:
            settings = kit.settings.replace(prefix=prefix)
        except BgkitError as error:
            print(f"skipping the tag value {prefix!r}: {error}", file=sys.stderr)
            continue
        sessions[prefix] = type(kit)(settings)
    return sessions


# -- the room at a glance (``bgkit workshop status``) --------------------------------------------

#: the columns of :func:`room_status`
STATUS_COLUMNS = [
    "prefix", "reached", "role", "service", "deployment group", "last deployment", "state",
    "tasks", "listeners", "usd_an_hour",
]  # fmt: skip


def _room_prefixes(kit: Any) -> tuple[set[str], dict[str, Any], dict[str, Any]]:
    """The prefixes of the room, read in bulk from the first resource notebook 01 makes (the
    security group: one filtered call), the load balancers and the clusters; with each prefix's
    load balancer and cluster."""
    found = {p for p in map(_prefix, _ec2(kit)) if p}
    elbv2 = kit.client("elbv2")
    balancers = {
        lb["LoadBalancerArn"]: lb
        for page in elbv2.get_paginator("describe_load_balancers").paginate()
        for lb in page["LoadBalancers"]
    }
    by_lb: dict[str, Any] = {}
    arns = list(balancers)
    for start in range(0, len(arns), 20):  # DescribeTags takes 20 ARNs at most
        described = elbv2.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]
        for entry in described:
            prefix = _prefix(entry.get("Tags"))
            if prefix and balancers[entry["ResourceArn"]]["LoadBalancerName"] == f"{prefix}-alb":
                by_lb[prefix] = balancers[entry["ResourceArn"]]
    by_cluster = {}
    for cluster in all_clusters(kit):
        prefix = _prefix(cluster.get("tags"))
        if prefix and cluster["clusterName"] == f"{prefix}-cluster":
            by_cluster[prefix] = cluster
    return found | set(by_lb) | set(by_cluster), by_lb, by_cluster


def _deployments(kit: Any, prefixes: set[str]) -> dict[str, tuple[bool, dict[str, Any] | None]]:
    """For each prefix with its CodeDeploy application: whether its deployment group exists,
    and its latest deployment (``ListDeployments`` a group, ``BatchGetDeployments`` 25 at a
    time)."""
    codedeploy = kit.client("codedeploy")
    apps = {
        name
        for page in codedeploy.get_paginator("list_applications").paginate()
        for name in page.get("applications", [])
    }
    ids: dict[str, list[str]] = {}
    groups: dict[str, bool] = {}
    for prefix in sorted(p for p in prefixes if f"{p}-app" in apps):
        try:
            ids[prefix] = [
                deployment_id
                for page in codedeploy.get_paginator("list_deployments").paginate(
                    applicationName=f"{prefix}-app", deploymentGroupName=f"{prefix}-dg"
                )
                for deployment_id in page.get("deployments", [])
            ]
            groups[prefix] = True
        except ClientError as error:
            if error.response["Error"]["Code"] != "DeploymentGroupDoesNotExistException":
                raise
            groups[prefix] = False
    every = [deployment_id for found in ids.values() for deployment_id in found]
    described: dict[str, dict[str, Any]] = {}
    for start in range(0, len(every), 25):  # BatchGetDeployments takes 25 ids at most
        batch = codedeploy.batch_get_deployments(deploymentIds=every[start : start + 25])
        described.update((d["deploymentId"], d) for d in batch.get("deploymentsInfo", []))
    latest: dict[str, tuple[bool, dict[str, Any] | None]] = {}
    for prefix, exists in groups.items():
        mine = [described[i] for i in ids.get(prefix, []) if i in described]
        latest[prefix] = (exists, max(mine, key=lambda d: d["createTime"], default=None))
    return latest


def _cost(kit: Any, balancer: dict[str, Any] | None, tasks: int) -> float:
    """What a load balancer (if any) and ``tasks`` running Fargate tasks cost an hour in the
    region, with :func:`bgkit.costs.estimate`'s prices and per-task size."""
    from dataclasses import replace

    from bgkit.costs import PriceTable, estimate

    table = PriceTable.load()
    balancers = 1 if balancer is not None else 0
    usage = {
        **table.usage,
        "load_balancers": balancers,
        "lcu_per_hour": balancers * table.usage["lcu_per_hour"],
        "tasks": tasks,
        "load_balancer_subnets": len(balancer.get("AvailabilityZones", [])) if balancer else 0,
        "log_gb_per_hour": table.usage["log_gb_per_hour"] if tasks else 0,
    }
    return round(estimate(kit.settings.region, replace(table, usage=usage)).per_hour, 4)


def room_status(kit: Any, prefixes: Iterable[str] | None = None) -> Any:
    """One row per participant prefix in ``kit``'s account and region (or only those of
    ``prefixes`` that have resources): how far they got, what runs, what it costs an hour.

    Columns (:data:`STATUS_COLUMNS`): ``prefix``; ``reached``, the last notebook whose resource
    exists (``01`` the load balancer or cluster, ``02`` the CodeDeploy role, ``03`` the service,
    ``04`` the deployment group, ``05`` a deployment; ``01…`` only the security group); ``role``;
    ``service`` (its status, running/desired tasks); ``deployment group``; ``last deployment``
    and its ``state``; ``tasks`` running in the cluster; ``listeners`` (their ports);
    ``usd_an_hour``, what the load balancer and running tasks cost (on the local target: what
    they would cost on AWS). ``-`` where the resource does not exist.

    The calls are made in bulk where the APIs allow it: one filtered ``DescribeSecurityGroups``,
    ``DescribeLoadBalancers``, ``DescribeTags`` 20 at a time, ``ListClusters`` and
    ``DescribeClusters`` 100 at a time, ``ListRoles``, ``ListApplications``,
    ``BatchGetDeployments`` 25 at a time; and one call a participant where the APIs take one
    resource: ``DescribeListeners`` (one load balancer), ``DescribeServices`` (one cluster),
    ``ListDeployments`` (one deployment group).
    """
    import pandas as pd

    found, by_lb, by_cluster = _room_prefixes(kit)
    prefixes = found if prefixes is None else found & set(prefixes)
    roles = {
        role["RoleName"]
        for page in kit.client("iam").get_paginator("list_roles").paginate()
        for role in page["Roles"]
    }
    deployments = _deployments(kit, prefixes)
    elbv2, ecs = kit.client("elbv2"), kit.client("ecs")
    rows = []
    for prefix in sorted(prefixes):
        balancer, cluster = by_lb.get(prefix), by_cluster.get(prefix)
        listeners = (
            sorted(
                x["Port"]
                for x in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])[
                    "Listeners"
                ]
            )
            if balancer
            else []
        )
        service = None
        if cluster and cluster.get("activeServicesCount"):
            found = ecs.describe_services(
                cluster=cluster["clusterArn"], services=[f"{prefix}-service"]
            )["services"]
            service = next((s for s in found if s["status"] != "INACTIVE"), None)
        role = f"{prefix}-codedeploy" if f"{prefix}-codedeploy" in roles else None
        group, last = deployments.get(prefix, (False, None))
        tasks = cluster["runningTasksCount"] if cluster else 0
        steps = [balancer or cluster, role, service, group, last]
        reached = max((i + 1 for i, done in enumerate(steps) if done), default=0)
        rows.append(
            {
                "prefix": prefix,
                "reached": f"{reached:02d}" if reached else "01…",
                "role": role or "-",
                "service": (
                    f"{service['status']} {service['runningCount']}/{service['desiredCount']}"
                    if service
                    else "-"
                ),
                "deployment group": f"{prefix}-dg" if group else "-",
                "last deployment": last["deploymentId"] if last else "-",
                "state": last["status"] if last else "-",
                "tasks": tasks,
                "listeners": ", ".join(map(str, listeners)) or "-",
                "usd_an_hour": _cost(kit, balancer, tasks),
            }
        )
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


class RoomView(LiveBox):
    """:func:`room_status` as a live table (the facilitator notebook): shown, it reads the room
    again every ``interval`` seconds while the kernel is idle, for ``hours``, or until
    :meth:`stop`.

    Args:
        kit: the handle of :func:`bgkit.connect`; the view reads with a session of its own.
        prefixes: only these participants (default: every prefix of the room).
        interval: wall seconds between two readings; each costs about three API calls a
            participant (:func:`room_status`), so keep it long in a shared account.
        hours: how long it follows the room.
    """

    def __init__(
        self,
        kit: Any,
        *,
        prefixes: Iterable[str] | None = None,
        interval: float = 30.0,
        hours: float = 4.0,
    ) -> None:
        if interval <= 0 or hours <= 0:
            raise BgkitError(
                f"RoomView needs a positive interval and hours, not {interval} and {hours}"
            )
        self._kit = type(kit)(kit.settings)  # boto3 sessions are not shared between threads
        self.prefixes = None if prefixes is None else sorted(prefixes)
        self.interval, self.hours = interval, hours
        self.frame: Any = None
        self.errors: list[str] = []
        self._table, self._note = widgets.HTML(), widgets.HTML()
        super().__init__(children=[self._table, self._note])
        self.refresh()

    def refresh(self) -> None:
        """Read the room now and show it."""
        try:
            self.frame = room_status(self._kit, self.prefixes)
        except (ClientError, BotoCoreError) as error:  # shown; the next reading may succeed
            self.errors.append(str(error))
            self._note.value = f"<i>could not read the room: {html.escape(str(error))}</i>"
            return
        self._table.value = (
            self.frame.to_html(index=False, border=0)
            if not self.frame.empty
            else "<i>no participant has resources of the kit yet</i>"
        )
        read = time.strftime("%H:%M:%S")
        self._note.value = f"<small>read at {read}; again every {self.interval:g} s</small>"

    async def _following(self) -> None:
        ends = time.monotonic() + self.hours * 3600
        while time.monotonic() < ends:
            await asyncio.sleep(self.interval)
            await asyncio.to_thread(self.refresh)

    def stop(self) -> None:
        """Stop reading the room (the table stays as it was last read)."""
        if self._follower is not None:
            self._follower.cancel()

    def __repr__(self) -> str:
        return f"RoomView(prefixes={self.prefixes!r}, interval={self.interval:g})"

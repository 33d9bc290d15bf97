"""For a facilitator: every participant prefix the kit has resources of, in one account.

The walkthrough tags what it creates with ``bgkit:kit=bgkit`` and ``bgkit:prefix=<prefix>``
(:mod:`bgkit.walkthrough.tags`); :func:`known_prefixes` reads those tags, service by service,
with plain describe/list calls, and :func:`sessions_by_prefix` gives one session a prefix so that
``bgkit cleanup --all-prefixes`` runs :func:`bgkit.walkthrough.clean_up` once for each.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from bgkit.errors import BgkitError
from bgkit.walkthrough.cleanup import all_applications, all_clusters
from bgkit.walkthrough.tags import KIT, KIT_VALUE, PREFIX

__all__ = ["known_prefixes", "sessions_by_prefix"]

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

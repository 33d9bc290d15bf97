"""The tags on everything the walkthrough creates — defined here, once.

Every resource carries ``bgkit:kit=bgkit`` (made by the kit), ``bgkit:prefix=<prefix>`` (whose it
is, in a shared workshop account) and ``bgkit:created=<YYYY-MM-DD>``; ``07-clean-up`` and
``bgkit cleanup`` find what to delete by the first two. AWS spells tags three ways, so this module
gives each spelling.
"""

from __future__ import annotations

import datetime
from typing import Any

__all__ = [
    "CREATED",
    "KIT",
    "KIT_VALUE",
    "PREFIX",
    "is_ours",
    "key_value",
    "lower_key_value",
    "tag_map",
    "tag_specifications",
]

KIT = "bgkit:kit"
KIT_VALUE = "bgkit"
PREFIX = "bgkit:prefix"
CREATED = "bgkit:created"


def tag_map(kit: Any, **extra: str) -> dict[str, str]:
    """The kit's tags for ``kit``'s prefix, plus ``extra`` ones (``{"bgkit:revision": …}``)."""
    return {
        KIT: KIT_VALUE,
        PREFIX: kit.settings.prefix,
        CREATED: datetime.date.today().isoformat(),
        **extra,
    }


def key_value(kit: Any, **extra: str) -> list[dict[str, str]]:
    """``[{"Key": …, "Value": …}]``: IAM, EC2, ELBv2, CodeDeploy, CloudWatch Logs (as a map)."""
    return [{"Key": k, "Value": v} for k, v in tag_map(kit, **extra).items()]


def lower_key_value(kit: Any, **extra: str) -> list[dict[str, str]]:
    """``[{"key": …, "value": …}]``: ECS."""
    return [{"key": k, "value": v} for k, v in tag_map(kit, **extra).items()]


def tag_specifications(kit: Any, resource_type: str) -> list[dict[str, Any]]:
    """EC2's ``TagSpecifications`` for one resource type (``security-group``)."""
    return [{"ResourceType": resource_type, "Tags": key_value(kit)}]


def is_ours(tags: Any, prefix: str) -> bool:
    """Whether a resource's tags (any spelling, or a dict) say the kit made it for ``prefix``."""
    if isinstance(tags, dict):
        found = tags
    else:
        found = {}
        for tag in tags or []:
            key = tag.get("Key", tag.get("key"))
            found[key] = tag.get("Value", tag.get("value"))
    return found.get(KIT) == KIT_VALUE and found.get(PREFIX) == prefix

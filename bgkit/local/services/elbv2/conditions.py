"""Listener rule conditions: checking them and storing them as AWS shows them.

The six condition types of an Application Load Balancer's rules (the ELB User Guide, *Listener
rules for your Application Load Balancer*, *Condition types*), each stored with its ``…Config``:

- ``host-header`` and ``path-pattern`` may be given as ``Values`` (the legacy form) or as their
  ``HostHeaderConfig``/``PathPatternConfig``; AWS answers both forms whichever was given;
- ``http-header`` (``HttpHeaderConfig``: ``HttpHeaderName`` and ``Values``),
  ``http-request-method`` (``HttpRequestMethodConfig``), ``query-string``
  (``QueryStringConfig``: ``Key``/``Value`` pairs, the key optional) and ``source-ip``
  (``SourceIpConfig``: CIDR blocks) take their ``…Config`` only, and AWS answers that alone.

The rules: a rule has at most one ``host-header``, ``http-request-method``, ``path-pattern`` and
``source-ip`` condition and any number of ``http-header`` and ``query-string`` ones; five
condition values at most, all conditions together ("You can specify up to five match
evaluations per rule"); host names of ``A–Z a–z 0–9 - . * ?``; methods of ``A–Z - _`` (matched
case-sensitively); header names of 1 to 40 characters; values of 1 to 128; source IPs are
CIDR blocks without wildcards. The data plane (:mod:`bgkit.local.dataplane.balancer`) matches
what is stored here.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from bgkit.errors import ServiceError

__all__ = ["CONDITION_FIELDS", "normalise_conditions"]

CONFIG = {
    "host-header": "HostHeaderConfig",
    "path-pattern": "PathPatternConfig",
    "http-header": "HttpHeaderConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "query-string": "QueryStringConfig",
    "source-ip": "SourceIpConfig",
}
CONDITION_FIELDS = tuple(CONFIG)
#: the fields a rule has at most one condition of; the others may repeat
ONCE = ("host-header", "http-request-method", "path-pattern", "source-ip")
#: the fields that may be given as ``Values``
LEGACY = ("host-header", "path-pattern")
MAX_VALUES = 5
HOST = re.compile(r"[A-Za-z0-9\-.*?]+")
METHOD = re.compile(r"[A-Z\-_]+")


def _refuse(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)


def _check_length(field: str, value: str, longest: int = 128) -> None:
    if not value or len(value) > longest:
        raise _refuse(f"The '{field}' value '{value}' must be 1 to {longest} characters long")


def _plain_values(field: str, condition: dict[str, Any]) -> list[str]:
    config = condition.get(CONFIG[field]) or {}
    values = config.get("Values") or condition.get("Values") or []
    both = field in LEGACY and condition.get("Values") and config.get("Values")
    if both and list(condition["Values"]) != list(config["Values"]):
        raise _refuse(f"Values and {CONFIG[field]} of a '{field}' condition must not differ")
    if not values:
        raise _refuse("A condition value must be specified")
    for value in values:
        _check_length(field, value)
        if field == "host-header" and not HOST.fullmatch(value):
            raise _refuse(
                f"The host-header value '{value}' may contain only A-Z, a-z, 0-9, '-', '.', "
                "'*' and '?'"
            )
        if field == "http-request-method" and (len(value) > 40 or not METHOD.fullmatch(value)):
            raise _refuse(
                f"The http-request-method value '{value}' may contain only A-Z, '-' and '_' "
                "(up to 40 characters; methods are case-sensitive)"
            )
        if field == "source-ip":
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise _refuse(
                    f"The source-ip value '{value}' is not a valid CIDR block "
                    "(wildcards are not supported)"
                ) from None
            if "/" not in value:
                raise _refuse(
                    f"The source-ip value '{value}' must be a CIDR block, e.g. {value}/32"
                )
    return list(values)


def _one(condition: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The stored form of one condition and how many values it counts."""
    field = condition.get("Field")
    if field not in CONFIG:
        raise _refuse(f"Condition field '{field}' must be one of [{', '.join(CONDITION_FIELDS)}]")
    config = CONFIG[field]
    if field not in LEGACY and condition.get("Values"):
        raise _refuse(f"A '{field}' condition is given by its {config}, not by Values")
    if field == "http-header":
        given = condition.get(config) or {}
        name = given.get("HttpHeaderName") or ""
        if not name or len(name) > 40:
            raise _refuse("An http-header condition needs an HttpHeaderName of 1 to 40 characters")
        values = given.get("Values") or []
        if not values:
            raise _refuse("A condition value must be specified")
        for value in values:
            _check_length(field, value)
        return {"Field": field, config: {"HttpHeaderName": name, "Values": list(values)}}, len(
            values
        )
    if field == "query-string":
        pairs = (condition.get(config) or {}).get("Values") or []
        if not pairs:
            raise _refuse("A condition value must be specified")
        stored = []
        for pair in pairs:
            if not pair.get("Value"):
                raise _refuse("A query-string condition needs a Value in each of its pairs")
            _check_length(field, pair["Value"])
            if pair.get("Key") is not None:
                _check_length(field, pair["Key"])
            stored.append({k: pair[k] for k in ("Key", "Value") if pair.get(k) is not None})
        return {"Field": field, config: {"Values": stored}}, len(stored)
    values = _plain_values(field, condition)
    stored: dict[str, Any] = {"Field": field, config: {"Values": values}}
    if field in LEGACY:
        stored = {"Field": field, "Values": values, **{config: {"Values": values}}}
    return stored, len(values)


def normalise_conditions(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check a rule's conditions and answer them in the form AWS stores and shows them.

    Raises:
        ServiceError: ``ValidationError`` naming what is wrong.
    """
    if not conditions:
        raise _refuse("A rule must have at least one condition")
    normalised, seen, count = [], set(), 0
    for condition in conditions:
        stored, values = _one(condition)
        field = stored["Field"]
        if field in ONCE and field in seen:
            raise _refuse(f"A rule can only have one '{field}' condition")
        seen.add(field)
        count += values
        normalised.append(stored)
    if count > MAX_VALUES:
        raise _refuse(f"A rule can only have '{MAX_VALUES}' condition values")
    return normalised

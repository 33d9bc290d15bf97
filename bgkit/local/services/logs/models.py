"""CloudWatch Logs records: their kinds, keys and ARNs, and finding a group by name or ARN.

Records, per region: ``log-group`` keyed by the group's name (the ``LogGroup`` shape), and
``log-stream`` keyed ``"<group>:<stream>"`` (a group name never holds a colon; the shape and the
bookkeeping of task streams are described in :mod:`.streams`).
"""

from __future__ import annotations

from bgkit.errors import ServiceError
from bgkit.local.ids import parse_arn
from bgkit.local.provider import RequestContext

GROUP = "log-group"
STREAM = "log-stream"
INVALID_TOKEN = "The specified nextToken is invalid."


def ms(seconds: float) -> int:
    """Epoch milliseconds, the unit of every CloudWatch Logs time."""
    return int(seconds * 1000)


def stream_key(group: str, stream: str) -> str:
    """The key of a ``log-stream`` record."""
    return f"{group}:{stream}"


def stream_arn(ctx: RequestContext, group: str, stream: str) -> str:
    """``arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream>``."""
    return ctx.arn("logs", f"log-group:{group}:log-stream:{stream}")


def group_name_of(ctx: RequestContext, identifier: str) -> str:
    """A group's name from its name or ARN (``…:log-group:<name>`` with or without ``:*``).

    The model's ``logGroupIdentifier``: "Specify either the name or ARN of the log group"; the
    ARN CloudWatch Logs shows (``DescribeLogGroups``' ``arn``) ends in ``:*`` and the bare form
    (``logGroupArn``) does not, and both are read. An ARN is read whole: one of another
    partition, region or account names no group here (a name no group has: no group name holds a
    colon).
    """
    parts = parse_arn(identifier)
    resource = parts["resource"] if parts else ""
    if not resource.startswith("log-group:"):
        return identifier  # a name, or an ARN of no log group (no group has a colon in its name)
    own = (ctx.partition, "logs", ctx.region, ctx.account)
    if (parts["partition"], parts["service"], parts["region"], parts["account"]) != own:
        return identifier
    name = resource.removeprefix("log-group:")
    return name[:-2] if name.endswith(":*") else name


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def missing_group() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified log group does not exist.")


def missing_stream() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified log stream does not exist.")

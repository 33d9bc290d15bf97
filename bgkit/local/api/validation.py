"""A request's params checked against its operation's input shape, as AWS checks them.

botocore checks required members and minimums before it sends a request; AWS checks everything
again on its side, because SDKs that do not validate (Java's, JavaScript's) send what botocore
would refuse. :func:`validate` walks the params the parser read (never anything
service-specific) and finds every member that breaks its shape's constraints: a required member
absent (``null``), a string, blob, list or map shorter or longer than its ``min``/``max``, a
number outside its range, a string outside its ``enum``. Types were already checked by the
parser.

The answer is written in the service's own style, chosen from its model:

* ``query`` (IAM, STS, ELBv2) and the query-compatible services (CloudWatch, in each of its
  protocols; its ``ValidationError`` is what CloudFormation and Terraform show of it):
  ``ValidationError`` with the message AWS's front end writes,
  ``1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member
  must not be null`` (members lower camel case, list items ``tags.1.member``);
* ``ec2``: ``MissingParameter`` (``The request must contain the parameter GroupName``) or
  ``InvalidParameterValue`` (``Value (x) for parameter MaxResults is invalid. …``);
* ``json`` and ``rest-json``: the operation's own exception when its model has one for the
  member — CodeDeploy's ``ApplicationNameRequiredException`` for a missing ``applicationName``,
  ``InvalidComputePlatformException`` for a ``computePlatform`` out of its enum, in the words of
  the exception's documentation —, else the
  service's ``InvalidParameterException`` (ECS, CloudWatch Logs), else ``ValidationException``
  (Lambda, CodeDeploy's other members), each with the front end's message.

Sources: the message format is the one AWS's Coral front ends write (IAM's
``Value '…' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression
pattern``, CloudWatch Logs' ``InvalidParameterException: 1 validation error detected: Value …
at 'logStreamName'``, Lambda's ``ValidationException`` for ``runtime`` outside its enum); EC2's
are its documented ``MissingParameter`` and ``InvalidParameterValue`` codes. Patterns are not
checked: the providers check the names they store with AWS's own messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel, Shape

from bgkit.errors import ServiceError

__all__ = ["Violation", "validate", "violations"]

#: how many characters of a value a message shows
SHOWN = 200
#: shapes nested deeper than this are not walked (no AWS input shape comes close)
DEPTH = 32
_NUMBERS = ("integer", "long", "short", "byte", "float", "double")
#: (service, member, constraint) a provider checks itself, in AWS's own words, that the shape
#: alone would word otherwise; the test that pins each answer is named beside it
LEFT_TO_PROVIDERS = frozenset({
    # "computePlatform should be Lambda, Server, or ECS" (reference notes, CreateApplication):
    # tests/local/test_codedeploy_groups.py::test_applications
    ("codedeploy", "computePlatform", "enum"),
    # "Invalid targetType. Valid values are: AWS_LAMBDA, PAUSE" (troubleshooting-blue-green):
    # test_ecs_bluegreen.py::test_create_service_refuses_a_wrong_deployment_configuration
    ("ecs", "targetType", "enum"),
})  # fmt: skip


@dataclass(frozen=True)
class Violation:
    """One member that breaks its constraints.

    Attributes:
        path: where it is: member names, list positions (``int``), map keys and values
            (``("key", k)``, ``("value", k)``).
        shapes: the member shapes along the path (the last is the member's own).
        value: the value (``None`` when it is absent).
        constraint: ``required``, ``min_length``, ``max_length``, ``min_value``, ``max_value``
            or ``enum``.
        bound: the limit broken (a number, or the enum's values).
    """

    path: tuple[Any, ...]
    shapes: tuple[Shape, ...]
    value: Any
    constraint: str
    bound: Any = None

    @property
    def shape(self) -> Shape:
        return self.shapes[-1]


def validate(operation: OperationModel, params: dict[str, Any]) -> None:
    """Refuse ``params`` as AWS would when they break the input shape's constraints.

    Raises:
        ServiceError: the service's validation error naming every broken constraint.
    """
    shape = operation.input_shape
    # S3 (rest-xml) has no such front end: its own checks answer (InvalidLocationConstraint …)
    if shape is None or operation.service_model.resolved_protocol == "rest-xml":
        return
    service = operation.service_model.service_name
    found = [
        violation
        for violation in violations(shape, params)
        if (service, _member(violation), violation.constraint) not in LEFT_TO_PROVIDERS
    ]
    if found:
        raise _error(operation, found)


def _member(violation: Violation) -> str:
    """The name of the member a violation is about (the last name on its path)."""
    names = [part for part in violation.path if isinstance(part, str)]
    return names[-1] if names else ""


def violations(
    shape: Shape, value: Any, path: tuple[Any, ...] = (), shapes: tuple[Shape, ...] = ()
) -> Iterator[Violation]:
    """Every constraint ``value`` breaks, depth first, in the order of the shape's members."""
    if len(path) > DEPTH or value is None:
        return
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type or not isinstance(value, dict):
            return
        for name in shape.required_members:
            if value.get(name) is None:
                member = shape.members[name]
                yield Violation((*path, name), (*shapes, member), None, "required")
        for name, member in shape.members.items():
            yield from violations(member, value.get(name), (*path, name), (*shapes, member))
        return
    yield from _limits(shape, value, path, shapes)
    if kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from violations(shape.member, item, (*path, index), (*shapes, shape.member))
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            yield from violations(shape.key, key, (*path, ("key", key)), (*shapes, shape.key))
            yield from violations(
                shape.value, item, (*path, ("value", key)), (*shapes, shape.value)
            )


def _limits(shape: Shape, value: Any, path: tuple[Any, ...], shapes: tuple[Shape, ...]) -> Any:
    meta = shape.metadata
    kind = shape.type_name
    if kind in ("string", "blob", "list", "map"):
        size = len(value) if isinstance(value, (str, bytes, list, dict)) else None
        if size is not None and "min" in meta and size < meta["min"]:
            yield Violation(path, shapes, value, "min_length", meta["min"])
        if size is not None and "max" in meta and size > meta["max"]:
            yield Violation(path, shapes, value, "max_length", meta["max"])
        if kind == "string" and meta.get("enum") and value not in meta["enum"]:
            yield Violation(path, shapes, value, "enum", tuple(meta["enum"]))
    elif kind in _NUMBERS and isinstance(value, (int, float)) and not isinstance(value, bool):
        if "min" in meta and value < meta["min"]:
            yield Violation(path, shapes, value, "min_value", meta["min"])
        if "max" in meta and value > meta["max"]:
            yield Violation(path, shapes, value, "max_value", meta["max"])


# --- the answer, in the service's style ----------------------------------------------------


def _error(operation: OperationModel, found: list[Violation]) -> ServiceError:
    protocol = operation.service_model.resolved_protocol
    if protocol == "ec2":
        return _ec2_error(found[0])
    # a query-compatible service (CloudWatch) keeps its query code whatever protocol the
    # request came in: botocore reads it from x-amzn-query-error in JSON and CBOR
    if protocol == "query" or operation.service_model.is_query_compatible:
        return ServiceError("ValidationError", _coral_message(found))
    first = found[0]
    code = _own_exception(operation, first)
    if code is not None:
        return ServiceError(code, _own_message(operation, code, first))
    errors = {shape.name for shape in operation.service_model.error_shapes}
    code = "InvalidParameterException" if "InvalidParameterException" in errors else None
    return ServiceError(code or "ValidationException", _coral_message(found))


# Coral: ``2 validation errors detected: Value null at 'a' failed to satisfy constraint: …``

_CONSTRAINTS = {
    "required": "Member must not be null",
    "min_length": "Member must have length greater than or equal to {bound}",
    "max_length": "Member must have length less than or equal to {bound}",
    "min_value": "Member must have value greater than or equal to {bound}",
    "max_value": "Member must have value less than or equal to {bound}",
    "enum": "Member must satisfy enum value set: [{bound}]",
}


def _coral_message(found: list[Violation]) -> str:
    count = len(found)
    head = f"{count} validation error{'s' if count > 1 else ''} detected: "
    return head + "; ".join(_coral_item(violation) for violation in found)


def _coral_item(violation: Violation) -> str:
    path = _coral_path(violation.path)
    bound = violation.bound
    if violation.constraint == "enum":
        bound = ", ".join(bound)
    constraint = _CONSTRAINTS[violation.constraint].format(bound=_number(bound))
    if violation.value is None:
        return f"Value null at '{path}' failed to satisfy constraint: {constraint}"
    if violation.shape.metadata.get("sensitive"):
        return f"Value at '{path}' failed to satisfy constraint: {constraint}"
    shown = _shown(violation.value)
    return f"Value '{shown}' at '{path}' failed to satisfy constraint: {constraint}"


def _coral_path(path: tuple[Any, ...]) -> str:
    parts = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"{part + 1}.member")
        elif isinstance(part, str):
            parts.append(_lower_first(part))
        # a map's key or value: Coral names the map itself
    return ".".join(parts)


# EC2: ``MissingParameter`` / ``InvalidParameterValue``


def _ec2_error(violation: Violation) -> ServiceError:
    name = _ec2_path(violation)
    if violation.constraint == "required":
        return ServiceError("MissingParameter", f"The request must contain the parameter {name}")
    reasons = {
        "min_length": "It must be at least {bound} long.",
        "max_length": "It must be at most {bound} long.",
        "min_value": "It must be at least {bound}.",
        "max_value": "It must be at most {bound}.",
        "enum": "It must be one of: {bound}.",
    }
    bound = violation.bound
    if violation.constraint == "enum":
        bound = ", ".join(bound)
    reason = reasons[violation.constraint].format(bound=_number(bound))
    return ServiceError(
        "InvalidParameterValue",
        f"Value ({_shown(violation.value)}) for parameter {name} is invalid. {reason}",
    )


def _ec2_path(violation: Violation) -> str:
    parts, shapes = [], iter(violation.shapes)
    for part in violation.path:
        shape = next(shapes)
        if isinstance(part, int):
            parts.append(str(part + 1))
        elif isinstance(part, tuple):
            continue
        else:
            parts.append(_ec2_name(shape, str(part)))
    return ".".join(parts)


def _ec2_name(shape: Shape, name: str) -> str:
    if "queryName" in shape.serialization:
        return shape.serialization["queryName"]
    wire = shape.serialization.get("name", name)
    return wire[0].upper() + wire[1:]


# JSON services: the operation's own ``<Member>RequiredException`` / ``Invalid<Member>Exception``

#: member names whose exception is named otherwise (CodeDeploy's model)
_EXCEPTION_NAMES = {
    "serviceRoleArn": "Role",
    "targetId": "DeploymentTargetId",
    "targetIds": "DeploymentTargetId",
    "tags": "Tag",
    "tagKeys": "Tag",
    "includeOnlyStatuses": "DeploymentStatus",
    "resourceArn": "Arn",
}


def _own_exception(operation: OperationModel, violation: Violation) -> str | None:
    """The operation's exception for this member (``ApplicationNameRequiredException``), found
    from the member up to the top-level member it is in."""
    errors = {shape.name for shape in operation.error_shapes}
    names = [part for part in violation.path if isinstance(part, str)]
    if violation.constraint == "required":
        templates = ["{}RequiredException"]
        names = names[-1:]
    else:
        templates = ["Invalid{}Exception"]
    for name in reversed(names):
        for candidate in _exception_stems(name):
            for template in templates:
                code = template.format(candidate)
                if code in errors:
                    return code
    return None


def _exception_stems(name: str) -> list[str]:
    lowered = _lower_first(name)
    stems = [_EXCEPTION_NAMES.get(lowered, ""), _upper_first(lowered)]
    if lowered.endswith("s"):
        stems.append(_upper_first(lowered[:-1]))
    stems += [stem.replace("Configuration", "Config") for stem in stems if "Configuration" in stem]
    if lowered.endswith("Arn") and lowered != "resourceArn":
        stems.append("Arn")
    return [stem for stem in stems if stem]


def _own_message(operation: OperationModel, code: str, violation: Violation) -> str:
    """``The application name must be specified`` for a missing member; else the exception's
    own words, from its documentation in the model (``The wait type is invalid.``)."""
    words = " ".join(_words(_member(violation))) or "value"
    if violation.constraint == "required":
        return f"The {words} must be specified"
    documentation = operation.service_model.shape_for(code).documentation or ""
    text = " ".join(re.sub(r"<[^>]+>", "", documentation).split())
    return text or f"The {words} is invalid."


# --- small helpers -------------------------------------------------------------------------


def _words(name: str) -> list[str]:
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)
    upper = {"id": "ID", "ids": "IDs", "arn": "ARN", "arns": "ARNs"}
    return [upper.get(word.lower(), word.lower()) for word in words]


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _upper_first(name: str) -> str:
    return name[:1].upper() + name[1:]


def _number(bound: Any) -> Any:
    return int(bound) if isinstance(bound, float) and bound.is_integer() else bound


def _shown(value: Any) -> str:
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, default=str)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"

"""The AppSpec of an ECS deployment: parsing it (YAML or JSON) and checking its structure.

An ECS AppSpec names the task definition, the container and port the load balancer sends traffic
to, and optionally the network configuration, platform version, capacity provider strategy and
Lambda hooks::

    version: 0.0
    Resources:
      - TargetService:
          Type: AWS::ECS::Service
          Properties:
            TaskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/web:2
            LoadBalancerInfo: {ContainerName: app, ContainerPort: 80}

CodeDeploy does not refuse a bad AppSpec at ``CreateDeployment``: the deployment is created and
then fails with ``INVALID_REVISION``. :func:`parse_appspec` therefore raises
:class:`AppSpecError` (code and message for ``errorInformation``) and the engine records it.

Keys are matched case-insensitively, as AWS's own clients and CodeDeploy do (``resources``,
``taskDefinition`` and ``awsvpcConfiguration`` all appear in working public AppSpecs).

Parsing is bounded whatever the content: at most :data:`MAX_BYTES` of text, :data:`MAX_DEPTH`
levels of nesting and :data:`MAX_NODES` nodes once YAML aliases are expanded (an alias bomb is
refused before anything expands it). :func:`parsed_appspec` parses off the caller's thread (the
local cloud's event loop) with a wall-time limit.
"""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, SequenceNode

#: the prefix CodeDeploy puts before every AppSpec problem (aws/aws-cli#6267)
INVALID_PREFIX = (
    "The deployment failed because the AppSpec file that specifies the deployment configuration "
    "is missing or has an invalid configuration."
)
NOT_WELL_FORMED = "The input AppSpec file is a not well-formed yaml. The template cannot be parsed."
#: a ``LoadBalancerInfo`` given as a list (awsdocs/aws-codedeploy-user-guide#14)
NOT_VALID = "The AppSpec file must be valid JSON or YAML"
HOOK_EVENTS = (
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
)
#: [I] docs allow only 0.0; public scripts use 1 — both are accepted, as a user would expect
VERSIONS = ("0.0", "1", "1.0")
#: the local cloud's limits on an AppSpec (a real one is a page of YAML)
MAX_BYTES = 64 * 1024
MAX_DEPTH = 64
MAX_NODES = 20_000
#: wall seconds a parse may take before the deployment fails
PARSE_TIMEOUT = 10.0
#: wall seconds :func:`parsed_appspec` waits for a parse before it says "not yet"
PARSE_WAIT = 0.05
#: content up to this size is parsed at once (a few milliseconds at most, within the limits)
SYNC_BYTES = 2048


class AppSpecError(Exception):
    """An AppSpec the deployment cannot use.

    Args:
        message: the ``errorInformation.message`` the deployment fails with.
        code: the ``errorInformation.code`` (``INVALID_REVISION`` unless told).
    """

    def __init__(self, message: str, code: str = "INVALID_REVISION") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class AppSpec:
    """What an ECS AppSpec asks for."""

    task_definition: str
    container_name: str
    container_port: int
    platform_version: str | None = None
    network_configuration: dict[str, Any] | None = None
    capacity_provider_strategy: list[dict[str, Any]] | None = None
    hooks: dict[str, str] = field(default_factory=dict)


def sha256_of(content: str) -> str:
    """The hex SHA-256 of an AppSpec's text, as CodeDeploy keys revisions."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing deep nesting and aliases that expand past the limit."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) → its node count with aliases expanded

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _invalid(f"The AppSpec is nested more than {MAX_DEPTH} levels deep.")
        if self.check_event(AliasEvent):
            anchored = self.anchors.get(self.peek_event().anchor)
            if anchored is not None and id(anchored) not in self._sizes:  # not yet complete
                raise _invalid("An alias in the AppSpec refers to the node that holds it.")
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if id(node) not in self._sizes:
            children: list[Node] = []
            if isinstance(node, SequenceNode):
                children = list(node.value)
            elif isinstance(node, MappingNode):
                children = [part for pair in node.value for part in pair]
            self._sizes[id(node)] = 1 + sum(self._sizes[id(child)] for child in children)
        if self._sizes[id(node)] > MAX_NODES:
            raise _invalid(
                f"The AppSpec's aliases expand to more than {MAX_NODES:,} nodes; write it out "
                "without so many aliases."
            )
        return node


def _depth(document: Any) -> int:
    """How deeply ``document`` (JSON's lists and dicts) nests, without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, (dict, list)):
            stack.extend((child, depth + 1) for child in children)
    return deepest


def load(content: str) -> Any:
    """The document in ``content`` (JSON or YAML), or :class:`AppSpecError`."""
    size = len(content.encode("utf-8"))
    if size > MAX_BYTES:
        raise _invalid(
            f"The AppSpec is {size:,} bytes long; it may be at most {MAX_BYTES:,} bytes."
        )
    too_deep = _invalid(f"The AppSpec is nested more than {MAX_DEPTH} levels deep.")
    try:
        document = json.loads(content)
    except RecursionError:
        raise too_deep from None
    except ValueError:
        pass
    else:
        if _depth(document) > MAX_DEPTH:
            raise too_deep
        return document
    loader = _LimitedLoader(content)
    try:
        return loader.get_single_data()
    except (yaml.YAMLError, RecursionError):
        raise AppSpecError(f"{INVALID_PREFIX} {NOT_WELL_FORMED}") from None
    finally:
        loader.dispose()


def _get(mapping: dict[str, Any], key: str) -> Any:
    """A member of ``mapping`` by case-insensitive key, or ``None``."""
    for name, value in mapping.items():
        if isinstance(name, str) and name.lower() == key.lower():
            return value
    return None


def _invalid(detail: str) -> AppSpecError:
    return AppSpecError(f"{INVALID_PREFIX} {detail}")


def parse_appspec(content: str) -> AppSpec:
    """Parse and check an ECS AppSpec.

    Args:
        content: the AppSpec's text, YAML or JSON.

    Returns:
        The :class:`AppSpec`.

    Raises:
        AppSpecError: the text cannot be parsed or does not describe one ECS service.
    """
    document = load(content)
    if not isinstance(document, dict):
        raise _invalid(NOT_WELL_FORMED)
    version = _get(document, "version")
    if version is None or str(version) not in VERSIONS:
        raise _invalid(f"The AppSpec version must be 0.0, not {version!r}.")
    resources = _get(document, "Resources")
    if not isinstance(resources, list) or not resources:
        raise _invalid(
            "The AppSpec file must list one resource of type AWS::ECS::Service under Resources."
        )
    if len(resources) > 1:
        raise _invalid("An ECS AppSpec file can list only one resource under Resources.")
    resource = resources[0]
    if not isinstance(resource, dict) or len(resource) != 1:
        raise _invalid("Each resource in the AppSpec file must be a map with one name.")
    (body,) = resource.values()
    if not isinstance(body, dict):
        raise _invalid(NOT_WELL_FORMED)
    kind = _get(body, "Type")
    if kind != "AWS::ECS::Service":
        raise _invalid(f"The resource type must be AWS::ECS::Service, not {kind!r}.")
    properties = _get(body, "Properties")
    if not isinstance(properties, dict):
        raise _invalid("The AWS::ECS::Service resource must have Properties.")
    task_definition = _get(properties, "TaskDefinition")
    if not isinstance(task_definition, str) or not task_definition:
        raise _invalid("The Properties of the ECS service must name a TaskDefinition.")
    balancing = _get(properties, "LoadBalancerInfo")
    if isinstance(balancing, list):
        raise AppSpecError(f"{NOT_VALID} {NOT_WELL_FORMED}")
    if not isinstance(balancing, dict):
        raise _invalid("The Properties of the ECS service must have a LoadBalancerInfo.")
    container = _get(balancing, "ContainerName")
    port = _get(balancing, "ContainerPort")
    if not isinstance(container, str) or not container:
        raise _invalid("LoadBalancerInfo must name a ContainerName.")
    if isinstance(port, bool) or not isinstance(port, (int, str)) or not str(port).isdigit():
        raise _invalid("LoadBalancerInfo must give a ContainerPort (a number).")
    return AppSpec(
        task_definition=task_definition,
        container_name=container,
        container_port=int(port),
        platform_version=_get(properties, "PlatformVersion"),
        network_configuration=_network(_get(properties, "NetworkConfiguration")),
        capacity_provider_strategy=_strategy(_get(properties, "CapacityProviderStrategy")),
        hooks=_hooks(_get(document, "Hooks")),
    )


def _network(value: Any) -> dict[str, Any] | None:
    """ECS's ``networkConfiguration`` from the AppSpec's ``NetworkConfiguration``."""
    if value is None:
        return None
    vpc = _get(value, "AwsvpcConfiguration") if isinstance(value, dict) else None
    if not isinstance(vpc, dict):
        raise _invalid("NetworkConfiguration must hold an AwsvpcConfiguration.")
    subnets = _get(vpc, "Subnets")
    groups = _get(vpc, "SecurityGroups")
    public = _get(vpc, "AssignPublicIp")
    if not isinstance(subnets, list) or not subnets:
        raise _invalid("AwsvpcConfiguration must list Subnets.")
    config: dict[str, Any] = {"subnets": [str(s) for s in subnets]}
    if groups is not None:
        config["securityGroups"] = [str(g) for g in groups]
    if public is not None:
        if public not in ("ENABLED", "DISABLED"):
            raise _invalid("AssignPublicIp must be ENABLED or DISABLED.")
        config["assignPublicIp"] = public
    return {"awsvpcConfiguration": config}


def _strategy(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _invalid("CapacityProviderStrategy must be a list.")
    strategy = []
    for item in value:
        if not isinstance(item, dict) or not _get(item, "CapacityProvider"):
            raise _invalid("Each CapacityProviderStrategy item must name a CapacityProvider.")
        entry: dict[str, Any] = {"capacityProvider": _get(item, "CapacityProvider")}
        for key in ("Base", "Weight"):
            if _get(item, key) is not None:
                entry[key.lower()] = int(_get(item, key))
        strategy.append(entry)
    return strategy


def _hooks(value: Any) -> dict[str, str]:
    """``{event: function}`` from the AppSpec's list of single-key maps."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise _invalid("Hooks must be a list of maps, one lifecycle event each.")
    hooks: dict[str, str] = {}
    for item in value:
        if not isinstance(item, dict):
            raise _invalid("Hooks must be a list of maps, one lifecycle event each.")
        for event, function in item.items():
            if event not in HOOK_EVENTS:
                raise _invalid(
                    f"{event} is not a lifecycle event of an ECS deployment; hooks may run at "
                    f"{', '.join(HOOK_EVENTS)}."
                )
            hooks[event] = str(function)
    return hooks


# -- parsing off the caller's thread ----------------------------------------------------------

_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bgkit-appspec")
#: parses under way: sha256 of the content → (its future, when it was submitted)
_parsing: dict[str, tuple[Future[AppSpec], float]] = {}


def parsed_appspec(content: str) -> AppSpec | None:
    """:func:`parse_appspec` in a worker thread, so the caller's loop never waits on it.

    Call it again until it answers: the first call starts the parse and waits
    :data:`PARSE_WAIT` for it. Content of at most :data:`SYNC_BYTES` (an ordinary AppSpec) is
    parsed at once, as the limits bound its work to a few milliseconds.

    Returns:
        The :class:`AppSpec`, or ``None`` while it is being parsed.

    Raises:
        AppSpecError: the AppSpec cannot be used, or parsing it took longer than
            :data:`PARSE_TIMEOUT` wall seconds.
    """
    if len(content) <= SYNC_BYTES:
        return parse_appspec(content)
    key = sha256_of(content)
    if key not in _parsing:
        _parsing[key] = (_pool.submit(parse_appspec, content), time.monotonic())
    future, since = _parsing[key]
    try:
        spec = future.result(timeout=PARSE_WAIT)
    except FutureTimeout:
        if time.monotonic() - since <= PARSE_TIMEOUT:
            return None
        del _parsing[key]
        raise _invalid(
            f"Parsing the AppSpec took longer than {PARSE_TIMEOUT:.0f} seconds."
        ) from None
    except BaseException:
        del _parsing[key]
        raise
    del _parsing[key]
    return spec

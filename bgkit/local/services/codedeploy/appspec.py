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
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import yaml

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


def load(content: str) -> Any:
    """The document in ``content`` (JSON or YAML), or :class:`AppSpecError`."""
    try:
        return json.loads(content)
    except ValueError:
        pass
    try:
        return yaml.safe_load(content)
    except yaml.YAMLError:
        raise AppSpecError(f"{INVALID_PREFIX} {NOT_WELL_FORMED}") from None


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

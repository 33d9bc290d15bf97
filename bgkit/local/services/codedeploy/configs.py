"""CodeDeploy deployment configurations: the predefined ones, custom ones, and their schedules.

The predefined configurations exist without records; custom ones are ``deployment-config``
records (key: name) holding ``DeploymentConfigInfo`` + ``_tags``. :func:`traffic_schedule` turns
a configuration's ``trafficRoutingConfig`` into the production weights the engine applies on the
local clock: the first increment at the start of ``AllowTraffic``, then one every interval.
"""

from __future__ import annotations

import math
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.codedeploy.models import GROUP, PAGER

CONFIG = "deployment-config"
DEFAULT_PREFIX = "CodeDeployDefault."


def _ecs(number: int, name: str, routing: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return name, {
        # AWS's predefined ids are zero-padded; ...015 for ECSLinear10PercentEvery1Minutes is
        # observed (an AWS Config record), the others' numbers are [I].
        "deploymentConfigId": f"00000000-0000-0000-0000-{number:012d}",
        "deploymentConfigName": name,
        "computePlatform": "ECS",
        "trafficRoutingConfig": routing,
    }


def _server(number: int, name: str, kind: str, value: int) -> tuple[str, dict[str, Any]]:
    return name, {
        "deploymentConfigId": f"00000000-0000-0000-0000-{number:012d}",
        "deploymentConfigName": name,
        "computePlatform": "Server",
        "minimumHealthyHosts": {"type": kind, "value": value},
    }


def _linear(percentage: int, interval: int) -> dict[str, Any]:
    return {
        "type": "TimeBasedLinear",
        "timeBasedLinear": {"linearPercentage": percentage, "linearInterval": interval},
    }


def _canary(percentage: int, interval: int) -> dict[str, Any]:
    return {
        "type": "TimeBasedCanary",
        "timeBasedCanary": {"canaryPercentage": percentage, "canaryInterval": interval},
    }


PREDEFINED: dict[str, dict[str, Any]] = dict(
    [
        _server(1, "CodeDeployDefault.OneAtATime", "HOST_COUNT", 1),
        _server(2, "CodeDeployDefault.HalfAtATime", "FLEET_PERCENT", 50),
        _server(3, "CodeDeployDefault.AllAtOnce", "HOST_COUNT", 0),
        _ecs(13, "CodeDeployDefault.ECSAllAtOnce", {"type": "AllAtOnce"}),
        _ecs(15, "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", _linear(10, 1)),
        _ecs(16, "CodeDeployDefault.ECSLinear10PercentEvery3Minutes", _linear(10, 3)),
        _ecs(17, "CodeDeployDefault.ECSCanary10Percent5Minutes", _canary(10, 5)),
        _ecs(18, "CodeDeployDefault.ECSCanary10Percent15Minutes", _canary(10, 15)),
    ]
)
ROUTING_TYPES = ("AllAtOnce", "TimeBasedCanary", "TimeBasedLinear")
PLATFORMS = ("Server", "Lambda", "ECS")


def find_config(ctx: RequestContext, name: str) -> dict[str, Any] | None:
    """A deployment configuration by name (predefined or custom), or ``None``."""
    return PREDEFINED.get(name) or ctx.records(CONFIG).get(name)


def require_config(ctx: RequestContext, name: str) -> dict[str, Any]:
    """A deployment configuration, or ``DeploymentConfigDoesNotExistException``."""
    config = find_config(ctx, name)
    if config is None:
        raise ServiceError(
            "DeploymentConfigDoesNotExistException",
            f"No deployment configuration found for name: {name}",
        )
    return config


def require_ecs_config(ctx: RequestContext, name: str) -> dict[str, Any]:
    """An ECS deployment configuration (what an ECS group or deployment may use)."""
    config = require_config(ctx, name)
    if config.get("computePlatform") != "ECS":
        raise ServiceError(
            "InvalidDeploymentConfigNameException",
            f"Deployment config {name} is for the {config.get('computePlatform')} compute "
            "platform; an ECS deployment group needs an ECS one, e.g. "
            "CodeDeployDefault.ECSAllAtOnce",
        )
    return config


def traffic_schedule(config: dict[str, Any]) -> list[tuple[float, int]]:
    """``[(seconds after AllowTraffic starts, percent of production traffic on green)]``.

    ``CodeDeployDefault.ECSLinear10PercentEvery1Minutes`` gives 10 % at 0 s, 20 % at 60 s …
    100 % at 540 s; a canary gives its percentage at 0 s and 100 % one interval later.
    """
    routing = config.get("trafficRoutingConfig") or {"type": "AllAtOnce"}
    kind = routing.get("type", "AllAtOnce")
    if kind == "TimeBasedCanary":
        canary = routing["timeBasedCanary"]
        return [(0.0, int(canary["canaryPercentage"])), (canary["canaryInterval"] * 60.0, 100)]
    if kind == "TimeBasedLinear":
        linear = routing["timeBasedLinear"]
        step, interval = int(linear["linearPercentage"]), linear["linearInterval"] * 60.0
        steps = math.ceil(100 / step)
        return [(k * interval, min(100, (k + 1) * step)) for k in range(steps)]
    return [(0.0, 100)]


def check_routing(routing: dict[str, Any] | None) -> dict[str, Any]:
    """A custom ``trafficRoutingConfig``, checked, as it is stored."""
    if not routing or routing.get("type") not in ROUTING_TYPES:
        raise ServiceError(
            "InvalidTrafficRoutingConfigurationException",
            "An ECS deployment configuration needs a trafficRoutingConfig of type "
            f"{', '.join(ROUTING_TYPES)}",
        )
    kind = routing["type"]
    if kind == "AllAtOnce":
        return {"type": kind}
    member, percentage, interval = (
        ("timeBasedCanary", "canaryPercentage", "canaryInterval")
        if kind == "TimeBasedCanary"
        else ("timeBasedLinear", "linearPercentage", "linearInterval")
    )
    values = routing.get(member) or {}
    value, minutes = values.get(percentage), values.get(interval)
    if not isinstance(value, int) or not 1 <= value <= 99:
        raise ServiceError(
            "InvalidTrafficRoutingConfigurationException",
            f"{member}.{percentage} must be a whole percentage between 1 and 99",
        )
    if not isinstance(minutes, int) or minutes < 1:
        raise ServiceError(
            "InvalidTrafficRoutingConfigurationException",
            f"{member}.{interval} must be a whole number of minutes, at least 1",
        )
    return {"type": kind, member: {percentage: value, interval: minutes}}


class ConfigOperations:
    """The deployment configuration operations of the CodeDeploy provider."""

    def create_deployment_config(
        self,
        ctx: RequestContext,
        deployment_config_name: str,
        minimum_healthy_hosts: dict[str, Any] | None = None,
        traffic_routing_config: dict[str, Any] | None = None,
        compute_platform: str | None = None,
        zonal_config: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        name = deployment_config_name
        if name.startswith(DEFAULT_PREFIX):
            raise ServiceError(
                "InvalidDeploymentConfigNameException",
                f"A deployment configuration name cannot start with {DEFAULT_PREFIX}: {name}",
            )
        if find_config(ctx, name) is not None:
            raise ServiceError(
                "DeploymentConfigAlreadyExistsException",
                f"A deployment configuration named {name} already exists",
            )
        platform = compute_platform or "Server"
        if platform not in PLATFORMS:
            raise ServiceError(
                "InvalidComputePlatformException",
                "computePlatform should be Lambda, Server, or ECS",
            )
        info: dict[str, Any] = {
            "deploymentConfigId": ctx.ids.uuid("codedeploy-config"),
            "deploymentConfigName": name,
            "computePlatform": platform,
            "createTime": ctx.now(),
            "_tags": [],
        }
        if platform == "Server":
            if not minimum_healthy_hosts or minimum_healthy_hosts.get("type") not in (
                "HOST_COUNT",
                "FLEET_PERCENT",
            ):
                raise ServiceError(
                    "InvalidMinimumHealthyHostValueException",
                    "A Server deployment configuration needs minimumHealthyHosts of type "
                    "HOST_COUNT or FLEET_PERCENT",
                )
            info["minimumHealthyHosts"] = dict(minimum_healthy_hosts)
        else:
            if minimum_healthy_hosts:
                raise ServiceError(
                    "InvalidMinimumHealthyHostValueException",
                    f"minimumHealthyHosts applies to Server configurations, not {platform}",
                )
            info["trafficRoutingConfig"] = check_routing(traffic_routing_config)
        ctx.records(CONFIG).put(name, info)
        return {"deploymentConfigId": info["deploymentConfigId"]}

    def get_deployment_config(
        self, ctx: RequestContext, deployment_config_name: str
    ) -> dict[str, Any]:
        return {"deploymentConfigInfo": require_config(ctx, deployment_config_name)}

    def list_deployment_configs(self, ctx: RequestContext, **paging: Any) -> dict[str, Any]:
        names = [*PREDEFINED, *(c["deploymentConfigName"] for c in ctx.records(CONFIG).list())]
        return PAGER.page("ListDeploymentConfigs", names, paging)

    def delete_deployment_config(self, ctx: RequestContext, deployment_config_name: str) -> None:
        name = deployment_config_name
        if name in PREDEFINED:
            raise ServiceError(
                "InvalidOperationException",
                f"The predefined configuration {name} cannot be deleted",
            )
        for group in ctx.records(GROUP).list():
            if group.get("deploymentConfigName") == name:
                raise ServiceError(
                    "DeploymentConfigInUseException",
                    f"The deployment configuration {name} is used by the deployment group "
                    f"{group['deploymentGroupName']}; change the group's configuration first",
                )
        # AWS answers nothing for an unknown custom name (the model lists no DoesNotExist)
        ctx.records(CONFIG).delete(name)
        return None

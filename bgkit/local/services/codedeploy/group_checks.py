"""CodeDeploy deployment groups for ECS: their validation against IAM, ECS and ELBv2.

A group is checked as AWS checks it when it is created or updated: the service role exists and
trusts ``codedeploy.amazonaws.com``; the style is ``BLUE_GREEN`` + ``WITH_TRAFFIC_CONTROL``; the
ECS service exists and uses the ``CODE_DEPLOY`` controller and no other group deploys it; the
target group pair has exactly two groups of which one is the service's, both on the load balancer
of the listeners; exactly one production listener and at most one test listener; a ready wait
time only with ``STOP_DEPLOYMENT``; an ``alarmConfiguration`` as :mod:`.alarms` checks it. The
group echoes both wait times, 0 when unset (clients do arithmetic with them).
"""

from __future__ import annotations

import copy
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.codedeploy.alarms import check_alarm_configuration
from bgkit.local.services.codedeploy.configs import require_ecs_config
from bgkit.local.services.codedeploy.models import GROUP, group_key
from bgkit.local.services.codedeploy.traffic import CODEDEPLOY, as_codedeploy
from bgkit.local.services.elbv2.models import (
    LISTENER,
    TARGET_GROUP,
    balancers_of_group,
)
from bgkit.local.services.iam.models import find_role, role_trusts

#: [I] AWS's API default is CodeDeployDefault.OneAtATime, a Server configuration an ECS group
#: cannot use; an ECS group without one gets what the ECS console gives
DEFAULT_ECS_CONFIG = "CodeDeployDefault.ECSAllAtOnce"
MAX_TERMINATION_WAIT = 2880
ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")
NO_LOAD_BALANCER = (
    "The specification for load balancing in the deployment group is invalid. The "
    "deploymentOption value is set to WITH_TRAFFIC_CONTROL, but either no load balancer was "
    "specified in elbInfoList or no target group was specified in targetGroupInfoList."
)
PAIR_PREFIX = (
    "A deployment group associated with an application that uses the ECS compute platform must "
    "contain a valid pair of target groups that identify a load balancer."
)
#: the members a group keeps from CreateDeploymentGroup (and UpdateDeploymentGroup replaces)
SETTINGS = (
    "deploymentConfigName",
    "serviceRoleArn",
    "triggerConfigurations",
    "alarmConfiguration",
    "autoRollbackConfiguration",
    "deploymentStyle",
    "blueGreenDeploymentConfiguration",
    "loadBalancerInfo",
    "ecsServices",
    "autoScalingGroups",
)


def _fail(code: str, message: str) -> ServiceError:
    return ServiceError(code, message)


def check_role(ctx: RequestContext, role_arn: str | None) -> str:
    """A service role CodeDeploy can assume, or ``InvalidRoleException`` saying what to fix."""
    if not role_arn:
        raise _fail("RoleRequiredException", "The service role ARN must be specified")
    if not role_arn.startswith(f"arn:{ctx.partition}:iam::") or ":role/" not in role_arn:
        raise _fail(
            "InvalidRoleException",
            f"The service role ARN was specified in an invalid format: {role_arn} (give the "
            f"role's ARN, arn:{ctx.partition}:iam::<account>:role/<name>)",
        )
    if find_role(ctx, role_arn) is None:
        raise _fail(
            "InvalidRoleException",
            f"AWS CodeDeploy does not have the permissions required to assume the role "
            f"{role_arn}: the role does not exist; create it first",
        )
    if not role_trusts(ctx, role_arn, CODEDEPLOY):
        raise _fail(
            "InvalidRoleException",
            f"AWS CodeDeploy does not have the permissions required to assume the role "
            f"{role_arn}: the role does not trust {CODEDEPLOY}; add it to the role's trust "
            "policy",
        )
    return role_arn


def _check_style(style: dict[str, Any] | None) -> dict[str, Any]:
    wanted = {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    if style != wanted:
        raise _fail(
            "InvalidDeploymentStyleException",
            "An ECS deployment group must have deploymentStyle {deploymentType: BLUE_GREEN, "
            "deploymentOption: WITH_TRAFFIC_CONTROL}",
        )
    return dict(wanted)


def _check_blue_green(config: dict[str, Any] | None) -> dict[str, Any]:
    """The blue/green settings with both wait times present (0 when unset)."""
    config = copy.deepcopy(config or {})
    ready = config.get("deploymentReadyOption") or {}
    action = ready.get("actionOnTimeout", "CONTINUE_DEPLOYMENT")
    wait = ready.get("waitTimeInMinutes") or 0
    if action not in ("CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT"):
        raise _fail(
            "InvalidBlueGreenDeploymentConfigurationException",
            "actionOnTimeout must be CONTINUE_DEPLOYMENT or STOP_DEPLOYMENT",
        )
    if action == "CONTINUE_DEPLOYMENT" and wait:
        raise _fail(
            "InvalidBlueGreenDeploymentConfigurationException",
            "Deployment ready action cannot be set to 'CONTINUE_DEPLOYMENT' when timeout is "
            "specified",
        )
    terminate = config.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    termination = terminate.get("terminationWaitTimeInMinutes") or 0
    if terminate.get("action", "TERMINATE") != "TERMINATE":
        raise _fail(
            "InvalidBlueGreenDeploymentConfigurationException",
            "An ECS deployment group must terminate the original task set "
            "(terminateBlueInstancesOnDeploymentSuccess.action TERMINATE); KEEP_ALIVE is for "
            "EC2 deployment groups",
        )
    if not 0 <= termination <= MAX_TERMINATION_WAIT or wait < 0:
        raise _fail(
            "InvalidBlueGreenDeploymentConfigurationException",
            f"terminationWaitTimeInMinutes must be between 0 and {MAX_TERMINATION_WAIT}",
        )
    if config.get("greenFleetProvisioningOption"):
        raise _fail(
            "InvalidBlueGreenDeploymentConfigurationException",
            "greenFleetProvisioningOption is for EC2 deployment groups; leave it out for ECS",
        )
    return {
        "deploymentReadyOption": {"actionOnTimeout": action, "waitTimeInMinutes": wait},
        "terminateBlueInstancesOnDeploymentSuccess": {
            "action": "TERMINATE",
            "terminationWaitTimeInMinutes": termination,
        },
    }


def check_rollback(config: dict[str, Any] | None) -> dict[str, Any]:
    """An ``autoRollbackConfiguration``, or ``InvalidAutoRollbackConfigException``."""
    config = dict(config or {"enabled": False})
    events = list(config.get("events") or [])
    if config.get("enabled") and not events:
        raise _fail(
            "InvalidAutoRollbackConfigException",
            "Automatic rollback is enabled but no events are given: name at least one of "
            f"{', '.join(ROLLBACK_EVENTS)}",
        )
    if any(event not in ROLLBACK_EVENTS for event in events):
        raise _fail(
            "InvalidAutoRollbackConfigException",
            f"Rollback events must be among {', '.join(ROLLBACK_EVENTS)}",
        )
    return {"enabled": bool(config.get("enabled")), "events": events}


def _check_service(
    ctx: RequestContext, services: list[dict[str, Any]] | None, own_key: str | None
) -> dict[str, Any]:
    """The group's one ECS service, as ECS describes it."""
    if not services or len(services) != 1:
        raise _fail(
            "InvalidECSServiceException",
            "An ECS deployment group must name exactly one ECS service in ecsServices",
        )
    wanted = services[0]
    cluster, name = wanted.get("clusterName"), wanted.get("serviceName")
    found = as_codedeploy(ctx, None, "ecs", "DescribeServices", cluster=cluster, services=[name])
    live = [s for s in found.get("services", []) if s.get("status") == "ACTIVE"]
    if not live:
        raise _fail(
            "InvalidECSServiceException",
            f"The ECS service {name} was not found in the cluster {cluster}; create the service "
            "first",
        )
    service = live[0]
    if service.get("deploymentController", {}).get("type") != "CODE_DEPLOY":
        raise _fail(
            "InvalidECSServiceException",
            "Deployment group's ECS service must be configured for a CODE_DEPLOY deployment "
            "controller.",
        )
    for group in ctx.records(GROUP).list():
        if group_key(group["applicationName"], group["deploymentGroupName"]) == own_key:
            continue
        for other in group.get("ecsServices", []):
            if (other["clusterName"], other["serviceName"]) == (cluster, name):
                raise _fail(
                    "ECSServiceMappingLimitExceededException",
                    f"ECS service is associated with more than one deployment groups: the "
                    f"service {name} is deployed by {group['applicationName']}/"
                    f"{group['deploymentGroupName']} already",
                )
    return service


def _target_group_by_name(ctx: RequestContext, name: str | None) -> dict[str, Any] | None:
    for group in ctx.records(TARGET_GROUP).list():
        if group["TargetGroupName"] == name:
            return group
    return None


def _check_listeners(ctx: RequestContext, route: dict[str, Any] | None, what: str) -> list[str]:
    arns = list((route or {}).get("listenerArns") or [])
    for arn in arns:
        if ctx.records(LISTENER).get(arn) is None:
            raise _fail(
                "InvalidTrafficRoutingConfigurationException",
                f"The {what} listener {arn} was not found",
            )
    return arns


def _check_load_balancing(
    ctx: RequestContext, info: dict[str, Any] | None, service: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The load balancer info as stored, and the pair's target group ARNs."""
    pairs = (info or {}).get("targetGroupPairInfoList")
    if not pairs:
        raise _fail("InvalidLoadBalancerInfoException", NO_LOAD_BALANCER)
    if len(pairs) != 1 or len(pairs[0].get("targetGroups") or []) != 2:
        raise _fail(
            "InvalidTargetGroupPairException",
            "A target group pair associated with this deployment is not valid: give one pair "
            "of exactly two target groups",
        )
    pair = pairs[0]
    names = [item.get("name") for item in pair["targetGroups"]]
    groups = [_target_group_by_name(ctx, name) for name in names]
    if None in groups or names[0] == names[1]:
        raise _fail(
            "InvalidTargetGroupPairException",
            f"A target group pair associated with this deployment is not valid: {names} must "
            "name two existing target groups",
        )
    prod = _check_listeners(ctx, pair.get("prodTrafficRoute"), "production")
    if len(prod) != 1:
        raise _fail(
            "InvalidTrafficRoutingConfigurationException",
            "Production traffic route must have exactly one listener Arn",
        )
    test = _check_listeners(ctx, pair.get("testTrafficRoute"), "test")
    if len(test) > 1:
        raise _fail(
            "InvalidTrafficRoutingConfigurationException",
            "Test traffic route must have at most one listener Arn",
        )
    balancers = {ctx.records(LISTENER).get(arn)["LoadBalancerArn"] for arn in prod + test}
    if len(balancers) != 1:
        raise _fail(
            "InvalidTrafficRoutingConfigurationException",
            "The production and test listeners must belong to the same load balancer",
        )
    (balancer,) = balancers
    arns = [group["TargetGroupArn"] for group in groups if group]
    service_groups = [lb.get("targetGroupArn") for lb in service.get("loadBalancers", [])]
    if not any(arn in service_groups for arn in arns):
        raise _fail(
            "InvalidTargetGroupPairException",
            f"{PAIR_PREFIX} The target group the ECS service uses is not one of {names}",
        )
    for name, arn in zip(names, arns, strict=True):
        if any(other != balancer for other in balancers_of_group(ctx, arn)):
            raise _fail(
                "InvalidTargetGroupPairException",
                f"{PAIR_PREFIX} The target group {name} is associated with a different load "
                "balancer than the one of the listeners",
            )
    stored = {
        "targetGroupPairInfoList": [
            {
                "targetGroups": [{"name": name} for name in names],
                "prodTrafficRoute": {"listenerArns": prod},
                **({"testTrafficRoute": {"listenerArns": test}} if test else {}),
            }
        ]
    }
    return stored, arns


def check_group(
    ctx: RequestContext, application: dict[str, Any], settings: dict[str, Any], own_key: str | None
) -> dict[str, Any]:
    """The group's settings as stored, checked against IAM, ECS and ELBv2 (see the module)."""
    if application.get("computePlatform") != "ECS":
        raise _fail("InvalidLoadBalancerInfoException", NO_LOAD_BALANCER)
    if settings.get("autoScalingGroups"):
        raise _fail(
            "InvalidAutoScalingGroupException",
            "For ECS deployment group, autoScalingGroups can not be specified",
        )
    checked = {
        "serviceRoleArn": check_role(ctx, settings.get("serviceRoleArn")),
        "deploymentConfigName": settings.get("deploymentConfigName") or DEFAULT_ECS_CONFIG,
        "deploymentStyle": _check_style(settings.get("deploymentStyle")),
        "blueGreenDeploymentConfiguration": _check_blue_green(
            settings.get("blueGreenDeploymentConfiguration")
        ),
        "autoRollbackConfiguration": check_rollback(settings.get("autoRollbackConfiguration")),
        "alarmConfiguration": check_alarm_configuration(settings.get("alarmConfiguration")),
        "triggerConfigurations": list(settings.get("triggerConfigurations") or []),
    }
    require_ecs_config(ctx, checked["deploymentConfigName"])
    service = _check_service(ctx, settings.get("ecsServices"), own_key)
    info, arns = _check_load_balancing(ctx, settings.get("loadBalancerInfo"), service)
    checked["loadBalancerInfo"] = info
    checked["ecsServices"] = [
        {
            "serviceName": service["serviceName"],
            "clusterName": settings["ecsServices"][0]["clusterName"],
        }
    ]
    checked["_targetGroupArns"] = arns
    return checked

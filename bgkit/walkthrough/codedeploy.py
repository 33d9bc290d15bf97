"""The CodeDeploy application and deployment group (notebook 04).

The group is what the console's "Create deployment group" screen makes: blue/green with traffic
control, the two target groups, the production listener (80) and the test listener (8080), a
**ready wait** that stops the deployment when nobody reroutes traffic in time
(``STOP_DEPLOYMENT``), a termination wait before the original task set goes, and automatic
rollback when a deployment fails or is stopped.
"""

from __future__ import annotations

from typing import Any

from bgkit.walkthrough import existing, tags
from bgkit.walkthrough.naming import names

__all__ = [
    "DEPLOYMENT_CONFIG",
    "READY_WAIT_MINUTES",
    "TERMINATION_WAIT_MINUTES",
    "application",
    "deployment_group",
    "deployment_group_settings",
]

DEPLOYMENT_CONFIG = "CodeDeployDefault.ECSAllAtOnce"
READY_WAIT_MINUTES = 30
TERMINATION_WAIT_MINUTES = 5


def application(kit: Any) -> dict[str, Any]:
    """``<prefix>-app`` for the ECS compute platform."""
    found = existing.application(kit)
    if found is not None:
        return found
    codedeploy = kit.client("codedeploy")
    name = names(kit).application
    codedeploy.create_application(
        applicationName=name, computePlatform="ECS", tags=tags.key_value(kit)
    )
    return codedeploy.get_application(applicationName=name)["application"]


def deployment_group_settings(
    kit: Any,
    *,
    service_role_arn: str,
    production_listener_arn: str,
    test_listener_arn: str,
    ready_wait_minutes: int = READY_WAIT_MINUTES,
    termination_wait_minutes: int = TERMINATION_WAIT_MINUTES,
) -> dict[str, Any]:
    """The deployment group's settings, as ``CreateDeploymentGroup`` takes them."""
    first, second = names(kit).target_groups
    return {
        "serviceRoleArn": service_role_arn,
        "deploymentConfigName": DEPLOYMENT_CONFIG,
        "deploymentStyle": {
            "deploymentType": "BLUE_GREEN",
            "deploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        "blueGreenDeploymentConfiguration": {
            "deploymentReadyOption": {
                "actionOnTimeout": "STOP_DEPLOYMENT",
                "waitTimeInMinutes": ready_wait_minutes,
            },
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE",
                "terminationWaitTimeInMinutes": termination_wait_minutes,
            },
        },
        "autoRollbackConfiguration": {
            "enabled": True,
            "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"],
        },
        "loadBalancerInfo": {
            "targetGroupPairInfoList": [
                {
                    "targetGroups": [{"name": first}, {"name": second}],
                    "prodTrafficRoute": {"listenerArns": [production_listener_arn]},
                    "testTrafficRoute": {"listenerArns": [test_listener_arn]},
                }
            ]
        },
        "ecsServices": [{"serviceName": names(kit).service, "clusterName": names(kit).cluster}],
    }


def _waits(group: dict[str, Any]) -> tuple[int, int]:
    config = group.get("blueGreenDeploymentConfiguration", {})
    ready = config.get("deploymentReadyOption", {}).get("waitTimeInMinutes", 0)
    terminate = config.get("terminateBlueInstancesOnDeploymentSuccess", {})
    return ready, terminate.get("terminationWaitTimeInMinutes", 0)


def deployment_group(kit: Any, **settings: Any) -> dict[str, Any]:
    """``<prefix>-dg``, get-or-create; an existing group gets the given wait times.

    Args:
        settings: the keywords of :func:`deployment_group_settings`.

    Returns:
        ``GetDeploymentGroup``'s ``deploymentGroupInfo``.
    """
    codedeploy = kit.client("codedeploy")
    app, group = names(kit).application, names(kit).deployment_group
    wanted = deployment_group_settings(kit, **settings)
    found = existing.deployment_group(kit)
    if found is None:
        codedeploy.create_deployment_group(
            applicationName=app, deploymentGroupName=group, tags=tags.key_value(kit), **wanted
        )
    elif _waits(found) != _waits(wanted):
        codedeploy.update_deployment_group(
            applicationName=app,
            currentDeploymentGroupName=group,
            blueGreenDeploymentConfiguration=wanted["blueGreenDeploymentConfiguration"],
        )
    return codedeploy.get_deployment_group(applicationName=app, deploymentGroupName=group)[
        "deploymentGroupInfo"
    ]

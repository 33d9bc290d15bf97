"""The *get* half of get-or-create: what a notebook cell is about to create, if it exists already.

Each function looks for one resource of the walkthrough by its name and returns what AWS
describes, or ``None``. A notebook cell shows the create request itself and stays safe to run
twice::

    lb = wt.existing.load_balancer(kit)
    if lb is None:
        lb = elbv2.create_load_balancer(Name=names.load_balancer, ...)["LoadBalancers"][0]

The helpers of :mod:`bgkit.walkthrough` find things the same way, through these functions.
"""

from __future__ import annotations

import hashlib
from typing import Any

from bgkit.walkthrough.naming import names

__all__ = [
    "ACTIVE",
    "application",
    "cluster",
    "deployment",
    "deployment_group",
    "listener",
    "load_balancer",
    "service",
    "target_group",
]

#: statuses of a deployment that is not over
ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")


def load_balancer(kit: Any) -> dict[str, Any] | None:
    """``<prefix>-alb`` as ``DescribeLoadBalancers`` shows it."""
    elbv2 = kit.client("elbv2")
    try:
        return elbv2.describe_load_balancers(Names=[names(kit).load_balancer])["LoadBalancers"][0]
    except elbv2.exceptions.LoadBalancerNotFoundException:
        return None


def target_group(kit: Any, name: str) -> dict[str, Any] | None:
    """The target group ``name`` as ``DescribeTargetGroups`` shows it."""
    elbv2 = kit.client("elbv2")
    try:
        return elbv2.describe_target_groups(Names=[name])["TargetGroups"][0]
    except elbv2.exceptions.TargetGroupNotFoundException:
        return None


def listener(kit: Any, load_balancer_arn: str, port: int) -> dict[str, Any] | None:
    """The load balancer's listener on ``port``."""
    found = kit.client("elbv2").describe_listeners(LoadBalancerArn=load_balancer_arn)
    return next((item for item in found["Listeners"] if item["Port"] == port), None)


def cluster(kit: Any) -> dict[str, Any] | None:
    """``<prefix>-cluster`` while it is ``ACTIVE``."""
    found = kit.client("ecs").describe_clusters(clusters=[names(kit).cluster])["clusters"]
    return next((item for item in found if item["status"] == "ACTIVE"), None)


def service(kit: Any) -> dict[str, Any] | None:
    """``<prefix>-service`` while it is ``ACTIVE``, as ``DescribeServices`` shows it (``None``
    too when the cluster does not exist)."""
    ecs = kit.client("ecs")
    try:
        found = ecs.describe_services(cluster=names(kit).cluster, services=[names(kit).service])
    except ecs.exceptions.ClusterNotFoundException:
        return None
    return next((item for item in found["services"] if item["status"] == "ACTIVE"), None)


def application(kit: Any) -> dict[str, Any] | None:
    """``<prefix>-app`` as ``GetApplication`` shows it."""
    codedeploy = kit.client("codedeploy")
    try:
        return codedeploy.get_application(applicationName=names(kit).application)["application"]
    except codedeploy.exceptions.ApplicationDoesNotExistException:
        return None


def deployment_group(kit: Any) -> dict[str, Any] | None:
    """``<prefix>-dg`` as ``GetDeploymentGroup`` shows it (its ``deploymentGroupInfo``)."""
    codedeploy = kit.client("codedeploy")
    try:
        found = codedeploy.get_deployment_group(
            applicationName=names(kit).application, deploymentGroupName=names(kit).deployment_group
        )
    except codedeploy.exceptions.DeploymentGroupDoesNotExistException:
        return None
    return found["deploymentGroupInfo"]


def deployment(kit: Any, appspec_content: str) -> str | None:
    """The id of the group's deployment of this AppSpec that is under way, or that succeeded
    and still runs (nothing was deployed since); ``None`` when it has to be deployed."""
    codedeploy = kit.client("codedeploy")
    app, group = names(kit).application, names(kit).deployment_group
    sha256 = hashlib.sha256(appspec_content.encode()).hexdigest()
    ids = codedeploy.list_deployments(applicationName=app, deploymentGroupName=group)
    ids = ids["deployments"][:25]
    if not ids:
        return None
    infos = codedeploy.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"]
    infos.sort(key=lambda d: d["createTime"], reverse=True)
    for index, info in enumerate(infos):
        same = info.get("revision", {}).get("appSpecContent", {}).get("sha256") == sha256
        if info["status"] in ACTIVE and same:
            return info["deploymentId"]
        if info["status"] == "Succeeded":
            if same and not any(d["status"] in ACTIVE for d in infos[:index]):
                return info["deploymentId"]
            return None
    return None

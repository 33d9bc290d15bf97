"""Deleting everything the kit made (notebook 07, ``bgkit cleanup``), found by its tags.

A resource is the kit's when it carries ``bgkit:kit=bgkit`` and ``bgkit:prefix=<prefix>``
(:mod:`.tags`), so in a shared workshop account each participant deletes only their own.
:func:`created_resources` lists them, service by service, with plain describe/list calls;
:func:`clean_up` deletes them in dependency order (deployments, service, cluster, load balancer,
target groups, security group, roles, log group — and notebook 10's Lambda function with its log
group, notebook 11's CloudWatch alarm, notebook 12's pipeline and its versioned bucket, every
object version first); run it twice and the second run finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from bgkit.walkthrough.alarms import our_alarms
from bgkit.walkthrough.naming import names
from bgkit.walkthrough.network import delete_network, network_resources
from bgkit.walkthrough.progress import Step, poll, retry
from bgkit.walkthrough.tags import PREFIX, is_ours

__all__ = ["clean_up", "created_resources"]

COLUMNS = ["service", "kind", "name"]


def _unavailable(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "UnknownOperationException"


def all_applications(kit: Any) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """Every CodeDeploy application of the region (every page), with its tags."""
    codedeploy = kit.client("codedeploy")
    account = kit.client("sts").get_caller_identity()["Account"]
    for page in codedeploy.get_paginator("list_applications").paginate():
        for name in page.get("applications", []):
            arn = f"arn:aws:codedeploy:{kit.settings.region}:{account}:application:{name}"
            yield name, codedeploy.list_tags_for_resource(ResourceArn=arn).get("Tags", [])


def all_clusters(kit: Any) -> list[dict[str, Any]]:
    """Every active ECS cluster of the region (every page, described 100 at a time), with its
    tags — a shared workshop account may hold more than one page of them."""
    ecs = kit.client("ecs")
    arns = [
        a for page in ecs.get_paginator("list_clusters").paginate() for a in page["clusterArns"]
    ]
    found: list[dict[str, Any]] = []
    for start in range(0, len(arns), 100):
        batch = arns[start : start + 100]
        found += ecs.describe_clusters(clusters=batch, include=["TAGS"])["clusters"]
    return [c for c in found if c["status"] == "ACTIVE"]


def _applications(kit: Any) -> Iterator[tuple[str, str, str]]:
    for name, tags in all_applications(kit):
        if is_ours(tags, _p(kit)):
            yield "codedeploy", "application", name


def _p(kit: Any) -> str:
    return kit.settings.prefix


def _clusters(kit: Any) -> list[dict[str, Any]]:
    return [c for c in all_clusters(kit) if is_ours(c.get("tags"), _p(kit))]


def _services(kit: Any, cluster_arn: str) -> list[dict[str, Any]]:
    ecs = kit.client("ecs")
    arns = ecs.list_services(cluster=cluster_arn)["serviceArns"]
    if not arns:
        return []
    found = ecs.describe_services(cluster=cluster_arn, services=arns, include=["TAGS"])
    return [s for s in found["services"] if s["status"] != "INACTIVE"]


def _task_definitions(kit: Any) -> list[str]:
    ecs = kit.client("ecs")
    arns = ecs.list_task_definitions(familyPrefix=names(kit).family, status="ACTIVE")
    ours = []
    for arn in arns["taskDefinitionArns"]:
        described = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        if is_ours(described.get("tags"), _p(kit)):
            ours.append(arn)
    return ours


def _elb_tagged(kit: Any, arns: list[str]) -> list[str]:
    elbv2 = kit.client("elbv2")
    ours = []
    for start in range(0, len(arns), 20):
        described = elbv2.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]
        ours += [d["ResourceArn"] for d in described if is_ours(d.get("Tags"), _p(kit))]
    return ours


def _load_balancers(kit: Any) -> list[str]:
    found = kit.client("elbv2").describe_load_balancers()["LoadBalancers"]
    return _elb_tagged(kit, [lb["LoadBalancerArn"] for lb in found])


def _target_groups(kit: Any) -> list[str]:
    found = kit.client("elbv2").describe_target_groups()["TargetGroups"]
    return _elb_tagged(kit, [tg["TargetGroupArn"] for tg in found])


def _security_groups(kit: Any) -> list[dict[str, Any]]:
    found = kit.client("ec2").describe_security_groups(
        Filters=[{"Name": f"tag:{PREFIX}", "Values": [_p(kit)]}]
    )["SecurityGroups"]
    return [g for g in found if is_ours(g.get("Tags"), _p(kit))]


def _roles(kit: Any) -> list[str]:
    iam = kit.client("iam")
    ours = []
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if not role["RoleName"].startswith(_p(kit) + "-"):
                continue
            if is_ours(iam.list_role_tags(RoleName=role["RoleName"])["Tags"], _p(kit)):
                ours.append(role["RoleName"])
    return ours


def _log_groups(kit: Any) -> list[str]:
    logs = kit.client("logs")
    found = logs.describe_log_groups(logGroupNamePrefix=names(kit).log_group)["logGroups"]
    return [
        g["logGroupName"]
        for g in found
        if g["logGroupName"] == names(kit).log_group
        and is_ours(logs.list_tags_for_resource(resourceArn=g["logGroupArn"])["tags"], _p(kit))
    ]


def _pipelines(kit: Any) -> list[str]:
    """Notebook 12's pipelines: named after the prefix and tagged by the kit."""
    codepipeline = kit.client("codepipeline")
    ours = []
    for page in codepipeline.get_paginator("list_pipelines").paginate():
        for pipeline in page["pipelines"]:
            if not pipeline["name"].startswith(_p(kit) + "-"):
                continue
            arn = codepipeline.get_pipeline(name=pipeline["name"])["metadata"]["pipelineArn"]
            if is_ours(codepipeline.list_tags_for_resource(resourceArn=arn)["tags"], _p(kit)):
                ours.append(pipeline["name"])
    return ours


def _buckets(kit: Any) -> list[str]:
    """Notebook 12's source buckets: named after the prefix and tagged by the kit."""
    s3 = kit.client("s3")
    ours = []
    for found in s3.list_buckets().get("Buckets", []):
        if not found["Name"].startswith(_p(kit) + "-"):
            continue
        try:
            tag_set = s3.get_bucket_tagging(Bucket=found["Name"])["TagSet"]
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchTagSet", "NoSuchBucket"):
                continue
            raise
        if is_ours(tag_set, _p(kit)):
            ours.append(found["Name"])
    return ours


def _functions(kit: Any) -> list[str]:
    """Notebook 10's Lambda functions: ``CodeDeployHook_<prefix>-*``, tagged by the kit."""
    awslambda = kit.client("lambda")
    ours = []
    for page in awslambda.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            if function["FunctionName"].startswith(f"CodeDeployHook_{_p(kit)}-") and is_ours(
                awslambda.list_tags(Resource=function["FunctionArn"])["Tags"], _p(kit)
            ):
                ours.append(function["FunctionName"])
    return ours


def _function_logs(kit: Any, functions: list[str]) -> list[str]:
    """The log groups Lambda made for ``functions`` (``/aws/lambda/<name>``, untagged)."""
    logs, found = kit.client("logs"), []
    for name in functions:
        group = f"/aws/lambda/{name}"
        listed = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        found += [g["logGroupName"] for g in listed if g["logGroupName"] == group]
    return found


def _empty_bucket(kit: Any, name: str) -> None:
    """Delete every version and delete marker of a bucket's objects, a thousand at a time."""
    s3 = kit.client("s3")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        keys = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]  # fmt: skip
        if keys:
            s3.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})


def _safely(listing: Callable[[], Any]) -> Any:
    """A listing, or nothing when the target does not have that API (the local cloud)."""
    try:
        return listing()
    except ClientError as error:
        if _unavailable(error):
            return []
        raise


def created_resources(kit: Any) -> pd.DataFrame:
    """What the kit made for this prefix and still exists, one row each, sorted."""
    rows: list[tuple[str, str, str]] = list(_safely(lambda: list(_applications(kit))))
    rows += [("codepipeline", "pipeline", name) for name in _safely(lambda: _pipelines(kit))]
    rows += [("s3", "bucket", name) for name in _safely(lambda: _buckets(kit))]
    for cluster in _safely(lambda: _clusters(kit)):
        rows.append(("ecs", "cluster", cluster["clusterName"]))
        rows += [
            ("ecs", "service", s["serviceName"]) for s in _services(kit, cluster["clusterArn"])
        ]
    rows += [
        ("ecs", "task definition", a.rsplit("/", 1)[1])
        for a in _safely(lambda: _task_definitions(kit))
    ]
    rows += [("elbv2", "load balancer", a.split("/")[-2]) for a in _load_balancers(kit)]
    rows += [("elbv2", "target group", a.split("/")[-2]) for a in _target_groups(kit)]
    rows += [("ec2", "security group", g["GroupName"]) for g in _security_groups(kit)]
    rows += network_resources(kit)
    rows += [("iam", "role", name) for name in _roles(kit)]
    rows += [("logs", "log group", name) for name in _log_groups(kit)]
    rows += [("cloudwatch", "alarm", name) for name in _safely(lambda: our_alarms(kit))]
    functions = _safely(lambda: _functions(kit))
    rows += [("lambda", "function", name) for name in functions]
    rows += [("logs", "log group", name) for name in _function_logs(kit, functions)]
    return pd.DataFrame(sorted(rows), columns=COLUMNS)


def clean_up(kit: Any, timeout: float = 600.0) -> pd.DataFrame:
    """Delete everything :func:`created_resources` lists; return what was deleted."""
    deleted: list[tuple[str, str, str]] = []
    codedeploy, ecs, elbv2 = kit.client("codedeploy"), kit.client("ecs"), kit.client("elbv2")
    ec2, iam = kit.client("ec2"), kit.client("iam")

    for name in _safely(lambda: _pipelines(kit)):
        kit.client("codepipeline").delete_pipeline(name=name)
        deleted.append(("codepipeline", "pipeline", name))
    for name in _safely(lambda: _buckets(kit)):
        _empty_bucket(kit, name)
        kit.client("s3").delete_bucket(Bucket=name)
        deleted.append(("s3", "bucket", name))

    alarms = _safely(lambda: our_alarms(kit))
    if alarms:
        kit.client("cloudwatch").delete_alarms(AlarmNames=alarms)
        deleted += [("cloudwatch", "alarm", name) for name in alarms]

    for _, _, app in _safely(lambda: list(_applications(kit))):
        groups = codedeploy.list_deployment_groups(applicationName=app)["deploymentGroups"]
        for group in groups:
            active = codedeploy.list_deployments(
                applicationName=app, deploymentGroupName=group,
                includeOnlyStatuses=["Created", "Queued", "InProgress", "Ready"],
            )["deployments"]  # fmt: skip
            for deployment_id in active:
                try:
                    codedeploy.stop_deployment(
                        deploymentId=deployment_id, autoRollbackEnabled=False
                    )
                except ClientError as error:
                    if "AlreadyCompleted" not in error.response["Error"]["Code"]:
                        raise
        codedeploy.delete_application(applicationName=app)
        deleted.append(("codedeploy", "application", app))

    for cluster in _safely(lambda: _clusters(kit)):
        for svc in _services(kit, cluster["clusterArn"]):
            ecs.delete_service(cluster=cluster["clusterArn"], service=svc["serviceArn"], force=True)
            deleted.append(("ecs", "service", svc["serviceName"]))

        def gone(arn: str = cluster["clusterArn"]) -> Step:
            left = _services(kit, arn)
            return Step(not left, f"{len(left)} services draining")

        poll(
            gone, what=f"services of {cluster['clusterName']} deleted", timeout=timeout, quiet=True
        )
        retry(lambda a=cluster["clusterArn"]: ecs.delete_cluster(cluster=a),
              ("ClusterContainsTasksException", "ClusterContainsServicesException"),
              timeout)  # fmt: skip
        deleted.append(("ecs", "cluster", cluster["clusterName"]))
    for arn in _safely(lambda: _task_definitions(kit)):
        ecs.deregister_task_definition(taskDefinition=arn)
        deleted.append(("ecs", "task definition", arn.rsplit("/", 1)[1]))

    for arn in _load_balancers(kit):
        for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
            elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
        elbv2.delete_load_balancer(LoadBalancerArn=arn)
        deleted.append(("elbv2", "load balancer", arn.split("/")[-2]))
    for arn in _target_groups(kit):
        retry(lambda a=arn: elbv2.delete_target_group(TargetGroupArn=a), ("ResourceInUse",),
              timeout)  # fmt: skip
        deleted.append(("elbv2", "target group", arn.split("/")[-2]))

    for group in _security_groups(kit):
        retry(lambda g=group["GroupId"]: ec2.delete_security_group(GroupId=g),
              ("DependencyViolation",), timeout)  # fmt: skip
        deleted.append(("ec2", "security group", group["GroupName"]))
    deleted += delete_network(kit, timeout)

    functions = _safely(lambda: _functions(kit))
    for name in functions:
        kit.client("lambda").delete_function(FunctionName=name)
        deleted.append(("lambda", "function", name))

    for name in _roles(kit):
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        iam.delete_role(RoleName=name)
        deleted.append(("iam", "role", name))

    for name in _log_groups(kit) + _function_logs(kit, functions):
        kit.client("logs").delete_log_group(logGroupName=name)
        deleted.append(("logs", "log group", name))
    return pd.DataFrame(sorted(deleted), columns=COLUMNS)

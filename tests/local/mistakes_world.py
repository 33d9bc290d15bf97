"""Helpers of the bad-input table (no tests here): a cheap world per row, the state snapshot that
a refusal must leave equal, requests that boto3 would never send, and what the rows build on.

Each row gets a fresh local cloud without data plane and with a clock that stands still, holding
the walkthrough's world up to the ECS service (:func:`codedeploy_world.make_deploy`). Its
boto3 clients come from one botocore session shared by the module: a session loads AWS's
endpoint and service model files once, where a session a client costs a third of a second.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import boto3
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from codedeploy_world import FULL, LIMITED, Deploy

from bgkit.apps.templates import task_definition
from bgkit.local.server import STATE_FILE, LocalCloud

CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
ALB_SG = "bgkit-alb-sg"


@lru_cache(maxsize=1)
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


def clients(cloud: LocalCloud) -> Callable[..., Any]:
    """``client("iam")``: a boto3 client for ``cloud`` from the shared session."""

    def make(service: str, region: str = "us-east-1") -> Any:
        session = boto3.session.Session(
            region_name=region, botocore_session=_session(), **CREDENTIALS
        )
        return session.client(service, endpoint_url=cloud.endpoint_url)

    return make


def snapshot(cloud: LocalCloud) -> dict[str, Any]:
    """Every record of the store and every counter (ids drawn), read from the database file by a
    connection of its own: what a refusal must leave as it was."""
    path = cloud.state_dir / STATE_FILE
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        records = {
            f"{partition} {kind} {key}": json.loads(body)
            for partition, kind, key, body in db.execute(
                "SELECT partition, kind, key, body FROM records ORDER BY rowid"
            )
        }
        meta = dict(db.execute("SELECT name, value FROM meta WHERE name != 'clock'"))
    db.close()
    return {"records": records, "meta": meta}


def refusal(call: Callable[[], Any]) -> tuple[str, str]:
    """``(code, message)`` of the error ``call`` raises; a call that succeeds is a failure of
    the row, shown with what it answered."""
    try:
        answer = call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["Error"].get("Message", "")
    answer = {k: v for k, v in (answer or {}).items() if k != "ResponseMetadata"}
    return "<accepted>", repr(answer)[:300]


def raw(
    cloud: LocalCloud,
    body: bytes,
    headers: dict[str, str],
    *,
    sign: str | None = None,
    region: str = "us-east-1",
) -> tuple[int, dict[str, Any]]:
    """POST ``body`` to the endpoint as it is, SigV4-signed for service ``sign`` or not at all;
    returns the HTTP status and the JSON error body."""
    request = AWSRequest(method="POST", url=cloud.endpoint_url + "/", data=body, headers=headers)
    if sign:
        SigV4Auth(Credentials("test", "test"), sign, region).add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(
        prepared.url, data=body, headers=dict(prepared.headers), method="POST"
    )
    try:
        with urllib.request.urlopen(http, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def json_target(service: str, operation: str) -> dict[str, str]:
    prefix = {"ecs": "AmazonEC2ContainerServiceV20141113", "codedeploy": "CodeDeploy_20141006"}
    return {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"{prefix[service]}.{operation}",
    }


# -- what the rows build on ---------------------------------------------------------------------


def fargate(d: Deploy, **changes: Any) -> dict[str, Any]:
    """The walkthrough's FizzBuzz task definition, with ``changes`` (``None`` drops a key)."""
    definition = task_definition(
        "fizzbuzz",
        family="bgkit-web",
        execution_role_arn=d.world.role_arn,
        log_group="/ecs/bgkit",
        region="us-east-1",
    )
    for key, value in changes.items():
        if value is None:
            definition.pop(key, None)
        else:
            definition[key] = value
    return definition


def second_balancer(d: Deploy) -> str:
    """Another ALB, as a learner makes when a cell runs with a new name."""
    return d.world.elbv2.create_load_balancer(Name="bgkit-alb-2", Subnets=d.world.subnets)[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]


def target_group(d: Deploy, name: str) -> str:
    vpc = d.ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    return d.world.elbv2.create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]


def tg_on_another_balancer(d: Deploy) -> None:
    """``bgkit-tg-3`` behind a listener of a second load balancer."""
    group = target_group(d, "bgkit-tg-3")
    d.world.elbv2.create_listener(
        LoadBalancerArn=second_balancer(d),
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )


def balancer_arn(d: Deploy, name: str) -> str:
    return elb(d).describe_load_balancers(Names=[name])["LoadBalancers"][0]["LoadBalancerArn"]


def instance_group_behind_a_listener(d: Deploy) -> None:
    """``bgkit-instances``: a target group of the default target type (instance), as the console
    makes it, behind a listener of a second load balancer."""
    vpc = d.ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = elb(d).create_target_group(Name="bgkit-instances", Protocol="HTTP", Port=80, VpcId=vpc)
    elb(d).create_listener(
        LoadBalancerArn=second_balancer(d),
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {"Type": "forward", "TargetGroupArn": group["TargetGroups"][0]["TargetGroupArn"]}
        ],
    )


def instance_group(d: Deploy) -> str:
    return elb(d).describe_target_groups(Names=["bgkit-instances"])["TargetGroups"][0][
        "TargetGroupArn"
    ]


def alb_security_group(d: Deploy) -> str:
    """A security group of the learner's own, open on port 80, on a second ALB."""
    vpc = d.ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = d.ec2.create_security_group(GroupName=ALB_SG, Description="ALB", VpcId=vpc)["GroupId"]
    d.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[open_port(80)])
    d.world.elbv2.create_load_balancer(
        Name="bgkit-alb-2", Subnets=d.world.subnets, SecurityGroups=[group]
    )
    return group


def open_port(port: int) -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
    }


def group_id(d: Deploy, name: str) -> str:
    found = d.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
    return found["SecurityGroups"][0]["GroupId"]


def route(d: Deploy, groups: tuple[str, str] = ("bgkit-tg-1", "bgkit-tg-2"), **more: Any):
    """``loadBalancerInfo`` of a deployment group."""
    pair = {
        "targetGroups": [{"name": name} for name in groups],
        "prodTrafficRoute": {"listenerArns": [d.listeners[0]]},
        "testTrafficRoute": {"listenerArns": [d.listeners[1]]},
        **more,
    }
    return {"targetGroupPairInfoList": [pair]}


def ready(d: Deploy) -> str:
    """A deployment waiting in ``Ready`` (the group waits 30 minutes for approval)."""
    d.create_group(ready_wait=30)
    deployment = d.deploy()
    d.run_to(deployment, "Ready")
    return deployment


def installing(d: Deploy) -> str:
    """A deployment in Install, its green tasks not yet running."""
    d.create_group(ready_wait=30)
    deployment = d.deploy()
    d.tick(1.0)
    assert d.status(deployment) == "InProgress"
    return deployment


def succeeded(d: Deploy) -> str:
    d.create_group(termination_wait=0)
    deployment = d.deploy()
    d.run_to(deployment, "Succeeded")
    return deployment


def refuse_unsigned(d: Deploy) -> None:
    """ECS ListClusters as JSON, with no Authorization header."""
    status, body = raw(d.cloud, b"{}", json_target("ecs", "ListClusters"))
    raise_from(status, body, "ListClusters")


def refuse_malformed_json(d: Deploy) -> None:
    """CodeDeploy ListApplications, signed, whose body is not JSON."""
    status, body = raw(
        d.cloud, b'{"nextToken": ', json_target("codedeploy", "ListApplications"), sign="codedeploy"
    )
    raise_from(status, body, "ListApplications")


def raise_from(status: int, body: dict[str, Any], operation: str) -> None:
    code = body.get("__type", "<none>").rsplit("#", 1)[-1]
    if status < 400:
        return
    message = body.get("message") or body.get("Message") or ""
    raise ClientError({"Error": {"Code": code, "Message": f"[HTTP {status}] {message}"}}, operation)


def iam(d: Deploy) -> Any:
    return d.iam


def ecs(d: Deploy) -> Any:
    return d.world.ecs


def elb(d: Deploy) -> Any:
    return d.world.elbv2


def cd(d: Deploy) -> Any:
    return d.codedeploy


def service(d: Deploy, **changes: Any) -> dict[str, Any]:
    """CreateService of a second CODE_DEPLOY service ``api`` like the walkthrough's."""
    arguments = {
        "cluster": "bgkit",
        "serviceName": "api",
        "taskDefinition": d.world.task_definition,
        "desiredCount": 1,
        "launchType": "FARGATE",
        "networkConfiguration": d.world.network(),
        "deploymentController": {"type": "CODE_DEPLOY"},
        "loadBalancers": d.world.balancer(0),
        **changes,
    }
    return {k: v for k, v in arguments.items() if v is not None}


def trust(service_principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service_principal},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def limited_policy(d: Deploy) -> None:
    """The role holds the Limited policy: it may pass only ``ecsTaskExecutionRole``."""
    d.iam.detach_role_policy(RoleName="bgkit-codedeploy", PolicyArn=FULL)
    d.iam.attach_role_policy(RoleName="bgkit-codedeploy", PolicyArn=LIMITED)


def listener_8080_on_green_group(d: Deploy) -> None:
    d.world.elbv2.modify_listener(
        ListenerArn=d.listeners[1],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": d.world.target_groups[1]}],
    )


def production(d: Deploy) -> dict[str, Any]:
    """What customers reach: the target groups listener 80 sends traffic to, by weight, and the
    service's primary task set."""
    primary = [s for s in d.task_sets() if s["status"] == "PRIMARY"]
    return {
        "weights": {group: weight for group, weight in d.weights(0).items() if weight},
        "primary": [(s["id"], s["taskDefinition"], s["runningCount"]) for s in primary],
        "service": d.world.service()["taskDefinition"],
    }

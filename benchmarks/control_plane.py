"""The control plane under a room's load: the local cloud against moto's server, in one run.

Twenty clients (boto3, one client a service per thread, threads spread over ``--processes``
client processes so that the load generator is never the bottleneck) call the same mixed
workload — what a room of panels and notebooks does: mostly ``DescribeServices``,
``GetDeployment``, ``DescribeTargetHealth`` and ``DescribeListeners``, some other describes and
lists, and a few creates each followed by its delete, across IAM, EC2, ELBv2, ECS and
CodeDeploy (:data:`WORKLOAD`) — against, one after the other in the same run:

- **trivial**: a server that answers every request at once with an empty answer of the right
  protocol (``control_plane_load.py``): the load generator's own ceiling, which must be well
  above the figures it measures;
- **local**: a fresh local cloud (``bgkit local up``, its own process, clock 60×, data plane on)
  holding the same world as the walkthrough builds — a load balancer with two target groups and
  listeners on 80 and 8080, an ECS service of two tasks under the ``CODE_DEPLOY`` controller, a
  CodeDeploy application, deployment group and a deployment;
- **moto**: moto's server (``moto_server``, its own process) holding the same world, built by the
  same plain boto3 calls.

Each target gets ``--seconds`` of load after every thread has made one call of each read; calls
per second (answered calls completed in the window), p50 and p99 of every call, errors, the CPU
share of the machine (ours, the server's, the others'), and the load average before and after.
Retries are off (an error is counted, never hidden by a retry).

Needs moto's server: ``pip install 'moto[server]'`` into the kit's environment (a benchmark
tool, not a dependency of the kit); the benchmark says so and stops without it.
Prints a table and the goal of issue 22, writes ``benchmarks/results/control_plane.json``.

Usage: ``python benchmarks/control_plane.py [--seconds 15] [--processes 4] [--only local]
[--profile FILE]`` (``--profile``: a py-spy record of the local cloud under a second, unmeasured
stretch of the same load; ``pip install py-spy``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import engines
import goals
from cloud import Cloud, free_port, fresh_cloud
from control_plane_load import (
    CLIENTS,
    TRIVIAL_WORLD,
    TRUST,
    WORKLOAD,
    load,
    make_client,
    task_definition,
    trust,
)

RESULTS = Path(__file__).parent / "results" / "control_plane.json"
LOAD = Path(__file__).parent / "control_plane_load.py"


# -- the world, the same plain boto3 on every target --------------------------------------------


def build_world(client: Callable[[str], Any]) -> dict[str, Any]:
    """What notebooks 01–04 make, with plain boto3; the names and ids the workload needs."""
    iam, ec2, elb = client("iam"), client("ec2"), client("elbv2")
    ecs, deploy = client("ecs"), client("codedeploy")
    task_role = iam.create_role(
        RoleName="bench-task-execution", AssumeRolePolicyDocument=trust(TRUST["ecs-tasks"])
    )["Role"]
    deploy_role = iam.create_role(
        RoleName="bench-codedeploy", AssumeRolePolicyDocument=trust(TRUST["codedeploy"])
    )["Role"]
    # what AWSCodeDeployRoleForECS grants, inline (moto's server does not know that policy)
    allowed = ["ecs:*", "elasticloadbalancing:*", "iam:PassRole", "cloudwatch:DescribeAlarms"]
    statement = {"Effect": "Allow", "Action": allowed, "Resource": "*"}
    iam.put_role_policy(
        RoleName="bench-codedeploy",
        PolicyName="bench-codedeploy",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    zones = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets}
    subnet_ids = sorted(zones.values())[:2]
    group = ec2.create_security_group(GroupName="bench-web", Description="bench", VpcId=vpc)
    lb = elb.create_load_balancer(
        Name="bench-alb", Subnets=subnet_ids, SecurityGroups=[group["GroupId"]]
    )["LoadBalancers"][0]
    groups = [
        elb.create_target_group(
            Name=f"bench-{n}",
            Protocol="HTTP",
            Port=80,
            VpcId=vpc,
            TargetType="ip",
            HealthCheckPath="/",
        )["TargetGroups"][0]
        for n in (1, 2)
    ]
    listeners = [
        elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": groups[0]["TargetGroupArn"]}],
        )["Listeners"][0]["ListenerArn"]
        for port in (80, 8080)
    ]
    ecs.create_cluster(clusterName="bench-cluster")
    revision = ecs.register_task_definition(**task_definition("bench-web", task_role["Arn"]))
    ecs.create_service(
        cluster="bench-cluster",
        serviceName="bench-service",
        desiredCount=2,
        launchType="FARGATE",
        taskDefinition=revision["taskDefinition"]["taskDefinitionArn"],
        deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[
            {
                "targetGroupArn": groups[0]["TargetGroupArn"],
                "containerName": "app",
                "containerPort": 80,
            }
        ],
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": subnet_ids,
                "securityGroups": [group["GroupId"]],
                "assignPublicIp": "ENABLED",
            }
        },
    )
    deploy.create_application(applicationName="bench-app", computePlatform="ECS")
    deploy.create_deployment_group(
        applicationName="bench-app",
        deploymentGroupName="bench-group",
        serviceRoleArn=deploy_role["Arn"],
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        deploymentStyle={
            "deploymentType": "BLUE_GREEN",
            "deploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE",
                "terminationWaitTimeInMinutes": 0,
            },
            "deploymentReadyOption": {
                "actionOnTimeout": "STOP_DEPLOYMENT",
                "waitTimeInMinutes": 60,
            },
        },
        ecsServices=[{"serviceName": "bench-service", "clusterName": "bench-cluster"}],
        loadBalancerInfo={
            "targetGroupPairInfoList": [
                {
                    "targetGroups": [{"name": g["TargetGroupName"]} for g in groups],
                    "prodTrafficRoute": {"listenerArns": [listeners[0]]},
                    "testTrafficRoute": {"listenerArns": [listeners[1]]},
                }
            ]
        },
    )
    appspec = {
        "version": 0.0,
        "Resources": [
            {
                "TargetService": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {
                        "TaskDefinition": revision["taskDefinition"]["taskDefinitionArn"],
                        "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 80},
                    },
                }
            }
        ],
    }
    deployment = deploy.create_deployment(
        applicationName="bench-app",
        deploymentGroupName="bench-group",
        revision={
            "revisionType": "AppSpecContent",
            "appSpecContent": {"content": json.dumps(appspec)},
        },
    )["deploymentId"]
    return {
        "vpc": vpc,
        "subnet": subnet_ids[0],
        "lb": lb["LoadBalancerArn"],
        "group": groups[0]["TargetGroupArn"],
        "deployment": deployment,
        "role_arn": task_role["Arn"],
    }


def wait_running(client: Callable[[str], Any], timeout: float = 90.0) -> int:
    """Wait until the service runs its tasks (the local cloud starts real processes)."""
    ecs, deadline, running = client("ecs"), time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        service = ecs.describe_services(cluster="bench-cluster", services=["bench-service"])
        running = service["services"][0]["runningCount"]
        if running >= 2:
            break
        time.sleep(0.5)
    return running


@contextlib.contextmanager
def server_process(command: list[str], port: int, log: Path) -> Iterator[subprocess.Popen]:
    """A server of ours in its own process, once its port answers; stopped by its pid."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not engines.port_answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not serve: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def moto_server() -> str | None:
    found = Path(sys.executable).parent / "moto_server"
    try:
        import flask  # noqa: F401  (moto's server needs moto[server]'s extras)
    except ImportError:
        return None
    return str(found) if found.exists() else None


def run_local(args: argparse.Namespace) -> dict[str, Any]:
    with fresh_cloud(60.0) as cloud:
        endpoint = f"http://127.0.0.1:{cloud.port}"
        client = make_client(endpoint)
        world = build_world(client)
        running = wait_running(client)
        figures = load(endpoint, world, args.seconds, args.processes, cloud.pid())
        figures["tasks_running"] = running
        figures["profile"] = profile(cloud, world, args) if args.profile else None
    return figures


def profile(cloud: Cloud, world: dict[str, Any], args: argparse.Namespace) -> str:
    """A py-spy profile of the local cloud under the same load again (``--profile``)."""
    spy = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "-o",
            args.profile,
            "--pid",
            str(cloud.pid()),
            "--duration",
            str(int(args.seconds) + 6),
            "--format",
            args.profile_format,
            "--rate",
            "200",
            "--nonblocking",
        ]
    )
    load(f"http://127.0.0.1:{cloud.port}", world, args.seconds, args.processes, None)
    spy.wait(120)
    return args.profile


def run_moto(args: argparse.Namespace, binary: str, tmp: Path) -> dict[str, Any]:
    port = free_port()
    with server_process(
        [binary, "-H", "127.0.0.1", "-p", str(port)], port, tmp / "moto.log"
    ) as moto:
        endpoint = f"http://127.0.0.1:{port}"
        world = build_world(make_client(endpoint))
        return load(endpoint, world, args.seconds, args.processes, moto.pid)


def run_trivial(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    port = free_port()
    with server_process(
        [sys.executable, str(LOAD), "trivial", str(port)], port, tmp / "trivial.log"
    ) as trivial:
        endpoint = f"http://127.0.0.1:{port}"
        return load(endpoint, TRIVIAL_WORLD, args.seconds, args.processes, trivial.pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds of load a target")
    parser.add_argument("--processes", type=int, default=4, help="client processes (20 threads)")
    parser.add_argument("--only", choices=["trivial", "local", "moto"], action="append")
    parser.add_argument("--profile", help="also record a py-spy profile of the local cloud here")
    parser.add_argument("--profile-format", default="speedscope")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    binary = moto_server()
    chosen = args.only or ["trivial", "local", "moto"]
    if "moto" in chosen and binary is None:
        raise SystemExit("moto's server is not installed: pip install 'moto[server]'")

    before = {**engines.machine_load(), "others_busy_share": engines.idle_share()}
    began = time.monotonic()
    targets: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bgkit-bench-") as tmp:
        for name in chosen:
            print(f"{name} …", flush=True)
            if name == "trivial":
                targets[name] = run_trivial(args, Path(tmp))
            elif name == "local":
                targets[name] = run_local(args)
            else:
                assert binary is not None
                targets[name] = run_moto(args, binary, Path(tmp))
    after = engines.machine_load()
    import moto

    result = {
        "clients": CLIENTS,
        "processes": args.processes,
        "seconds": args.seconds,
        "workload": WORKLOAD,
        "moto_version": moto.__version__,
        "machine": {"before": before, "after": after},
        "wall_seconds": round(time.monotonic() - began, 1),
        "targets": targets,
    }
    print_table(result)
    if args.only is None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"written to {args.out}")


def print_table(result: dict[str, Any]) -> None:
    machine = result["machine"]
    print(
        f"machine: {machine['before']['cpus']} CPUs, load average "
        f"{machine['before']['loadavg_1min']} before, {machine['after']['loadavg_1min']} after; "
        f"other processes kept {machine['before']['others_busy_share']:.0%} of the CPUs busy "
        "before the run"
    )
    print(
        f"\n{result['clients']} clients over {result['processes']} processes, "
        f"{result['seconds']:g} s a target:"
    )
    print(
        f"{'':<8} {'calls/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}   "
        f"{'CPU: machine · server · clients+server · others':>46}"
    )
    for name, row in result["targets"].items():
        cpu = row["cpu"]
        print(
            f"{name:<8} {row['calls_per_s']:>8.1f} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} "
            f"{row['errors']:>7}   {cpu['machine_busy']:>10.0%} · {cpu.get('server', 0):>6.0%} "
            f"· {cpu['ours']:>13.0%} · {cpu['others']:>6.0%}"
        )
        for step, error in row["first_errors"].items():
            print(f"    {step}: {error}")
    if {"local", "moto"} <= set(result["targets"]):
        print()
        goals.show([goals.control_plane_goal(result)])


if __name__ == "__main__":
    main()

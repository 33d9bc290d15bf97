"""The control plane benchmark's load (``control_plane.py``), in processes of their own.

- :data:`WORKLOAD`: the mix of calls, and :func:`calls`, each entry as the boto3 calls it makes;
- :func:`load`: :data:`CLIENTS` clients (a thread each, its own boto3 clients, retries off) over
  client processes; each process warms its clients (one read of each kind), says ``ready``, and
  all start together on the monotonic clock once every process is ready; every call is logged
  with its end and its duration, and the figures come from the calls that ended in the window;
- the **trivial** server: every request answered at once with an empty answer of the right
  protocol (JSON, query, EC2), the creates' with the id their deletes need — what the load
  generator reaches when the server costs nothing.

Usage of the sides: ``python benchmarks/control_plane_load.py clients ENDPOINT --world JSON
--threads N --tag T --seconds S --out FILE`` and ``… trivial PORT``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import engines

CLIENTS = 20
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "bench"}
#: the mix: operation → weight (a create's weight counts its delete too: two calls)
WORKLOAD = {
    "ecs.DescribeServices": 24,
    "codedeploy.GetDeployment": 16,
    "elbv2.DescribeTargetHealth": 16,
    "elbv2.DescribeListeners": 12,
    "elbv2.DescribeTargetGroups": 5,
    "ecs.ListTasks": 5,
    "codedeploy.GetDeploymentGroup": 4,
    "ec2.DescribeSubnets": 4,
    "iam.GetRole": 4,
    "ec2.CreateSecurityGroup+Delete": 3,
    "iam.CreateRole+Delete": 3,
    "elbv2.CreateTargetGroup+Delete": 2,
    "ecs.RegisterTaskDefinition+Deregister": 2,
}
TRUST = {"ecs-tasks": "ecs-tasks.amazonaws.com", "codedeploy": "codedeploy.amazonaws.com"}


def trust(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def task_definition(family: str, role_arn: str) -> dict[str, Any]:
    return {
        "family": family,
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": role_arn,
        "containerDefinitions": [
            {
                "name": "app",
                "image": "public.ecr.aws/nginx/nginx:stable",
                "essential": True,
                "portMappings": [{"containerPort": 80}],
            }
        ],
    }


def make_client(endpoint: str) -> Callable[[str], Any]:
    """A factory of boto3 clients for ``endpoint``: no retries, one connection each."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=REGION, **CREDENTIALS)
    config = Config(
        retries={"max_attempts": 1, "mode": "standard"},
        read_timeout=120,
        connect_timeout=10,
        max_pool_connections=2,
    )
    lock = threading.Lock()  # a boto3 session makes clients one thread at a time

    def client(service: str) -> Any:
        with lock:
            return session.client(service, endpoint_url=endpoint, config=config)

    return client


#: the trivial server's world: names only (it answers everything with an empty answer)
TRIVIAL_WORLD = {
    "vpc": "vpc-1",
    "subnet": "subnet-1",
    "role_arn": "arn:aws:iam::1:role/r",
    "lb": "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a/1",
    "group": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1",
    "deployment": "d-AAAAAAAAA",
}


# -- the client side: threads in a process of their own ---------------------------------------


def calls(client: Callable[[str], Any], world: dict[str, Any], tag: str) -> dict[str, Any]:
    """Each workload entry as a function making its calls; it yields (name, seconds, ok,
    answer) a call."""
    iam, ec2, elb = client("iam"), client("ec2"), client("elbv2")
    ecs, deploy = client("ecs"), client("codedeploy")
    counter = iter(range(10**9))

    def timed(name: str, call: Callable[[], Any]) -> Iterator[tuple[str, float, bool, Any]]:
        began = time.perf_counter()
        try:
            answer, ok = call(), True
        except Exception as error:  # counted: a refused or failed call is still an answer
            answer, ok = error, False
        yield name, time.perf_counter() - began, ok, answer

    def pair(create: tuple[str, Callable[[], Any]], delete: Callable[[Any], Any]) -> Iterator:
        made = next(timed(*create))
        yield made
        if made[2]:
            yield from timed(create[0] + ".delete", lambda: delete(made[3]))

    def name() -> str:
        return f"bench-{tag}-{next(counter)}"

    return {
        "ecs.DescribeServices": lambda: timed(
            "ecs.DescribeServices",
            lambda: ecs.describe_services(cluster="bench-cluster", services=["bench-service"]),
        ),
        "codedeploy.GetDeployment": lambda: timed(
            "codedeploy.GetDeployment",
            lambda: deploy.get_deployment(deploymentId=world["deployment"]),
        ),
        "elbv2.DescribeTargetHealth": lambda: timed(
            "elbv2.DescribeTargetHealth",
            lambda: elb.describe_target_health(TargetGroupArn=world["group"]),
        ),
        "elbv2.DescribeListeners": lambda: timed(
            "elbv2.DescribeListeners", lambda: elb.describe_listeners(LoadBalancerArn=world["lb"])
        ),
        "elbv2.DescribeTargetGroups": lambda: timed(
            "elbv2.DescribeTargetGroups",
            lambda: elb.describe_target_groups(LoadBalancerArn=world["lb"]),
        ),
        "ecs.ListTasks": lambda: timed(
            "ecs.ListTasks",
            lambda: ecs.list_tasks(cluster="bench-cluster", serviceName="bench-service"),
        ),
        "codedeploy.GetDeploymentGroup": lambda: timed(
            "codedeploy.GetDeploymentGroup",
            lambda: deploy.get_deployment_group(
                applicationName="bench-app", deploymentGroupName="bench-group"
            ),
        ),
        "ec2.DescribeSubnets": lambda: timed(
            "ec2.DescribeSubnets", lambda: ec2.describe_subnets(SubnetIds=[world["subnet"]])
        ),
        "iam.GetRole": lambda: timed(
            "iam.GetRole", lambda: iam.get_role(RoleName="bench-task-execution")
        ),
        "ec2.CreateSecurityGroup+Delete": lambda: pair(
            (
                "ec2.CreateSecurityGroup",
                lambda: ec2.create_security_group(
                    GroupName=name(), Description="bench", VpcId=world["vpc"]
                ),
            ),
            lambda made: ec2.delete_security_group(GroupId=made["GroupId"]),
        ),
        "iam.CreateRole+Delete": lambda: pair(
            (
                "iam.CreateRole",
                lambda: iam.create_role(
                    RoleName=name(), AssumeRolePolicyDocument=trust(TRUST["ecs-tasks"])
                ),
            ),
            lambda made: iam.delete_role(RoleName=made["Role"]["RoleName"]),
        ),
        "elbv2.CreateTargetGroup+Delete": lambda: pair(
            (
                "elbv2.CreateTargetGroup",
                lambda: elb.create_target_group(
                    Name=name(), Protocol="HTTP", Port=80, VpcId=world["vpc"], TargetType="ip"
                ),
            ),
            lambda made: elb.delete_target_group(
                TargetGroupArn=made["TargetGroups"][0]["TargetGroupArn"]
            ),
        ),
        "ecs.RegisterTaskDefinition+Deregister": lambda: pair(
            (
                "ecs.RegisterTaskDefinition",
                lambda: ecs.register_task_definition(**task_definition(name(), world["role_arn"])),
            ),
            lambda made: ecs.deregister_task_definition(
                taskDefinition=made["taskDefinition"]["taskDefinitionArn"]
            ),
        ),
    }


def client_thread(
    endpoint: str,
    world: dict[str, Any],
    tag: str,
    ready: threading.Barrier,
    window: list[float],
    log: list[list],
    errors: dict[str, str],
) -> None:
    """One client: a read of each kind, then (once every client of the process is ready and the
    window is known) the mix until the window ends; every call as ``[name, ended (monotonic),
    seconds, ok]``."""
    mix = calls(make_client(endpoint), world, tag)
    for entry in mix:
        if "+" not in entry:
            list(mix[entry]())
    rng = random.Random(tag)
    names, weights = list(WORKLOAD), list(WORKLOAD.values())
    ready.wait()
    start, end = window
    time.sleep(max(0.0, start - time.monotonic()))
    while time.monotonic() < end:
        for step, seconds, ok, answer in mix[rng.choices(names, weights)[0]]():
            log.append([step, time.monotonic(), seconds, ok])
            if not ok:
                errors.setdefault(step, f"{type(answer).__name__}: {answer}"[:300])


def clients_main(args: argparse.Namespace) -> None:
    """The client process: says ``ready`` once its clients are warm, reads the window's start
    (monotonic seconds) from stdin, runs it and writes its log."""
    world = json.loads(args.world)
    log: list[list] = []
    errors: dict[str, str] = {}
    window: list[float] = []

    def told() -> None:
        print("ready", flush=True)
        start = float(sys.stdin.readline())
        window.extend((start, start + args.seconds))

    import boto3  # noqa: F401  (once, before the threads make their clients)

    ready = threading.Barrier(args.threads + 1, action=told)
    threads = [
        threading.Thread(
            target=client_thread,
            args=(args.endpoint, world, f"{args.tag}t{n}", ready, window, log, errors),
        )
        for n in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    ready.wait()
    for thread in threads:
        thread.join()
    Path(args.out).write_text(json.dumps({"log": log, "errors": errors}))


def load(
    endpoint: str, world: dict[str, Any], seconds: float, processes: int, server_pid: int | None
) -> dict[str, Any]:
    """:data:`CLIENTS` clients over ``processes`` processes for ``seconds``: the figures."""
    per = [CLIENTS // processes + (n < CLIENTS % processes) for n in range(processes)]
    with tempfile.TemporaryDirectory(prefix="bgkit-bench-") as tmp:
        outs = [Path(tmp) / f"{n}.json" for n in range(processes)]
        running = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "clients",
                    endpoint,
                    "--world",
                    json.dumps(world),
                    "--threads",
                    str(count),
                    "--tag",
                    f"p{n}",
                    "--seconds",
                    str(seconds),
                    "--out",
                    str(outs[n]),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for n, count in enumerate(per)
        ]
        for process in running:  # every client made and warm
            assert process.stdout is not None and process.stdout.readline() == "ready\n"
        start = time.monotonic() + 0.2
        for process in running:
            assert process.stdin is not None
            process.stdin.write(f"{start!r}\n")
            process.stdin.close()
        meter = engines.CpuMeter([os.getpid()] + ([server_pid] if server_pid else []))
        time.sleep(max(0.0, start - time.monotonic()))
        meter.start()
        server_before = _jiffies(server_pid)
        time.sleep(seconds)
        server_after, cpu = _jiffies(server_pid), meter.stop()
        for process in running:
            process.wait(timeout=300)
        results = [json.loads(out.read_text()) for out in outs]
    log = [call for result in results for call in result["log"]]
    errors = {k: v for result in results for k, v in result["errors"].items()}
    inside = [call for call in log if call[1] <= start + seconds]
    answered = [call for call in inside if call[3]]
    ticks, cpus = os.sysconf("SC_CLK_TCK"), os.cpu_count() or 1
    if server_pid is not None:
        cpu["server"] = round((server_after - server_before) / ticks / seconds / cpus, 3)
    latencies = [call[2] * 1000 for call in inside]
    return {
        "calls_per_s": round(len(answered) / seconds, 1),
        "calls": len(inside),
        "errors": len(inside) - len(answered),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "by_call_p50_ms": {
            name: round(percentile([c[2] * 1000 for c in inside if c[0] == name], 0.5), 1)
            for name in sorted({c[0] for c in inside})
        },
        "first_errors": errors,
        "cpu": cpu,
    }


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def _jiffies(pid: int | None) -> int:
    """User and system CPU ticks of one process (``/proc/<pid>/stat``)."""
    if pid is None:
        return 0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


# -- the servers ----------------------------------------------------------------------------


class _Trivial(asyncio.Protocol):
    """HTTP/1.1 keep-alive; every request answered at once with an empty answer: ``{}`` to a
    JSON request (``X-Amz-Target``), an empty element to a query or EC2 one."""

    def connection_made(self, transport: Any) -> None:
        self.transport, self.buffer = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, rest = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")[1:]
            headers = {
                k.lower(): v for k, v in (line.split(":", 1) for line in lines if ":" in line)
            }
            length = int(headers.get("content-length", "0"))
            if len(rest) < length:
                return
            self.buffer = rest[length:]
            body, kind = trivial_answer(headers, rest[:length])
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: " + kind + b"\r\n"
                b"x-amzn-RequestId: 1\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )


#: what the trivial server puts in the answers to the creates, so that their deletes can follow
TRIVIAL_CREATED = {
    "RegisterTaskDefinition": '{"taskDefinition": {"taskDefinitionArn": "arn:td"}}',
    "CreateTargetGroup": "<TargetGroups><member><TargetGroupArn>arn:tg</TargetGroupArn></member>"
    "</TargetGroups>",
    "CreateRole": "<Role><RoleName>r</RoleName></Role>",
    "CreateSecurityGroup": "<groupId>sg-1</groupId>",
}


def trivial_answer(headers: dict[str, str], body: bytes) -> tuple[bytes, bytes]:
    """An empty answer in the request's protocol (JSON, query, EC2), and its content type."""
    if "x-amz-target" in headers:
        action = headers["x-amz-target"].strip().rsplit(".", 1)[-1]
        return TRIVIAL_CREATED.get(action, "{}").encode(), b"application/x-amz-json-1.1"
    form = dict(pair.split("=", 1) for pair in body.decode().split("&") if "=" in pair)
    action, inner = form.get("Action", "X"), TRIVIAL_CREATED.get(form.get("Action", ""), "")
    if form.get("Version") != "2016-11-15":  # the query protocol wraps a result; EC2 does not
        inner = f"<{action}Result>{inner}</{action}Result>"
    return f"<{action}Response>{inner}</{action}Response>".encode(), b"text/xml"


def trivial_main(port: int) -> None:
    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(_Trivial, "127.0.0.1", port)
        await server.serve_forever()

    asyncio.run(serve())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="side", required=True)
    side = sub.add_parser("clients")
    side.add_argument("endpoint")
    for name, kind in (
        ("world", str),
        ("threads", int),
        ("tag", str),
        ("seconds", float),
        ("out", str),
    ):
        side.add_argument(f"--{name}", type=kind, required=True)
    sub.add_parser("trivial").add_argument("port", type=int)
    args = parser.parse_args()
    if args.side == "clients":
        clients_main(args)
    else:
        trivial_main(args.port)


if __name__ == "__main__":
    main()

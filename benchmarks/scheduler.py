"""The cost of one scheduling pass of the local cloud at 5,000 desired tasks (issue 20:
"scheduling is quadratic"; each pass is bounded since, and this measures what a pass costs).

Every pass of the local cloud runs on its one event loop: the providers advance their regions
(ECS's scheduler among them), one after the other, in one callback. While it runs nothing else of
the local cloud runs — no API call, no listener — and its watchdog counts a callback past
100 ms as a stall (:data:`bgkit.local.watchdog.THRESHOLD`). The goal is that a pass at 5,000
desired tasks holds the loop **at most 50 ms**: half the watchdog's limit, so that the rest of
the same callback (the other providers, then the data plane's own pass) stays within it.

How: a local cloud without its data plane gets an ECS service of ``--tasks`` (5,000, the tasks
per service quota) Fargate tasks, built through boto3. Its tasks are made quickly (a larger
launch batch for the set-up only), then the local cloud stops serving and the passes are run
here, one by one, as its loop runs them (:meth:`LocalCloud.advance`), with this script playing
the ECS agent between two passes (a new task is made ``RUNNING``, as the runtime would). Each
pass's **loop time** is measured as the watchdog counts it — wall time less the thread's wait for
a CPU on a busy machine (Linux's ``schedstat``), so its computing and its blocking system calls
(a commit's ``fsync``) — beside its wall and CPU times, for:

- **launching**: the last passes of the launch, each starting its batch of tasks
  (:data:`bgkit.local.services.ecs.scheduler.LAUNCH_BATCH`) with thousands already there;
- **steady**: passes with every task ``RUNNING``, when nothing changes;
- **one read of the tasks**: the region's task records read once, which every pass does.

Prints a table and writes ``benchmarks/results/scheduler.json``.

Usage: ``python benchmarks/scheduler.py [--tasks 5000] [--passes 10]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cloud import machine

from bgkit.apps.templates import task_definition
from bgkit.local.server import LocalCloud
from bgkit.local.services.ecs import scheduler
from bgkit.local.watchdog import THRESHOLD, run_queue_wait

RESULTS = Path(__file__).parent / "results" / "scheduler.json"
REGION = "us-east-1"
PARTITION = f"123456789012/{REGION}"
#: the goal: loop time of one pass at 5,000 desired tasks, in milliseconds
GOAL_MS = 50.0
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
         "Action": "sts:AssumeRole"}
    ],
}  # fmt: skip


def make_service(cloud: LocalCloud, tasks: int) -> None:
    """A cluster, the Nginx task definition and a service of ``tasks`` Fargate tasks."""
    iam, ec2, ecs = (cloud.client(name) for name in ("iam", "ec2", "ecs"))
    role = iam.create_role(RoleName="bench-execution", AssumeRolePolicyDocument=json.dumps(TRUST))
    ecs.create_cluster(clusterName="bench")
    definition = task_definition(
        "nginx", family="bench", execution_role_arn=role["Role"]["Arn"],
        log_group="/ecs/bench", region=REGION,
    )  # fmt: skip
    arn = ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    ecs.create_service(
        cluster="bench", serviceName="workers", taskDefinition=arn, desiredCount=tasks,
        launchType="FARGATE", deploymentController={"type": "ECS"},
        networkConfiguration={"awsvpcConfiguration": {
            "subnets": subnets, "securityGroups": [group], "assignPublicIp": "ENABLED"}},
    )  # fmt: skip


def play_the_agent(cloud: LocalCloud) -> int:
    """What the runtime does between two passes: every new task is ``RUNNING``; returns how
    many tasks there are."""
    store, now = cloud.store, cloud.clock.now()
    with store.transaction():
        tasks = store.list(PARTITION, "task")
        for task in tasks:
            if task["desiredStatus"] == "RUNNING" and task["lastStatus"] != "RUNNING":
                task.update(lastStatus="RUNNING", connectivity="CONNECTED", startedAt=now)
                task["containers"][0]["lastStatus"] = "RUNNING"
                store.put(PARTITION, "task", task["taskArn"], task)
    return len(tasks)


def timed(work: Callable[[], Any]) -> tuple[float, float, float]:
    """``work()``'s wall time, its loop time as the watchdog counts it (wall time less this
    thread's wait for a CPU: its computing and its blocking system calls, such as a commit's
    ``fsync``), and this thread's CPU time, in milliseconds."""
    thread = threading.get_native_id()
    waited, wall, cpu = run_queue_wait(thread), time.perf_counter(), time.thread_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    after = run_queue_wait(thread)
    busy = after - waited if after is not None and waited is not None else 0.0
    return wall * 1000, max(0.0, wall - busy) * 1000, cpu * 1000


def summary(samples: list[tuple[float, float, float]]) -> dict[str, float]:
    row: dict[str, float] = {"passes": len(samples)}
    for index, name in enumerate(("wall", "loop", "cpu")):
        values = [sample[index] for sample in samples]
        row[f"{name}_ms_median"] = round(statistics.median(values), 1)
        row[f"{name}_ms_max"] = round(max(values), 1)
    return row


def measure(tasks: int, passes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bgkit-bench-") as tmp:
        state = Path(tmp) / "state"
        with LocalCloud(state, port=0, dataplane=False) as serving:
            make_service(serving, tasks)
        cloud = LocalCloud(state, port=0, dataplane=False)  # its passes run here, one by one
        batch, began = scheduler.LAUNCH_BATCH, time.monotonic()
        first = tasks - passes * batch  # made at once, 500 a pass: the set-up only
        try:
            while (count := play_the_agent(cloud)) < first:
                scheduler.LAUNCH_BATCH = min(500, first - count)
                cloud.advance()
        finally:
            scheduler.LAUNCH_BATCH = batch
        set_up = time.monotonic() - began
        launching = []
        while play_the_agent(cloud) < tasks:
            launching.append(timed(cloud.advance))
        play_the_agent(cloud)
        cloud.advance()  # the last counts and events
        steady = [timed(cloud.advance) for _ in range(passes)]
        reads = [timed(lambda: cloud.store.list(PARTITION, "task")) for _ in range(passes)]
        cloud.store.close()
    return {
        "tasks": tasks,
        "launch_batch": batch,
        "set_up_seconds": round(set_up, 1),
        "launching": summary(launching),
        "steady": summary(steady),
        "read_tasks": summary(reads),
        "goal_ms": GOAL_MS,
        "watchdog_threshold_ms": THRESHOLD * 1000,
        "machine": {**machine(), "loadavg_1min_after": round(os.getloadavg()[0], 2)},
    }


def show(result: dict[str, Any]) -> None:
    print(f"one pass at {result['tasks']:,} desired tasks (launch batch {result['launch_batch']})")
    columns = ("loop p50", "loop max", "wall p50", "wall max", "CPU p50", "CPU max")
    print(f"{'':<12} {'passes':>6} " + " ".join(f"{name:>9}" for name in columns))
    for name in ("launching", "steady", "read_tasks"):
        row = result[name]
        figures = [row[f"{what}_ms_{how}"] for what in ("loop", "wall", "cpu")
                   for how in ("median", "max")]  # fmt: skip
        print(f"{name.replace('_', ' '):<12} {row['passes']:>6} "
              + " ".join(f"{figure:>7.0f}ms" for figure in figures))  # fmt: skip
    worst = max(result["launching"]["loop_ms_max"], result["steady"]["loop_ms_max"])
    verdict = "met" if worst <= result["goal_ms"] else "missed"
    print(
        f"goal: a pass at {result['tasks']:,} desired tasks holds the loop at most "
        f"{result['goal_ms']:g} ms (the watchdog counts {result['watchdog_threshold_ms']:g} ms as "
        f"a stall): the worst held it {worst:.0f} ms, {worst / result['goal_ms']:.1f}× — {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--passes", type=int, default=10)
    args = parser.parse_args()
    result = measure(args.tasks, args.passes)
    show(result)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

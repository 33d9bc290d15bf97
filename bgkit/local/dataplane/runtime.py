"""ECS tasks as real local processes, reconciled with the task records of the store.

The ECS scheduler (a provider) creates ``task`` records and may later ask one to stop
(``desiredStatus`` ``STOPPED``); :class:`RuntimeDataPlane` makes each record real and writes
back what it observes, as the ECS agent does:

==========================  =================================================================
the record says             the runtime
==========================  =================================================================
wants RUNNING, no process   resolves the image (:mod:`.images`) and starts the process on a
                            free port of 127.0.0.1 (``PORT``, ``HOST``): ``PENDING``; an image
                            it cannot run: ``STOPPED``, ``TaskFailedToStart``
PENDING, port answers       ``RUNNING``, and the ``task-endpoint`` record
                            ``"<private ip>|<container port>"`` → ``{Host, Port, TaskArn}`` that
                            the ALB data plane routes targets through
PENDING for too long        asks it to stop, ``TaskFailedToStart`` (:data:`STARTUP_TIMEOUT`)
process exited              ``STOPPED``, ``EssentialContainerExited``, its exit code
wants STOPPED               endpoint removed, ``SIGTERM`` to the group, ``SIGKILL`` after the
                            stop timeout, then ``STOPPED``
record gone                 the process is stopped the same way
==========================  =================================================================

The stop timeout is the container's ``stopTimeout`` (ECS's default, 30 s) in local time, turned
into wall time by the clock's speed and never longer than 30 wall seconds. Each task's output is
appended, raw, to ``<state dir>/tasks/<task id>.log``.

A full disk under the task logs stops nothing: a task's writes fail or are lost, the app goes on
or exits as it decides (a task that exits then says so in its container's ``reason``), every pass
goes on, and while the disk is full each running task's status carries the one sentence of
:func:`.processes.log_disk_full` (shown by ``bgkit local status``). A change to a task record that
the full disk refuses is made again at a later pass.

A task is its whole process tree, as a container is: each process is started with a token of
its own in ``BGKIT_PROCESS_TOKEN``, which everything it starts inherits, and recorded in the
store (:meth:`~bgkit.local.store.Store.add_process`) until nothing of its tree runs. Stopping a
task signals its group and every process of its tree, even one that left the group; when the
task's own process exits, what is left of its tree is killed (:class:`.processes.Orphans`).

When the local cloud stops, every task process stops with it, yet the records still say
``RUNNING``: the next start runs them again, on new host ports. When the local cloud was killed
instead, its task processes kept running; the next start adopts each one still alive (same pid and
start time, :mod:`.processes`), so the listeners serve the same tasks on the same ports. A task
whose process ended while no local cloud ran is started again, not reported as exited. A
recorded tree that no task holds any more is an orphan: it is ended at that start, and
`bgkit local down` and `reset` end every recorded tree whatever happened before
(:func:`bgkit.local.process.end_orphans`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bgkit.local.dataplane import Component, Host
from bgkit.local.dataplane.images import ImageNotRunnableError, resolve
from bgkit.local.dataplane.processes import Orphans, TaskProcess, log_disk_full
from bgkit.local.dataplane.task_status import (
    Change,
    container_of,
    exited,
    failed,
    failing,
    running,
    stopped_unstarted,
    stopping,
)
from bgkit.local.process import TASKS_DIR, free_port
from bgkit.local.services.ecs.models import TASK
from bgkit.local.store import DiskFullError

log = logging.getLogger("bgkit.local.runtime")

ENDPOINT = "task-endpoint"
#: ECS's default stop timeout (``stopTimeout``), in local seconds; never more than this in wall s
STOP_TIMEOUT = 30.0
#: wall seconds a new process has to accept connections on its port
STARTUP_TIMEOUT = 30.0
#: wall seconds one connection attempt to a starting task may take
PROBE_TIMEOUT = 0.2
#: wall seconds the local cloud's own stop waits after SIGTERM before SIGKILL
SHUTDOWN_GRACE = 5.0
#: processes one pass starts at most: the rest start in the next passes, so a pass stays short
LAUNCH_BATCH = 10
#: wall seconds between two looks at the room left on the disk of the task logs
DISK_CHECK_INTERVAL = 1.0


@dataclass
class Running:
    """A task's process, as the runtime tracks it.

    Attributes:
        partition: the task record's partition.
        arn: the task's ARN.
        endpoint: the key of its ``task-endpoint`` record (:func:`endpoint_key`).
        process: its process.
        ready: whether its port has answered (the endpoint record is written).
        since: when it was started or adopted (``time.monotonic``), for the startup timeout.
        kill_at: set once stopping: when ``SIGKILL`` follows (``time.monotonic``).
        exit_reason: once its process has exited: what the local cloud saw then (a full disk
            under its log), kept until the store takes the exit.
    """

    partition: str
    arn: str
    endpoint: str
    process: TaskProcess
    ready: bool
    since: float
    kill_at: float | None = None
    exit_reason: str | None = None


def task_id(arn: str) -> str:
    """The id of a task, the last part of its ARN."""
    return arn.rsplit("/", 1)[-1]


def endpoint_key(task: dict[str, Any]) -> str:
    """The key of a task's ``task-endpoint`` record: ``"<private ip>|<container port>"``."""
    return f"{task['_private_ip']}|{int(task['_container']['containerPort'])}"


def _wants_process(task: dict[str, Any]) -> bool:
    return task.get("desiredStatus") == "RUNNING" and task.get("lastStatus") != "STOPPED"


class RuntimeDataPlane(Component):
    """Runs the store's ECS tasks as local processes (see the module docstring)."""

    name = "tasks"

    def __init__(self) -> None:
        self._host: Host | None = None
        self._running: dict[str, Running] = {}
        self._orphans = Orphans(SHUTDOWN_GRACE)
        self._lock = asyncio.Lock()
        #: :func:`log_disk_full`'s sentence while the disk of the task logs is full
        self._log_disk: str | None = None
        self._disk_checked = -float("inf")

    # -- the Component contract ----------------------------------------------------------------

    async def start(self, host: Host) -> None:
        self._host = host
        (host.state_dir / TASKS_DIR).mkdir(exist_ok=True)
        for partition, task in self._tasks():
            if task.get("lastStatus") == "STOPPED" or not task.get("_pid"):
                continue
            try:
                process = TaskProcess.adopt(
                    task["_pid"], task.get("_proc_start"), task["_host_port"],
                    Path(task["_log_path"]), task.get("_token"),
                )  # fmt: skip
            except ProcessLookupError:  # ended while no local cloud ran: started again
                self._delete_endpoint(partition, endpoint_key(task), task["taskArn"])
                continue
            ready = task.get("lastStatus") == "RUNNING"
            item = Running(
                partition, task["taskArn"], endpoint_key(task), process, ready, time.monotonic()
            )
            self._running[item.arn] = item
            if ready:
                self._put_endpoint(item)
            log.info("adopted task %s (pid %d)", task["taskArn"], process.pid)
        adopted = {item.process.token for item in self._running.values()}
        for row in host.store.processes():  # what no task holds now: ended
            if ":task/" in row["owner"] and row["token"] not in adopted:  # tasks' trees only
                self._orphans.add(row)
        self._sweep()

    async def reconcile(self) -> None:
        if self._host is None:
            return
        async with self._lock:  # one pass at a time: a pass starts and signals processes
            self._check_disk()
            self._reap()
            self._sweep()
            tasks = {task["taskArn"]: (partition, task) for partition, task in self._tasks()}
            self._launch(tasks)
            self._signal(tasks)
            await self._probe()

    async def stop(self) -> None:
        """Stop every task process; the records stay as they are, their endpoints go."""
        async with self._lock:
            running, self._running = list(self._running.values()), {}
            for item in running:
                item.process.terminate()
            if not await _ended(running, SHUTDOWN_GRACE):
                for item in running:
                    item.process.kill()
                if not await _ended(running, SHUTDOWN_GRACE):
                    alive = [item.process.pid for item in running if item.process.poll() is None]
                    log.error("task processes survived SIGKILL: pids %s", alive)
            for item in running:
                self._delete_endpoint(item.partition, item.endpoint, item.arn)
                if item.process.token is not None:  # what it started, should it have left
                    self._orphans.add(self._row(item), kill=True)
            deadline = time.monotonic() + SHUTDOWN_GRACE
            while self._sweep() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)

    def status(self) -> list[dict[str, Any]]:
        """Each task process: for ``bgkit local status``.

        Returns:
            One dict a process: ``task_arn``, ``pid``, ``host_port``, ``state`` (``starting``,
            ``running`` or ``stopping``), ``adopted``, ``log_path``, and, while the disk of the
            logs is full, ``log_problem``: the sentence of :func:`log_disk_full`.
        """
        return [
            {
                "task_arn": item.arn,
                "pid": item.process.pid,
                "host_port": item.process.host_port,
                "state": "stopping" if item.kill_at else "running" if item.ready else "starting",
                "adopted": item.process.adopted,
                "log_path": str(item.process.log_path),
                **({"log_problem": self._log_disk} if self._log_disk else {}),
            }
            for item in self._running.values()
        ]

    # -- the store -----------------------------------------------------------------------------

    def _tasks(self) -> list[tuple[str, dict[str, Any]]]:
        assert self._host is not None
        store = self._host.store
        return [(p, task) for p in store.partitions(TASK) for task in store.list(p, TASK)]

    def _get(self, partition: str, arn: str) -> tuple[str, dict[str, Any] | None]:
        """A task record and the key it is stored under: its ARN, or else its id."""
        assert self._host is not None
        for key in (arn, task_id(arn)):
            task = self._host.store.get(partition, TASK, key)
            if task is not None:
                return key, task
        return arn, None

    def _update(self, partition: str, arn: str, change: Change) -> None:
        """Apply ``change(task, now)`` to the current task record, in one transaction."""
        assert self._host is not None
        store = self._host.store
        with store.transaction():
            key, task = self._get(partition, arn)
            if task is not None:
                change(task, self._host.clock.now())
                store.put(partition, TASK, key, task)

    def _put_endpoint(self, item: Running) -> None:
        """Route the task's (private IP, container port) to its process."""
        assert self._host is not None
        record = {"Host": "127.0.0.1", "Port": item.process.host_port, "TaskArn": item.arn}
        self._host.store.put(item.partition, ENDPOINT, item.endpoint, record)

    def _delete_endpoint(self, partition: str, key: str, arn: str) -> None:
        """Remove the endpoint record ``key`` if it still routes to the task ``arn``."""
        assert self._host is not None
        store = self._host.store
        with store.transaction():
            record = store.get(partition, ENDPOINT, key)
            if record is not None and record.get("TaskArn") == arn:
                store.delete(partition, ENDPOINT, key)

    def _row(self, item: Running) -> dict[str, Any]:
        """A task process as the store records it (:meth:`Store.add_process`)."""
        process = item.process
        return {"token": process.token, "pid": process.pid, "start": process.start,
                "owner": item.arn}  # fmt: skip

    def _sweep(self) -> int:
        """Signal what is left of the trees being ended; forget those wholly gone. Returns how
        many are left."""
        assert self._host is not None
        for token in self._orphans.sweep():
            self._host.store.remove_process(token)
        return len(self._orphans)

    # -- one pass ------------------------------------------------------------------------------

    def _check_disk(self) -> None:
        """Look at the room left under the task logs, once a :data:`DISK_CHECK_INTERVAL`; say
        when it runs out and when there is room again."""
        assert self._host is not None
        now = time.monotonic()
        if now - self._disk_checked < DISK_CHECK_INTERVAL:
            return
        self._disk_checked = now
        was, self._log_disk = self._log_disk, log_disk_full(self._host.state_dir / TASKS_DIR)
        if self._log_disk and not was:
            log.warning("%s", self._log_disk)
        elif was and not self._log_disk:
            log.info("the disk that holds the task logs has room again")

    def _reap(self) -> None:
        """Record the exit of every process that ended; one the store cannot take now (a full
        disk) is recorded at a later pass."""
        assert self._host is not None
        for arn, item in list(self._running.items()):
            ended = item.process.poll()
            if ended is None:
                continue
            if item.exit_reason is None:  # what it ended with, seen now
                full = log_disk_full(self._host.state_dir / TASKS_DIR)
                item.exit_reason = f"exited while {full}" if full else ""
            try:
                with self._host.store.transaction():  # the route goes with the status
                    self._delete_endpoint(item.partition, item.endpoint, arn)
                    self._update(item.partition, arn, exited(ended.code, item.exit_reason or None))
            except DiskFullError:
                continue  # no room to record it: the exit waits for a later pass
            del self._running[arn]
            if item.process.token is not None:  # a container's processes end with it
                self._orphans.add(self._row(item), kill=True)
            log.info("task %s exited (%s)", arn, ended.code)

    def _launch(self, tasks: dict[str, tuple[str, dict[str, Any]]]) -> None:
        """Start a process for every task that wants one and has none (a batch a pass)."""
        launched = 0
        for arn, (partition, task) in tasks.items():
            if arn in self._running:
                continue
            if _wants_process(task):
                if launched >= LAUNCH_BATCH:
                    continue
                launched += 1
                try:
                    self._spawn(partition, task)
                except Exception as error:  # one task's failure is its own, never the pass's
                    log.exception("starting task %s failed", arn)
                    self._update(partition, arn, failed(f"CannotStartContainerError: {error}"))
            elif task.get("lastStatus") != "STOPPED" and task.get("desiredStatus") == "STOPPED":
                # asked to stop before it ever ran here
                self._update(partition, arn, stopped_unstarted)

    def _spawn(self, partition: str, task: dict[str, Any]) -> None:
        assert self._host is not None
        host, arn = self._host, task["taskArn"]
        spec = task["_container"]
        environment = dict(spec.get("environment") or {})
        try:
            argv = resolve(spec["image"], spec.get("entryPoint"), spec.get("command"), environment)
        except ImageNotRunnableError as error:
            self._update(partition, arn, failed(error.stopped_reason))
            log.info("task %s cannot start: %s", arn, error.stopped_reason)
            return
        host_port = free_port(avoid={r.process.host_port for r in self._running.values()})
        region = partition.split("/", 1)[1]
        environment.update(
            PORT=str(host_port),
            HOST="127.0.0.1",
            AWS_REGION=region,
            AWS_DEFAULT_REGION=region,
            AWS_EXECUTION_ENV="AWS_ECS_FARGATE",
        )
        log_path = host.state_dir / TASKS_DIR / f"{task_id(arn)}.log"
        pulled = host.clock.now()
        try:
            process = TaskProcess.spawn(
                argv, environment, host_port, log_path, host.state_dir / TASKS_DIR,
                token=secrets.token_hex(8),
            )  # fmt: skip
        except (OSError, ValueError) as error:
            self._update(partition, arn, failed(f"CannotStartContainerError: {error}"))
            log.info("task %s cannot start: %s", arn, error)
            return
        item = Running(partition, arn, endpoint_key(task), process, False, time.monotonic())
        self._running[arn] = item
        self._delete_endpoint(partition, item.endpoint, arn)  # a restart answers on a new port

        def started(task: dict[str, Any], now: float) -> None:
            task.update(
                _pid=process.pid,
                _pgid=process.pid,
                _proc_start=process.start,
                _token=process.token,
                _host_port=host_port,
                _log_path=str(log_path),
            )
            if task.get("lastStatus") in (None, "PROVISIONING"):
                task.update(lastStatus="PENDING", pullStartedAt=pulled, pullStoppedAt=now)
                container_of(task)["lastStatus"] = "PENDING"

        with host.store.transaction():  # the process is recorded with the task's record
            host.store.add_process(process.token or "", process.pid, process.start, arn)
            self._update(partition, arn, started)
        log.info("task %s started: pid %d on 127.0.0.1:%d", arn, process.pid, host_port)

    def _signal(self, tasks: dict[str, tuple[str, dict[str, Any]]]) -> None:
        """Stop the processes whose task wants to stop, is gone, or never opened its port."""
        assert self._host is not None
        clock = self._host.clock
        now = time.monotonic()
        for arn, item in self._running.items():
            partition_task = tasks.get(arn)
            task = partition_task[1] if partition_task else None
            if item.kill_at is not None:
                if now >= item.kill_at:
                    item.process.kill()
                continue
            if task is not None and _wants_process(task):
                if item.ready or now - item.since < STARTUP_TIMEOUT:
                    continue
                reason = (
                    f"Task failed to start: the container did not accept connections on its "
                    f"port {task['_container']['containerPort']} within {STARTUP_TIMEOUT:.0f} s; "
                    f"see its log {item.process.log_path}"
                )
                self._update(item.partition, arn, failing(reason))  # now it wants to stop
            self._delete_endpoint(item.partition, item.endpoint, arn)
            timeout = STOP_TIMEOUT
            if partition_task is not None:
                timeout = float(partition_task[1]["_container"].get("stopTimeout") or timeout)
                self._update(item.partition, arn, stopping)
            item.kill_at = now + min(clock.wall_seconds(timeout), STOP_TIMEOUT)
            item.process.terminate()

    async def _probe(self) -> None:
        """Try the port of each starting process once; record those that answer as RUNNING."""
        starting = [item for item in self._running.values() if not item.ready and not item.kill_at]
        answers = await asyncio.gather(*(_answers(item.process.host_port) for item in starting))
        for item, answered in zip(starting, answers, strict=True):
            if not answered or item.kill_at or self._running.get(item.arn) is not item:
                continue
            item.ready = True
            assert self._host is not None
            with self._host.store.transaction():  # the status and the route together
                self._update(item.partition, item.arn, running)
                task = self._get(item.partition, item.arn)[1]
                if task is not None and _wants_process(task):
                    self._put_endpoint(item)


async def _ended(running: list[Running], timeout: float) -> bool:
    """Wait up to ``timeout`` wall seconds for every process to end; whether they all did."""
    deadline = time.monotonic() + timeout
    while any(item.process.poll() is None for item in running):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def _answers(port: int) -> bool:
    """Whether 127.0.0.1:``port`` accepts a TCP connection within :data:`PROBE_TIMEOUT`."""
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), PROBE_TIMEOUT
        )
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True

"""Lambda invocations as real local processes, reconciled with the invocation records.

The Lambda provider records each ``Invoke`` as a ``lambda-invocation`` in state ``Queued``
(:mod:`bgkit.local.services.awslambda.models` holds the transition table).
:class:`FunctionsDataPlane` runs it — never on the event loop's time: a process is started, then
watched by a task of the loop that polls it every :data:`POLL` wall seconds:

- the function's code (the ``lambda-code`` record) is unzipped once a package, off the loop, into
  ``<state dir>/lambda/code/<sha256>/`` — the function's working directory, Lambda's ``/var/task``;
- each invocation gets ``<state dir>/lambda/invocations/<request id>/`` (``event.json``,
  ``context.json``, ``output.log``, ``result.json``) and its own process, in a process group of
  its own (:class:`~bgkit.local.dataplane.processes.TaskProcess`): the local interpreter runs
  :mod:`.lambda_runtime`, which calls ``handler(event, context)``. Its environment is what Lambda
  sets (``AWS_REGION``, ``AWS_LAMBDA_FUNCTION_NAME``, ``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``,
  ``_HANDLER``, ``LAMBDA_TASK_ROOT`` …), the function's variables, credentials and
  ``AWS_ENDPOINT_URL`` pointing at the local cloud — so boto3 in the function (importable, as in
  Lambda's runtime) calls the local cloud;
- its output lines are read as they come, each stamped with the local clock, between
  ``START RequestId: … Version: $LATEST`` and ``END``/``REPORT`` lines (duration, billed duration,
  memory size, max memory used);
- the function's ``Timeout`` is enforced in **wall** seconds, whatever the local clock's speed:
  the function's own code runs in real time (a ``time.sleep(2)`` takes two real seconds at any
  speed), so scaling its timeout would kill real work at a fast clock. Past it the process group
  is killed, the log says ``Task timed out after N.00 seconds`` and the invocation fails
  (``FunctionError: Unhandled``). What runs on the local clock are the waits *around* functions:
  retries of failed asynchronous invocations (``ASYNC_RETRY_DELAYS`` of the models), and the
  hooks' one-hour timeout;
- the process is a tree, as a task's is (:mod:`bgkit.local.trees`): started with a token of its
  own, recorded in the store with the invocation (owner ``lambda:<request id>``), so what the
  function started — even in a session of its own — is ended when it ends (``SIGTERM``, then
  ``SIGKILL``) or when the local cloud stops, and ``down`` and ``reset`` end a tree that a
  local cloud killed or hung left behind; stopping reaps the processes it killed;
- at most ``CONCURRENCY`` (of the models) run at once; ``Event``
  invocations wait their turn in the queue.

``RequestResponse``: the endpoint awaits :meth:`FunctionsDataPlane.complete`, which starts the
invocation at once and answers once it has finished — other calls and the listeners are served
meanwhile. State survives a restart: queued invocations run when the local cloud is back; a
running one whose process survived a crash is adopted (by pid and start time) and its outcome read
from ``result.json``; one whose process ended with the local cloud runs again when it is an
``Event`` (Lambda's asynchronous invocations are at least once), and fails when it is a
``RequestResponse`` (its caller's connection is gone).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import secrets
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bgkit.local.dataplane import Component, Host
from bgkit.local.dataplane.invocation import (
    LAMBDA_DIR,
    RUNTIME,
    Run,
    environment,
    facts,
    iso,
    ms,
    peak_rss_kb,
    read_output,
    reap,
    unzip,
)
from bgkit.local.dataplane.processes import Exit, Orphans, TaskProcess
from bgkit.local.services.awslambda.models import (
    ASYNC_RETRY_DELAYS,
    AWAITED,
    CODE,
    CONCURRENCY,
    FINISHED,
    INVOCATION,
    invoke_result,
    log_tail,
)

log = logging.getLogger("bgkit.local.functions")
#: what an invocation's process is recorded as running for (``lambda:<request id>``)
OWNER = "lambda:"
#: wall seconds between ``SIGTERM`` and ``SIGKILL`` to what an invocation left running
GRACE = 2.0

#: wall seconds between two looks at a running invocation
POLL = 0.02


class FunctionsDataPlane(Component):
    """Runs the store's Lambda invocations as local processes (see the module docstring).

    Args:
        wall: the wall clock of timeouts, injectable for tests.
    """

    name = "invocations"

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._host: Host | None = None
        self._running: dict[str, Run] = {}
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._finished: dict[str, asyncio.Event] = {}
        self._launching: set[str] = set()
        self._orphans = Orphans(GRACE)

    # -- the Component contract ----------------------------------------------------------------

    async def start(self, host: Host) -> None:
        self._host = host
        self._root.mkdir(parents=True, exist_ok=True)
        for partition, record in self._records():
            if record["state"] == "Running":
                self._resume(partition, record)
        held = {run.process.token for run in self._running.values()}
        for row in host.store.processes():  # trees of invocations that ended: what is left
            if row["owner"].startswith(OWNER) and row["token"] not in held:
                self._orphans.add(row)
        self._sweep()

    async def reconcile(self) -> None:
        if self._host is None:
            return
        self._sweep()
        now = self._host.clock.now()
        for partition, record in self._records():
            if len(self._running) >= CONCURRENCY:
                break
            if record["state"] == "Queued" and record["not_before"] <= now:
                await self._launch(partition, record)

    async def complete(
        self, service: str, operation: str, result: dict[str, Any]
    ) -> dict[str, Any]:
        """The ``Invoke`` answer of a ``RequestResponse`` invocation, once it has finished."""
        if service != "lambda" or operation != "Invoke" or AWAITED not in result:
            return result
        key = result[AWAITED]
        found = self._find(key)
        if found is None:
            return result
        partition, record = found
        if record["state"] == "Queued":
            await self._launch(partition, record)
        done = self._finished.setdefault(key, asyncio.Event())
        record = self._record(partition, key)
        if record is not None and record["state"] not in FINISHED:
            await done.wait()
        self._finished.pop(key, None)
        record = self._record(partition, key)
        return invoke_result(record) if record is not None else result

    async def stop(self) -> None:
        """Kill every invocation process and reap those this local cloud started (off the
        loop: no zombie, no subprocess left running); their records stay ``Running`` (see the
        docstring)."""
        for watcher in self._watchers.values():
            watcher.cancel()
        for watcher in list(self._watchers.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        for run in self._running.values():
            run.process.kill()
        children = [run.process for run in self._running.values() if run.process.popen]
        await asyncio.gather(*(asyncio.to_thread(reap, child) for child in children))
        self._running.clear()
        self._watchers.clear()

    def status(self) -> list[dict[str, Any]]:
        """Each running invocation: request id, pid, its folder, wall seconds left."""
        now = self._wall()
        return [
            {
                "request_id": run.key,
                "pid": run.process.pid,
                "directory": str(run.directory),
                "seconds_left": round(max(0.0, run.deadline - now), 3),
            }
            for run in self._running.values()
        ]

    def _now_ms(self) -> int:
        assert self._host is not None
        return ms(self._host.clock.now())

    # -- the store -----------------------------------------------------------------------------

    @property
    def _root(self) -> Path:
        assert self._host is not None
        return self._host.state_dir / LAMBDA_DIR

    def _records(self) -> list[tuple[str, dict[str, Any]]]:
        assert self._host is not None
        store = self._host.store
        found = [
            (partition, record)
            for partition in store.partitions(INVOCATION)
            for record in store.list(partition, INVOCATION)
        ]
        return sorted(found, key=lambda item: item[1]["created"])

    def _record(self, partition: str, key: str) -> dict[str, Any] | None:
        assert self._host is not None
        return self._host.store.get(partition, INVOCATION, key)

    def _find(self, key: str) -> tuple[str, dict[str, Any]] | None:
        for partition, record in self._records():
            if record["request_id"] == key:
                return partition, record
        return None

    def _save(self, partition: str, record: dict[str, Any]) -> None:
        assert self._host is not None
        with self._host.store.transaction():
            self._host.store.put(partition, INVOCATION, record["request_id"], record)

    # -- starting ------------------------------------------------------------------------------

    async def _launch(self, partition: str, record: dict[str, Any]) -> None:
        """Start a queued invocation (once: a second call for the same one does nothing)."""
        assert self._host is not None
        key = record["request_id"]
        if key in self._running or key in self._launching:
            return
        self._launching.add(key)
        try:
            code = self._host.store.get(partition, CODE, record["_code"])
            code_dir = self._root / "code" / record["_code"]
            if code is None:
                raise FileNotFoundError(f"the package {record['_code']} is gone")
            await asyncio.to_thread(unzip, base64.b64decode(code["zip"]), code_dir)
            directory = self._root / "invocations" / key
            directory.mkdir(parents=True, exist_ok=True)
            now_wall = self._wall()
            told = facts(record, now_wall)
            (directory / "event.json").write_bytes(base64.b64decode(record["payload"]))
            (directory / "context.json").write_text(json.dumps(told))
            for stale in ("result.json", "output.log"):
                (directory / stale).unlink(missing_ok=True)
            process = TaskProcess.spawn(
                [sys.executable, "-u", str(RUNTIME), str(directory)],
                environment(record, told, code_dir, self._host.endpoint_url),
                0,
                directory / "output.log",
                code_dir,
                token=secrets.token_hex(8),
            )
        except (OSError, zipfile.BadZipFile, ValueError) as error:
            self._launching.discard(key)
            log.warning("invocation %s could not start: %s", key, error)
            self._end(
                partition,
                record,
                None,
                {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {key} Error: the function could not start",
                },
            )
            return
        run = Run(
            partition,
            key,
            directory,
            process,
            now_wall + record["Timeout"],
            now_wall,
            record["Timeout"],
        )
        self._launching.discard(key)
        self._start_log(run, record)
        record.update(
            state="Running",
            pid=process.pid,
            pid_start=process.start,
            pid_token=process.token,
            started=now_wall,
            deadline=run.deadline,
            log=run.lines,
        )
        with self._host.store.transaction():  # the process is recorded with the invocation
            self._host.store.add_process(process.token or "", process.pid, process.start,
                                         OWNER + key)  # fmt: skip
            self._save(partition, record)
        self._running[key] = run
        self._watchers[key] = asyncio.create_task(self._watch(run))

    def _resume(self, partition: str, record: dict[str, Any]) -> None:
        """A ``Running`` record after a restart: adopt its process, or settle it."""
        key = record["request_id"]
        directory = self._root / "invocations" / key
        try:
            process = TaskProcess.adopt(
                record["pid"], record.get("pid_start"), 0, directory / "output.log",
                record.get("pid_token"),
            )  # fmt: skip
        except (ProcessLookupError, KeyError):
            if (directory / "result.json").exists():
                ended = TaskProcess(0, None, 0, directory / "output.log", exit=Exit(None))
                run = Run(
                    partition,
                    key,
                    directory,
                    ended,
                    0,
                    0,
                    record["Timeout"],
                    [list(line) for line in record.get("log", [])],
                )
                read_output(run, self._now_ms(), final=True)
                self._finish(run, timed_out=False)
            elif record["type"] == "Event":
                record.update(state="Queued")  # at least once: it runs again
                self._save(partition, record)
            else:
                self._end(
                    partition,
                    record,
                    None,
                    {
                        "errorType": "Runtime.ExitError",
                        "errorMessage": f"RequestId: {key} Error: the local cloud stopped "
                        "while the function ran",
                    },
                )
            return
        run = Run(
            partition,
            key,
            directory,
            process,
            record["deadline"],
            record["started"],
            record["Timeout"],
            [list(line) for line in record.get("log", [])],
        )
        self._running[key] = run
        self._watchers[key] = asyncio.create_task(self._watch(run))

    # -- watching ------------------------------------------------------------------------------

    async def _watch(self, run: Run) -> None:
        timed_out = False
        try:
            while True:
                read_output(run, self._now_ms())
                run.max_rss_kb = max(run.max_rss_kb, peak_rss_kb(run.process.pid))
                if run.process.poll() is not None:
                    break
                if not timed_out and self._wall() >= run.deadline:
                    timed_out = True
                    run.process.kill()
                await asyncio.sleep(POLL)
            read_output(run, self._now_ms(), final=True)
            self._finish(run, timed_out)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug of ours: the invocation fails rather than hang its caller
            log.exception("watching invocation %s failed", run.key)
            run.process.kill()
            self._running.pop(run.key, None)
            self._watchers.pop(run.key, None)
            record = self._record(run.partition, run.key)
            if record is not None:
                error = {"errorType": "Runtime.ExitError", "errorMessage": (
                    f"RequestId: {run.key} Error: the bgkit local cloud failed watching the "
                    "function (a bug of ours: its log has the traceback)"
                )}  # fmt: skip
                self._end(run.partition, record, None, error)

    def _start_log(self, run: Run, record: dict[str, Any]) -> None:
        assert self._host is not None
        run.lines = [list(line) for line in record.get("log", [])]
        at = ms(self._host.clock.now())
        run.lines.append([at, f"START RequestId: {run.key} Version: $LATEST"])

    def _sweep(self) -> None:
        """Signal what is left of the trees of ended invocations; forget those wholly gone."""
        assert self._host is not None
        for token in self._orphans.sweep():
            self._host.store.remove_process(token)

    def _finish(self, run: Run, timed_out: bool) -> None:
        """Record how an invocation ended (see the transition table of the models); what its
        process started and left running is ended (``SIGTERM``, then ``SIGKILL``)."""
        self._running.pop(run.key, None)
        self._watchers.pop(run.key, None)
        process = run.process
        if process.token is not None:
            self._orphans.add({"token": process.token, "pid": process.pid,
                               "start": process.start, "owner": OWNER + run.key})  # fmt: skip
        record = self._record(run.partition, run.key)
        if record is None:
            return
        payload: Any
        ok = False
        if timed_out:
            message = (
                f"{iso(self._wall())} {run.key} Task timed out after {run.timeout:.2f} seconds"
            )
            run.lines.append([ms(self._host.clock.now()) if self._host else 0, message])
            payload = {"errorMessage": message}
        else:
            try:
                outcome = json.loads((run.directory / "result.json").read_text())
                ok, payload = outcome["ok"], outcome["payload"]
            except (OSError, ValueError, KeyError):
                code = run.process.poll()
                status = f"exit status {code.code}" if code and code.code is not None else "exit"
                payload = {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {run.key} Error: Runtime exited with error: "
                    f"{status}",
                }
                run.lines.append(
                    [
                        run.lines[-1][0] if run.lines else 0,
                        f"RequestId: {run.key} Error: Runtime exited with error: "
                        f"{status}\nRuntime.ExitError",
                    ]
                )
        duration = max(0.0, (self._wall() - run.started) * 1000) if run.started else 0.0
        at = run.lines[-1][0] if run.lines else 0
        if self._host is not None:
            at = ms(self._host.clock.now())
        run.lines.append([at, f"END RequestId: {run.key}"])
        run.lines.append(
            [
                at,
                (
                    f"REPORT RequestId: {run.key}\tDuration: {duration:.2f} ms\tBilled Duration: "
                    f"{max(1, int(duration + 0.999))} ms\tMemory Size: {record['MemorySize']} MB\t"
                    f"Max Memory Used: {max(1, run.max_rss_kb // 1024)} MB"
                ),
            ]
        )
        record["log"] = run.lines
        record["tail"] = log_tail(record)
        result = payload if ok else json.dumps(payload)
        self._end(run.partition, record, result if ok else None, None if ok else payload)

    def _end(
        self,
        partition: str,
        record: dict[str, Any],
        answer: str | None,
        error: dict[str, Any] | None,
    ) -> None:
        """Write the end of one attempt: succeeded, failed, or queued again for a retry."""
        assert self._host is not None
        key = record["request_id"]
        if error is None:
            record.update(
                state="Succeeded",
                function_error=None,
                result=base64.b64encode((answer or "null").encode()).decode(),
            )
        else:
            record.update(
                state="Failed",
                function_error="Unhandled",
                result=base64.b64encode(json.dumps(error).encode()).decode(),
            )
            retries = len(ASYNC_RETRY_DELAYS)
            if record["type"] == "Event" and record["attempt"] <= retries:
                delay = ASYNC_RETRY_DELAYS[record["attempt"] - 1]
                record.update(
                    state="Queued",
                    attempt=record["attempt"] + 1,
                    not_before=self._host.clock.now() + delay,
                )
        for name in ("pid", "pid_start", "pid_token", "deadline"):
            record.pop(name, None)
        self._save(partition, record)
        done = self._finished.get(key)
        if done is not None and record["state"] in FINISHED:
            done.set()

"""Steady load on local listeners, and what each request should have met: a reusable probe.

:class:`Load` runs an open-loop load generator in a process of its own (so that it does not
share a GIL with an in-process local cloud): a fixed rate of ``GET /`` spread evenly over the
given listener ports, on 127.0.0.1 only, with a cap on requests in flight. It is bounded three
ways — a number of requests, a number of seconds, and :meth:`Load.stop` — and stops by itself at
the first bound reached. It records one :class:`Sample` a request: when it was sent and answered
(``time.monotonic``, the same clock in every process of the machine), the listener port, the
status, and which revision answered (FizzBuzz names its revision on its page; the Nginx stand-in
page says "Welcome to nginx!").

:class:`ListenerLog` polls the listeners' forward weights through ``DescribeListeners`` and keeps
each change with the times between which it happened; :func:`unexpected` then names the samples
answered by a revision that no weight of their moment allows. The benchmarks can use both
(import ``traffic`` with ``tests/faults`` on ``sys.path``).

Run alone, this module is the load generator's process: ``python traffic.py --port 80=10080
--port 8080=18080 --rate 320 --seconds 20 --out samples.jsonl``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "LAG",
    "Change",
    "ListenerLog",
    "Load",
    "Sample",
    "allowed",
    "failures",
    "mix",
    "report",
    "revision_of",
    "unexpected",
    "verdict",
    "weights",
]

#: requests a second, in total over the ports
RATE = 320.0
#: the most requests in flight; a request due when the cap is reached is skipped and counted
MAX_IN_FLIGHT = 256
#: wall seconds a request may take before it counts as failed
REQUEST_TIMEOUT = 5.0
#: how long after the weights of a listener changed in the store its listener serves them for
#: certain: the change wakes a reconciliation at once (every API call that succeeds does), and
#: one runs at least every 0.25 s (``bgkit.local.dataplane.RECONCILE_INTERVAL``); twice that
LAG = 0.5
NGINX = "nginx"
NO_REVISION = "-"
FIZZBUZZ_REVISION = re.compile(r"served by revision <code>([^<]*)</code>")


@dataclass(frozen=True)
class Sample:
    """One request: sent at ``start``, answered (or failed) at ``end``."""

    start: float
    end: float
    port: int
    status: int | None
    revision: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


def revision_of(body: str) -> str:
    """Which revision wrote a page: ``nginx``, a FizzBuzz revision's name, or ``-``."""
    found = FIZZBUZZ_REVISION.search(body)
    if found:
        return found.group(1)
    return NGINX if "Welcome to nginx!" in body else NO_REVISION


# -- the load generator's process -------------------------------------------------------------


async def generate(
    ports: dict[int, int], rate: float, seconds: float, count: int, stop: asyncio.Event
) -> tuple[list[Sample], int]:
    """Send ``GET /`` to ``127.0.0.1:<host port>`` of each listener port in turn at ``rate`` a
    second; the samples and how many requests were skipped (the in-flight cap was reached)."""
    import aiohttp

    samples: list[Sample] = []
    skipped = 0
    in_flight: set[asyncio.Task[None]] = set()
    order = sorted(ports)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(port: int) -> None:
            start = time.monotonic()
            try:
                async with session.get(f"http://127.0.0.1:{ports[port]}/") as answer:
                    body = await answer.text()
                    samples.append(
                        Sample(start, time.monotonic(), port, answer.status, revision_of(body))
                    )
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
                failed = Sample(start, time.monotonic(), port, None, NO_REVISION, repr(error))
                samples.append(failed)

        begin = time.monotonic()
        print(json.dumps({"started": begin}), flush=True)
        for number in range(count):
            due = begin + number / rate
            if due > begin + seconds or stop.is_set():
                break
            delay = due - time.monotonic()
            if delay > 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                if stop.is_set():
                    break
            if len(in_flight) >= MAX_IN_FLIGHT:
                skipped += 1
                continue
            task = asyncio.create_task(one(order[number % len(order)]))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.gather(*in_flight)
    return samples, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="open-loop load on local listeners")
    parser.add_argument("--port", action="append", required=True, help="LISTENER=HOSTPORT")
    parser.add_argument("--rate", type=float, default=RATE)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    ports = {int(k): int(v) for k, v in (p.split("=", 1) for p in args.port)}

    async def run() -> tuple[list[Sample], int]:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        return await generate(ports, args.rate, args.seconds, args.count, stop)

    samples, skipped = asyncio.run(run())
    partial = Path(args.out + ".partial")
    with partial.open("w") as out:
        out.write(json.dumps({"skipped": skipped}) + "\n")
        for sample in samples:
            out.write(json.dumps(asdict(sample)) + "\n")
    partial.rename(args.out)
    return 0


# -- the test's side ------------------------------------------------------------------------


class Load:
    """Steady load on local listeners from a process of its own (see the module docstring).

    Args:
        ports: ``{listener port: host port}``, all on 127.0.0.1.
        out: where the process writes its samples (a file it creates).
        rate: requests a second in total.
        seconds: the most wall seconds of traffic.
        count: the most requests; at most ``rate * seconds`` by default.
    """

    def __init__(
        self,
        ports: dict[int, int],
        out: Path,
        *,
        rate: float = RATE,
        seconds: float = 30.0,
        count: int | None = None,
    ) -> None:
        self.ports = dict(ports)
        self.out = Path(out)
        self.rate = rate
        self.seconds = seconds
        self.count = count if count is not None else math.ceil(rate * seconds)
        self.marks: list[tuple[float, str]] = []
        self.skipped = 0
        self.started = 0.0
        self.stopped = 0.0
        self._process: subprocess.Popen[str] | None = None
        self._samples: list[Sample] | None = None

    def start(self) -> Load:
        """Start the load; returns once the first request is due."""
        argv = [sys.executable, __file__, "--rate", str(self.rate), "--seconds", str(self.seconds)]
        argv += ["--count", str(self.count), "--out", str(self.out)]
        argv += [arg for port, host in self.ports.items() for arg in ("--port", f"{port}={host}")]
        self._process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()  # blocks until it has begun (or died)
        if not line:
            self._process.wait(10)
            raise RuntimeError(f"the load generator exited at once ({self._process.returncode})")
        self.started = json.loads(line)["started"]
        return self

    def mark(self, label: str) -> float:
        """Note a moment (``time.monotonic``) under ``label``; returns it."""
        now = time.monotonic()
        self.marks.append((now, label))
        return now

    def stop(self, timeout: float = REQUEST_TIMEOUT + 10.0) -> list[Sample]:
        """End the load now (requests in flight finish); its samples."""
        if self._samples is not None:
            return self._samples
        process = self._process
        assert process is not None, "the load never started"
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(5)
            if process.stdout is not None:
                process.stdout.close()
        self.stopped = time.monotonic()
        lines = self.out.read_text().splitlines()
        self.skipped = json.loads(lines[0])["skipped"]
        self._samples = sorted((Sample(**json.loads(line)) for line in lines[1:]),
                               key=lambda s: s.start)  # fmt: skip
        return self._samples

    def wait(self, timeout: float | None = None) -> list[Sample]:
        """Let the load run to its own end (its bound); its samples."""
        assert self._process is not None
        self._process.wait(timeout if timeout is not None else self.seconds + 30.0)
        return self.stop()

    def kill(self) -> None:
        """Kill the process by its pid if it still runs (teardown after a failure)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(5)
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()

    @property
    def samples(self) -> list[Sample]:
        assert self._samples is not None, "stop() the load first"
        return self._samples

    def __enter__(self) -> Load:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.stop()
        else:
            self.kill()


# -- which revision may answer when -----------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """The forward weights of a listener from some moment on: the change happened after
    ``after`` (a look that still saw the previous weights began) and before ``before`` (a look
    that saw these ended)."""

    after: float
    before: float
    weights: tuple[tuple[str, int], ...]


@dataclass
class ListenerLog:
    """The forward weights of listeners over time, looked at every ``every`` wall seconds
    through ``DescribeListeners`` from a thread of its own.

    Args:
        elbv2: an ELBv2 client (used only by this log's thread).
        listeners: ``{listener port: listener ARN}``.
        every: seconds between two looks.
    """

    elbv2: Any
    listeners: dict[int, str]
    every: float = 0.05
    changes: dict[int, list[Change]] = field(default_factory=dict)
    looks: int = 0
    failed_looks: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def look(self) -> dict[int, tuple[tuple[str, int], ...]]:
        found = self.elbv2.describe_listeners(ListenerArns=list(self.listeners.values()))
        by_arn = {item["ListenerArn"]: item for item in found["Listeners"]}
        return {port: weights(by_arn[arn]) for port, arn in self.listeners.items()}

    def _run(self) -> None:
        last_start = -math.inf
        while not self._stop.is_set():
            start = time.monotonic()
            try:
                seen = self.look()
            except Exception:  # the local cloud is down (a fault test): look again later
                self.failed_looks += 1
                self._stop.wait(self.every)
                continue
            end = time.monotonic()
            self.looks += 1
            for port, now in seen.items():
                history = self.changes.setdefault(port, [])
                if not history:
                    history.append(Change(-math.inf, end, now))
                elif history[-1].weights != now:
                    history.append(Change(last_start, end, now))
            last_start = start
            self._stop.wait(self.every)

    def start(self) -> ListenerLog:
        self.look()  # fails here, in the test's thread, if the listeners are wrong
        self._thread = threading.Thread(target=self._run, name="listener-log", daemon=True)
        self._thread.start()
        while not self.changes:
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> ListenerLog:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def switches(self, port: int) -> list[Change]:
        """The changes of ``port`` after the first look."""
        return self.changes.get(port, [])[1:]


def weights(listener: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    """``((target group ARN, weight), …)`` of a listener's forward default action, sorted."""
    for action in listener["DefaultActions"]:
        if action["Type"] != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
        if groups:
            return tuple(sorted((g["TargetGroupArn"], int(g.get("Weight", 1))) for g in groups))
        return ((action["TargetGroupArn"], 1),)
    return ()


def allowed(
    sample: Sample, history: list[Change], revision: Callable[[str], str], lag: float = LAG
) -> set[str]:
    """The revisions that may have answered ``sample``: those of a group with weight that its
    listener may have routed by while the request was in flight (a change counts from when it
    may have happened until ``lag`` after it was seen)."""
    found: set[str] = set()
    for index, change in enumerate(history):
        if change.after >= sample.end:
            break
        until = history[index + 1].before + lag if index + 1 < len(history) else math.inf
        if sample.start >= until:
            continue
        found.update(revision(arn) for arn, weight in change.weights if weight > 0)
    return found


def unexpected(
    samples: Iterable[Sample], log: ListenerLog, revision: Callable[[str], str]
) -> list[tuple[Sample, set[str]]]:
    """Each sample answered by a revision that its moment does not allow, with those it
    allows (a failed request is not listed here: count those with :func:`failures`)."""
    wrong = []
    for sample in samples:
        if not sample.ok:
            continue
        expected = allowed(sample, log.changes[sample.port], revision)
        if sample.revision not in expected:
            wrong.append((sample, expected))
    return wrong


def failures(samples: Iterable[Sample]) -> list[Sample]:
    return [sample for sample in samples if not sample.ok]


def mix(samples: Iterable[Sample], port: int, old: str, new: str) -> tuple[float, float] | None:
    """``(first answer by new, last answer by old)`` on ``port`` after new first answered: the
    window in which both answered (the second may be earlier than the first: no overlap)."""
    on_port = [s for s in samples if s.port == port and s.ok]
    first_new = next((s.end for s in on_port if s.revision == new), None)
    if first_new is None:
        return None
    last_old = max((s.end for s in on_port if s.revision == old), default=-math.inf)
    return first_new, last_old


def report(load: Load, log: ListenerLog | None = None) -> str:
    """A few lines for the test's output: rate reached, answers by port and revision,
    failures, marks, and the weight changes seen."""
    samples = load.samples
    span = (samples[-1].start - samples[0].start) if len(samples) > 1 else 0.0
    counts = Counter((s.port, s.status, s.revision) for s in samples)
    lines = [
        f"{len(samples)} requests in {span:.1f} s ({len(samples) / max(span, 1e-9):.0f}/s), "
        f"{len(failures(samples))} failed, {load.skipped} skipped at the in-flight cap",
        "answers: " + ", ".join(f"{p}/{st}/{rev}: {n}" for (p, st, rev), n in sorted(
            counts.items(), key=lambda item: (item[0][0], str(item[0][1]), item[0][2]))),
    ]  # fmt: skip
    latencies = sorted(s.end - s.start for s in samples)
    if latencies:
        slowest = max(samples, key=lambda s: s.end - s.start)
        lines.append(
            f"latency p50 {1000 * latencies[len(latencies) // 2]:.1f} ms, p99 "
            f"{1000 * latencies[int(len(latencies) * 0.99)]:.1f} ms, max "
            f"{1000 * latencies[-1]:.0f} ms (sent at {slowest.start - load.started:.3f} s)"
        )
    begin = load.started
    lines += [f"mark {at - begin:7.3f} s  {label}" for at, label in load.marks]
    if log is not None:
        for port in sorted(log.changes):
            for change in log.switches(port):
                shown = {arn.rsplit("/", 2)[-2]: w for arn, w in change.weights}
                lines.append(
                    f"port {port}: {shown} between {change.after - begin:.3f} and "
                    f"{change.before - begin:.3f} s"
                )
    return "\n".join(lines)


def verdict(load: Load, log: ListenerLog, revision: Callable[[str], str]) -> dict[str, Any]:
    """What the tests assert on a run: the rate reached, failed requests, requests answered by
    a revision their moment does not allow, and requests skipped at the in-flight cap."""
    samples = load.samples
    span = samples[-1].start - samples[0].start if len(samples) > 1 else 0.0
    return {
        "requests": len(samples),
        "rate": len(samples) / span if span else 0.0,
        "failed": failures(samples),
        "unexpected": unexpected(samples, log, revision),
        "skipped": load.skipped,
    }


if __name__ == "__main__":
    sys.exit(main())

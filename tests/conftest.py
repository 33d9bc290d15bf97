"""Shared fixtures: a fresh local cloud in this process, and boto3 clients pointed at it.

A test marked ``control_plane`` gets a local cloud without its data plane (no listeners, no task
processes, no health checks), so API behaviour is tested without racing them.

In parallel test processes (``pytest -n``, pytest-xdist's workers), each process chooses its
listener offsets in a share of the host ports of its own (``BGKIT_PORT_SHARE``, set here before
bgkit is imported, so the processes it starts inherit it) and has a state directory of its own
(``BGKIT_STATE_DIR``), so no two processes bind the same listener port or share a local cloud.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

#: this process's name among pytest-xdist's workers (``gw0``, ``gw1``…), or ``None``
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if WORKER is not None:
    # at most 10 shares (bgkit.local.ports): more workers than that share them round-robin
    _count = min(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")), 10)
    os.environ["BGKIT_PORT_SHARE"] = f"{int(WORKER.removeprefix('gw')) % _count}/{_count}"

from bgkit.local import ports  # noqa: E402  (after BGKIT_PORT_SHARE: it reads it once)
from bgkit.local.server import LocalCloud  # noqa: E402

#: listener ports tests may use: the walkthrough's, and a few that are the tests' own
LISTENER_PORTS = (80, 8080, 8001, 8002, 8003)


def free_listener_offset() -> int:
    """A listener offset that puts every port of :data:`LISTENER_PORTS` on a free host port
    below the ephemeral port range (where a connection may hold a port for a minute)."""
    return ports.free_listener_offset(LISTENER_PORTS)


#: tests that must have the machine to themselves (``make test`` runs them after the others, one at
#: a time): load and fault tests, the browser's, those that judge the event loop's stalls, and the
#: load generators'
ALONE = ("faults/", "browser/", "benchmarks/", "local/test_loop_watchdog.py")


#: the files that take longest (minutes: whole notebook runs, a wheel built and installed, the
#: command's own processes): parallel workers start with them, so none is left running at the end
LONGEST_FIRST = (
    "notebooks/test_notebooks.py",
    "notebooks/test_japanese.py",
    "local/test_wheel.py",
    "local/test_cli.py",
    "walkthrough/test_hooks.py",
    "local/test_mistakes.py",
    "aws/test_cleanup_all_prefixes.py",
)


def _where(config: pytest.Config, item: pytest.Item) -> str:
    tests = config.rootpath / "tests"
    return item.path.relative_to(tests).as_posix() if item.path.is_relative_to(tests) else ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`ALONE` ``alone``; in parallel workers, put :data:`LONGEST_FIRST`
    first (every worker collects the same order)."""
    for item in items:
        if _where(config, item).startswith(ALONE):
            item.add_marker(pytest.mark.alone)
    if WORKER is not None:
        rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(_where(config, item), len(rank)))


def pytest_configure(config: pytest.Config) -> None:
    """A parallel worker gets a state directory of its own for whatever uses the default one."""
    if WORKER is not None:
        os.environ["BGKIT_STATE_DIR"] = tempfile.mkdtemp(prefix=f"bgkit-tests-{WORKER}-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if WORKER is not None:
        shutil.rmtree(os.environ["BGKIT_STATE_DIR"], ignore_errors=True)


@pytest.fixture
def cloud(request, tmp_path) -> Iterator[LocalCloud]:
    """A local cloud with empty state, on a free loopback port, stopped after the test."""
    dataplane = request.node.get_closest_marker("control_plane") is None
    with LocalCloud(
        tmp_path / "state", port=0, listener_offset=free_listener_offset(), dataplane=dataplane
    ) as running:
        yield running


@pytest.fixture
def client(cloud: LocalCloud) -> Callable[..., Any]:
    """``client("iam")`` or ``client("ec2", region="eu-west-1")``: a real boto3 client."""

    def make(service: str, region: str = "us-east-1") -> Any:
        return cloud.client(service, region=region)

    return make

"""Shared fixtures: a fresh local cloud in this process, and boto3 clients pointed at it.

A test marked ``control_plane`` gets a local cloud without its data plane (no listeners, no task
processes, no health checks), so API behaviour is tested without racing them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bgkit.local.server import LocalCloud, port_is_free

#: listener ports tests may use: the walkthrough's, and a few that are the tests' own
LISTENER_PORTS = (80, 8080, 8001, 8002, 8003)


def free_listener_offset() -> int:
    """A listener offset that puts every port of :data:`LISTENER_PORTS` on a free host port."""
    for _ in range(500):
        offset = random.randrange(20000, 65535 - 8100)
        if all(port_is_free(offset + port) for port in LISTENER_PORTS):
            return offset
    raise RuntimeError("no free listener offset found")


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

"""Shared fixtures: a fresh local cloud in this process, and boto3 clients pointed at it.

A test marked ``control_plane`` gets a local cloud without its data plane (no listeners, no task
processes, no health checks), so API behaviour is tested without racing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bgkit.local import ports
from bgkit.local.server import LocalCloud

#: listener ports tests may use: the walkthrough's, and a few that are the tests' own
LISTENER_PORTS = (80, 8080, 8001, 8002, 8003)


def free_listener_offset() -> int:
    """A listener offset that puts every port of :data:`LISTENER_PORTS` on a free host port
    below the ephemeral port range (where a connection may hold a port for a minute)."""
    return ports.free_listener_offset(LISTENER_PORTS)


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

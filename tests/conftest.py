"""Shared fixtures: a fresh local cloud in this process, and boto3 clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bgkit.local.server import LocalCloud


@pytest.fixture
def cloud(tmp_path) -> Iterator[LocalCloud]:
    """A local cloud with empty state, on a free loopback port, stopped after the test."""
    with LocalCloud(tmp_path / "state", port=0, listener_offset=0) as running:
        yield running


@pytest.fixture
def client(cloud: LocalCloud) -> Callable[..., Any]:
    """``client("iam")`` or ``client("ec2", region="eu-west-1")``: a real boto3 client."""

    def make(service: str, region: str = "us-east-1") -> Any:
        return cloud.client(service, region=region)

    return make

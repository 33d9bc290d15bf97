"""Fixtures of the aws target's tests: an environment with no AWS configuration at all, and a
session of the aws target whose calls go to a local cloud (``AWS_ENDPOINT_URL``) instead of AWS.

Nothing here talks to AWS: the instance metadata service is disabled, the config and credentials
files point into the test's temporary folder, and every endpoint is on 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.client import BaseClient

from bgkit.connect import Session, connect
from bgkit.local.server import LocalCloud


@pytest.fixture
def bare_env(monkeypatch, tmp_path) -> Any:
    """No AWS credentials, region, profile or endpoint anywhere; no BGKIT_* setting."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "BGKIT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254
    monkeypatch.setenv("BGKIT_STATE_DIR", str(tmp_path / "bgkit-state"))
    return monkeypatch


@pytest.fixture
def aws_env(bare_env, cloud: LocalCloud) -> Any:
    """Credentials and a region as a participant would have them, but the endpoint of a local
    cloud: the aws target's own code runs for real, and nothing leaves the machine."""
    bare_env.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    bare_env.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    bare_env.setenv("AWS_REGION", "eu-west-1")
    bare_env.setenv("AWS_ENDPOINT_URL", cloud.endpoint_url)
    bare_env.setenv("BGKIT_TARGET", "aws")
    bare_env.setenv("BGKIT_PREFIX", "alice")
    return bare_env


@pytest.fixture
def aws_kit(aws_env) -> Session:
    """``bgkit.connect()`` on the aws target, talking to the test's local cloud."""
    kit = connect()
    assert kit.settings.target == "aws"
    return kit


@pytest.fixture
def api_calls(monkeypatch) -> Iterator[list[tuple[str, str]]]:
    """Every AWS API call any boto3 client makes during the test, as (service, operation)."""
    calls: list[tuple[str, str]] = []
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append((self.meta.service_model.service_name, operation))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    yield calls


@pytest.fixture
def local_client(cloud: LocalCloud) -> Callable[[str], Any]:
    """A client of the local cloud itself (dummy credentials), to see what exists."""
    return lambda service: cloud.client(service, region="eu-west-1")

"""`bgkit.connect()`: a boto3 session for the target, starting the local cloud on demand."""

from __future__ import annotations

import socket

import boto3
import pytest

import bgkit
from bgkit.config import Settings
from bgkit.local.server import read_status, stop_background


@pytest.fixture
def settings(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    made = Settings.load({}, local_port=port, state_dir=tmp_path / "state")
    yield made
    if read_status(made) is not None:
        stop_background(made)


def test_connect_starts_the_local_cloud_and_gives_a_boto3_session(settings):
    assert read_status(settings) is None
    session = bgkit.connect(local_port=settings.local_port, state_dir=settings.state_dir)
    assert isinstance(session, boto3.session.Session)
    assert read_status(settings) is not None
    identity = session.client("sts").get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert session.client("ec2").meta.endpoint_url == settings.endpoint_url


def test_connect_twice_reuses_the_running_local_cloud(settings):
    bgkit.connect(local_port=settings.local_port, state_dir=settings.state_dir)
    first = read_status(settings)["pid"]
    bgkit.connect(local_port=settings.local_port, state_dir=settings.state_dir)
    assert read_status(settings)["pid"] == first


def test_connect_to_aws_starts_nothing_and_uses_the_standard_chain(settings, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_REGION", "us-east-1")  # on AWS no region is assumed (issue 7)
    session = bgkit.connect(
        target="aws", local_port=settings.local_port, state_dir=settings.state_dir
    )
    assert read_status(settings) is None
    assert "amazonaws.com" in session.client("sts").meta.endpoint_url

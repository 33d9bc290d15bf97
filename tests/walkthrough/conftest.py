"""Fixtures of the walkthrough tests: a fresh in-process local cloud whose listeners 80 and 8080
get free host ports, and a bgkit session (``kit``) talking to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bgkit.config import Settings
from bgkit.connect import Session
from bgkit.local.server import LocalCloud
from bgkit.tour import free_offset


@pytest.fixture
def cloud(tmp_path) -> Iterator[LocalCloud]:
    """Overrides the shared fixture: the walkthrough's listeners need free host ports."""
    with LocalCloud(tmp_path / "state", port=0, listener_offset=free_offset(), clock=60) as running:
        yield running


@pytest.fixture
def kit(cloud: LocalCloud) -> Session:
    settings = Settings.load(
        {}, local_port=cloud.port, listener_offset=cloud.listener_offset, prefix="test"
    )
    return Session(settings)

"""A full disk under the state gets one clear sentence — what happened and what to do — never a
traceback, and a call that could not be saved changes nothing (issue 20).

The disk is a small tmpfs mounted for the test (root only); where mounting is not allowed the
tests are skipped, saying why. An API call answers as AWS answers a service that cannot take a
request now: HTTP 503 ``ServiceUnavailable`` (AWS General Reference, "API request errors").
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from ecs_world import TRUST as ECS_TASKS_TRUST

from bgkit.local.process import free_port
from bgkit.local.server import DUMMY_CREDENTIALS, LocalCloud

BGKIT = str(Path(sys.executable).parent / "bgkit")
SENTENCE = "is full, so nothing more can be saved: free some space on it"
TRUST = json.dumps(ECS_TASKS_TRUST)


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 4 MiB tmpfs of its own, unmounted at the end."""
    where = tmp_path / "disk"
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small tmpfs is not allowed here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte; returns the filling file (delete it to free the space)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def test_a_call_on_a_full_disk_gets_one_sentence_and_changes_nothing(small_disk, caplog):
    with LocalCloud(small_disk / "state", port=0, dataplane=False) as cloud:
        iam = boto3.session.Session(region_name="us-east-1", **DUMMY_CREDENTIALS).client(
            "iam", endpoint_url=cloud.endpoint_url, config=Config(retries={"max_attempts": 1})
        )
        iam.create_role(RoleName="before", AssumeRolePolicyDocument=TRUST)
        filler = fill(small_disk)
        refused = None
        for number in range(2000):  # until the database needs a page the disk cannot give
            name = f"role-{number}-{uuid.uuid4().hex}"
            try:
                iam.create_role(
                    RoleName=name, AssumeRolePolicyDocument=TRUST, Description="x" * 900
                )
            except ClientError as error:
                refused = (name, error.response)
                break
        assert refused is not None, "the full disk never refused a write"
        name, response = refused
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert response["Error"]["Code"] == "ServiceUnavailable"
        assert SENTENCE in response["Error"]["Message"]
        assert str(small_disk / "state") in response["Error"]["Message"]
        filler.unlink()  # room again: the call that was refused was not half saved
        with pytest.raises(ClientError) as caught:
            iam.get_role(RoleName=name)
        assert caught.value.response["Error"]["Code"] == "NoSuchEntity"
        assert iam.get_role(RoleName="before")["Role"]["RoleName"] == "before"
        iam.create_role(RoleName="after", AssumeRolePolicyDocument=TRUST)
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert tracebacks == []
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert all(SENTENCE in message for message in said), said


def test_up_on_a_full_disk_says_one_sentence(small_disk):
    fill(small_disk)
    env = {**os.environ, "BGKIT_STATE_DIR": str(small_disk / "state"),
           "BGKIT_LOCAL_PORT": str(free_port())}  # fmt: skip
    result = subprocess.run(
        [BGKIT, "local", "up"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert SENTENCE in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_state_database_on_a_full_disk_is_not_moved_aside(small_disk):
    state = small_disk / "state"
    with LocalCloud(state, port=0, dataplane=False) as cloud:
        cloud.client("iam").create_role(RoleName="kept", AssumeRolePolicyDocument=TRUST)
    (state / "state.sqlite3-wal").unlink(missing_ok=True)
    filler = fill(small_disk)
    try:
        with pytest.raises(Exception) as caught:
            LocalCloud(state, port=0, dataplane=False)
        assert SENTENCE in str(caught.value)
        assert sorted(p.name for p in state.iterdir() if "corrupt" in p.name) == []
    finally:
        filler.unlink()
    with LocalCloud(state, port=0, dataplane=False) as cloud:
        assert cloud.client("iam").get_role(RoleName="kept")["Role"]["RoleName"] == "kept"


def test_the_disk_full_sentence_names_the_errors_of_a_full_disk():
    from bgkit.local.store import is_disk_full

    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))

"""`bgkit local down` and `reset` touch only the local cloud's own process and files.

A recorded pid is signalled only while it is still this state directory's local cloud (same
start time, a bgkit command line); ``reset`` deletes only the files the local cloud makes; the
state directory and its files are private to the user (issue 20).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bgkit.config import Settings
from bgkit.errors import NotRunningError
from bgkit.local.process import (
    LOG_FILE,
    PID_FILE,
    STATE_FILE,
    TASKS_DIR,
    free_port,
    prepare_state_dir,
    reset_state,
    start_background,
    stop_background,
)


def settings_for(state: Path) -> Settings:
    return Settings.load(env={}, local_port=free_port(), state_dir=state)


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """A program that is not a local cloud, killed at the end."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    process.kill()
    process.wait()


def test_down_never_signals_a_process_that_took_the_recorded_pid(tmp_path, stranger):
    state = prepare_state_dir(tmp_path / "state")
    (state / PID_FILE).write_text(json.dumps({"pid": stranger.pid, "endpoint": "http://x"}))
    with pytest.raises(NotRunningError, match=rf"pid {stranger.pid}\b.*not this local cloud"):
        stop_background(settings_for(state))
    time.sleep(0.2)
    assert stranger.poll() is None  # still running: never signalled
    assert not (state / PID_FILE).exists()  # the stale record goes


def test_reset_never_signals_a_process_that_took_the_recorded_pid(tmp_path, stranger):
    state = prepare_state_dir(tmp_path / "state")
    (state / PID_FILE).write_text(json.dumps({"pid": stranger.pid, "endpoint": "http://x"}))
    reset_state(settings_for(state))
    time.sleep(0.2)
    assert stranger.poll() is None


def test_down_stops_the_local_cloud_it_recorded(tmp_path):
    settings = settings_for(tmp_path / "state")
    pid = start_background(settings)["pid"]
    try:
        recorded = json.loads((tmp_path / "state" / PID_FILE).read_text())
        assert recorded["proc_start"]
        assert stat.S_IMODE((tmp_path / "state" / PID_FILE).stat().st_mode) == 0o600
    finally:
        assert stop_background(settings) == pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)  # not our child: nothing to reap, and it is gone
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_reset_deletes_only_what_the_local_cloud_made(tmp_path):
    state = tmp_path / "state"
    settings = settings_for(state)
    start_background(settings)
    mine = state / "notes.txt"
    mine.write_text("a user's file")
    (state / "mine").mkdir()
    result = reset_state(settings)
    assert result.deleted
    assert sorted(p.name for p in result.kept) == ["mine", "notes.txt"]
    assert mine.read_text() == "a user's file"
    for made in (STATE_FILE, PID_FILE, LOG_FILE, TASKS_DIR):
        assert not (state / made).exists(), made


def test_reset_removes_the_directory_it_emptied(tmp_path):
    state = tmp_path / "state"
    settings = settings_for(state)
    start_background(settings)
    result = reset_state(settings)
    assert result.deleted and not result.kept
    assert not state.exists()


def test_an_existing_directory_keeps_its_mode(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    prepare_state_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    fresh = prepare_state_dir(tmp_path / "fresh")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700


def test_state_files_are_private(tmp_path):
    from bgkit.local.server import LocalCloud

    os.umask(old := os.umask(0o022))
    try:
        with LocalCloud(tmp_path / "state", port=0, dataplane=False) as cloud:
            cloud.client("iam").list_roles()
            made = [p for p in (tmp_path / "state").iterdir() if p.is_file()]
            assert made
            for path in made:
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    finally:
        os.umask(old)

"""The repository as repo2docker (Binder, or a JupyterHub image built with it) builds it.

repo2docker reads its configuration files from ``binder/`` or ``.binder/`` when either exists,
and from the top level otherwise (repo2docker.readthedocs.io, *Configuration files*); the kit
keeps one environment, ``environment.yml`` at the top level, and a ``start`` script there that
runs before the server with the server's command as its arguments, its last step
``exec "$@"`` (same page, *start*). Here the script runs for real: it brings up the local cloud
in the state directory and becomes the command it was given.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from bgkit.config import Settings
from bgkit.local.process import free_port, read_status, stop_background
from bgkit.tour import free_offset

ROOT = Path(__file__).resolve().parents[2]
START = ROOT / "start"


def environment(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BGKIT_", "AWS_"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        BGKIT_STATE_DIR=str(tmp_path / "state"),
        BGKIT_LOCAL_PORT=str(port),
        BGKIT_LISTENER_OFFSET=str(free_offset()),
    )
    return env


def test_repo2docker_reads_the_one_environment_at_the_top_level():
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    pip = next(
        dep["pip"]
        for dep in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
        if isinstance(dep, dict)
    )
    assert any(line.startswith("jupyter-server-proxy") for line in pip)
    assert "-e ." in pip  # repo2docker then copies the whole repository before installing
    assert os.access(START, os.X_OK)


def test_start_brings_up_the_local_cloud_then_becomes_the_server(tmp_path):
    env = environment(tmp_path, free_port())
    settings = Settings.load(env)
    print_pid = "import os; print('server pid', os.getpid())"
    try:
        process = subprocess.Popen(
            [str(START), sys.executable, "-c", print_pid],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        # exec: the command runs as the script's own process, as repo2docker needs
        assert f"server pid {process.pid}" in out
        status = read_status(settings)
        assert status is not None, out + err
        assert Path(status["state_dir"]) == tmp_path / "state"
        assert status["endpoint"] == f"http://127.0.0.1:{settings.local_port}"
    finally:
        if read_status(settings) is not None:
            stop_background(settings)


def test_without_a_state_directory_it_sets_one_for_the_server_and_its_kernels(tmp_path):
    env = environment(tmp_path, free_port())
    del env["BGKIT_STATE_DIR"]
    env["HOME"] = str(tmp_path / "home")
    settings = Settings.load({**env, "BGKIT_STATE_DIR": str(tmp_path / "home" / ".bgkit")})
    show = "import os; print(os.environ['BGKIT_STATE_DIR'])"
    try:
        answer = subprocess.run(
            [str(START), sys.executable, "-c", show],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.strip().splitlines()[-1] == str(tmp_path / "home" / ".bgkit")
        assert read_status(settings) is not None
    finally:
        if read_status(settings) is not None:
            stop_background(settings)


def test_a_local_cloud_that_cannot_start_does_not_keep_the_server_from_starting(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = environment(tmp_path, taken.getsockname()[1])
        answer = subprocess.run(
            [str(START), sys.executable, "-c", "print('server started')"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert answer.returncode == 0
    assert answer.stdout.strip().endswith("server started")
    assert "run: bgkit check" in answer.stderr
    assert read_status(Settings.load(env)) is None

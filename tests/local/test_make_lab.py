"""`make lab` as a learner meets it: as root or not, with a display or without, and the
JupyterLab it starts — rooted at the checkout, opened on notebooks/, the README reachable, a
kernel that answers over encrypted sockets.

`make -n` prints the commands without running them (nor the install they depend on); the
JupyterLab test runs the command `make -n lab` prints, on a free port, in a real process.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import socket
import subprocess
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[2]
NO_DISPLAY = ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")


def lab_command(*variables: str, **env: str) -> list[str]:
    """The JupyterLab command line `make -n lab` prints, with make ``variables`` and ``env``."""
    environ = {k: v for k, v in os.environ.items() if k not in NO_DISPLAY and k != "MAKEFLAGS"}
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "lab", *variables],
        cwd=ROOT, env={**environ, **env}, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    (line,) = [line for line in printed.splitlines() if "jupyter lab" in line]
    return shlex.split(line)


def test_as_root_without_a_display_it_allows_root_and_opens_no_browser():
    command = lab_command("USER_ID=0")
    assert "--allow-root" in command
    assert "--no-browser" in command


def test_as_a_user_with_a_display_it_opens_the_browser_and_needs_no_root():
    command = lab_command("USER_ID=1000", DISPLAY=":0")
    assert "--allow-root" not in command
    assert "--no-browser" not in command


def test_browser_set_without_a_display_opens_it():
    assert "--no-browser" not in lab_command("USER_ID=1000", BROWSER="w3m")


def test_lab_is_rooted_at_the_checkout_and_opens_the_notebooks_folder():
    command = lab_command()
    assert f"--ServerApp.root_dir={ROOT}" in command
    assert "--LabApp.default_url=/lab/tree/notebooks" in command
    assert "--ServerApp.ip=127.0.0.1" in command


def test_the_learner_install_has_no_test_tools_and_make_test_installs_them():
    environ = {k: v for k, v in os.environ.items() if k != "MAKEFLAGS"}

    def installs(target: str) -> list[str]:
        # -B: as on a fresh clone, where nothing is installed yet
        printed = subprocess.run(
            ["make", "--no-print-directory", "-B", "-n", target], cwd=ROOT, env=environ,
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip
        return [line for line in printed.splitlines() if " install " in line and "-e" in line]

    assert installs("lab") == [".venv/bin/python -m pip install --quiet -e ."]
    assert installs("test") == [".venv/bin/python -m pip install --quiet -e '.[dev]'"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _run_a_cell(base: str, token: str) -> str:
    """Start a kernel through JupyterLab's REST API, run one cell over its websocket."""
    async with aiohttp.ClientSession(headers={"Authorization": f"token {token}"}) as http:
        async with http.post(f"{base}/api/kernels", json={"name": "python3"}) as answer:
            kernel = (await answer.json())["id"]
        try:
            async with http.ws_connect(f"{base}/api/kernels/{kernel}/channels") as ws:
                header = {"msg_id": uuid.uuid4().hex, "session": uuid.uuid4().hex,
                          "username": "test", "msg_type": "execute_request",
                          "version": "5.3"}  # fmt: skip
                content = {"code": "print(6 * 7)", "silent": False, "store_history": False,
                           "user_expressions": {}, "allow_stdin": False}  # fmt: skip
                await ws.send_json({"header": header, "parent_header": {}, "metadata": {},
                                    "channel": "shell", "content": content})  # fmt: skip
                async for message in ws:
                    data = message.json()
                    if data["msg_type"] == "stream":
                        return data["content"]["text"]
        finally:
            await http.delete(f"{base}/api/kernels/{kernel}")
    raise AssertionError("the kernel answered no output")


@pytest.mark.slow
def test_jupyterlab_serves_the_readme_and_runs_a_kernel(tmp_path):
    port, token = _free_port(), uuid.uuid4().hex
    command = lab_command(
        f"LAB_ARGS=--ServerApp.port={port} --ServerApp.port_retries=0 "
        f"--IdentityProvider.token={token}"
    )
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}  # fmt: skip
    log = tmp_path / "lab.log"
    with log.open("w") as output:
        lab = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(_check(base, token, lab, log))
    finally:
        lab.terminate()
        lab.wait(timeout=30)
    assert "without encryption" not in log.read_text()


async def _check(base: str, token: str, lab: subprocess.Popen, log: Path) -> None:
    auth = {"Authorization": f"token {token}"}
    async with aiohttp.ClientSession(headers=auth) as http:
        deadline = time.monotonic() + 60
        while True:
            assert lab.poll() is None, f"JupyterLab exited:\n{log.read_text()}"
            try:
                async with http.get(f"{base}/api/status") as answer:
                    if answer.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                pass
            assert time.monotonic() < deadline, f"JupyterLab did not answer:\n{log.read_text()}"
            await asyncio.sleep(0.2)
        async with http.get(f"{base}/api/contents/README.md", params={"content": "0"}) as answer:
            assert answer.status == 200  # the notebooks' Contents link
        async with http.get(f"{base}/api/contents/notebooks", params={"content": "1"}) as answer:
            names = {item["name"] for item in (await answer.json())["content"]}
        assert "00-check-your-setup.ipynb" in names
        async with http.get(f"{base}/", allow_redirects=False) as answer:
            assert answer.headers["Location"].startswith("/lab/tree/notebooks")
        async with http.get(f"{base}/lab/tree/notebooks") as answer:
            assert answer.status == 200
    assert (await _run_a_cell(base, token)).strip() == "42"
    assert f"{base}/lab/tree/notebooks" in log.read_text()  # the URL a learner opens

"""Behind a hub, the browser opens port 80 through the Jupyter server's proxy.

A real Jupyter server (``jupyter server`` on 127.0.0.1, a token, the base URL a JupyterHub gives
its single-user servers, ``/user/alice/``) with jupyter-server-proxy, a real local cloud whose
listener on port 80 forwards to the walkthrough's service, and Debian's Chromium: the link
:func:`bgkit.links.listener_link` gives behind that hub (``JUPYTERHUB_SERVICE_PREFIX``) opens the
page the listener serves. jupyter-server-proxy forwards ``<base_url>proxy/<port>/`` to
``localhost:<port>`` (jupyter-server-proxy.readthedocs.io, *Accessing Arbitrary Ports or
Hosts*), and JupyterHub sets ``JUPYTERHUB_SERVICE_PREFIX`` to that base URL.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bgkit import walkthrough as wt
from bgkit.config import Settings
from bgkit.connect import Session
from bgkit.links import listener_link
from bgkit.local.process import free_port
from bgkit.local.server import LocalCloud
from bgkit.tour import free_offset

from .jupyterlab import _lab_environment, _stop

BASE_URL = "/user/alice/"
SERVER_START_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def served() -> Iterator[Session]:
    """A local cloud whose listener on port 80 serves the walkthrough's first revision."""
    with (
        tempfile.TemporaryDirectory(prefix="bgkit-hub-") as home,
        LocalCloud(Path(home) / "state", port=0, listener_offset=free_offset(), clock=60) as cloud,
    ):
        kit = Session(
            Settings.load(
                {}, local_port=cloud.port, listener_offset=cloud.listener_offset, prefix="hub"
            )
        )
        pre = wt.prepare(kit)
        wt.service(kit, task_definition_arn=pre.task_definition_arn,
                   target_group_arn=pre.target_group_arns[0], subnet_ids=pre.subnet_ids,
                   security_group_id=pre.security_group_id)  # fmt: skip
        wt.wait_service_healthy(kit)
        yield kit


@contextlib.contextmanager
def jupyter_server(base_url: str, token: str) -> Iterator[str]:
    """``jupyter server`` on a free loopback port under ``base_url``; yields its root URL."""
    home = Path(tempfile.mkdtemp(prefix="bgkit-hub-server-"))
    port = free_port()
    env = _lab_environment(home, {})
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0", f"--ServerApp.base_url={base_url}",
                f"--ServerApp.root_dir={home}", f"--IdentityProvider.token={token}",
            ],
            env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
        )  # fmt: skip
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        status = urllib.request.Request(
            f"{root}{base_url}api/status", headers={"Authorization": f"token {token}"}
        )
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the Jupyter server exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(status, timeout=2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Jupyter server did not answer:\n{log.read_text()}")
            time.sleep(0.2)
        yield root
    finally:
        _stop(process)
        shutil.rmtree(home, ignore_errors=True)


def test_port_80_opens_through_the_jupyter_servers_proxy(
    browser: Any, served: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", BASE_URL)
    link = listener_link(served, 80)
    assert link == f"{BASE_URL}proxy/{served.settings.listener_offset + 80}/"
    token = secrets.token_hex(16)
    with jupyter_server(BASE_URL, token) as root:
        context = browser.new_context()
        try:
            page = context.new_page()
            # the token in the address logs the browser in, as the hub's login would
            answer = page.goto(f"{root}{link}?token={token}")
            assert answer is not None and answer.status == 200
            assert page.title() == "Welcome to nginx!"
            # the proxy forwards what the listener served, headers included
            assert (answer.header_value("server") or "").startswith("nginx")
            # and without the token the proxy lets nobody through
            anonymous = browser.new_context()
            try:
                refused = anonymous.new_page().goto(f"{root}{link}")
                assert refused is not None
                assert refused.status in (302, 403) or "/login" in refused.url
            finally:
                anonymous.close()
        finally:
            context.close()

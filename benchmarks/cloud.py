"""A fresh local cloud for a benchmark, as a learner runs it: ``bgkit local up`` in the
background on free loopback ports with its state in a temporary directory, and the walkthrough's
world built through :mod:`bgkit.walkthrough` (plain boto3), as the notebooks build it.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: the ``bgkit`` command of this interpreter's environment
BGKIT = [str(Path(sys.executable).parent / "bgkit")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_offset(ports: tuple[int, ...] = (80, 8080)) -> int:
    for _ in range(500):
        offset = random.randrange(20000, 65535 - 8100)
        if all(_free(offset + port) for port in ports):
            return offset
    raise RuntimeError("no free listener offset found")


@dataclass
class Cloud:
    """A background local cloud: its settings as ``bgkit`` options and environment."""

    port: int
    state_dir: Path
    listener_offset: int
    clock: float

    @property
    def options(self) -> list[str]:
        return [
            "--port", str(self.port),
            "--state-dir", str(self.state_dir),
            "--listener-offset", str(self.listener_offset),
            "--clock", str(self.clock),
        ]  # fmt: skip

    @property
    def environment(self) -> dict[str, str]:
        return {
            "BGKIT_TARGET": "local",
            "BGKIT_LOCAL_PORT": str(self.port),
            "BGKIT_STATE_DIR": str(self.state_dir),
            "BGKIT_LISTENER_OFFSET": str(self.listener_offset),
            "BGKIT_CLOCK": str(self.clock),
            "BGKIT_PREFIX": "bench",
        }

    def up(self) -> float:
        """``bgkit local up``; the wall seconds until it returned (it returns once the local
        cloud answers)."""
        began = time.perf_counter()
        subprocess.run([*BGKIT, "local", "up", *self.options], check=True, capture_output=True)
        return time.perf_counter() - began

    def down(self) -> None:
        subprocess.run(
            [*BGKIT, "local", "down"],
            check=False,
            capture_output=True,
            env={**os.environ, **self.environment},
        )

    def pid(self) -> int:
        import json

        from bgkit.local.server import PID_FILE

        return json.loads((self.state_dir / PID_FILE).read_text())["pid"]

    def kit(self) -> Any:
        """``bgkit.connect()`` for this local cloud."""
        import bgkit

        return bgkit.connect(
            target="local",
            local_port=self.port,
            state_dir=self.state_dir,
            listener_offset=self.listener_offset,
            clock=self.clock,
            prefix="bench",
        )

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{self.listener_offset + port}/"


@contextlib.contextmanager
def fresh_cloud(clock: float = 60.0) -> Iterator[Cloud]:
    """A fresh local cloud, up, and down with all its tasks afterwards."""
    with tempfile.TemporaryDirectory(prefix="bgkit-bench-") as tmp:
        cloud = Cloud(free_port(), Path(tmp) / "state", free_offset(), clock)
        cloud.up()
        try:
            yield cloud
        finally:
            cloud.down()


@dataclass
class World:
    """What notebooks 01–04 make."""

    prerequisites: Any
    role_arn: str
    group: dict[str, Any]


def walkthrough_world(kit: Any, *, ready_wait: int = 60, termination_wait: int = 0) -> World:
    """Notebooks 01–04: the prerequisites, the CodeDeploy role, the service with Nginx healthy,
    the application and the deployment group (ready wait with STOP_DEPLOYMENT)."""
    from bgkit import walkthrough as wt

    pre = wt.prepare(kit)
    role = wt.codedeploy_role(kit)
    wt.service(
        kit,
        task_definition_arn=pre.task_definition_arn,
        target_group_arn=pre.target_group_arns[0],
        subnet_ids=pre.subnet_ids,
        security_group_id=pre.security_group_id,
    )
    wt.wait_service_healthy(kit, timeout=120)
    wt.application(kit)
    group = wt.deployment_group(
        kit,
        service_role_arn=role["Arn"],
        production_listener_arn=pre.listener_arns[80],
        test_listener_arn=pre.listener_arns[8080],
        ready_wait_minutes=ready_wait,
        termination_wait_minutes=termination_wait,
    )
    return World(pre, role["Arn"], group)


def vm_kib(pid: int, field: str = "VmRSS") -> int:
    """A field of ``/proc/<pid>/status`` in KiB (``VmRSS``, ``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def machine() -> dict[str, Any]:
    """What the figures were measured on, the machine's load included."""
    import platform

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_1min_before": round(os.getloadavg()[0], 2),
    }

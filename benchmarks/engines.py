"""What the listener benchmark measures against, and the machine's load while it does.

- :func:`nginx`: nginx (Debian's package: ``apt-get install -y nginx``) as a process of ours, its
  configuration in a temporary directory, on free loopback ports: a backend answering ``ok`` at
  once from memory (the fastest honest backend), and a reverse proxy in front of it (one worker,
  keep-alive to the backend, as the local cloud is one process); stopped by its pid.
- :class:`CpuMeter`: the machine's CPU time over a stretch, split into ours (the processes of
  given trees) and the other processes' share, from ``/proc``.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    upstream backend {{ server 127.0.0.1:{backend}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{backend};
        location / {{ default_type text/plain; return 200 "ok"; }}
    }}
    server {{
        listen 127.0.0.1:{proxy};
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


@dataclass
class Nginx:
    """A running nginx of ours: its backend and reverse proxy ports, version and pid."""

    backend_port: int
    proxy_port: int
    version: str
    pid: int


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    return found or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@contextlib.contextmanager
def nginx() -> Iterator[Nginx]:
    """nginx serving the backend and the reverse proxy in one worker (see the module doc).

    The backend and the proxy share the worker: each request through the proxy costs nginx two
    requests' work, as the listener's request costs its process the proxying and the backend
    the answer.
    """
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed: apt-get install -y nginx")
    version = subprocess.run([binary, "-v"], capture_output=True, text=True).stderr.strip()
    with tempfile.TemporaryDirectory() as tmp:
        backend, proxy = free_port(), free_port()
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, backend=backend, proxy=proxy))
        process = subprocess.Popen([binary, "-p", tmp, "-e", f"{tmp}/error.log", "-c", str(conf)])
        try:
            deadline = time.monotonic() + 10
            while not (port_answers(backend) and port_answers(proxy)):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"nginx did not start: {(Path(tmp) / 'error.log').read_text()}"
                    )
                time.sleep(0.05)
            yield Nginx(backend, proxy, version.removeprefix("nginx version: "), process.pid)
        finally:
            process.terminate()  # fast shutdown of the master and its worker
            process.wait(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -- the machine's load ------------------------------------------------------------------------


def _busy_jiffies() -> tuple[int, int]:
    """All CPUs' busy and total jiffies since boot (``/proc/stat``)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    total = sum(fields[:8])  # guest time is counted in user already
    return total - idle, total


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = (entry / "stat").read_text()
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    return children


def _reaped_jiffies() -> int:
    """The CPU jiffies of this process's children that ended and were waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK"))


def _tree_jiffies(roots: Iterable[int]) -> dict[int, int]:
    """The CPU jiffies (user + system) of each live process in the trees of ``roots``."""
    children = _children()
    seen: dict[int, int] = {}
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seen[pid] = int(fields[11]) + int(fields[12])
        todo.extend(children.get(pid, []))
    return seen


class CpuMeter:
    """CPU shares over a stretch: the machine's, ours (trees of ``roots``) and the others'.

    Shares are of the whole machine (1.0 = every CPU busy). Processes of the trees alive at
    :meth:`stop` are read from ``/proc``; a child of this process that started and ended within
    the stretch (a wrk run) is counted from this process's children's resource usage.
    """

    def __init__(self, roots: Iterable[int]) -> None:
        self.roots = list(roots)

    def start(self) -> None:
        self._busy, self._total = _busy_jiffies()
        self._ours = _tree_jiffies(self.roots)
        self._seen = dict(self._ours)
        self._reaped = _reaped_jiffies()

    def sample(self) -> None:
        """Note the trees' processes now (those started since the start count from zero)."""
        for pid, jiffies in _tree_jiffies(self.roots).items():
            self._seen[pid] = jiffies

    def stop(self) -> dict[str, float]:
        self.sample()
        busy, total = _busy_jiffies()
        elapsed = max(1, total - self._total)
        ours = sum(j - self._ours.get(pid, 0) for pid, j in self._seen.items())
        ours += _reaped_jiffies() - self._reaped
        machine = (busy - self._busy) / elapsed
        mine = min(machine, ours / elapsed)
        return {
            "machine_busy": round(machine, 3),
            "ours": round(mine, 3),
            "others": round(max(0.0, machine - mine), 3),
        }


def idle_share(seconds: float = 1.0) -> float:
    """The machine's busy share over ``seconds`` while nothing of ours runs: other work's."""
    busy, total = _busy_jiffies()
    time.sleep(seconds)
    busy2, total2 = _busy_jiffies()
    return round((busy2 - busy) / max(1, total2 - total), 3)


def machine_load() -> dict[str, Any]:
    """CPU count and load averages now."""
    one, five, _ = os.getloadavg()
    return {"cpus": os.cpu_count(), "loadavg_1min": round(one, 2), "loadavg_5min": round(five, 2)}

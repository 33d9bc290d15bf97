"""The demo apps as real processes: pages, status codes, headers, logs, and a clean SIGTERM."""

from __future__ import annotations

import ast
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bgkit.apps import APPS, app_path, app_source
from bgkit.apps.templates import task_definition
from bgkit.local.dataplane.images import resolve

STARTUP_SECONDS = 15.0
LISTENING = re.compile(r"listening on http://[^\s:]+:(\d+)")


@dataclass
class Running:
    """An app process started by a test."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def get(
        self, path: str, method: str = "GET", headers: dict[str, str] | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()


def _wait_until_answering(process: subprocess.Popen[bytes], log_path: Path, port: int) -> int:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the app exited with {process.returncode}:\n{log_path.read_text()}"
            )
        if port == 0:
            found = LISTENING.search(log_path.read_text(encoding="utf-8", errors="replace"))
            if found is None:
                time.sleep(0.02)
                continue
            port = int(found.group(1))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return port
        except OSError:
            time.sleep(0.02)
    raise AssertionError(
        f"the app did not answer within {STARTUP_SECONDS} s:\n{log_path.read_text()}"
    )


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """``start(argv, port=0, **env)``: run an app, wait until it answers; stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []
    logs = []

    def run(argv: list[str], port: int = 0, **env: str) -> Running:
        log_path = tmp_path / f"app-{len(started)}.log"
        environment = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), **env}
        log_file = log_path.open("wb")
        logs.append(log_file)
        process = subprocess.Popen(
            argv, env=environment, stdout=log_file, stderr=subprocess.STDOUT, cwd=tmp_path
        )
        started.append(process)
        return Running(process, _wait_until_answering(process, log_path, port), log_path)

    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    for log_file in logs:
        log_file.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(app: Running) -> int:
    app.process.send_signal(signal.SIGTERM)
    return app.process.wait(timeout=5)


# FizzBuzz ---------------------------------------------------------------------------------------


@pytest.fixture
def fizzbuzz(start: Callable[..., Running]) -> Running:
    return start([sys.executable, str(app_path("fizzbuzz"))], REVISION="blue-42")


def test_fizzbuzz_page_shows_fizzbuzz_and_revision(fizzbuzz: Running) -> None:
    status, headers, body = fizzbuzz.get("/")
    page = body.decode()
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>FizzBuzz" in page and "<h1>FizzBuzz</h1>" in page
    assert "blue-42" in page
    items = re.findall(r"<li[^>]*>([^<]+)</li>", page)
    assert len(items) == 100
    assert items[:5] == ["1", "2", "Fizz", "4", "Buzz"]
    assert items[14] == "FizzBuzz" and items[99] == "Buzz"


@pytest.mark.parametrize(
    ("n", "value"),
    [(15, "FizzBuzz"), (9, "Fizz"), (10, "Buzz"), (7, "7"), (1, "1"), (300, "FizzBuzz")],
)
def test_fizzbuzz_value(fizzbuzz: Running, n: int, value: str) -> None:
    status, headers, body = fizzbuzz.get(f"/fizzbuzz/{n}")
    assert (status, body.decode()) == (200, value)
    assert headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("arg", ["abc", "0", "-3", "1.5", "", "%D9%A3", "9" * 2000])
def test_fizzbuzz_bad_n_is_400_with_a_clear_message(fizzbuzz: Running, arg: str) -> None:
    status, _, body = fizzbuzz.get(f"/fizzbuzz/{arg}")
    assert status == 400
    assert "number" in body.decode()


def test_fizzbuzz_health(fizzbuzz: Running) -> None:
    assert fizzbuzz.get("/health")[::2] == (200, b"ok")


@pytest.mark.parametrize("path", ["/nope", "/index.html", "/fizzbuzz/15/extra", "/healthz"])
def test_fizzbuzz_unknown_path_is_404(fizzbuzz: Running, path: str) -> None:
    assert fizzbuzz.get(path)[0] == 404


def test_fizzbuzz_head_and_query_string(fizzbuzz: Running) -> None:
    status, headers, body = fizzbuzz.get("/fizzbuzz/15?x=1", method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, "8", b"")
    assert fizzbuzz.get("/health?probe=alb")[::2] == (200, b"ok")


def test_fizzbuzz_server_header_names_app_and_revision(fizzbuzz: Running) -> None:
    assert fizzbuzz.get("/health")[1]["Server"] == "fizzbuzz/blue-42"


def test_fizzbuzz_logs_a_line_a_request(fizzbuzz: Running) -> None:
    fizzbuzz.get("/fizzbuzz/3", headers={"User-Agent": "probe/1"})
    fizzbuzz.get("/missing")
    _stop(fizzbuzz)
    lines = fizzbuzz.log().splitlines()
    assert any('"GET /fizzbuzz/3 HTTP/1.1" 200 4 "probe/1"' in line for line in lines)
    assert any('"GET /missing HTTP/1.1" 404' in line for line in lines)


def test_fizzbuzz_sigterm_exits_0_even_with_an_idle_keepalive_connection(
    fizzbuzz: Running,
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fizzbuzz.port, timeout=5)
    try:
        conn.request("GET", "/health")
        assert conn.getresponse().read() == b"ok"  # the connection stays open, idle
        started = time.monotonic()
        assert _stop(fizzbuzz) == 0
        assert time.monotonic() - started < 3
    finally:
        conn.close()
    assert "SIGTERM received" in fizzbuzz.log()


def test_fizzbuzz_defaults_revision_and_honours_port(start: Callable[..., Running]) -> None:
    port = _free_port()
    app = start([sys.executable, str(app_path("fizzbuzz"))], port=port, REVISION="")
    assert app.port == port
    assert app.get("/health")[1]["Server"] == "fizzbuzz/fizzbuzz"


def test_fizzbuzz_bad_port_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(app_path("fizzbuzz"))],
        env={**os.environ, "HOST": "127.0.0.1", "PORT": "eighty"},
        capture_output=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert b"PORT must be a port number" in result.stdout


def test_fizzbuzz_runs_inline_with_the_standard_library_only(
    start: Callable[..., Running],
) -> None:
    # -I -S: no site-packages (so no bgkit), no PYTHON* variables, no current directory.
    app = start([sys.executable, "-I", "-S", "-c", app_source("fizzbuzz")], REVISION="inline")
    assert app.get("/fizzbuzz/15")[::2] == (200, b"FizzBuzz")
    assert b"inline" in app.get("/")[2]
    assert _stop(app) == 0


def test_fizzbuzz_task_definition_command_runs_locally(start: Callable[..., Running]) -> None:
    definition = task_definition(
        "fizzbuzz",
        family="bgkit-fizzbuzz",
        execution_role_arn="arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
        log_group="/ecs/bgkit",
        region="us-east-1",
        revision="green",
    )
    (container,) = definition["containerDefinitions"]
    env = {item["name"]: item["value"] for item in container["environment"]}
    argv = resolve(container["image"], container["entryPoint"], container["command"], env)
    app = start(argv, **{**env, "PORT": "0"})
    assert app.get("/fizzbuzz/15")[::2] == (200, b"FizzBuzz")
    assert app.get("/health")[1]["Server"] == "fizzbuzz/green"


@pytest.mark.parametrize("name", APPS)
def test_app_imports_only_the_standard_library(name: str) -> None:
    tree = ast.parse(app_source(name))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            modules.add(node.module.split(".")[0])
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert "__file__" not in names, "python -c has no __file__"


# Nginx stand-in ---------------------------------------------------------------------------------


@pytest.fixture
def nginx(start: Callable[..., Running]) -> Running:
    return start([sys.executable, str(app_path("nginx_standin"))])


@pytest.mark.parametrize("path", ["/", "/index.html", "//index.html", "/?from=alb", "/a/../"])
def test_nginx_welcome_page(nginx: Running, path: str) -> None:
    status, headers, body = nginx.get(path)
    page = body.decode()
    assert status == 200
    assert headers["Server"] == "nginx-standin (bgkit local cloud)"
    assert headers["Content-Type"] == "text/html"
    assert "<title>Welcome to nginx!</title>" in page
    assert "<h1>Welcome to nginx!</h1>" in page
    assert "Thank you for using nginx." in page


@pytest.mark.parametrize("path", ["/health", "/fizzbuzz/15", "/index.htm", "/dir/"])
def test_nginx_other_paths_are_404(nginx: Running, path: str) -> None:
    status, _, body = nginx.get(path)
    assert status == 404
    assert "<title>404 Not Found</title>" in body.decode()
    assert "nginx-standin (bgkit local cloud)" in body.decode()


def test_nginx_post_is_405_not_allowed(nginx: Running) -> None:
    status, _, body = nginx.get("/", method="POST")
    assert status == 405
    assert "405 Not Allowed" in body.decode()


def test_nginx_head(nginx: Running) -> None:
    status, headers, body = nginx.get("/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 500


def test_nginx_access_log_and_sigterm(nginx: Running) -> None:
    nginx.get("/", headers={"User-Agent": "ELB-HealthChecker/2.0"})
    assert _stop(nginx) == 0
    log = nginx.log()
    assert '"GET / HTTP/1.1" 200' in log and "ELB-HealthChecker/2.0" in log
    assert "nginx-standin: stopped" in log


def test_nginx_runs_as_the_catalogue_says(start: Callable[..., Running]) -> None:
    app = start(resolve("public.ecr.aws/nginx/nginx:stable", None, None, {}))
    assert b"Welcome to nginx!" in app.get("/")[2]
    assert _stop(app) == 0

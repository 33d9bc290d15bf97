"""FizzBuzz, the new revision the walkthrough deploys: a small web app, standard library only.

On AWS this file is not in any image: the task definition runs the public Python image with
``python -c "<this file's source>"``, so the source stays self-contained — no imports outside
the standard library, no files beside it, nothing that needs ``__file__``. Locally the bgkit local
cloud runs the same command with the local interpreter.

Routes:

- ``GET /`` — an HTML page with FizzBuzz from 1 to 100 and the revision it belongs to;
- ``GET /fizzbuzz/<n>`` — one value as plain text (``Fizz``, ``Buzz``, ``FizzBuzz`` or the
  number, no trailing newline); ``n`` that is not a positive whole number answers 400;
- ``GET /health`` — ``ok``;
- anything else — 404. ``HEAD`` works wherever ``GET`` does.

Environment: ``PORT`` (default 80; 0 lets the system choose, the log says which),
``HOST`` (default ``0.0.0.0`` as in a container; the local cloud sets ``127.0.0.1``) and
``REVISION`` (default ``fizzbuzz``), shown on the page and in the ``Server`` header, and
``FAIL_PERCENT`` (default 0): the share of requests, in percent, answered ``500`` instead —
spread evenly (with 20, every fifth), ``/health`` never — a bad release whose tasks stay healthy
that a CloudWatch alarm on the target group's 5xx catches (notebook 11).

It logs one line a request to standard output, as a container would, and stops cleanly — exit
status 0 — on ``SIGTERM`` (what ECS sends to stop a task) or ``SIGINT``.
"""

from __future__ import annotations

import html
import os
import signal
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

APP = "fizzbuzz"
DEFAULT_PORT = 80
DEFAULT_HOST = "0.0.0.0"
DRAIN_SECONDS = 5.0

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em;
       color: #1f2933; background: #fdfdf8; }
h1 { margin-bottom: 0.2em; }
.revision { color: #52606d; margin-top: 0; }
.revision code { background: #e4e7eb; padding: 0.1em 0.4em; border-radius: 3px; }
ol { columns: 5; padding-left: 2.5em; }
li { margin: 0.1em 0; }
.fizz { color: #2f8132; font-weight: bold; }
.buzz { color: #1c64b0; font-weight: bold; }
.fizzbuzz { color: #b42318; font-weight: bold; }
"""

_log_lock = threading.Lock()


def fizzbuzz(n: int) -> str:
    """The FizzBuzz value of ``n``.

    Args:
        n: a positive whole number.

    Returns:
        ``FizzBuzz`` when 15 divides ``n``, ``Fizz`` when 3 does, ``Buzz`` when 5 does, else the
        number itself.
    """
    if n % 15 == 0:
        return "FizzBuzz"
    if n % 3 == 0:
        return "Fizz"
    if n % 5 == 0:
        return "Buzz"
    return str(n)


def page(revision: str) -> str:
    """The HTML page of ``GET /``: FizzBuzz from 1 to 100 and the revision that answered.

    Args:
        revision: the revision's name, shown on the page.

    Returns:
        The whole HTML document.
    """
    items = []
    for n in range(1, 101):
        value = fizzbuzz(n)
        if value.isdigit():
            items.append("<li>" + value + "</li>")
        else:
            items.append('<li class="' + value.lower() + '">' + value + "</li>")
    rev = html.escape(revision)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            "<title>FizzBuzz — revision " + rev + "</title>",
            "<style>" + STYLE + "</style>",
            "</head>",
            "<body>",
            "<h1>FizzBuzz</h1>",
            '<p class="revision">This page was served by revision <code>' + rev + "</code>.</p>",
            "<ol>",
            *items,
            "</ol>",
            "<p>One value: <code>GET /fizzbuzz/&lt;n&gt;</code>. Health: <code>GET /health</code>."
            "</p>",
            "</body>",
            "</html>",
            "",
        ]
    )


def log(line: str) -> None:
    """Write one line to standard output and flush it, as a container's log would get it."""
    with _log_lock:
        try:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except (OSError, ValueError):  # stdout closed: the log is lost, the app goes on
            pass


class Server(ThreadingHTTPServer):
    """A threading HTTP server that knows when it is stopping and counts requests in flight.

    Args:
        address: ``(host, port)`` to listen on.
        revision: the revision this server answers for.
    """

    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections in a burst of health checks

    def __init__(self, address: tuple[str, int], revision: str, fail_percent: int = 0) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.revision = revision
        self.fail_percent = fail_percent
        self._answered = 0
        self._counting = threading.Lock()
        self.stopping = threading.Event()
        self._busy = 0
        self._idle = threading.Condition()
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS look-up ``HTTPServer`` does, which can be slow."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def enter(self) -> None:
        """Count a request in flight."""
        with self._idle:
            self._busy += 1

    def leave(self) -> None:
        """Count a request done."""
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def fails_next(self) -> bool:
        """Whether the next request is one of the ``fail_percent`` that answer 500 (the n-th
        fails when ``n × percent`` reaches a new hundred: an exact, even share)."""
        with self._counting:
            self._answered += 1
            n, p = self._answered, self.fail_percent
            return n * p // 100 > (n - 1) * p // 100

    def drain(self, timeout: float) -> bool:
        """Wait until no request is in flight, at most ``timeout`` seconds; ``True`` if none is."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


class Handler(BaseHTTPRequestHandler):
    """Answers the routes of FizzBuzz."""

    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed ACK

    server: Server
    protocol_version = "HTTP/1.1"
    timeout = 75  # idle keep-alive connections close after this; longer than an ALB's 60 s

    def version_string(self) -> str:
        """The ``Server`` header: the app and its revision."""
        revision = self.server.revision.encode("ascii", "replace").decode("ascii")
        return APP + "/" + revision

    def do_GET(self) -> None:
        """Answer a ``GET``."""
        self._answer(head=False)

    def do_HEAD(self) -> None:
        """Answer a ``HEAD``: the headers a ``GET`` would get."""
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        self.server.enter()
        try:
            status, content_type, body = self._route(unquote(urlsplit(self.path).path))
            self._send(status, content_type, body, head)
        finally:
            self.server.leave()

    def _route(self, path: str) -> tuple[int, str, str]:
        text = "text/plain; charset=utf-8"
        if path == "/health":
            return 200, text, "ok"
        if self.server.fail_percent and self.server.fails_next():
            return 500, text, "this revision fails some of its requests (FAIL_PERCENT)"
        if path == "/":
            return 200, "text/html; charset=utf-8", page(self.server.revision)
        if path == "/fizzbuzz" or (path.startswith("/fizzbuzz/") and path.count("/") == 2):
            arg = path[len("/fizzbuzz/") :]
            if not arg:
                return 400, text, "give a number: GET /fizzbuzz/<n>, for example /fizzbuzz/15"
            if not (arg.isascii() and arg.isdigit()) or len(arg) > 1000 or int(arg) < 1:
                shown = arg[:40] + ("..." if len(arg) > 40 else "")
                return 400, text, f"n must be a positive whole number such as 15, not {shown!r}"
            return 200, text, fizzbuzz(int(arg))
        return 404, text, "not found: " + path + " (try /, /fizzbuzz/<n> or /health)"

    def _send(self, status: int, content_type: str, body: str, head: bool) -> None:
        data = body.encode("utf-8")
        self._size = len(data)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if self.server.stopping.is_set():
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the request with the size of the body sent."""
        super().log_request(code, getattr(self, "_size", size))

    def log_message(self, format: str, *args: object) -> None:
        """Log to standard output, one line a request."""
        headers = getattr(self, "headers", None)
        agent = headers.get("User-Agent", "-") if headers is not None else "-"
        client = self.address_string()
        log(f'{client} - - [{self.log_date_time_string()}] {format % args} "{agent}"')


def serve(host: str, port: int, revision: str, fail_percent: int = 0) -> int:
    """Serve until ``SIGTERM`` or ``SIGINT``, then stop cleanly.

    Args:
        host: the address to listen on.
        port: the port to listen on (0: one the system chooses).
        revision: the revision's name.
        fail_percent: the share of requests answered 500, in percent.

    Returns:
        The exit status, 0.
    """
    server = Server((host, port), revision, fail_percent)

    def stop(signum: int, frame: object) -> None:
        if not server.stopping.is_set():
            server.stopping.set()
            log(APP + ": " + signal.Signals(signum).name + " received, stopping")
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bound_host, bound_port = server.server_address[:2]
    log(f"{APP} revision {revision} listening on http://{bound_host}:{bound_port}")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.drain(DRAIN_SECONDS)
        server.server_close()
        log(f"{APP}: stopped")
    return 0


def main() -> int:
    """Read the environment and serve; the exit status."""
    host = os.environ.get("HOST", DEFAULT_HOST) or DEFAULT_HOST
    revision = os.environ.get("REVISION", APP) or APP
    raw_port = os.environ.get("PORT", str(DEFAULT_PORT)) or str(DEFAULT_PORT)
    try:
        port = int(raw_port)
        if not 0 <= port <= 65535:
            raise ValueError
    except ValueError:
        log(APP + ": PORT must be a port number from 0 to 65535, not " + repr(raw_port))
        return 2
    raw_fail = os.environ.get("FAIL_PERCENT", "0") or "0"
    if not (raw_fail.isascii() and raw_fail.isdigit()) or int(raw_fail) > 100:
        log(APP + ": FAIL_PERCENT must be a whole number from 0 to 100, not " + repr(raw_fail))
        return 2
    try:
        return serve(host, port, revision, int(raw_fail))
    except OSError as exc:
        log(APP + ": cannot listen on " + host + ":" + str(port) + ": " + str(exc))
        return 1


if __name__ == "__main__":
    sys.exit(main())

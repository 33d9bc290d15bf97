"""The Nginx stand-in: what the bgkit local cloud runs for the public Nginx image.

The walkthrough's first revision is the stock Nginx image, which answers Nginx's default welcome
page. The local cloud cannot run that image, so it runs this script instead, which answers as the
image's default site does (``location / { root /usr/share/nginx/html; index index.html; }``):

- ``GET /`` and ``GET /index.html`` — the "Welcome to nginx!" page;
- ``GET /50x.html`` — Nginx's error page, which the image also holds;
- any other path — 404 with Nginx's "404 Not Found" page;
- methods other than ``GET`` and ``HEAD`` — 405 "Not Allowed", as Nginx answers for static files.

Its ``Server`` header says what it is: ``nginx-standin (bgkit local cloud)``.

Standard library only and self-contained, like the FizzBuzz app. Environment: ``PORT`` (default
80; 0 lets the system choose, the log says which) and ``HOST`` (default ``0.0.0.0``; the local
cloud sets ``127.0.0.1``). It writes an access log line a request to standard output and stops
cleanly — exit status 0 — on ``SIGTERM`` or ``SIGINT``.
"""

from __future__ import annotations

import os
import posixpath
import re
import signal
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

APP = "nginx-standin"
SERVER = "nginx-standin (bgkit local cloud)"
DEFAULT_PORT = 80
DEFAULT_HOST = "0.0.0.0"
DRAIN_SECONDS = 5.0


def nginx_page(title: str, body: str) -> str:
    """A page as Nginx's own HTML files are written: its head and style, then ``body``."""
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n<title>" + title + "</title>\n<style>\n"
        "html { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\n"
        "font-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n"
        + body
        + "</body>\n</html>\n"
    )


WELCOME = nginx_page(
    "Welcome to nginx!",
    """<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
<!-- served by the bgkit local cloud's stand-in for the public Nginx image -->
""",
)

ERROR_50X = nginx_page(
    "Error",
    """<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
""",
)

REASONS = {405: "Not Allowed"}  # Nginx's reason phrases where they differ from Python's

PAGES = {"/": WELCOME, "/index.html": WELCOME, "/50x.html": ERROR_50X}

_log_lock = threading.Lock()


def error_page(status: int, reason: str) -> str:
    """Nginx's built-in error page for ``status``, signed by the stand-in.

    Args:
        status: the HTTP status.
        reason: Nginx's reason phrase (``Not Found``, ``Not Allowed``).

    Returns:
        The HTML document.
    """
    title = f"{status} {reason}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>{SERVER}</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


def normalise(raw_path: str) -> str:
    """The path Nginx would look up: decoded, slashes merged, dot segments resolved.

    Args:
        raw_path: the request target, query string included.

    Returns:
        An absolute path.
    """
    path = unquote(urlsplit(raw_path).path)
    path = re.sub("/+", "/", path) or "/"
    clean = posixpath.normpath(path)
    if path.endswith("/") and clean != "/":
        clean += "/"
    return clean if clean.startswith("/") else "/" + clean


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
    """

    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections in a burst of health checks

    def __init__(self, address: tuple[str, int]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
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

    def drain(self, timeout: float) -> bool:
        """Wait until no request is in flight, at most ``timeout`` seconds; ``True`` if none is."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


class Handler(BaseHTTPRequestHandler):
    """Answers as the Nginx image's default site."""

    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed ACK

    server: Server
    protocol_version = "HTTP/1.1"
    timeout = 75  # Nginx's keepalive_timeout is 65 s; longer than an ALB's 60 s idle timeout

    def version_string(self) -> str:
        """The ``Server`` header."""
        return SERVER

    def do_GET(self) -> None:
        """Answer a ``GET``."""
        self._answer(head=False)

    def do_HEAD(self) -> None:
        """Answer a ``HEAD``: the headers a ``GET`` would get."""
        self._answer(head=True)

    def _not_allowed(self) -> None:
        self.server.enter()
        try:
            # the request body is not read, so the connection cannot carry another request
            self.close_connection = True
            self._send(405, error_page(405, "Not Allowed"), head=False)
        finally:
            self.server.leave()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _answer(self, head: bool) -> None:
        self.server.enter()
        try:
            body = PAGES.get(normalise(self.path))
            if body is None:
                self._send(404, error_page(404, "Not Found"), head)
            else:
                self._send(200, body, head)
        finally:
            self.server.leave()

    def _send(self, status: int, body: str, head: bool) -> None:
        data = body.encode("utf-8")
        self._size = len(data)
        self.send_response(status, REASONS.get(status))
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection or self.server.stopping.is_set():
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the request with the size of the body sent."""
        super().log_request(code, getattr(self, "_size", size))

    def log_message(self, format: str, *args: object) -> None:
        """Log to standard output in the spirit of Nginx's ``combined`` format."""
        headers = getattr(self, "headers", None)
        referer = headers.get("Referer", "-") if headers is not None else "-"
        agent = headers.get("User-Agent", "-") if headers is not None else "-"
        client = self.address_string()
        log(f'{client} - - [{self.log_date_time_string()}] {format % args} "{referer}" "{agent}"')


def serve(host: str, port: int) -> int:
    """Serve until ``SIGTERM`` or ``SIGINT``, then stop cleanly.

    Args:
        host: the address to listen on.
        port: the port to listen on (0: one the system chooses).

    Returns:
        The exit status, 0.
    """
    server = Server((host, port))

    def stop(signum: int, frame: object) -> None:
        if not server.stopping.is_set():
            server.stopping.set()
            log(f"{APP}: {signal.Signals(signum).name} received, stopping")
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bound_host, bound_port = server.server_address[:2]
    log(f"{APP} listening on http://{bound_host}:{bound_port}")
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
    raw_port = os.environ.get("PORT", str(DEFAULT_PORT)) or str(DEFAULT_PORT)
    try:
        port = int(raw_port)
        if not 0 <= port <= 65535:
            raise ValueError
    except ValueError:
        log(f"{APP}: PORT must be a port number from 0 to 65535, not {raw_port!r}")
        return 2
    try:
        return serve(host, port)
    except OSError as exc:
        log(f"{APP}: cannot listen on {host}:{port}: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())

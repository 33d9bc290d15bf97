"""An experiment for issue 22: how fast a Python reverse proxy can go on this machine at all.

The ceiling, not a listener: a bare HTTP/1.1 proxy on ``asyncio.Protocol`` (uvloop's loop with
``--uvloop``) that forwards each request to one backend over a pool of keep-alive connections
and copies the answer back, reading only what framing needs (``Content-Length`` bodies) — no
routing, no headers added, no error pages. If even this stays under 0.2× nginx's throughput in
the same run, no Python listener in one process can reach it here, and the choice is between
more processes and a production proxy engine.

Usage: ``python benchmarks/proxy_ceiling.py [--seconds 3] [--uvloop]``; the subprocess side:
``python benchmarks/proxy_ceiling.py --serve PORT BACKEND_PORT [--uvloop]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from collections import deque

HEAD_END = b"\r\n\r\n"
#: connections to the backend being opened (a reference each, until done)
CONNECTING: set[asyncio.Future] = set()


def framed(buffer: bytearray) -> int:
    """The length of the first whole message in ``buffer`` (Content-Length framing), or 0."""
    end = buffer.find(HEAD_END)
    if end < 0:
        return 0
    head = bytes(buffer[:end]).lower()
    at = head.find(b"content-length:")
    length = 0
    if at >= 0:
        stop = head.find(b"\r\n", at)
        length = int(head[at + 15 : stop if stop > 0 else None])
    total = end + 4 + length
    return total if len(buffer) >= total else 0


class Upstream(asyncio.Protocol):
    """One keep-alive connection to the backend; answers go back to the waiting client."""

    def __init__(self, pool: deque) -> None:
        self.pool, self.buffer, self.client = pool, bytearray(), None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        size = framed(self.buffer)
        if size:
            answer, self.buffer = bytes(self.buffer[:size]), self.buffer[size:]
            client, self.client = self.client, None
            self.pool.append(self)
            if client is not None:
                client.answered(answer)


class Downstream(asyncio.Protocol):
    """One client connection: each whole request goes out on a pooled upstream connection."""

    def __init__(self, backend: int, pool: deque) -> None:
        self.backend, self.pool, self.buffer = backend, pool, bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        size = framed(self.buffer)
        if size:
            request, self.buffer = bytes(self.buffer[:size]), self.buffer[size:]
            if self.pool:
                self.send(self.pool.popleft(), request)
            else:
                task = asyncio.ensure_future(self.connect(request))
                CONNECTING.add(task)
                task.add_done_callback(CONNECTING.discard)

    async def connect(self, request: bytes) -> None:
        loop = asyncio.get_running_loop()
        _, upstream = await loop.create_connection(
            lambda: Upstream(self.pool), "127.0.0.1", self.backend
        )
        self.send(upstream, request)

    def send(self, upstream: Upstream, request: bytes) -> None:
        upstream.client = self
        upstream.transport.write(request)

    def answered(self, answer: bytes) -> None:
        if not self.transport.is_closing():  # the client may have gone (the end of a wrk run)
            self.transport.write(answer)


async def serve(port: int, backend: int) -> None:
    loop = asyncio.get_running_loop()
    pool: deque = deque()
    server = await loop.create_server(lambda: Downstream(backend, pool), "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--serve", nargs=2, type=int, metavar=("PORT", "BACKEND_PORT"))
    args = parser.parse_args()
    if args.serve:
        if args.uvloop:
            import uvloop

            uvloop.run(serve(*args.serve))
        else:
            asyncio.run(serve(*args.serve))
        return

    import engines
    import wrk

    with engines.nginx() as nginx:
        port = engines.free_port()
        command = [sys.executable, __file__, "--serve", str(port), str(nginx.backend_port)]
        child = subprocess.Popen(
            command + (["--uvloop"] if args.uvloop else []), stdout=subprocess.PIPE, text=True
        )
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            meter = engines.CpuMeter([os.getpid()])
            rows = {}
            for name, url in (
                ("nginx", f"http://127.0.0.1:{nginx.proxy_port}/"),
                ("python ceiling", f"http://127.0.0.1:{port}/"),
            ):
                wrk.closed(url, 1)
                meter.start()
                rows[name] = wrk.closed(url, args.seconds)
                rows[name]["cpu"] = meter.stop()
        finally:
            child.terminate()
            child.wait(10)
    loop = "uvloop" if args.uvloop else "asyncio"
    for name, row in rows.items():
        print(f"{name:<16} {row['rps']:>8.0f} rps ({row['rps'] / rows['nginx']['rps']:.2f}× "
              f"nginx) p50 {row['p50_ms']:.2f} ms p99 {row['p99_ms']:.2f} ms errors "
              f"{row['errors']} CPU others {row['cpu']['others']:.0%} ({loop})")  # fmt: skip


if __name__ == "__main__":
    main()

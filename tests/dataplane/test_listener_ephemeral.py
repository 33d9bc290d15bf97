"""Listener host ports stay out of the ephemeral port range, and a listener whose port a
connection holds says so.

Linux gives outgoing connections a source port from ``/proc/sys/net/ipv4/ip_local_port_range``
(``ip(7)``, ``ip_local_port_range``), and a connection closed first by this side keeps its port in
``TIME_WAIT`` for 60 s (``tcp(7)``; RFC 9293, 2 MSL); binding a listening socket to such a port
fails with ``EADDRINUSE`` even with ``SO_REUSEADDR`` (``socket(7)``). A local cloud restarted
with a listener port in the range could find it taken for over a minute behind a message that
blamed "another program" (issue 20).
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bgkit.local.dataplane.alb import unbindable
from bgkit.local.ports import ephemeral_ports, free_listener_offset, port_holder
from bgkit.local.process import free_port

if TYPE_CHECKING:
    from conftest import Backends, Elb

    from bgkit.local.dataplane.alb import AlbDataPlane

LISTENER_PORTS = (80, 8080, 8001, 8002, 8003)


@pytest.fixture
def time_wait() -> Iterator[Callable[[int], None]]:
    """``hold(port)``: a closed connection from 127.0.0.1:``port`` left in ``TIME_WAIT``."""
    servers: list[socket.socket] = []

    def hold(port: int) -> None:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()
        servers.append(server)
        client = socket.socket()
        client.bind(("127.0.0.1", port))  # as the system would pick it: no SO_REUSEADDR
        client.connect(server.getsockname())
        accepted, _ = server.accept()
        client.close()  # this side closes first: its port stays in TIME_WAIT
        accepted.close()

    yield hold
    for server in servers:
        server.close()


def test_the_ephemeral_range_is_read_from_the_system() -> None:
    text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    found = ephemeral_ports()
    assert (found.start, found.stop - 1) == (int(text[0]), int(text[1]))


def test_a_free_listener_offset_keeps_every_port_below_the_ephemeral_range() -> None:
    low = ephemeral_ports().start
    for _ in range(50):
        offset = free_listener_offset(LISTENER_PORTS)
        assert all(1024 <= offset + port < low for port in LISTENER_PORTS)


def test_the_default_listener_ports_are_below_the_ephemeral_range() -> None:
    from bgkit.config import Settings

    offset = Settings.load({}).listener_offset
    assert offset + 8080 < ephemeral_ports().start


def test_a_port_a_connection_holds_is_told_apart_from_a_server(time_wait) -> None:
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    try:
        assert port_holder(listening.getsockname()[1]) == "listening"
    finally:
        listening.close()
    port = free_port()  # in the ephemeral range, as the system gives it
    time_wait(port)
    assert port_holder(port) == "connection"
    reason = unbindable(port, OSError(errno.EADDRINUSE, "Address already in use"))
    assert "held by a connection, not by a server" in reason
    assert "ephemeral port range" in reason and "BGKIT_LISTENER_OFFSET" in reason


def test_a_listener_whose_port_a_connection_holds_says_so(
    elb: Elb, backends: Backends, alb: AlbDataPlane, time_wait
) -> None:
    time_wait(elb.cloud.listener_offset + 8003)
    blue = backends.start("blue")
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.register(tg, blue)
    elb.listener(lb, 8003, tg)
    elb.listener(lb, 8001, tg)
    rows = {row["port"]: row for row in alb.status()}
    assert rows[8003]["serving"] is False
    assert "held by a connection, not by a server" in rows[8003]["error"]
    assert "another program" not in rows[8003]["error"]
    assert rows[8001]["serving"] is True
    assert rows[8001]["ephemeral"] is False  # the fixtures' offsets keep out of the range

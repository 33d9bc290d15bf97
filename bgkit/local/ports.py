"""Ports of this machine for local listeners: the ephemeral range, what holds a port, offsets.

A local listener on port ``P`` is served on ``127.0.0.1:(offset + P)``. A host port inside the
ephemeral range (:func:`ephemeral_ports`, on Linux typically 32768–60999) can be taken at any
moment by an outgoing connection as its source port, and stays taken for 60 s after that
connection closes (``TIME_WAIT``); no ``SO_REUSEADDR`` lets a server bind it then. So listener
offsets are chosen below the range (:func:`free_listener_offset`), and a listener that cannot
bind its port says what holds it (:func:`port_holder`).
"""

from __future__ import annotations

import random
from collections.abc import Collection
from pathlib import Path

from bgkit.local.process import port_is_free

#: where Linux reads the ephemeral port range (source ports of outgoing connections)
EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
#: Linux's default ephemeral range, where the system does not say
EPHEMERAL_DEFAULT = range(32768, 61000)
#: TCP states of ``/proc/net/tcp``: listening, and the others that hold a local port
_LISTEN = "0A"


def ephemeral_ports() -> range:
    """The ports this machine gives outgoing connections as their source port.

    A listener port in this range can be taken by any connection for a while (a closed one
    keeps it in ``TIME_WAIT`` for 60 s), and no ``SO_REUSEADDR`` lets a server bind it then.
    """
    try:
        low, high = (int(word) for word in EPHEMERAL_RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        return EPHEMERAL_DEFAULT
    return range(low, high + 1)


def port_holder(port: int) -> str | None:
    """What holds TCP ``port`` on this machine, from ``/proc/net/tcp`` and ``tcp6``.

    Returns:
        ``"listening"`` (a server listens on it), ``"connection"`` (only connections use it as
        their local port, ``TIME_WAIT`` included), or ``None`` (nothing seen, or no ``/proc``).
    """
    held = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 4 or int(fields[1].rsplit(":", 1)[1], 16) != port:
                continue
            if fields[3] == _LISTEN:
                return "listening"
            held = "connection"
    return held


def free_listener_offset(ports: Collection[int], *, lowest_port: int = 1024) -> int:
    """A listener offset that puts each of ``ports`` on a free host port below the ephemeral
    range (:func:`ephemeral_ports`), and not under ``lowest_port``; any free one when the range
    leaves no room below it."""
    top = ephemeral_ports().start - 1 - max(ports)
    bottom = lowest_port - min(ports)
    if top < bottom:
        bottom, top = 0, 65535 - max(ports)
    for _ in range(500):
        offset = random.randint(bottom, top)
        if all(port_is_free(offset + port) for port in ports):
            return offset
    raise OSError(
        f"no listener offset between {bottom} and {top} puts {sorted(ports)} on free ports"
    )

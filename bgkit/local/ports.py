"""Ports of this machine for local listeners: the ephemeral range, what holds a port, offsets.

A local listener on port ``P`` is served on ``127.0.0.1:(offset + P)``. A host port inside the
ephemeral range (:func:`ephemeral_ports`, on Linux typically 32768–60999) can be taken at any
moment by an outgoing connection as its source port, and stays taken for 60 s after that
connection closes (``TIME_WAIT``); no ``SO_REUSEADDR`` lets a server bind it then. So listener
offsets are chosen below the range (:func:`free_listener_offset`), and a listener that cannot
bind its port says what holds it (:func:`port_holder`).

Processes that choose offsets at the same time on one machine (parallel test processes) each take
a share of the host ports (:data:`SHARE_VARIABLE`), so no two choose the same one.
"""

from __future__ import annotations

import os
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
#: ``"i/n"`` in the environment (read once, when this module loads): this process chooses only
#: offsets whose host ports are all in the i-th of n shares (0 ≤ i < n), where host port ``h``
#: is in share ``n × (h mod 1000) // 1000``. The walkthrough's listener ports and the tests' (80,
#: 8080, 8001–8003) lie within 80 of one another modulo 1000, so each share has room for them.
SHARE_VARIABLE = "BGKIT_PORT_SHARE"
SHARE_MODULUS = 1000


def _share(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    index, _, count = text.partition("/")
    try:
        share = int(index), int(count)
    except ValueError:
        share = (-1, 0)
    if not 0 <= share[0] < share[1] <= SHARE_MODULUS // 100:
        raise ValueError(f"{SHARE_VARIABLE} must be i/n with 0 <= i < n <= 10, not {text!r}")
    return share


SHARE = _share(os.environ.get(SHARE_VARIABLE))


def in_share(port: int, share: tuple[int, int] | None = None) -> bool:
    """Whether host ``port`` is in ``share`` (default this process's, if it has one)."""
    share = share or SHARE
    if share is None:
        return True
    index, count = share
    return count * (port % SHARE_MODULUS) // SHARE_MODULUS == index


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
    leaves no room below it. The host ports are all in this process's share
    (:data:`SHARE_VARIABLE`) when it has one and ``ports`` fit in it."""
    top = ephemeral_ports().start - 1 - max(ports)
    bottom = lowest_port - min(ports)
    if top < bottom:
        bottom, top = 0, 65535 - max(ports)
    # whether every port lands in the share depends on the offset modulo SHARE_MODULUS only
    fits = [r for r in range(SHARE_MODULUS) if all(in_share(r + port) for port in ports)]
    for _ in range(500):
        offset = random.randint(bottom, top)
        if fits:
            offset += (random.choice(fits) - offset) % SHARE_MODULUS
            if offset > top:
                continue
        if all(port_is_free(offset + port) for port in ports):
            return offset
    raise OSError(
        f"no listener offset between {bottom} and {top} puts {sorted(ports)} on free ports"
    )

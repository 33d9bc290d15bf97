"""Switching a listener between target groups under steady traffic loses no request.

Bounded: 400 requests a second on loopback, 5 % of them slow (200 ms) so that requests are in
flight at every switch, while the listener's default action flips 24 times between the blue and
the green target group through ``ModifyListener``, one flip every 0.15 s at most. The traffic
lasts as long as the flips (a busy machine makes each flip slower, never fewer), at most 120 s.
The test judges the requests that failed or met a group their moment does not allow, and that
requests were in flight across every flip; never the rate reached (issue 20).
"""

from __future__ import annotations

import asyncio
import bisect
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
import pytest

if TYPE_CHECKING:
    from conftest import Backends, Elb

RATE = 400
FLIPS = 24
FLIP_EVERY = 0.15
MAX_SECONDS = 120.0
MAX_IN_FLIGHT = 256


@dataclass
class Sent:
    start: float
    end: float
    status: int | None
    backend: str | None
    error: str | None = None


@dataclass
class Flip:
    start: float  # ModifyListener sent
    done: float  # the data plane has the new table for certain (after one reconciliation)
    group: str


def allowed(sent: Sent, flips: list[Flip], first: str) -> set[str]:
    """The groups the action may have pointed at while ``sent`` was in flight."""
    starts = [f.start for f in flips]
    index = bisect.bisect_right(starts, sent.start) - 1
    groups = {flips[index].group if index >= 0 else first}
    if index >= 0 and sent.start <= flips[index].done:
        groups.add(flips[index - 1].group if index > 0 else first)
    for flip in flips[index + 1 :]:
        if flip.start > sent.end:
            break
        groups.add(flip.group)
    return groups


@pytest.mark.slow
def test_flipping_the_default_action_under_load_loses_no_request(
    elb: Elb, backends: Backends
) -> None:
    blue, green = backends.start("blue"), backends.start("green")
    lb = elb.load_balancer("web")
    tg_blue, tg_green = elb.target_group("web-1"), elb.target_group("web-2")
    elb.register(tg_blue, blue)
    elb.register(tg_green, green)
    listener = elb.listener(lb, 8001, tg_blue)
    url = f"http://127.0.0.1:{elb.cloud.listener_offset + 8001}"
    names = {tg_blue: "blue", tg_green: "green"}

    async def run() -> tuple[list[Sent], list[Flip]]:
        sent: list[Sent] = []
        flips: list[Flip] = []
        gate = asyncio.Semaphore(MAX_IN_FLIGHT)
        connector = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(number: int) -> None:
                path = "/?ms=200" if number % 20 == 0 else "/"
                start = time.monotonic()
                try:
                    async with session.get(url + path) as answer:
                        body = await answer.text()
                        sent.append(Sent(start, time.monotonic(), answer.status, body))
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    sent.append(Sent(start, time.monotonic(), None, None, repr(error)))
                finally:
                    gate.release()

            async def flipper() -> None:
                target = tg_blue
                for _ in range(FLIPS):
                    await asyncio.sleep(FLIP_EVERY)
                    target = tg_green if target == tg_blue else tg_blue
                    start = time.monotonic()
                    await asyncio.to_thread(elb.forward, listener, target)
                    flips.append(Flip(start, time.monotonic(), names[target]))

            begin = time.monotonic()
            flipping = asyncio.create_task(flipper())
            tasks = []
            for number in range(int(RATE * MAX_SECONDS)):  # open loop, fixed rate
                if flipping.done():
                    break
                await asyncio.sleep(max(0.0, begin + number / RATE - time.monotonic()))
                await gate.acquire()
                tasks.append(asyncio.create_task(one(number)))
            await asyncio.gather(*tasks)
            await flipping
        return sent, flips

    sent, flips = asyncio.run(run())

    failed = [s for s in sent if s.status != 200]
    assert failed == []
    assert len(flips) == FLIPS, "the traffic ended before every flip"
    unseen = [f for f in flips if not any(s.start <= f.start <= s.end for s in sent)]
    assert unseen == [], "flips with no request in flight across them"
    wrong = [s for s in sent if s.backend not in allowed(s, flips, "blue")]
    assert wrong == []
    assert {s.backend for s in sent} == {"blue", "green"}

"""Listener host ports (listener offset + port) stay within TCP's ports, and one listener that
cannot be served never keeps the others from being served.

A TCP port is 1–65535 (RFC 793); ELBv2 takes listener ports 1–65535 (botocore's ``Port`` shape),
so the local cloud, which serves listener port P on host port offset + P, refuses a port whose
host port would pass 65535, naming the offset (issue 20).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from bgkit.local.services.elbv2.models import LISTENER

if TYPE_CHECKING:
    from conftest import Backends, Elb

    from bgkit.local.dataplane.alb import AlbDataPlane


def refused_port(call, offset: int, port: int) -> None:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert f"listener offset {offset}" in error["Message"]
    assert f"{offset + port}" in error["Message"]
    assert re.search(rf"at most {65535 - offset}\b", error["Message"]), error["Message"]


def test_create_listener_refuses_a_port_past_the_last_host_port(elb: Elb) -> None:
    offset = elb.cloud.listener_offset
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    port = 65535 - offset + 1
    refused_port(
        lambda: elb.client.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
        ),
        offset,
        port,
    )
    assert elb.client.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"] == []


def test_modify_listener_refuses_a_port_past_the_last_host_port(elb: Elb) -> None:
    offset = elb.cloud.listener_offset
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    listener = elb.listener(lb, 8001, tg)
    port = 65535 - offset + 1
    refused_port(lambda: elb.client.modify_listener(ListenerArn=listener, Port=port), offset, port)
    [found] = elb.client.describe_listeners(ListenerArns=[listener])["Listeners"]
    assert found["Port"] == 8001


def test_a_listener_past_the_last_host_port_never_stops_the_others(
    elb: Elb, backends: Backends, alb: AlbDataPlane
) -> None:
    # a listener recorded under a smaller offset, served now under one that puts it past 65535
    blue = backends.start("blue")
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.register(tg, blue)
    stale = elb.listener(lb, 8002, tg)
    store = elb.cloud.store
    with store.transaction():
        [(partition, record)] = [
            (p, r) for p in store.partitions(LISTENER) for r in store.list(p, LISTENER)
        ]
        store.put(partition, LISTENER, stale, {**record, "Port": 65535})
    elb.listener(lb, 8001, tg)
    rows = {row["port"]: row for row in alb.status()}
    assert rows[65535]["serving"] is False
    assert "65535" in rows[65535]["error"]
    assert rows[8001]["serving"] is True
    assert elb.get(8001).text == "blue"

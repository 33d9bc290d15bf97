"""Listeners as real reverse proxies: created, routed, changed and deleted through boto3."""

from __future__ import annotations

import collections
import socket
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import Backends, Elb

    from bgkit.local.dataplane.alb import AlbDataPlane


def shares(elb: Elb, port: int, count: int) -> dict[str, int]:
    return dict(collections.Counter(elb.get(port).text for _ in range(count)))


def test_listener_routes_to_its_target_group(
    elb: Elb, backends: Backends, alb: AlbDataPlane
) -> None:
    blue, green = backends.start("blue"), backends.start("green")
    lb = elb.load_balancer("web")
    tg1, tg2 = elb.target_group("web-1"), elb.target_group("web-2")
    elb.register(tg1, blue)
    elb.register(tg2, green)
    prod = elb.listener(lb, 8001, tg1)
    test = elb.listener(lb, 8002, tg2)

    assert elb.get(8001).text == "blue"
    assert elb.get(8002).text == "green"
    rows = {row["listener_arn"]: row for row in alb.status()}
    offset = elb.cloud.listener_offset
    assert rows[prod] | {"load_balancer_arn": None} == {
        "listener_arn": prod,
        "load_balancer_arn": None,
        "port": 8001,
        "host_port": offset + 8001,
        "url": f"http://127.0.0.1:{offset + 8001}",
        "serving": True,
        "error": None,
        "ephemeral": False,
    }
    assert rows[test]["serving"]


def test_listener_serves_after_one_reconcile_and_stops_after_delete(
    elb: Elb, backends: Backends, alb: AlbDataPlane
) -> None:
    blue = backends.start("blue")
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.register(tg, blue)
    listener = elb.listener(lb, 8001, tg)  # one reconciliation after the call
    assert elb.get(8001).text == "blue"

    elb.client.delete_listener(ListenerArn=listener)
    elb.reconcile()
    with pytest.raises(ConnectionRefusedError):
        elb.get(8001)
    assert alb.status() == []


def test_listener_waits_until_its_load_balancer_is_active(elb: Elb, backends: Backends) -> None:
    blue = backends.start("blue")
    lb = elb.client.create_load_balancer(Name="web", Subnets=elb.subnets)["LoadBalancers"][0]
    tg = elb.target_group("web-1")
    elb.register(tg, blue)
    elb.listener(lb, 8001, tg)
    with pytest.raises(ConnectionRefusedError):
        elb.get(8001)  # still provisioning
    elb.cloud.clock.advance(60)
    elb.reconcile()
    assert elb.get(8001).text == "blue"


def test_weights_move_the_shares_exactly(elb: Elb, backends: Backends) -> None:
    blue, green = backends.start("blue"), backends.start("green")
    lb = elb.load_balancer("web")
    tg1, tg2 = elb.target_group("web-1"), elb.target_group("web-2")
    elb.register(tg1, blue)
    elb.register(tg2, green)
    listener = elb.listener(lb, 8001, {tg1: 100, tg2: 0})
    assert shares(elb, 8001, 50) == {"blue": 50}

    elb.forward(listener, {tg1: 90, tg2: 10})
    assert shares(elb, 8001, 100) == {"blue": 90, "green": 10}
    assert shares(elb, 8001, 200) == {"blue": 180, "green": 20}

    elb.forward(listener, {tg1: 0, tg2: 100})
    assert shares(elb, 8001, 50) == {"green": 50}


def test_targets_of_a_group_take_turns(elb: Elb, backends: Backends) -> None:
    one, two = backends.start("one"), backends.start("two")
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.register(tg, one, two)
    elb.listener(lb, 8001, tg)
    elb.wait_healthy(tg)
    assert shares(elb, 8001, 20) == {"one": 10, "two": 10}


def test_rules_route_by_path_and_host(elb: Elb, backends: Backends) -> None:
    blue, green = backends.start("blue"), backends.start("green")
    lb = elb.load_balancer("web")
    tg1, tg2 = elb.target_group("web-1"), elb.target_group("web-2")
    elb.register(tg1, blue)
    elb.register(tg2, green)
    listener = elb.listener(lb, 8001, tg1)
    elb.client.create_rule(
        ListenerArn=listener,
        Priority=20,
        Conditions=[{"Field": "host-header", "Values": ["*.Example.com"]}],
        Actions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {
                    "StatusCode": "418",
                    "ContentType": "text/plain",
                    "MessageBody": "teapot",
                },
            }
        ],
    )
    elb.client.create_rule(
        ListenerArn=listener,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/api/*", "/v?/x"]}],
        Actions=[{"Type": "forward", "TargetGroupArn": tg2}],
    )
    elb.reconcile()

    assert elb.get(8001, "/api/orders?id=1").text == "green"
    assert elb.get(8001, "/v2/x").text == "green"
    assert elb.get(8001, "/API/orders").text == "blue"  # path patterns are case-sensitive
    assert elb.get(8001, "/").text == "blue"
    teapot = elb.get(8001, "/", headers={"Host": "shop.example.COM"})
    assert (teapot.status, teapot.text, teapot.headers["Content-Type"]) == (
        418,
        "teapot",
        "text/plain; charset=utf-8",
    )
    # priority 10 comes first, whatever the host
    assert elb.get(8001, "/api/x", headers={"Host": "shop.example.com"}).text == "green"


def test_redirect_and_head(elb: Elb, backends: Backends) -> None:
    blue = backends.start("blue")
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.register(tg, blue)
    listener = elb.listener(lb, 8001, tg)
    elb.client.create_rule(
        ListenerArn=listener,
        Priority=1,
        Conditions=[{"Field": "path-pattern", "Values": ["/old/*"]}],
        Actions=[
            {
                "Type": "redirect",
                "RedirectConfig": {
                    "Port": "8002",
                    "Path": "/new/#{path}",
                    "StatusCode": "HTTP_301",
                },
            }
        ],
    )
    elb.reconcile()
    moved = elb.get(8001, "/old/page?x=1")
    offset = elb.cloud.listener_offset
    assert moved.status == 301
    assert moved.headers["Location"] == f"http://127.0.0.1:{offset + 8002}/new/old/page?x=1"
    head = elb.get(8001, "/", method="HEAD")
    assert (head.status, head.body, head.headers["Content-Length"]) == (200, b"", "4")


def test_no_registered_target_answers_503(elb: Elb) -> None:
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.listener(lb, 8001, tg)
    answer = elb.get(8001)
    assert answer.status == 503
    assert "<title>503 Service Temporarily Unavailable</title>" in answer.text
    assert answer.headers["Server"] == "awselb/2.0"


def test_dead_target_answers_502(elb: Elb) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.client.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": dead}])
    elb.listener(lb, 8001, tg)
    answer = elb.get(8001)
    assert answer.status == 502
    assert "<title>502 Bad Gateway</title>" in answer.text


def test_slow_target_answers_504_after_the_idle_timeout(
    elb: Elb, backends: Backends, alb: AlbDataPlane
) -> None:
    slow = backends.start("slow")
    alb.idle_timeout = 0.3
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.register(tg, slow)
    elb.listener(lb, 8001, tg)
    assert elb.get(8001, "/?ms=100").text == "slow"
    answer = elb.get(8001, "/?ms=1500")
    assert answer.status == 504
    assert "<title>504 Gateway Time-out</title>" in answer.text


def test_forwarded_headers_and_streamed_bodies(elb: Elb, backends: Backends) -> None:
    echo = backends.start("echo")
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.register(tg, echo)
    elb.listener(lb, 8001, tg)

    answer = elb.get(
        8001,
        "/echo?a=1&b=%20",
        method="POST",
        headers={"X-Forwarded-For": "203.0.113.7", "Keep-Alive": "timeout=5", "X-Custom": "yes"},
        body=b"z" * 300_000,
    ).json()
    headers = answer["headers"]
    assert answer["method"] == "POST"
    assert answer["path"] == "/echo?a=1&b=%20"
    assert answer["received"] == 300_000
    assert headers["X-Forwarded-For"] == "203.0.113.7, 127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Port"] == "8001"  # the listener's port, not the host port
    assert headers["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert headers["Host"] == f"127.0.0.1:{elb.cloud.listener_offset + 8001}"
    assert headers["X-Custom"] == "yes"
    assert "Keep-Alive" not in headers

    big = elb.get(8001, "/big?kb=2048")
    assert (big.status, len(big.body), big.headers["X-Backend"]) == (200, 2048 * 1024, "echo")


def test_load_balancers_sharing_a_port_are_told_apart_by_host(
    elb: Elb, elb_in: Callable[[str], Elb], backends: Backends
) -> None:
    east, west = elb, elb_in("us-west-2")
    blue, green = backends.start("blue"), backends.start("green")
    lb_east = east.load_balancer("web")
    lb_west = west.load_balancer("web")
    tg_east, tg_west = east.target_group("web-1"), west.target_group("web-1")
    east.register(tg_east, blue)
    west.register(tg_west, green)
    east.listener(lb_east, 8001, tg_east)
    west.listener(lb_west, 8001, tg_west)

    assert east.get(8001).text == "blue"  # the oldest load balancer's listener
    assert east.get(8001, headers={"Host": lb_west["DNSName"]}).text == "green"
    assert east.get(8001, headers={"Host": lb_east["DNSName"] + ":80"}).text == "blue"


def test_a_port_taken_by_another_program_is_reported(
    elb: Elb, backends: Backends, alb: AlbDataPlane
) -> None:
    blue = backends.start("blue")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", elb.cloud.listener_offset + 8003))
        squatter.listen()
        lb = elb.load_balancer("web")
        tg = elb.target_group("web-1")
        elb.register(tg, blue)
        elb.listener(lb, 8003, tg)
        elb.listener(lb, 8001, tg)
        rows = {row["port"]: row for row in alb.status()}
        assert rows[8003]["serving"] is False
        assert "in use by another program listening on it" in rows[8003]["error"]
        assert rows[8001]["serving"] is True
    elb.reconcile()  # the port is free again: served at the next pass
    assert elb.get(8003).text == "blue"


def test_a_target_without_a_local_address_is_never_connected_to(
    elb: Elb, backends: Backends
) -> None:
    task = backends.start("task")
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.client.register_targets(TargetGroupArn=tg, Targets=[{"Id": "172.31.0.10", "Port": 80}])
    elb.listener(lb, 8001, tg)
    assert elb.get(8001).status == 504

    # the ECS runtime says where the task's process listens: now it is reachable
    with elb.cloud.store.transaction():
        elb.cloud.store.put(
            "123456789012/us-east-1",
            "task-endpoint",
            "172.31.0.10|80",
            {"Host": "127.0.0.1", "Port": task.port},
        )
    elb.reconcile()
    assert elb.get(8001).text == "task"

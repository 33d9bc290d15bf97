"""The remaining rule conditions (http-header, http-request-method, query-string, source-ip) and
a listener moved by ModifyListener, through boto3 and real HTTP on the listeners.

Sources: the ELB User Guide, *Listener rules for your Application Load Balancer* (the condition
types: header names and values compared case-insensitively with ``*`` and ``?``, methods
case-sensitively, query-string ``Key``/``Value`` pairs with the key optional, source IPs as CIDR
blocks of the client's address); the API reference, *ModifyListener* (``Port``: "The port for
connections from clients to the load balancer").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Backends, Elb


def teapot(body: str) -> list[dict[str, Any]]:
    return [{"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "200", "ContentType": "text/plain", "MessageBody": body}}]  # fmt: skip


def test_header_method_query_and_source_conditions_route(elb: Elb, backends: Backends) -> None:
    blue = backends.start("blue")
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.register(tg, blue)
    listener = elb.listener(lb, 8001, tg)
    rules = [
        (10, [{"Field": "http-header", "HttpHeaderConfig": {
            "HttpHeaderName": "X-Canary", "Values": ["yes", "t?ue"]}}], "header"),
        (20, [{"Field": "http-request-method",
               "HttpRequestMethodConfig": {"Values": ["DELETE"]}}], "method"),
        (30, [{"Field": "query-string", "QueryStringConfig": {
            "Values": [{"Key": "version", "Value": "v2*"}, {"Value": "beta"}]}}], "query"),
        (40, [{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}], "far"),
        (50, [{"Field": "source-ip", "SourceIpConfig": {"Values": ["127.0.0.0/8"]}},
              {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/local"]}}], "near"),
    ]  # fmt: skip
    for priority, conditions, body in rules:
        elb.client.create_rule(ListenerArn=listener, Priority=priority, Conditions=conditions,
                               Actions=teapot(body))  # fmt: skip
    elb.reconcile()

    assert elb.get(8001, "/", headers={"x-canary": "YES"}).text == "header"
    assert elb.get(8001, "/", headers={"X-Canary": "true"}).text == "header"
    assert elb.get(8001, "/", headers={"X-Canary": "no"}).text == "blue"
    assert elb.get(8001, "/", method="DELETE").text == "method"
    assert elb.get(8001, "/", method="GET").text == "blue"
    assert elb.get(8001, "/?version=V2.1").text == "query"
    assert elb.get(8001, "/?channel=beta").text == "query"  # a value under any key
    assert elb.get(8001, "/?version=v1").text == "blue"
    assert elb.get(8001, "/local").text == "near"  # the client is 127.0.0.1, not in 10/8


def test_modify_listener_port_moves_the_listener(elb: Elb, backends: Backends) -> None:
    blue = backends.start("blue")
    lb = elb.load_balancer("web")
    tg = elb.target_group("web-1")
    elb.register(tg, blue)
    listener = elb.listener(lb, 8001, tg)
    assert elb.get(8001).text == "blue"

    moved = elb.client.modify_listener(ListenerArn=listener, Port=8003)["Listeners"][0]
    elb.reconcile()

    assert moved["Port"] == 8003
    assert elb.get(8003).text == "blue"
    with pytest.raises(ConnectionRefusedError):
        elb.get(8001)

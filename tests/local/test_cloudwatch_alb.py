"""The ALB's metrics under AWS/ApplicationELB match the traffic sent through a listener.

Names, units and dimensions: docs.aws.amazon.com/elasticloadbalancing/latest/application/
load-balancer-cloudwatch-metrics.html.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter

from tests.dataplane.conftest import Backends, Elb
from tests.local.cloudwatch_world import cloudwatch


def _sum(cw, cloud, name: str, dimensions: list[dict[str, str]]) -> float:
    now = cloud.clock.now()
    got = cw.get_metric_statistics(
        Namespace="AWS/ApplicationELB", MetricName=name, Dimensions=dimensions,
        StartTime=datetime.datetime.fromtimestamp(now - 3600, datetime.timezone.utc),
        EndTime=datetime.datetime.fromtimestamp(now + 3600, datetime.timezone.utc),
        Period=7200, Statistics=["Sum"],
    )  # fmt: skip
    return sum(p["Sum"] for p in got["Datapoints"])


def test_request_and_status_counts_match_the_traffic_per_target_group(cloud):
    elb, backends = Elb(cloud), Backends()
    try:
        good_backend = backends.start("good")
        bad_backend = backends.start("bad")
        lb = elb.load_balancer("metrics-lb")
        good, bad = elb.target_group("metrics-good"), elb.target_group("metrics-bad")
        elb.register(good, good_backend)
        elb.register(bad, bad_backend)
        backends.stop(bad_backend)  # its only target refuses: the listener answers 502
        elb.listener(lb, 80, {good: 3, bad: 1})
        sent = Counter(elb.get(80).status for _ in range(40))
    finally:
        backends.close()
    assert sent[200] > 0 and sent[502] > 0 and sent[200] + sent[502] == 40
    cloud.clock.advance(60)
    elb.reconcile()  # the pass that flushes the minute
    cw = cloudwatch(cloud, "json")
    lb_dim = {"Name": "LoadBalancer", "Value": lb["LoadBalancerArn"].split(":loadbalancer/")[1]}

    def tg_dims(arn: str) -> list[dict[str, str]]:
        return [lb_dim, {"Name": "TargetGroup", "Value": arn.split(":")[-1]}]

    assert _sum(cw, cloud, "RequestCount", tg_dims(good)) == sent[200]
    assert _sum(cw, cloud, "RequestCount", tg_dims(bad)) == sent[502]
    assert _sum(cw, cloud, "RequestCount", [lb_dim]) == 40
    assert _sum(cw, cloud, "HTTPCode_Target_2XX_Count", tg_dims(good)) == sent[200]
    assert _sum(cw, cloud, "HTTPCode_Target_2XX_Count", tg_dims(bad)) == 0
    assert _sum(cw, cloud, "HTTPCode_ELB_5XX_Count", [lb_dim]) == sent[502]
    assert _sum(cw, cloud, "HTTPCode_ELB_502_Count", [lb_dim]) == sent[502]
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/ApplicationELB")["Metrics"]}
    assert "TargetResponseTime" in names
    cw.close()


def _stats(cw, cloud, name: str, dimensions: list[dict[str, str]]) -> list[dict]:
    now = cloud.clock.now()
    got = cw.get_metric_statistics(
        Namespace="AWS/ApplicationELB", MetricName=name, Dimensions=dimensions,
        StartTime=datetime.datetime.fromtimestamp(now - 3600, datetime.timezone.utc),
        EndTime=datetime.datetime.fromtimestamp(now + 3600, datetime.timezone.utc),
        Period=60, Statistics=["Minimum", "Maximum"],
    )  # fmt: skip
    return got["Datapoints"]


def _until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "still not so"
        time.sleep(0.05)


def test_healthy_and_unhealthy_host_counts_sample_the_targets_once_a_minute(cloud):
    elb, backends = Elb(cloud), Backends()
    settings = {"HealthCheckIntervalSeconds": 10, "UnhealthyThresholdCount": 2}
    try:
        up, also_up, down = (backends.start(name) for name in ("up", "also-up", "down"))
        lb = elb.load_balancer("hosts-lb")
        group = elb.target_group("hosts", **settings)
        elb.register(group, up, also_up, down)
        backends.stop(down)
        elb.listener(lb, 80, group)
        for _ in range(3):  # two failed checks make the stopped one unhealthy
            cloud.clock.advance(10)
            elb.reconcile()
            time.sleep(0.2)
        _until(lambda: sorted(h["State"] for h in elb.health(group).values())
               == ["healthy", "healthy", "unhealthy"])  # fmt: skip
        cloud.clock.advance(60)  # a new minute: the next pass samples the targets
        elb.reconcile()
        cloud.clock.advance(60)  # and the one after writes that minute
        elb.reconcile()
    finally:
        backends.close()
    cw = cloudwatch(cloud, "smithy-rpc-v2-cbor")
    dims = [{"Name": "LoadBalancer", "Value": lb["LoadBalancerArn"].split(":loadbalancer/")[1]},
            {"Name": "TargetGroup", "Value": group.split(":")[-1]}]  # fmt: skip
    healthy = _stats(cw, cloud, "HealthyHostCount", dims)
    unhealthy = _stats(cw, cloud, "UnHealthyHostCount", dims)
    cw.close()
    assert any(p["Minimum"] == p["Maximum"] == 2.0 for p in healthy), healthy
    assert any(p["Minimum"] == p["Maximum"] == 1.0 for p in unhealthy), unhealthy

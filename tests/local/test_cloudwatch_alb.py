"""The ALB's metrics under AWS/ApplicationELB match the traffic sent through a listener.

Names, units and dimensions: docs.aws.amazon.com/elasticloadbalancing/latest/application/
load-balancer-cloudwatch-metrics.html.
"""

from __future__ import annotations

import datetime
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

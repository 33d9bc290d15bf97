"""ELBv2 rule conditions through a real boto3 client: the six condition types as AWS stores and
answers them, and the conditions it refuses (each refusal leaves the listener's rules as they
were).

Sources: the ELB User Guide, *Listener rules for your Application Load Balancer* ("Each rule can
include zero or one of the following conditions: host-header, http-request-method, path-pattern,
and source-ip. Each rule can also include one or more of each of the following conditions:
http-header and query-string"; "You can specify up to five match evaluations per rule"; the
characters of host names and methods; "Wildcards are not supported" for source IPs); botocore's
``RuleCondition`` shape (``Values`` only for host-header and path-pattern).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from elb import forward, target_group

pytestmark = pytest.mark.control_plane


@pytest.fixture
def listener(elbv2: Any, vpc: str, alb: str) -> tuple[str, str]:
    group = target_group(elbv2, vpc)
    made = elbv2.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=80,
                                 DefaultActions=forward(group))  # fmt: skip
    return made["Listeners"][0]["ListenerArn"], group


def rule(elbv2: Any, listener: tuple[str, str], conditions: list[dict[str, Any]]) -> Any:
    return elbv2.create_rule(ListenerArn=listener[0], Priority=10, Conditions=conditions,
                             Actions=forward(listener[1]))["Rules"][0]  # fmt: skip


def test_host_and_path_answer_both_forms(elbv2, listener):
    made = rule(elbv2, listener, [
        {"Field": "host-header", "Values": ["*.example.com"]},
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}},
    ])  # fmt: skip
    assert made["Conditions"] == [
        {"Field": "host-header", "Values": ["*.example.com"],
         "HostHeaderConfig": {"Values": ["*.example.com"]}},
        {"Field": "path-pattern", "Values": ["/api/*"],
         "PathPatternConfig": {"Values": ["/api/*"]}},
    ]  # fmt: skip


def test_the_other_conditions_answer_their_config(elbv2, listener):
    conditions = [
        {"Field": "http-header",
         "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["yes"]}},
        {"Field": "http-header",
         "HttpHeaderConfig": {"HttpHeaderName": "User-Agent", "Values": ["*Mobile*"]}},
        {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}},
        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}},
        {"Field": "source-ip", "SourceIpConfig": {"Values": ["192.0.2.0/24"]}},
    ]  # fmt: skip
    made = rule(elbv2, listener, conditions)
    assert made["Conditions"] == conditions
    described = elbv2.describe_rules(RuleArns=[made["RuleArn"]])["Rules"][0]
    assert described["Conditions"] == conditions


@pytest.mark.parametrize(
    "conditions",
    [
        [{"Field": "http-request-method", "Values": ["GET"]}],  # Values for the legacy two only
        [{"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["get"]}}],
        [{"Field": "host-header", "Values": ["bad_host:80"]}],
        [{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.*.*"]}}],
        [{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.1"]}}],
        [{"Field": "http-header", "HttpHeaderConfig": {"Values": ["x"]}}],  # no header name
        [{"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "k"}]}}],
        [{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}},
         {"Field": "source-ip", "SourceIpConfig": {"Values": ["192.0.2.0/24"]}}],  # twice
        [{"Field": "path-pattern", "Values": ["/a", "/b", "/c"]},
         {"Field": "host-header", "Values": ["a.com", "b.com", "c.com"]}],  # six values
        [{"Field": "cookie", "Values": ["x"]}],
    ],
)  # fmt: skip
def test_conditions_aws_refuses(elbv2, listener, conditions):
    with pytest.raises(ClientError) as caught:
        rule(elbv2, listener, conditions)
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    rules = elbv2.describe_rules(ListenerArn=listener[0])["Rules"]
    assert [r["Priority"] for r in rules] == ["default"]


def test_repeated_header_and_query_conditions_are_allowed(elbv2, listener):
    made = rule(elbv2, listener, [
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "A", "Values": ["1"]}},
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "B", "Values": ["2"]}},
        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Value": "x"}]}},
        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Value": "y"}]}},
    ])  # fmt: skip
    assert [c["Field"] for c in made["Conditions"]] == ["http-header"] * 2 + ["query-string"] * 2

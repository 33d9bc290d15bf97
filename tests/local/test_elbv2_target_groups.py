"""ELBv2 target groups and their attributes through real boto3 clients."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from elb import error_code, forward, target_group

pytestmark = pytest.mark.control_plane


def _group_names(elbv2: Any) -> list[str]:
    return [g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]]


def test_create_target_group_has_aws_defaults(elbv2: Any, vpc: str) -> None:
    made = elbv2.create_target_group(Name="bgkit-tg-1", Protocol="HTTP", Port=80, VpcId=vpc)
    group = made["TargetGroups"][0]
    assert group["TargetGroupArn"].startswith(
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bgkit-tg-1/"
    )
    assert len(group["TargetGroupArn"].rsplit("/", 1)[1]) == 16
    expected = {
        "TargetGroupName": "bgkit-tg-1",
        "Protocol": "HTTP",
        "Port": 80,
        "VpcId": vpc,
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPort": "traffic-port",
        "HealthCheckEnabled": True,
        "HealthCheckIntervalSeconds": 30,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 5,
        "UnhealthyThresholdCount": 2,
        "HealthCheckPath": "/",
        "Matcher": {"HttpCode": "200"},
        "LoadBalancerArns": [],
        "TargetType": "instance",
        "ProtocolVersion": "HTTP1",
        "IpAddressType": "ipv4",
    }
    assert {k: v for k, v in group.items() if k != "TargetGroupArn"} == expected


def test_create_target_group_same_settings_answers_existing(elbv2: Any, vpc: str) -> None:
    first = target_group(elbv2, vpc)
    assert target_group(elbv2, vpc) == first
    assert _group_names(elbv2) == ["bgkit-tg-1"]


def test_create_target_group_same_name_other_settings_refused(elbv2: Any, vpc: str) -> None:
    target_group(elbv2, vpc)
    with pytest.raises(ClientError) as error:
        target_group(elbv2, vpc, HealthCheckPath="/health")
    assert error_code(error) == "DuplicateTargetGroupName"
    assert _group_names(elbv2) == ["bgkit-tg-1"]


@pytest.mark.parametrize("name", ["-tg", "tg-", "tg_1", "t" * 33])
def test_create_target_group_bad_name_refused(elbv2: Any, vpc: str, name: str) -> None:
    with pytest.raises(ClientError) as error:
        target_group(elbv2, vpc, name=name)
    assert error_code(error) == "ValidationError"
    assert _group_names(elbv2) == []


def test_create_target_group_unknown_vpc_refused(elbv2: Any) -> None:
    with pytest.raises(ClientError) as error:
        target_group(elbv2, "vpc-0123456789abcdef0")
    assert error_code(error) == "ValidationError"
    assert "vpc-0123456789abcdef0" in str(error.value)
    assert _group_names(elbv2) == []


def test_create_target_group_without_vpc_refused(elbv2: Any) -> None:
    with pytest.raises(ClientError) as error:
        elbv2.create_target_group(Name="tg", Protocol="HTTP", Port=80, TargetType="ip")
    assert error_code(error) == "ValidationError"


def test_create_target_group_tcp_refused(elbv2: Any, vpc: str) -> None:
    with pytest.raises(ClientError) as error:
        elbv2.create_target_group(Name="tg", Protocol="TCP", Port=80, VpcId=vpc)
    assert error_code(error) == "InvalidConfigurationRequest"
    assert _group_names(elbv2) == []


@pytest.mark.parametrize(
    "settings",
    [
        {"HealthCheckIntervalSeconds": 301},
        {"HealthCheckTimeoutSeconds": 10, "HealthCheckIntervalSeconds": 10},
        {"HealthyThresholdCount": 11},
        {"HealthCheckPath": "health"},
        {"Matcher": {"HttpCode": "600"}},
    ],
)
def test_create_target_group_bad_health_check_refused(
    elbv2: Any, vpc: str, settings: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as error:
        target_group(elbv2, vpc, **settings)
    assert error_code(error) == "ValidationError"
    assert _group_names(elbv2) == []


def test_describe_target_groups_by_name_and_arn(elbv2: Any, vpc: str) -> None:
    one = target_group(elbv2, vpc, name="one")
    target_group(elbv2, vpc, name="two")
    by_name = elbv2.describe_target_groups(Names=["two"])["TargetGroups"]
    by_arn = elbv2.describe_target_groups(TargetGroupArns=[one])["TargetGroups"]
    assert [g["TargetGroupName"] for g in by_name] == ["two"]
    assert [g["TargetGroupName"] for g in by_arn] == ["one"]


def test_describe_target_groups_unknown_refused(elbv2: Any, vpc: str) -> None:
    arn = target_group(elbv2, vpc)
    for kwargs in ({"Names": ["nope"]}, {"TargetGroupArns": [arn[:-1] + "0"]}):
        with pytest.raises(ClientError) as error:
            elbv2.describe_target_groups(**kwargs)
        assert error_code(error) == "TargetGroupNotFound"


def test_describe_target_groups_by_load_balancer(elbv2: Any, vpc: str, alb: str) -> None:
    used = target_group(elbv2, vpc, name="used")
    target_group(elbv2, vpc, name="idle")
    elbv2.create_listener(
        LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=forward(used)
    )
    found = elbv2.describe_target_groups(LoadBalancerArn=alb)["TargetGroups"]
    assert [(g["TargetGroupName"], g["LoadBalancerArns"]) for g in found] == [("used", [alb])]


def test_describe_target_groups_unknown_load_balancer_refused(elbv2: Any, alb: str) -> None:
    elbv2.delete_load_balancer(LoadBalancerArn=alb)
    with pytest.raises(ClientError) as error:
        elbv2.describe_target_groups(LoadBalancerArn=alb)
    assert error_code(error) == "LoadBalancerNotFound"


def test_modify_target_group_changes_health_check(elbv2: Any, vpc: str) -> None:
    arn = target_group(elbv2, vpc)
    changed = elbv2.modify_target_group(
        TargetGroupArn=arn,
        HealthCheckPath="/health",
        HealthCheckIntervalSeconds=10,
        HealthyThresholdCount=2,
        Matcher={"HttpCode": "200-299"},
    )["TargetGroups"][0]
    assert changed["HealthCheckPath"] == "/health"
    assert changed["HealthCheckIntervalSeconds"] == 10
    assert changed["HealthyThresholdCount"] == 2
    assert changed["Matcher"] == {"HttpCode": "200-299"}
    shown = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
    assert shown["HealthCheckPath"] == "/health"


def test_modify_target_group_timeout_not_below_interval_refused(elbv2: Any, vpc: str) -> None:
    arn = target_group(elbv2, vpc)
    with pytest.raises(ClientError) as error:
        elbv2.modify_target_group(TargetGroupArn=arn, HealthCheckIntervalSeconds=5)
    assert error_code(error) == "ValidationError"
    shown = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
    assert shown["HealthCheckIntervalSeconds"] == 30


def test_modify_target_group_unknown_refused(elbv2: Any, vpc: str) -> None:
    arn = target_group(elbv2, vpc)
    elbv2.delete_target_group(TargetGroupArn=arn)
    with pytest.raises(ClientError) as error:
        elbv2.modify_target_group(TargetGroupArn=arn, HealthCheckPath="/x")
    assert error_code(error) == "TargetGroupNotFound"


def test_describe_target_group_attributes_defaults(elbv2: Any, vpc: str) -> None:
    arn = target_group(elbv2, vpc)
    attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    values = {a["Key"]: a["Value"] for a in attributes}
    assert values["deregistration_delay.timeout_seconds"] == "300"
    assert values["stickiness.enabled"] == "false"
    assert values["load_balancing.algorithm.type"] == "round_robin"
    assert values["slow_start.duration_seconds"] == "0"


def test_modify_target_group_attributes_changes_delay(elbv2: Any, vpc: str) -> None:
    arn = target_group(elbv2, vpc)
    elbv2.modify_target_group_attributes(
        TargetGroupArn=arn,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}],
    )
    attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "5"} in attributes


@pytest.mark.parametrize(
    ("key", "value"),
    [("deregistration_delay.timeout_seconds", "3601"), ("nope", "1"), ("stickiness.enabled", "1")],
)
def test_modify_target_group_attributes_bad_value_refused(
    elbv2: Any, vpc: str, key: str, value: str
) -> None:
    arn = target_group(elbv2, vpc)
    with pytest.raises(ClientError) as error:
        elbv2.modify_target_group_attributes(
            TargetGroupArn=arn, Attributes=[{"Key": key, "Value": value}]
        )
    assert error_code(error) == "ValidationError"
    attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "300"} in attributes


def test_delete_target_group_removes_it(elbv2: Any, vpc: str) -> None:
    arn = target_group(elbv2, vpc)
    elbv2.delete_target_group(TargetGroupArn=arn)
    assert _group_names(elbv2) == []
    elbv2.delete_target_group(TargetGroupArn=arn)  # an unknown group: succeeds, as on AWS


def test_delete_target_group_in_use_refused(elbv2: Any, vpc: str, alb: str) -> None:
    arn = target_group(elbv2, vpc)
    elbv2.create_listener(
        LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=forward(arn)
    )
    with pytest.raises(ClientError) as error:
        elbv2.delete_target_group(TargetGroupArn=arn)
    assert error_code(error) == "ResourceInUse"
    assert f"Target group '{arn}' is currently in use by a listener or a rule" in str(error.value)
    assert _group_names(elbv2) == ["bgkit-tg-1"]


def test_add_tags_on_target_group(elbv2: Any, vpc: str) -> None:
    arn = target_group(elbv2, vpc, Tags=[{"Key": "color", "Value": "blue"}])
    elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": "app", "Value": "fizzbuzz"}])
    tags = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "color", "Value": "blue"}, {"Key": "app", "Value": "fizzbuzz"}]


def test_add_tags_unknown_target_group_refused(elbv2: Any, vpc: str) -> None:
    arn = target_group(elbv2, vpc)
    elbv2.delete_target_group(TargetGroupArn=arn)
    with pytest.raises(ClientError) as error:
        elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": "a", "Value": "1"}])
    assert error_code(error) == "TargetGroupNotFound"

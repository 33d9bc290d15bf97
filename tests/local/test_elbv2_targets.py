"""ELBv2 targets through real boto3 clients: registration, draining on the local clock, health."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from elb import error_code, forward, target_group

from bgkit.local.server import LocalCloud

pytestmark = pytest.mark.control_plane


def _health(elbv2: Any, group: str, **extra: Any) -> list[dict[str, Any]]:
    return elbv2.describe_target_health(TargetGroupArn=group, **extra)["TargetHealthDescriptions"]


def _states(elbv2: Any, group: str) -> list[tuple[str, str, str | None]]:
    return [
        (d["Target"]["Id"], d["TargetHealth"]["State"], d["TargetHealth"].get("Reason"))
        for d in _health(elbv2, group)
    ]


@pytest.fixture
def used(elbv2: Any, vpc: str, alb: str) -> str:
    """A target group that port 80 of the load balancer forwards to."""
    group = target_group(elbv2, vpc)
    elbv2.create_listener(
        LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=forward(group)
    )
    return group


def _write_health(cloud: LocalCloud, group: str, target: str, port: int, **health: Any) -> None:
    """What the data plane's health checker does after checking a target."""
    ctx = cloud.context("elbv2", "health-check", "us-east-1")
    with cloud.store.transaction():
        ctx.records("target-health").put(
            f"{group}|{target}|{port}", {**health, "_checked_at": cloud.clock.now()}
        )


def test_register_targets_loopback_default_port(elbv2: Any, vpc: str) -> None:
    group = target_group(elbv2, vpc)
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "127.0.0.1"}])
    described = _health(elbv2, group)
    assert described == [
        {
            "Target": {"Id": "127.0.0.1", "Port": 80},
            "HealthCheckPort": "80",
            "TargetHealth": {
                "State": "unused",
                "Reason": "Target.NotInUse",
                "Description": "Target group is not configured to receive traffic from the load "
                "balancer",
            },
        }
    ]


def test_register_targets_vpc_address_gets_zone(elbv2: Any, vpc: str) -> None:
    group = target_group(elbv2, vpc)
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "172.31.16.10", "Port": 8080}])
    target = _health(elbv2, group)[0]["Target"]
    assert target == {"Id": "172.31.16.10", "Port": 8080, "AvailabilityZone": "us-east-1b"}


def test_register_targets_is_idempotent(elbv2: Any, vpc: str) -> None:
    group = target_group(elbv2, vpc)
    for _ in range(2):
        elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "127.0.0.1", "Port": 9000}])
    assert len(_health(elbv2, group)) == 1


def test_register_targets_public_address_refused(elbv2: Any, vpc: str) -> None:
    group = target_group(elbv2, vpc)
    with pytest.raises(ClientError) as error:
        elbv2.register_targets(
            TargetGroupArn=group, Targets=[{"Id": "127.0.0.2"}, {"Id": "8.8.8.8"}]
        )
    assert error_code(error) == "InvalidTarget"
    assert _health(elbv2, group) == []


def test_register_targets_instance_refused(elbv2: Any, vpc: str) -> None:
    made = elbv2.create_target_group(Name="inst", Protocol="HTTP", Port=80, VpcId=vpc)
    group = made["TargetGroups"][0]["TargetGroupArn"]
    with pytest.raises(ClientError) as error:
        elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "i-0123456789abcdef0"}])
    assert error_code(error) == "InvalidTarget"
    assert "The following targets are not valid instances: 'i-0123456789abcdef0'" in str(
        error.value
    )


def test_register_targets_unknown_group_refused(elbv2: Any, vpc: str) -> None:
    group = target_group(elbv2, vpc)
    elbv2.delete_target_group(TargetGroupArn=group)
    with pytest.raises(ClientError) as error:
        elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "127.0.0.1"}])
    assert error_code(error) == "TargetGroupNotFound"


def test_describe_target_health_initial_when_in_use(elbv2: Any, used: str) -> None:
    elbv2.register_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1", "Port": 9000}])
    health = _health(elbv2, used)[0]["TargetHealth"]
    assert health == {
        "State": "initial",
        "Reason": "Elb.RegistrationInProgress",
        "Description": "Target registration is in progress",
    }


def test_describe_target_health_reads_health_checks(
    cloud: LocalCloud, elbv2: Any, used: str
) -> None:
    targets = [{"Id": "127.0.0.1", "Port": 9000}, {"Id": "127.0.0.1", "Port": 9001}]
    elbv2.register_targets(TargetGroupArn=used, Targets=targets)
    _write_health(cloud, used, "127.0.0.1", 9000, State="healthy")
    _write_health(
        cloud,
        used,
        "127.0.0.1",
        9001,
        State="unhealthy",
        Reason="Target.ResponseCodeMismatch",
        Description="Health checks failed with these codes: [502]",
    )
    described = _health(elbv2, used)
    assert described[0]["TargetHealth"] == {"State": "healthy"}
    assert described[1]["TargetHealth"] == {
        "State": "unhealthy",
        "Reason": "Target.ResponseCodeMismatch",
        "Description": "Health checks failed with these codes: [502]",
    }


def test_describe_target_health_checks_disabled(elbv2: Any, used: str) -> None:
    elbv2.modify_target_group(TargetGroupArn=used, HealthCheckEnabled=False)
    elbv2.register_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1"}])
    assert _states(elbv2, used) == [("127.0.0.1", "unavailable", "Target.HealthCheckDisabled")]


def test_describe_target_health_filter_not_registered(elbv2: Any, used: str) -> None:
    elbv2.register_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1", "Port": 9000}])
    described = _health(elbv2, used, Targets=[{"Id": "10.0.0.5", "Port": 9000}])
    assert described[0]["Target"] == {"Id": "10.0.0.5", "Port": 9000}
    assert described[0]["TargetHealth"]["State"] == "unused"
    assert described[0]["TargetHealth"]["Reason"] == "Target.NotRegistered"


def test_describe_target_health_invalid_target_refused(elbv2: Any, used: str) -> None:
    with pytest.raises(ClientError) as error:
        _health(elbv2, used, Targets=[{"Id": "not-an-ip"}])
    assert error_code(error) == "InvalidTarget"


def test_deregister_targets_drains_on_local_clock(cloud: LocalCloud, elbv2: Any, used: str) -> None:
    elbv2.modify_target_group_attributes(
        TargetGroupArn=used,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}],
    )
    elbv2.register_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1", "Port": 9000}])
    elbv2.deregister_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1", "Port": 9000}])
    assert _states(elbv2, used) == [("127.0.0.1", "draining", "Target.DeregistrationInProgress")]
    cloud.clock.advance(29)
    assert _states(elbv2, used)[0][1] == "draining"
    cloud.clock.advance(2)
    assert _health(elbv2, used) == []


def test_deregister_targets_zero_delay_ends_at_once(elbv2: Any, used: str) -> None:
    elbv2.modify_target_group_attributes(
        TargetGroupArn=used,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "0"}],
    )
    elbv2.register_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1"}])
    elbv2.deregister_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1"}])
    assert _health(elbv2, used) == []


def test_register_targets_again_while_draining(cloud: LocalCloud, elbv2: Any, used: str) -> None:
    elbv2.register_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1"}])
    _write_health(cloud, used, "127.0.0.1", 80, State="healthy")
    elbv2.deregister_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1"}])
    elbv2.register_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1"}])
    assert _states(elbv2, used) == [("127.0.0.1", "initial", "Elb.RegistrationInProgress")]


def test_deregister_targets_not_registered_refused(elbv2: Any, used: str) -> None:
    elbv2.register_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1"}])
    with pytest.raises(ClientError) as error:
        elbv2.deregister_targets(
            TargetGroupArn=used, Targets=[{"Id": "127.0.0.1"}, {"Id": "127.0.0.9"}]
        )
    assert error_code(error) == "InvalidTarget"
    assert _states(elbv2, used)[0][1] == "initial"


def test_a_drained_registration_ends_after_the_deregistration_delay(
    cloud: LocalCloud, elbv2: Any, used: str
) -> None:
    # ELBv2 keeps a deregistered target "draining" for deregistration_delay.timeout_seconds
    # (300 by default), then forgets it; the local cloud's passes end it on the local clock.
    elbv2.register_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1"}])
    elbv2.deregister_targets(TargetGroupArn=used, Targets=[{"Id": "127.0.0.1"}])
    cloud.advance()
    assert _states(elbv2, used) == [("127.0.0.1", "draining", "Target.DeregistrationInProgress")]
    cloud.clock.advance(300)
    cloud.advance()
    assert cloud.context("elbv2", "check", "us-east-1").records("target").list() == []


def test_delete_target_group_forgets_targets(cloud: LocalCloud, elbv2: Any, vpc: str) -> None:
    group = target_group(elbv2, vpc)
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "127.0.0.1"}])
    elbv2.delete_target_group(TargetGroupArn=group)
    ctx = cloud.context("elbv2", "check", "us-east-1")
    assert ctx.records("target").list() == []

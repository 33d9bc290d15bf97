"""Health checks on the local clock, their states and reason codes, failing open, draining."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from bgkit.local.dataplane.balancer import SmoothWeighted, Target, wildcard
from bgkit.local.dataplane.health import apply_result, matcher

if TYPE_CHECKING:
    from conftest import Backend, Backends, Elb

INTERVAL = 10
SETTINGS = {
    "HealthCheckIntervalSeconds": INTERVAL,
    "HealthCheckTimeoutSeconds": 5,
    "HealthyThresholdCount": 3,
    "UnhealthyThresholdCount": 2,
}


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``predicate`` until it is true (health checks run on their own)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"still false after {timeout} s")


def record(elb: Elb, group: str, backend: Backend) -> dict[str, Any] | None:
    key = f"{group}|127.0.0.1|{backend.port}"
    return elb.cloud.store.get(f"123456789012/{elb.region}", "target-health", key)


def checks(elb: Elb, group: str, backend: Backend) -> int:
    found = record(elb, group, backend) or {}
    return found.get("_successes", 0) + found.get("_failures", 0)


def next_check(elb: Elb, group: str, *backends: Backend) -> None:
    """Let one health check interval pass on the local clock and wait for its checks."""
    stamps = [(record(elb, group, b) or {}).get("_checked_at") for b in backends]
    elb.cloud.clock.advance(INTERVAL)
    wait_for(
        lambda: all(
            (record(elb, group, b) or {}).get("_checked_at") not in (None, 0.0, stamp)
            for b, stamp in zip(backends, stamps, strict=True)
        )
    )


def serving(elb: Elb, *started: Backend) -> str:
    """A listener on 8001 forwarding to a new group holding these backends; the group's ARN."""
    lb = elb.load_balancer("web")
    group = elb.target_group("web-1", **SETTINGS)
    elb.register(group, *started)
    elb.listener(lb, 8001, group)
    return group


def test_a_new_target_is_healthy_after_one_passed_check(elb: Elb, backends: Backends) -> None:
    blue = backends.start("blue")
    lb = elb.load_balancer("web")
    group = elb.target_group("web-1", **SETTINGS)
    elb.register(group, blue)
    assert elb.health(group)[blue.port]["State"] == "unused"  # no listener uses the group

    elb.listener(lb, 8001, group)
    wait_for(lambda: checks(elb, group, blue) >= 1)
    assert elb.health(group)[blue.port] == {"State": "healthy"}
    assert record(elb, group, blue)["_successes"] == 1  # one check was enough (AWS's rule)


@pytest.mark.parametrize(
    ("fault", "reason", "description"),
    [
        ("code", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]"),
        ("slow", "Target.Timeout", "Request timed out"),
        ("down", "Target.FailedHealthChecks", "Health checks failed"),
    ],
)
def test_failed_checks_make_a_target_unhealthy_with_the_reason(
    elb: Elb, backends: Backends, fault: str, reason: str, description: str
) -> None:
    blue = backends.start("blue")
    if fault == "code":
        blue.health = 500
    elif fault == "slow":
        blue.health_delay = 1.0
        elb.cloud.clock.set_speed(20)  # a 5 s timeout is 0.25 s of wall time
    else:
        backends.stop(blue)
    lb = elb.load_balancer("web")
    group = elb.target_group("web-1", **SETTINGS)
    elb.register(group, blue)
    elb.listener(lb, 8001, group)

    wait_for(lambda: checks(elb, group, blue) >= 1)
    assert elb.health(group)[blue.port] == {
        "State": "initial",
        "Reason": "Elb.InitialHealthChecking",
        "Description": "Initial health checks in progress",
    }
    next_check(elb, group, blue)  # the unhealthy threshold: 2 consecutive failures
    assert elb.health(group)[blue.port] == {
        "State": "unhealthy",
        "Reason": reason,
        "Description": description,
    }


def test_an_unhealthy_target_needs_the_healthy_threshold_to_return(
    elb: Elb, backends: Backends
) -> None:
    blue = backends.start("blue")
    group = serving(elb, blue)
    wait_for(lambda: checks(elb, group, blue) >= 1)
    blue.health = 503
    next_check(elb, group, blue)
    next_check(elb, group, blue)
    assert elb.health(group)[blue.port]["State"] == "unhealthy"

    blue.health = 200
    for _ in range(SETTINGS["HealthyThresholdCount"] - 1):
        next_check(elb, group, blue)
        assert elb.health(group)[blue.port]["State"] == "unhealthy"
    next_check(elb, group, blue)
    assert elb.health(group)[blue.port] == {"State": "healthy"}


def test_requests_avoid_unhealthy_targets_and_fail_open_when_none_is_healthy(
    elb: Elb, backends: Backends
) -> None:
    one, two = backends.start("one"), backends.start("two")
    one.health = 500  # before the first check
    group = serving(elb, one, two)
    wait_for(lambda: checks(elb, group, one) >= 1 and checks(elb, group, two) >= 1)
    next_check(elb, group, one, two)
    assert [h["State"] for h in elb.health(group).values()] == ["unhealthy", "healthy"]
    assert {elb.get(8001).text for _ in range(10)} == {"two"}

    two.health = 500
    next_check(elb, group, one, two)
    next_check(elb, group, one, two)
    assert [h["State"] for h in elb.health(group).values()] == ["unhealthy", "unhealthy"]
    answers = [elb.get(8001).text for _ in range(10)]
    assert sorted(set(answers)) == ["one", "two"]  # every target, healthy or not


def test_a_draining_target_finishes_its_requests_and_takes_no_new_ones(
    elb: Elb, backends: Backends
) -> None:
    old = backends.start("old")
    group = serving(elb, old)
    elb.client.modify_target_group_attributes(
        TargetGroupArn=group,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}],
    )
    wait_for(lambda: elb.health(group)[old.port]["State"] == "healthy")
    slow: dict[str, Any] = {}
    request = threading.Thread(target=lambda: slow.update(answer=elb.get(8001, "/?ms=1500")))
    request.start()
    wait_for(lambda: old.requests == 1)  # in flight on the old target

    new = backends.start("new")
    elb.register(group, new)
    elb.deregister(group, old)
    assert elb.health(group)[old.port]["State"] == "draining"
    assert {elb.get(8001).text for _ in range(10)} == {"new"}
    request.join(10)
    assert (slow["answer"].status, slow["answer"].text) == (200, "old")

    elb.cloud.clock.advance(30)
    elb.reconcile()
    assert list(elb.health(group)) == [new.port]
    assert [t["Port"] for t in elb.cloud.store.list(None, "target")] == [new.port]


# -- the pieces, alone ---------------------------------------------------------------------


def test_matcher_takes_codes_ranges_and_lists() -> None:
    assert [matcher("200")(c) for c in (200, 201)] == [True, False]
    assert [matcher("200-299")(c) for c in (199, 200, 299, 300)] == [False, True, True, False]
    assert [matcher("200,302")(c) for c in (200, 301, 302)] == [True, False, True]


def test_states_follow_elb() -> None:
    group = {"HealthyThresholdCount": 2, "UnhealthyThresholdCount": 3}
    target = Target("k", "tg", "127.0.0.1", 80, "p")
    apply_result(target, False, "Target.Timeout", "Request timed out", group, 1.0)
    assert (target.state, target.reason) == ("initial", "Elb.InitialHealthChecking")
    apply_result(target, True, None, None, group, 2.0)
    assert target.state == "healthy"
    for _ in range(2):
        apply_result(target, False, "Target.Timeout", "Request timed out", group, 3.0)
    assert target.state == "healthy"
    apply_result(target, False, "Target.Timeout", "Request timed out", group, 4.0)
    assert (target.state, target.reason) == ("unhealthy", "Target.Timeout")
    apply_result(target, True, None, None, group, 5.0)
    assert target.state == "unhealthy"
    apply_result(target, True, None, None, group, 6.0)
    assert (target.state, target.reason, target.successes) == ("healthy", None, 2)


def test_smooth_weighted_round_robin_is_exact_and_interleaved() -> None:
    choice = SmoothWeighted([("a", 90), ("b", 10), ("c", 0)])
    picks = [choice.pick() for _ in range(100)]
    assert (picks.count("a"), picks.count("b"), picks.count("c")) == (90, 10, 0)
    assert max(len(run) for run in "".join(picks).split("b")) <= 10
    assert SmoothWeighted([("a", 0)]).pick() is None


def test_wildcards() -> None:
    assert wildcard("/api/*", True).match("/api/x/y")
    assert not wildcard("/api/*", True).match("/API/x")
    assert wildcard("*.example.com", False).match("WWW.Example.com")
    assert wildcard("/v?", True).match("/v2") and not wildcard("/v?", True).match("/v22")

"""A CODE_DEPLOY service on the whole local cloud: real task processes behind a real listener."""

from __future__ import annotations

import urllib.request

import pytest
from ecs_world import make_world, targets
from waiting import wait_for

pytestmark = pytest.mark.slow


def test_code_deploy_service_serves_the_nginx_page(cloud, client):
    cloud.clock.set_speed(10)  # health checks every 5 local seconds: twice a wall second
    world = make_world(cloud, client)
    world.create_service(healthCheckGracePeriodSeconds=30)
    wait_for(
        "two healthy targets",
        lambda: [t["TargetHealth"]["State"] for t in targets(world)] == ["healthy", "healthy"],
    )
    tasks = world.tasks()
    assert [t["lastStatus"] for t in tasks] == ["RUNNING", "RUNNING"]
    url = f"http://127.0.0.1:{cloud.listener_offset + 80}/"
    with urllib.request.urlopen(url, timeout=5) as answer:
        assert "Welcome to nginx!" in answer.read().decode()
    wait_for(
        "a steady state",
        lambda: (
            world.service()["events"][0]["message"] == "(service web) has reached a steady state."
        ),
    )

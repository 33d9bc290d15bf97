"""The article's flow the built-in way, on the whole local cloud: Nginx, then FizzBuzz with a
pause hook after the test traffic shift, real task processes behind real listeners, and steady
traffic on both listeners that never fails."""

from __future__ import annotations

import pytest
from ecs_bluegreen_world import make_bluegreen, pause_hook
from ecs_world import targets
from test_codedeploy_end_to_end import Traffic, page, wait_for

pytestmark = pytest.mark.slow

NGINX, FIZZBUZZ = "Welcome to nginx!", "<h1>FizzBuzz</h1>"


def test_built_in_blue_green_deploys_fizzbuzz_with_no_failed_request(cloud, client):
    cloud.clock.set_speed(10)  # health checks every 5 local seconds: twice a wall second
    bg = make_bluegreen(cloud, client)
    bg.world.create_service(
        controller="ECS",
        loadBalancers=bg.balancers(),
        healthCheckGracePeriodSeconds=30,
        deploymentConfiguration={
            "strategy": "BLUE_GREEN",
            "bakeTimeInMinutes": 1,
            "lifecycleHooks": [pause_hook("POST_TEST_TRAFFIC_SHIFT", minutes=60)],
        },
    )
    wait_for(
        "two healthy Nginx targets",
        lambda: [t["TargetHealth"]["State"] for t in targets(bg.world)] == ["healthy", "healthy"],
    )
    production = f"http://127.0.0.1:{cloud.listener_offset + 80}/"
    test = f"http://127.0.0.1:{cloud.listener_offset + 8080}/"
    wait_for("Nginx on 80", lambda: NGINX in page(production))
    assert NGINX in page(test)
    with Traffic(production) as on_80, Traffic(test) as on_8080:
        arn = bg.update()
        hook = wait_for("the pause hook", lambda: bg.awaiting(arn))[0]
        assert bg.stage(arn) == "POST_TEST_TRAFFIC_SHIFT"
        assert NGINX in page(production)
        assert FIZZBUZZ in page(test)
        bg.ecs.continue_service_deployment(
            serviceDeploymentArn=arn, hookId=hook["hookId"], action="CONTINUE"
        )
        wait_for("FizzBuzz on 80", lambda: FIZZBUZZ in page(production))
        wait_for("the deployment to succeed", lambda: bg.deployment(arn)["status"] == "SUCCESSFUL")
        assert FIZZBUZZ in page(production)
        assert FIZZBUZZ in page(test)
    (only,) = bg.world.service()["deployments"]
    assert (only["status"], only["taskDefinition"]) == ("PRIMARY", bg.fizzbuzz)
    assert on_80.failures == [] and on_8080.failures == []
    assert on_80.ok > 10 and on_8080.ok > 10

"""ECS's built-in blue/green deployments through boto3: lifecycle stages, pause hooks, traffic
shifting on listener rules, rollback — with the runtime and health checker played by hand and
local time advanced by hand."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from ecs_bluegreen_world import cloud, make_bluegreen, pause_hook  # noqa: F401

pytestmark = pytest.mark.control_plane

STAGES = [
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
]


@pytest.fixture
def bg(cloud, client):  # noqa: F811
    return make_bluegreen(cloud, client)


def code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def running(bg, hooks=None, **config):
    """A healthy Nginx service whose first deployment has succeeded."""
    bg.create_service(hooks=hooks, **config)
    bg.settle()
    assert bg.deployment(bg.current())["status"] == "SUCCESSFUL"
    return bg


def paused(bg, **hook):
    """FizzBuzz deployed and paused after the test traffic shift; its deployment ARN."""
    running(bg, hooks=[pause_hook(**hook)])
    arn = bg.update()
    bg.settle()
    assert bg.stage(arn) == "POST_TEST_TRAFFIC_SHIFT"
    return arn


# --- CreateService --------------------------------------------------------------------------------


def test_create_service_keeps_the_strategy_and_advanced_configuration(bg):
    service = bg.create_service(hooks=[pause_hook()])
    assert service["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    assert service["deploymentConfiguration"]["bakeTimeInMinutes"] == 5
    assert service["loadBalancers"][0]["advancedConfiguration"] == bg.advanced()
    assert service["currentServiceDeployment"].startswith(
        "arn:aws:ecs:us-east-1:123456789012:service-deployment/bgkit/web/"
    )


def test_first_deployment_succeeds_once_the_tasks_are_healthy(bg):
    bg.create_service()
    arn = bg.current()
    bg.tick()
    assert bg.deployment(arn)["status"] == "IN_PROGRESS"
    bg.settle()
    shown = bg.deployment(arn)
    assert shown["status"] == "SUCCESSFUL"
    assert shown["sourceServiceRevisions"] == []
    assert shown["targetServiceRevision"]["runningTaskCount"] == 2
    listed = bg.ecs.list_service_deployments(cluster="bgkit", service="web")
    assert [d["serviceDeploymentArn"] for d in listed["serviceDeployments"]] == [arn]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"strategy": "BLUE_GREEN"},
            "bakeTimeInMinutes must be provided for the BLUE_GREEN deployment strategy.",
        ),
        (
            {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1, "lifecycleHooks": [
                {"targetType": "SLEEP", "lifecycleStages": ["PRE_SCALE_UP"]}]},
            "Invalid targetType. Valid values are: AWS_LAMBDA, PAUSE",
        ),
        (
            {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1,
             "lifecycleHooks": [pause_hook("TEST_TRAFFIC_SHIFT")]},
            "Invalid lifecycle stage provided for Pause Hook",
        ),
        (
            {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1,
             "linearConfiguration": {"stepPercent": 10.0, "stepBakeTimeInMinutes": 1}},
            "linearConfiguration is only valid when the deployment strategy is LINEAR.",
        ),
        (
            {"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 2.0}},
            "linearConfiguration.stepPercent must be a multiple of 0.1 from 3.0 to 100.0.",
        ),
    ],
)  # fmt: skip
def test_create_service_refuses_a_wrong_deployment_configuration(bg, config, message):
    with pytest.raises(ClientError) as error:
        bg.world.create_service(
            controller="ECS", loadBalancers=bg.balancers(), deploymentConfiguration=config
        )
    assert code(error) == ("InvalidParameterException", message)


def test_create_service_refuses_a_lambda_hook_without_its_function(bg):
    hook = {"targetType": "AWS_LAMBDA", "roleArn": bg.role_arn,
            "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}  # fmt: skip
    with pytest.raises(ClientError) as error:
        bg.create_service(hooks=[hook])
    assert code(error) == (
        "InvalidParameterException",
        "hookTargetArn must be provided for an AWS_LAMBDA lifecycle hook.",
    )


def test_create_service_refuses_a_strategy_with_the_code_deploy_controller(bg):
    with pytest.raises(ClientError) as error:
        bg.world.create_service(
            loadBalancers=bg.balancers(),
            deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1},
        )
    assert code(error)[0] == "InvalidParameterException"
    assert "ECS deployment controller" in code(error)[1]


def refused(bg, balancers):
    with pytest.raises(ClientError) as error:
        bg.world.create_service(
            controller="ECS",
            loadBalancers=balancers,
            deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1},
        )
    return code(error)


def test_create_service_refuses_a_listener_for_a_rule(bg):
    balancers = bg.balancers(productionListenerRule=bg.listeners[0])
    assert refused(bg, balancers) == (
        "InvalidParameterException",
        "productionListenerRule has an invalid ARN format. Must be RuleArn for ALB or ListenerArn "
        f"for NLB. Got: {bg.listeners[0]}",
    )


def test_create_service_refuses_one_rule_for_production_and_test(bg):
    balancers = bg.balancers(testListenerRule=bg.production_rule)
    assert refused(bg, balancers) == (
        "InvalidParameterException",
        "The following rules cannot be used as both production and test listener rules: "
        f"{bg.production_rule}",
    )


def test_create_service_needs_a_test_rule_when_production_holds_one_group(bg):
    balancers = bg.balancers()
    del balancers[0]["advancedConfiguration"]["testListenerRule"]
    assert refused(bg, balancers) == (
        "InvalidParameterException",
        "For Application LoadBalancer, testListenerRule is required when productionListenerRule "
        "is not associated with both targetGroup and alternateTargetGroup",
    )


def test_create_service_needs_advanced_configuration_for_blue_green(bg):
    assert refused(bg, bg.world.balancer()) == (
        "InvalidParameterException",
        "advancedConfiguration field is required for all loadBalancers when using a non-ROLLING "
        "deployment strategy",
    )


def test_create_service_refuses_the_same_group_twice(bg):
    balancers = bg.balancers(alternateTargetGroupArn=bg.world.target_groups[0])
    assert refused(bg, balancers) == (
        "InvalidParameterException",
        f"Duplicate targetGroupArn found: {bg.world.target_groups[0]}",
    )


# --- the lifecycle --------------------------------------------------------------------------------


def test_update_service_goes_through_the_lifecycle_stages_in_order(bg):
    running(bg)
    arn = bg.update()
    seen = []
    for _ in range(12):
        bg.settle(rounds=1)
        stage = bg.stage(arn)
        if stage and (not seen or seen[-1] != stage):
            seen.append(stage)
        if stage == "BAKE_TIME":
            bg.tick(5 * 60)
        if stage == "CLEAN_UP":
            bg.drain()
    shown = bg.deployment(arn)
    assert shown["status"] == "SUCCESSFUL"
    assert shown["lifecycleStage"] == "CLEAN_UP"
    assert [s for s in STAGES if s in seen] == seen  # never out of order
    assert {"SCALE_UP", "BAKE_TIME", "CLEAN_UP"} <= set(seen)
    (only,) = bg.world.service()["deployments"]
    assert only["taskDefinition"] == bg.fizzbuzz
    assert bg.weights(bg.production_rule) == {"1": 0, "2": 100}
    assert bg.weights(bg.test_rule) == {"1": 0, "2": 100}


def test_a_pause_hook_holds_production_on_blue_and_test_on_green(bg):
    arn = paused(bg)
    shown = bg.deployment(arn)
    (hook,) = shown["lifecycleHookDetails"]
    assert hook["hookId"].startswith("ecs-pause-") and len(hook["hookId"]) == 53
    assert (hook["targetType"], hook["status"], hook["timeoutAction"]) == (
        "PAUSE",
        "AWAITING_ACTION",
        "ROLLBACK",
    )
    assert shown["status"] == "IN_PROGRESS"
    assert bg.weights(bg.production_rule) == {"1": 1}
    assert bg.weights(bg.test_rule) == {"1": 0, "2": 100}
    (source,) = shown["sourceServiceRevisions"]
    target = shown["targetServiceRevision"]
    assert (source["requestedProductionTrafficWeight"], source["requestedTestTrafficWeight"]) == (
        100.0,
        0.0,
    )
    assert (target["requestedProductionTrafficWeight"], target["runningTaskCount"]) == (0.0, 2)
    deployments = {d["status"]: d["taskDefinition"] for d in bg.world.service()["deployments"]}
    assert deployments == {"PRIMARY": bg.fizzbuzz, "ACTIVE": bg.world.task_definition}


def test_continue_service_deployment_shifts_production_traffic(bg):
    arn = paused(bg)
    (hook,) = bg.awaiting(arn)
    answer = bg.ecs.continue_service_deployment(
        serviceDeploymentArn=arn, hookId=hook["hookId"], action="CONTINUE"
    )
    assert answer["serviceDeploymentArn"] == arn
    assert bg.weights(bg.production_rule) == {"1": 0, "2": 100}
    assert bg.stage(arn) == "BAKE_TIME"
    assert bg.deployment(arn)["lifecycleHookDetails"][0]["status"] == "SUCCEEDED"
    assert len(bg.world.service()["deployments"]) == 2  # blue runs through the bake time
    bg.tick(5 * 60)
    bg.settle()
    assert bg.stage(arn) == "CLEAN_UP"
    bg.drain()
    assert bg.deployment(arn)["status"] == "SUCCESSFUL"


def test_a_pause_hook_that_times_out_rolls_back(bg):
    arn = paused(bg, minutes=10)
    bg.tick(10 * 60)
    bg.settle()
    shown = bg.deployment(arn)
    assert shown["status"] == "ROLLBACK_SUCCESSFUL"
    reason = "Service deployment rolled back because POST_TEST_TRAFFIC_SHIFT pause hook timed out."
    assert shown["statusReason"] == reason
    assert shown["rollback"]["reason"] == reason
    assert shown["rollback"]["serviceRevisionArn"] == shown["sourceServiceRevisions"][0]["arn"]
    assert shown["lifecycleHookDetails"][0]["status"] == "TIMED_OUT"
    assert bg.weights(bg.test_rule) == {"1": 1, "2": 0}
    assert bg.weights(bg.production_rule) == {"1": 1}
    bg.drain()
    (only,) = bg.world.service()["deployments"]
    assert (only["status"], only["taskDefinition"]) == ("PRIMARY", bg.world.task_definition)
    assert bg.world.service()["taskDefinition"] == bg.world.task_definition


def test_a_pause_hook_may_continue_on_timeout(bg):
    arn = paused(bg, minutes=1, action="CONTINUE")
    bg.tick(60)
    assert bg.deployment(arn)["lifecycleHookDetails"][0]["status"] == "TIMED_OUT"
    assert bg.stage(arn) == "BAKE_TIME"
    assert bg.weights(bg.production_rule) == {"1": 0, "2": 100}


def test_continue_service_deployment_can_roll_back(bg):
    arn = paused(bg)
    (hook,) = bg.awaiting(arn)
    bg.ecs.continue_service_deployment(
        serviceDeploymentArn=arn, hookId=hook["hookId"], action="ROLLBACK"
    )
    bg.settle()
    assert bg.deployment(arn)["status"] == "ROLLBACK_SUCCESSFUL"
    assert bg.weights(bg.test_rule) == {"1": 1, "2": 0}


def test_stop_service_deployment_rolls_back_during_the_bake_time(bg):
    running(bg)
    arn = bg.update()
    bg.settle()
    assert bg.stage(arn) == "BAKE_TIME"
    assert bg.weights(bg.production_rule) == {"1": 0, "2": 100}
    bg.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    shown = bg.deployment(arn)
    assert shown["status"] == "ROLLBACK_SUCCESSFUL"  # blue still runs: at once
    assert bg.weights(bg.production_rule) == {"1": 1}
    with pytest.raises(ClientError) as error:
        bg.ecs.stop_service_deployment(serviceDeploymentArn=arn)
    assert code(error)[0] == "ConflictException"


def test_next_deployment_goes_back_to_the_first_target_group(bg):
    running(bg)
    first = bg.update()
    bg.settle()
    bg.tick(5 * 60)
    bg.settle()
    bg.drain()
    assert bg.deployment(first)["status"] == "SUCCESSFUL"
    second = bg.update(bg.world.task_definition)
    bg.settle()
    bg.tick(5 * 60)
    bg.settle()
    bg.drain()
    assert bg.deployment(second)["status"] == "SUCCESSFUL"
    assert bg.weights(bg.production_rule) == {"1": 100, "2": 0}
    revision = bg.ecs.describe_service_revisions(
        serviceRevisionArns=[bg.deployment(second)["targetServiceRevision"]["arn"]]
    )["serviceRevisions"][0]
    assert revision["taskDefinition"] == bg.world.task_definition
    assert revision["resolvedConfiguration"]["loadBalancers"] == [
        {"targetGroupArn": bg.world.target_groups[0], "productionListenerRule": bg.production_rule}
    ]
    listed = bg.ecs.list_service_deployments(cluster="bgkit", service="web")["serviceDeployments"]
    assert [d["serviceDeploymentArn"] for d in listed][:2] == [second, first]


def test_linear_shifts_production_traffic_step_by_step(bg):
    running(
        bg,
        strategy="LINEAR",
        bakeTimeInMinutes=0,
        linearConfiguration={"stepPercent": 25.0, "stepBakeTimeInMinutes": 1},
    )
    arn = bg.update()
    bg.settle()
    seen = [bg.weights(bg.production_rule)["2"]]
    for _ in range(4):
        bg.tick(60)
        seen.append(bg.weights(bg.production_rule)["2"])
    assert seen == [25, 50, 75, 100, 100]
    assert bg.stage(arn) == "CLEAN_UP"


def test_canary_shifts_a_share_then_the_rest(bg):
    running(
        bg,
        strategy="CANARY",
        bakeTimeInMinutes=0,
        canaryConfiguration={"canaryPercent": 12.5, "canaryBakeTimeInMinutes": 3},
    )
    bg.update()
    bg.settle()
    assert bg.weights(bg.production_rule) == {"1": 875, "2": 125}
    bg.tick(179)
    assert bg.weights(bg.production_rule) == {"1": 875, "2": 125}
    bg.tick(1)
    assert bg.weights(bg.production_rule) == {"1": 0, "2": 100}


def test_pause_hooks_before_each_linear_step(bg):
    running(
        bg,
        strategy="LINEAR",
        bakeTimeInMinutes=0,
        linearConfiguration={"stepPercent": 50.0, "stepBakeTimeInMinutes": 0},
        hooks=[pause_hook("PRE_PRODUCTION_TRAFFIC_SHIFT")],
    )
    arn = bg.update()
    bg.settle()
    for weight in (50, 100):
        (hook,) = bg.awaiting(arn)
        bg.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"])
        assert bg.weights(bg.production_rule)["2"] == weight
    assert len(bg.deployment(arn)["lifecycleHookDetails"]) == 2


# --- failures found as the deployment starts ------------------------------------------------------


def test_a_role_ecs_cannot_assume_rolls_back(bg):
    running(bg)
    bg.iam.update_assume_role_policy(
        RoleName="bgkit-ecs-infrastructure",
        PolicyDocument=(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
            '{"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
        ),
    )
    arn = bg.update()
    bg.settle()
    shown = bg.deployment(arn)
    assert shown["status"] == "ROLLBACK_SUCCESSFUL"
    assert shown["statusReason"] == (
        "Service deployment rolled back because of invalid networking configuration. ECS was "
        "unable to manage the ELB resources due to missing permissions on ECS Infrastructure Role "
        f"'{bg.role_arn}'."
    )


def test_a_role_without_modify_rule_rolls_back_at_the_test_traffic_shift(cloud, client):  # noqa: F811
    bg = make_bluegreen(cloud, client, role=False)
    bg.iam.put_role_policy(
        RoleName="bgkit-ecs-infrastructure",
        PolicyName="read",
        PolicyDocument=(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
            '"elasticloadbalancing:Describe*", "Resource": "*"}]}'
        ),
    )
    running(bg)
    arn = bg.update()
    bg.settle()
    shown = bg.deployment(arn)
    assert shown["status"] == "ROLLBACK_SUCCESSFUL"
    assert shown["statusReason"] == (
        "Service deployment rolled back because TEST_TRAFFIC_SHIFT lifecycle hook(s) failed. "
        "User: arn:aws:sts::123456789012:assumed-role/bgkit-ecs-infrastructure/"
        "ECSNetworkingWithELB is not authorized to perform: elasticloadbalancing:ModifyRule on "
        f"resource: {bg.test_rule} because no identity-based policy allows the "
        "elasticloadbalancing:ModifyRule action"
    )


def test_a_group_off_both_rules_rolls_back(bg):
    running(bg)
    bg.world.elbv2.modify_rule(
        RuleArn=bg.test_rule,
        Actions=[{"Type": "forward", "TargetGroupArn": bg.world.target_groups[0]}],
    )
    arn = bg.update()
    bg.settle()
    shown = bg.deployment(arn)
    assert shown["status"] == "ROLLBACK_SUCCESSFUL"
    assert shown["statusReason"] == (
        "Service deployment rolled back because of invalid networking configuration: Target "
        f"group {bg.world.target_groups[1]} is not associated with either productionListenerRule "
        "or testListenerRule."
    )


# --- ContinueServiceDeployment and StopServiceDeployment refusals ---------------------------------


def test_continue_refuses_a_malformed_hook_id(bg):
    arn = paused(bg)
    with pytest.raises(ClientError) as error:
        bg.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="approve")
    assert code(error) == (
        "InvalidParameterException",
        "Invalid hookId: hookId must follow the format: ecs-{hookType}-{id}",
    )


def test_continue_refuses_a_hook_that_is_not_waiting(bg):
    arn = paused(bg)
    with pytest.raises(ClientError) as error:
        bg.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="ecs-pause-nope")
    assert code(error) == (
        "InvalidParameterException",
        "Provided hookId is either completed, unavailable, or not associated with the given "
        "Resource ARN",
    )


def test_continue_refuses_a_deployment_that_has_ended(bg):
    arn = paused(bg)
    (hook,) = bg.awaiting(arn)
    bg.ecs.stop_service_deployment(serviceDeploymentArn=arn)
    bg.settle()
    with pytest.raises(ClientError) as error:
        bg.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"])
    assert code(error) == (
        "InvalidParameterException",
        "Continuing a service deployment is not allowed for service deployment in terminal states.",
    )


def test_unknown_service_deployments(bg):
    running(bg)
    missing = bg.current()[:-3] + "xyz"
    with pytest.raises(ClientError) as error:
        bg.ecs.continue_service_deployment(serviceDeploymentArn=missing, hookId="ecs-pause-x")
    assert code(error) == (
        "ServiceDeploymentNotFoundException",
        "The service deployment does not exist.",
    )
    with pytest.raises(ClientError) as error:
        bg.ecs.stop_service_deployment(serviceDeploymentArn=missing)
    assert code(error)[0] == "ServiceDeploymentNotFoundException"
    described = bg.ecs.describe_service_deployments(serviceDeploymentArns=[missing])
    assert described["failures"] == [{"arn": missing, "reason": "MISSING"}]


def test_a_new_update_supersedes_a_paused_deployment(bg):
    first = paused(bg)
    second = bg.update(bg.world.task_definition)
    bg.settle()
    old = bg.deployment(first)
    assert old["status"] == "STOPPED"
    new = bg.deployment(second)
    assert new["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT"
    assert bg.weights(bg.test_rule) == {"1": 0, "2": 100}  # the new green is on -2 again


def test_a_paused_deployment_resumes_after_a_restart(bg, tmp_path):
    from bgkit.local.server import LocalCloud

    arn = paused(bg)
    (hook,) = bg.awaiting(arn)
    bg.cloud.stop()
    with LocalCloud(tmp_path / "state", port=0, clock=1e-6, dataplane=False) as again:
        ecs = again.client("ecs")
        assert (
            ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0][
                "lifecycleStage"
            ]
            == "POST_TEST_TRAFFIC_SHIFT"
        )
        ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"])
        shown = ecs.describe_service_deployments(serviceDeploymentArns=[arn])
        assert shown["serviceDeployments"][0]["lifecycleStage"] == "BAKE_TIME"

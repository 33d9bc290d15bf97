"""Deployments under steady load: every request on listeners 80 and 8080 is answered 200 by the
revision its moment allows, through a reroute, a stop, an expired ready wait, a canary and a
linear shift.

Bounded: 320 requests a second in total over both listeners (:mod:`traffic`), at most 40 s of
traffic a test, a local clock of a minute a second. A request may meet either revision only
while its listener's weights changed: between the last look at ``DescribeListeners`` that still
saw the old weights and :data:`traffic.LAG` after the first look that saw the new ones.
"""

from __future__ import annotations

import time

import pytest
from faults_world import FIZZBUZZ, NGINX, SETTLE, answered, check, wait_for
from traffic import mix

pytestmark = pytest.mark.slow


def test_reroute_and_skipped_termination_wait_lose_no_request(walkthrough, load, listener_log):
    w = walkthrough
    w.deploy.create_group(ready_wait=60, termination_wait=60)
    log = listener_log(w.deploy.cloud.client("elbv2"), w.listeners)
    traffic = load(w.host_ports, seconds=40)
    time.sleep(SETTLE)
    traffic.mark("CreateDeployment")
    deployment = w.deploy.deploy()
    w.wait_status(deployment, "Ready")
    traffic.mark("Ready")
    time.sleep(SETTLE)
    traffic.mark("ContinueDeployment READY_WAIT")
    w.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="READY_WAIT")
    traffic.mark("returned")
    wait_for("the termination wait", lambda: w.target_status(deployment) == "Succeeded")
    traffic.mark("termination wait")
    time.sleep(SETTLE)
    traffic.mark("ContinueDeployment TERMINATION_WAIT")
    w.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT")
    assert w.deploy.status(deployment) == "Succeeded"
    wait_for("the blue task set gone", lambda: len(w.deploy.task_sets()) == 1)
    wait_for("the blue tasks stopped", lambda: not w.tasks_of(w.deploy.world.task_definition)
             or all(t["lastStatus"] == "STOPPED" for t in w.tasks_of(
                 w.deploy.world.task_definition)))  # fmt: skip
    traffic.mark("blue stopped")
    time.sleep(SETTLE)
    check(w, traffic, log)

    assert answered(traffic, 80) == answered(traffic, 8080) == {NGINX, FIZZBUZZ}
    assert len(log.switches(80)) == 2  # the idle group added at weight 0, then the reroute
    assert len(log.switches(8080)) == 2  # the idle group added, then test traffic on green
    window = mix(traffic.samples, 80, NGINX, FIZZBUZZ)
    print(f"port 80: first FizzBuzz {window[0] - traffic.started:.3f} s, last Nginx "
          f"{window[1] - traffic.started:.3f} s")  # fmt: skip
    (only,) = w.deploy.task_sets()
    assert (only["status"], only["taskDefinition"]) == ("PRIMARY", w.deploy.fizzbuzz)


def test_stop_and_roll_back_during_the_ready_wait_loses_no_request(walkthrough, load, listener_log):
    w = walkthrough
    w.deploy.create_group(ready_wait=60, rollback=["DEPLOYMENT_FAILURE"])
    log = listener_log(w.deploy.cloud.client("elbv2"), w.listeners)
    traffic = load(w.host_ports, seconds=40)
    time.sleep(SETTLE)
    traffic.mark("CreateDeployment")
    deployment = w.deploy.deploy()
    w.wait_status(deployment, "Ready")
    traffic.mark("Ready")
    time.sleep(SETTLE)
    traffic.mark("StopDeployment")
    stopped = w.codedeploy.stop_deployment(deploymentId=deployment, autoRollbackEnabled=True)
    traffic.mark("returned")
    assert stopped["status"] == "Pending"
    assert w.deploy.status(deployment) == "Stopped"
    rollback = w.rollback_of(deployment)
    w.wait_status(rollback, "Succeeded")
    traffic.mark("rollback Succeeded")
    wait_for("the green task set gone", lambda: len(w.deploy.task_sets()) == 1)
    time.sleep(SETTLE)
    check(w, traffic, log)

    assert answered(traffic, 80) == {NGINX}
    assert answered(traffic, 8080) == {NGINX, FIZZBUZZ}
    last_fizzbuzz = max(s.end for s in traffic.samples if s.revision == FIZZBUZZ)
    back = log.switches(8080)[-1]
    assert last_fizzbuzz < back.before + 0.5  # nothing from green after the rollback
    (only,) = w.deploy.task_sets()
    assert (only["status"], only["taskDefinition"]) == ("PRIMARY", w.deploy.world.task_definition)


def test_an_expired_ready_wait_stops_and_rolls_back_losing_no_request(
    walkthrough, load, listener_log
):
    w = walkthrough
    w.deploy.cloud.clock.set_speed(30)  # the ready wait of a minute lasts 2 s
    w.deploy.create_group(ready_wait=1, rollback=["DEPLOYMENT_FAILURE"])
    log = listener_log(w.deploy.cloud.client("elbv2"), w.listeners)
    traffic = load(w.host_ports, seconds=40)
    time.sleep(SETTLE)
    traffic.mark("CreateDeployment")
    deployment = w.deploy.deploy()
    w.wait_status(deployment, "Ready")
    traffic.mark("Ready")
    w.wait_status(deployment, "Stopped")
    traffic.mark("Stopped")
    info = w.deploy.info(deployment)
    assert info["errorInformation"] == {
        "code": "TIMEOUT",
        "message": "The deployment timed out while waiting for a notification to continue. "
        "This time out period is 1 minutes.",
    }
    w.wait_status(w.rollback_of(deployment), "Succeeded")
    traffic.mark("rollback Succeeded")
    wait_for("the green task set gone", lambda: len(w.deploy.task_sets()) == 1)
    time.sleep(SETTLE)
    check(w, traffic, log)

    assert answered(traffic, 80) == {NGINX}
    assert answered(traffic, 8080) == {NGINX, FIZZBUZZ}
    ready = next(at for at, label in traffic.marks if label == "Ready")
    stopped = next(at for at, label in traffic.marks if label == "Stopped")
    assert stopped - ready >= 1.5  # the wait lasted its minute (2 s at this clock)


#: wall seconds a weight setting must hold to be one of the shift's steps (each lasts 2 s)
MIN_HELD = 0.5
#: answers a setting needs before its share is compared with its weight
MIN_ANSWERS = 100


def shares(traffic, log, port: int, green: str) -> list[tuple[int, float, int]]:
    """For each weight setting of ``port``, as the listener log saw it: (green's weight, green's
    share of the answers while it held, how many answers). A setting too short to tell (a
    moment between two changes) is left out; how many answers a setting got is never asked,
    as a busy machine sends fewer (issue 20)."""
    from traffic import LAG

    history = log.changes[port]
    found = []
    for index, change in enumerate(history):
        begin = change.before + LAG
        end = history[index + 1].after if index + 1 < len(history) else traffic.stopped
        held = [s for s in traffic.samples if s.port == port and begin <= s.start and s.end < end]
        if end - change.before < MIN_HELD:
            continue
        weights = dict(change.weights)
        total = sum(weights.values())
        green_weight = round(100 * weights.get(green, 0) / total) if total else 0
        share = sum(s.revision == FIZZBUZZ for s in held) / len(held) if held else 0.0
        found.append((green_weight, share, len(held)))
    return found


@pytest.mark.parametrize(
    ("routing", "steps"),
    [
        (
            {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 20,
                                                            "canaryInterval": 1}},
            [0, 20, 100],
        ),
        (
            {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 25,
                                                            "linearInterval": 1}},
            [0, 25, 50, 75, 100],
        ),
    ],
    ids=["canary", "linear"],
)  # fmt: skip
def test_a_gradual_shift_sends_each_share_and_loses_no_request(
    walkthrough, load, listener_log, routing, steps
):
    w = walkthrough
    w.deploy.cloud.clock.set_speed(30)  # each interval of a minute lasts 2 s
    w.codedeploy.create_deployment_config(
        deploymentConfigName="bgkit-shift", computePlatform="ECS", trafficRoutingConfig=routing
    )
    w.deploy.create_group(config="bgkit-shift", termination_wait=1)
    log = listener_log(w.deploy.cloud.client("elbv2"), w.listeners)
    traffic = load(w.host_ports, seconds=40)
    time.sleep(SETTLE)
    traffic.mark("CreateDeployment")
    deployment = w.deploy.deploy()
    wait_for("the termination wait", lambda: w.target_status(deployment) == "Succeeded")
    traffic.mark("all traffic on green")
    w.wait_status(deployment, "Succeeded")
    traffic.mark("Succeeded")
    time.sleep(SETTLE)
    check(w, traffic, log)

    green = w.deploy.world.target_groups[1]
    seen = shares(traffic, log, 80, green)
    print("port 80 (green weight, FizzBuzz share, answers):", seen)
    weights = [weight for weight, _, _ in seen]
    # settings that give green the same weight (1/0 then 100/0 for blue) are one step
    assert [w for i, w in enumerate(weights) if i == 0 or weights[i - 1] != w] == steps
    for weight, share, count in seen:
        if count >= MIN_ANSWERS:  # enough answers to compare the share with the weight
            assert abs(share - weight / 100) <= 0.03 + 2 / count

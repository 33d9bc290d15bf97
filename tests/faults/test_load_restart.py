"""The local cloud killed with SIGKILL while a deployment is ``Ready``, under steady traffic,
then started again: the same deployment, the same deadline, the same listeners; the listener
ports are down only while its process is, and ``ContinueDeployment`` then completes it.

The local cloud runs in a process of its own (``start_background``, as ``bgkit local up``) on a
temporary state directory and free ports; its task processes survive the kill and are adopted.
"""

from __future__ import annotations

import time

import pytest
from faults_world import FIZZBUZZ, NGINX, SETTLE, answered, serve_walkthrough, serves, wait_for
from traffic import LAG, failures, report, verdict

pytestmark = pytest.mark.slow

#: wall seconds the local cloud stays down
DOWN = 1.0


def test_a_local_cloud_killed_while_ready_resumes_the_deployment(remote_cloud, load, listener_log):
    remote = remote_cloud
    remote.start()
    w = serve_walkthrough(
        remote, lambda service, region="us-east-1": remote.client(service, region)
    )
    w.deploy.create_group(ready_wait=60, termination_wait=60)
    log = listener_log(remote.client("elbv2"), w.listeners)
    traffic = load(w.host_ports, seconds=40)
    time.sleep(SETTLE)
    deployment = w.deploy.deploy()
    w.wait_status(deployment, "Ready")
    traffic.mark("Ready")
    before = {
        "engine": w.engine(deployment),
        "info": w.deploy.info(deployment),
        "listeners": w.deploy.world.elbv2.describe_listeners(
            ListenerArns=list(w.listeners.values()))["Listeners"],
        "tasks": sorted(remote.task_processes()),
    }  # fmt: skip
    time.sleep(SETTLE)
    killed = traffic.mark("SIGKILL the local cloud")
    remote.kill()
    time.sleep(DOWN)
    traffic.mark("start it again")
    remote.start()
    up = traffic.mark("it answers")
    for port in w.host_ports.values():
        wait_for(f"listener {port} serving", lambda port=port: serves(port, ""))
    serving = traffic.mark("both listeners serve")

    after_info = w.deploy.info(deployment)
    assert after_info["status"] == "Ready"
    assert w.engine(deployment)["readyDeadline"] == before["engine"]["readyDeadline"]
    assert {k: after_info[k] for k in ("createTime", "startTime")} == {
        k: before["info"][k] for k in ("createTime", "startTime")
    }
    listeners = w.deploy.world.elbv2.describe_listeners(ListenerArns=list(w.listeners.values()))
    assert listeners["Listeners"] == before["listeners"]
    assert sorted(remote.task_processes()) == before["tasks"]  # adopted, not started again
    time.sleep(SETTLE)
    w.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="READY_WAIT")
    traffic.mark("rerouted")
    wait_for("the termination wait", lambda: w.target_status(deployment) == "Succeeded")
    w.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT")
    assert w.deploy.status(deployment) == "Succeeded"
    time.sleep(SETTLE)
    traffic.stop()
    log.stop()
    print(report(traffic, log))

    samples = traffic.samples
    failed = failures(samples)
    outside = [s for s in failed if s.end < killed or s.start > up + LAG]
    for port in w.host_ports:
        on_port = [s for s in failed if s.port == port]
        last_before = max((s.end for s in samples if s.port == port and s.ok and s.end <= killed),
                          default=killed)  # fmt: skip
        first_after = min(s.end for s in samples if s.port == port and s.ok and s.start > killed)
        print(
            f"port {port}: {len(on_port)} failed, gap {first_after - last_before:.3f} s "
            f"(local cloud down {up - killed:.3f} s until it answered, listeners serving "
            f"{serving - killed:.3f} s after the kill)"
        )
    assert outside == []
    result = verdict(traffic, log, w.revision_of_group())
    assert result["unexpected"] == []
    assert answered(traffic, 80) - {"-"} == answered(traffic, 8080) - {"-"} == {NGINX, FIZZBUZZ}

"""A whole blue/green deployment under steady load never stalls the local cloud's event loop:
the watchdog inside the local cloud (:mod:`bgkit.local.watchdog`) sees no stall of its own
callbacks past :data:`~bgkit.local.watchdog.THRESHOLD` (issue 20: "nothing else blocks the event
loop for long").

The local cloud runs in a process of its own, as `bgkit local up` runs it, so that what is judged
is what its loop did: not this test's threads (which would hold the interpreter lock of an
in-process local cloud), and not a busy machine (the watchdog takes a thread's wait for a CPU
out).
"""

from __future__ import annotations

import time

import pytest
from faults_world import SETTLE, serve_walkthrough, wait_for

from bgkit.local.process import fetch_status
from bgkit.local.watchdog import THRESHOLD

pytestmark = pytest.mark.slow


def test_a_deployment_under_load_never_stalls_the_loop(remote_cloud, load):
    remote = remote_cloud
    remote.start()
    w = serve_walkthrough(
        remote, lambda service, region="us-east-1": remote.client(service, region)
    )
    w.deploy.create_group(ready_wait=60, termination_wait=60)
    traffic = load(w.host_ports, seconds=30)
    time.sleep(SETTLE)
    deployment = w.deploy.deploy()
    w.wait_status(deployment, "Ready")
    w.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="READY_WAIT")
    wait_for("the termination wait", lambda: w.target_status(deployment) == "Succeeded")
    w.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT")
    assert w.deploy.status(deployment) == "Succeeded"
    traffic.stop()
    status = fetch_status(remote.endpoint_url)
    assert status is not None
    seen = status["loop"]
    assert seen["worst_stall_ms"] < THRESHOLD * 1000, "\n".join([str(seen), *seen["where"]])

"""Stopping the local cloud while a function runs: the invocation's process is killed and
reaped — no zombie is left behind and Python warns of no subprocess still running (the record
stays ``Running``, to be settled by the next local cloud, as the data plane's docstring says)."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import pytest
from lambda_world import make_function, make_role
from waiting import wait_for

from bgkit.local.server import LocalCloud

pytestmark = pytest.mark.slow

SLEEPS = "import time\n\ndef handler(event, context):\n    time.sleep(60)\n"


def running_pid(cloud: LocalCloud) -> int | None:
    for partition in cloud.store.partitions("lambda-invocation"):
        for record in cloud.store.list(partition, "lambda-invocation"):
            if record["state"] == "Running" and record.get("pid"):
                return record["pid"]
    return None


def test_stopping_reaps_the_invocations_it_kills(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with LocalCloud(tmp_path / "state", port=0, listener_offset=0) as cloud:
            make_function(cloud.client("lambda"), make_role(cloud.client("iam")), source=SLEEPS,
                          Timeout=120)  # fmt: skip
            cloud.client("lambda").invoke(
                FunctionName="bgkit-fn", InvocationType="Event", Payload=b"{}"
            )
            pid = wait_for("the invocation's process", lambda: running_pid(cloud))
            assert Path(f"/proc/{pid}").exists()
        gc.collect()
    assert not Path(f"/proc/{pid}").exists(), "the killed process is left a zombie"
    still = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not still, [str(w.message) for w in still]

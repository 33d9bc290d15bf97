"""An invocation's process as a tree, as a task's is (``bgkit.local.trees``): recorded in the
store with its token, so what the function started — even in a session of its own — ends with
it; stopping the local cloud kills and reaps it (no zombie, no subprocess Python reports still
running; the record stays ``Running``, to be settled by the next local cloud), and ``down`` or
``reset`` end a recorded tree whatever became of the local cloud that started it."""

from __future__ import annotations

import gc
import os
import warnings
from pathlib import Path

import pytest
from lambda_world import make_function, make_role
from waiting import wait_for

from bgkit.local.process import STATE_FILE
from bgkit.local.server import LocalCloud
from bgkit.local.store import recorded_processes
from bgkit.local.trees import end_trees

pytestmark = pytest.mark.slow

#: starts ``sleep 600`` in a session of its own (out of the invocation's process group), writes
#: its pid to $OUT, then sleeps ``$NAP`` seconds
STARTS_A_SLEEPER = """
import os, subprocess, time

def handler(event, context):
    sleeper = subprocess.Popen(["sleep", "600"], start_new_session=True)
    with open(os.environ["OUT"], "w") as out:
        out.write(str(sleeper.pid))
    time.sleep(float(os.environ["NAP"]))
"""


def running_pid(cloud: LocalCloud) -> int | None:
    for partition in cloud.store.partitions("lambda-invocation"):
        for record in cloud.store.list(partition, "lambda-invocation"):
            if record["state"] == "Running" and record.get("pid"):
                return record["pid"]
    return None


def sleeper(cloud: LocalCloud, out: Path, nap: float) -> int:
    """Invoke the function (``Event``); the pid of the sleeper it started."""
    variables = {"OUT": str(out), "NAP": str(nap)}
    make_function(cloud.client("lambda"), make_role(cloud.client("iam")), source=STARTS_A_SLEEPER,
                  Timeout=120, Environment={"Variables": variables})  # fmt: skip
    cloud.client("lambda").invoke(FunctionName="bgkit-fn", InvocationType="Event", Payload=b"{}")
    return int(wait_for("the sleeper's pid", lambda: out.exists() and out.read_text()))


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (read from ``/proc``, never reaping it: a zombie is not alive)."""
    return _state(pid) not in ("gone",) and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "gone"


def test_what_a_function_left_running_ends_after_it_and_its_record_goes(tmp_path):
    with LocalCloud(tmp_path / "state", port=0, listener_offset=0) as cloud:
        pid = sleeper(cloud, tmp_path / "pid", nap=0)
        assert os.getpgid(pid) != os.getpgid(os.getpid())
        wait_for("the sleeper ended", lambda: not alive(pid), deadline=15)
        wait_for("the tree forgotten", lambda: not cloud.store.processes(), deadline=15)


def test_the_tree_is_recorded_and_down_ends_it(tmp_path):
    with LocalCloud(tmp_path / "state", port=0, listener_offset=0) as cloud:
        pid = sleeper(cloud, tmp_path / "pid", nap=60)
        (row,) = cloud.store.processes()
        assert row["owner"].startswith("lambda:") and row["pid"] == running_pid(cloud)
        # what `bgkit local down` and `reset` do with a local cloud that could not stop it
        assert end_trees(recorded_processes(tmp_path / "state" / STATE_FILE), grace=1) == 1
        assert not alive(pid) and not alive(row["pid"])


def test_stopping_kills_the_tree_and_reaps_the_invocation(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with LocalCloud(tmp_path / "state", port=0, listener_offset=0) as cloud:
            pid = sleeper(cloud, tmp_path / "pid", nap=60)
            invocation = running_pid(cloud)
            assert invocation and alive(invocation)
        gc.collect()
    assert not Path(f"/proc/{invocation}").exists(), "the killed invocation is left a zombie"
    assert wait_for("the sleeper killed", lambda: not alive(pid), deadline=15)
    still = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not still, [str(w.message) for w in still]

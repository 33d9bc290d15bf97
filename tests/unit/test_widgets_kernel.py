"""The real click: a ``jupyter_client`` frontend sends the button's ``comm_msg`` to a kernel that
is awaiting ``panel.decision()`` — what a browser does, without one (ipykernel ≥ 7.4 dispatches
comm messages while an async cell awaits)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

HERE = Path(__file__).resolve().parent

SETUP = f"""
import sys
sys.path.insert(0, {str(HERE)!r})
from test_widgets import FakeCodeDeploy, FakeKit
from bgkit.widgets import ApprovalPanel
codedeploy = FakeCodeDeploy()
panel = ApprovalPanel(FakeKit(codedeploy), "d-1")
print(panel._reroute_button.model_id)
"""


@pytest.mark.slow
def test_a_click_message_releases_a_kernel_awaiting_the_decision():
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        reply = client.execute_interactive(SETUP, timeout=60, output_hook=lambda m: found(m))
        assert reply["content"]["status"] == "ok", reply
        button = outputs[-1].strip()
        started = time.monotonic()
        waiting = client.execute("await panel.decision(timeout=30)")
        time.sleep(1.0)  # the cell is awaiting now
        click = client.session.msg(
            "comm_msg",
            {"comm_id": button, "data": {"method": "custom", "content": {"event": "click"}}},
        )
        client.shell_channel.send(click)
        result = None
        while time.monotonic() - started < 30:
            message = client.get_iopub_msg(timeout=30)
            if message["parent_header"].get("msg_id") != waiting:
                continue
            if message["msg_type"] == "execute_result":
                result = message["content"]["data"]["text/plain"]
            if message["msg_type"] == "error":
                pytest.fail("\n".join(message["content"]["traceback"]))
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
        assert result == "'reroute'"
        assert time.monotonic() - started < 10
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


outputs: list[str] = []


def found(message: dict) -> None:
    if message["msg_type"] == "stream":
        outputs.append(message["content"]["text"])

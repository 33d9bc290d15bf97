"""A task's output on the whole local cloud: a real Nginx stand-in process, a real request to it,
and its access log line read back through CloudWatch Logs."""

from __future__ import annotations

import urllib.request

import pytest
from ecs_world import make_world
from waiting import wait_for

pytestmark = pytest.mark.slow


def test_a_request_to_a_task_shows_in_its_log_stream(cloud, client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/ecs/bgkit")  # before the task starts, as on AWS
    world = make_world(cloud, client)
    [task] = world.ecs.run_task(
        cluster="bgkit",
        taskDefinition=world.task_definition,
        launchType="FARGATE",
        networkConfiguration=world.network(),
    )["tasks"]
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    running = wait_for(
        "the task to run",
        lambda: (
            record
            if (record := world.record("task", task["taskArn"]))["lastStatus"] == "RUNNING"
            else None
        ),
    )
    url = f"http://127.0.0.1:{running['_host_port']}/hello-logs"
    with pytest.raises(urllib.error.HTTPError):  # the stand-in answers 404 for this path
        urllib.request.urlopen(url, timeout=5)
    stream = running["_log"]["stream"]
    assert stream.endswith(f"/app/{task_id}")

    def access_line():
        events = logs.get_log_events(logGroupName="/ecs/bgkit", logStreamName=stream)["events"]
        return [e for e in events if "GET /hello-logs" in e["message"]]

    [event] = wait_for("the access log line", access_line)
    assert event["timestamp"] >= int(running["startedAt"] * 1000) - 1000
    [described] = logs.describe_log_streams(logGroupName="/ecs/bgkit")["logStreams"]
    assert described["logStreamName"] == stream
    assert described["lastEventTimestamp"] >= event["timestamp"]

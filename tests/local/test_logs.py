"""CloudWatch Logs through a real boto3 client: groups, streams, events, and task output.

The runtime's side is played by hand: a test writes a ``task`` record naming its ``awslogs`` group
and stream and its log file, as :mod:`bgkit.local.dataplane.runtime` would, and appends lines to
that file. Local time moves only with ``cloud.clock.advance``; the logs provider ships lines
whenever it advances (also in the background), so tests only assume that a batch of lines written
after the clock moved is stamped after that move.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.control_plane

PARTITION = "123456789012/us-east-1"
GROUP = "/ecs/bgkit"


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def write_task(
    cloud: Any, task_id: str, text: str = "", *, group: str = GROUP, status: str = "RUNNING"
) -> Path:
    """Play the runtime: a task started now whose output goes to ``tasks/<id>.log``."""
    path = cloud.state_dir / "tasks" / f"{task_id}.log"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    now = cloud.clock.now()
    arn = f"arn:aws:ecs:us-east-1:123456789012:task/bgkit/{task_id}"
    record = {
        "taskArn": arn,
        "lastStatus": status,
        "desiredStatus": "RUNNING",
        "createdAt": now,
        "pullStoppedAt": now,
        "_log": {"group": group, "stream": f"ecs/app/{task_id}"},
        "_log_path": str(path),
    }
    with cloud.store.transaction():
        cloud.store.put(PARTITION, "task", arn, record)
    return path


def stop_task(cloud: Any, task_id: str) -> None:
    arn = f"arn:aws:ecs:us-east-1:123456789012:task/bgkit/{task_id}"
    with cloud.store.transaction():
        record = cloud.store.get(PARTITION, "task", arn)
        record["lastStatus"] = "STOPPED"
        cloud.store.put(PARTITION, "task", arn, record)


def append(path: Path, text: str) -> None:
    with path.open("a") as file:
        file.write(text)


def messages(answer: dict[str, Any]) -> list[str]:
    return [event["message"] for event in answer["events"]]


# --- log groups --------------------------------------------------------------------------------


def test_create_log_group_shows_it_as_aws_does(client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP, tags={"kit": "bgkit"})
    [group] = logs.describe_log_groups()["logGroups"]
    assert group["logGroupName"] == GROUP
    assert group["arn"] == f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}:*"
    assert group["logGroupArn"] == f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}"
    assert group["logGroupClass"] == "STANDARD"
    assert (group["metricFilterCount"], group["storedBytes"]) == (0, 0)
    assert isinstance(group["creationTime"], int) and group["creationTime"] > 1_600_000_000_000
    assert "retentionInDays" not in group


def test_create_log_group_twice_is_refused_and_changes_nothing(client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP, tags={"kit": "bgkit"})
    before = logs.describe_log_groups()["logGroups"]
    with pytest.raises(ClientError) as caught:
        logs.create_log_group(logGroupName=GROUP, tags={"other": "x"})
    assert error_of(caught) == (
        "ResourceAlreadyExistsException",
        "The specified log group already exists",
    )
    assert logs.describe_log_groups()["logGroups"] == before
    arn = before[0]["logGroupArn"]
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"kit": "bgkit"}


@pytest.mark.parametrize("name", ["has space", "colon:name", "x" * 513])
def test_create_log_group_with_a_bad_name_is_refused(client, name):
    logs = client("logs")
    with pytest.raises(ClientError) as caught:
        logs.create_log_group(logGroupName=name)
    code, message = error_of(caught)
    assert code == "InvalidParameterException"
    assert "at 'logGroupName' failed to satisfy constraint" in message
    assert logs.describe_log_groups()["logGroups"] == []


def test_delete_log_group_removes_it(client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    logs.delete_log_group(logGroupName=GROUP)
    assert logs.describe_log_groups()["logGroups"] == []


def test_delete_log_group_that_does_not_exist_is_refused(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/keep")
    with pytest.raises(ClientError) as caught:
        logs.delete_log_group(logGroupName=GROUP)
    assert error_of(caught) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == ["/keep"]


def test_log_groups_are_per_region(client):
    client("logs").create_log_group(logGroupName=GROUP)
    assert client("logs", region="eu-west-1").describe_log_groups()["logGroups"] == []


def test_describe_log_groups_pages_in_name_order(client):
    logs = client("logs")
    names = [f"/ecs/g{i}" for i in (5, 3, 6, 1, 4, 0, 2)]
    for name in names:
        logs.create_log_group(logGroupName=name)
    pages, token = [], None
    while True:
        answer = logs.describe_log_groups(limit=3, **({"nextToken": token} if token else {}))
        pages.append([g["logGroupName"] for g in answer["logGroups"]])
        token = answer.get("nextToken")
        if token is None:
            break
    assert pages == [
        ["/ecs/g0", "/ecs/g1", "/ecs/g2"],
        ["/ecs/g3", "/ecs/g4", "/ecs/g5"],
        ["/ecs/g6"],
    ]
    paginated = logs.get_paginator("describe_log_groups").paginate(PaginationConfig={"PageSize": 2})
    assert [g["logGroupName"] for p in paginated for g in p["logGroups"]] == sorted(names)


def test_describe_log_groups_by_prefix_and_by_pattern(client):
    logs = client("logs")
    for name in ("/ecs/bgkit-web", "/ecs/other", "/aws/lambda/bgkit-web"):
        logs.create_log_group(logGroupName=name)
    logs.put_retention_policy(logGroupName="/ecs/bgkit-web", retentionInDays=7)
    by_prefix = logs.describe_log_groups(logGroupNamePrefix="/ecs/")["logGroups"]
    assert [g["logGroupName"] for g in by_prefix] == ["/ecs/bgkit-web", "/ecs/other"]
    by_pattern = logs.describe_log_groups(logGroupNamePattern="bgkit")["logGroups"]
    assert [g["logGroupName"] for g in by_pattern] == ["/aws/lambda/bgkit-web", "/ecs/bgkit-web"]
    assert set(by_pattern[1]) == {"logGroupName", "arn", "creationTime"}  # as AWS answers


@pytest.mark.parametrize(
    "arguments",
    [{"logGroupNamePrefix": "/ecs", "logGroupNamePattern": "ecs"}, {"limit": 51}],
)
def test_describe_log_groups_with_bad_arguments_is_refused(client, arguments):
    with pytest.raises(ClientError) as caught:
        client("logs").describe_log_groups(**arguments)
    assert error_of(caught)[0] == "InvalidParameterException"


def test_retention_policy_is_put_and_deleted(client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    logs.put_retention_policy(logGroupName=GROUP, retentionInDays=7)
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 7
    logs.delete_retention_policy(logGroupName=GROUP)
    assert "retentionInDays" not in logs.describe_log_groups()["logGroups"][0]


def test_retention_policy_with_a_bad_value_is_refused(client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    with pytest.raises(ClientError) as caught:
        logs.put_retention_policy(logGroupName=GROUP, retentionInDays=8)
    code, message = error_of(caught)
    assert code == "InvalidParameterException"
    assert "Member must satisfy enum value set: [1, 3, 5, 7, 14" in message
    with pytest.raises(ClientError) as caught:
        logs.put_retention_policy(logGroupName="/nope", retentionInDays=7)
    assert error_of(caught)[0] == "ResourceNotFoundException"
    assert "retentionInDays" not in logs.describe_log_groups()["logGroups"][0]


def test_tags_of_a_log_group(client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP, tags={"kit": "bgkit"})
    arn = logs.describe_log_groups()["logGroups"][0]["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"prefix": "p1"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"kit": "bgkit", "prefix": "p1"}
    logs.untag_resource(resourceArn=arn, tagKeys=["kit"])
    assert logs.list_tags_log_group(logGroupName=GROUP)["tags"] == {"prefix": "p1"}
    with pytest.raises(ClientError) as caught:
        logs.list_tags_for_resource(resourceArn=arn.replace("bgkit", "nope"))
    assert error_of(caught)[0] == "ResourceNotFoundException"


# --- streams of tasks ----------------------------------------------------------------------------


def test_a_task_writes_to_its_awslogs_stream(cloud, client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    cloud.clock.advance(1)
    write_task(cloud, "t1", "nginx listening\n127.0.0.1 - GET / 200\n")
    [stream] = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    assert stream["logStreamName"] == "ecs/app/t1"
    assert stream["arn"] == (
        f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}:log-stream:ecs/app/t1"
    )
    assert stream["storedBytes"] == 0
    assert stream["firstEventTimestamp"] <= stream["lastEventTimestamp"]
    events = logs.get_log_events(logGroupName=GROUP, logStreamName="ecs/app/t1")["events"]
    assert [e["message"] for e in events] == ["nginx listening", "127.0.0.1 - GET / 200"]
    assert all(e["timestamp"] >= stream["creationTime"] for e in events)
    assert all(e["ingestionTime"] >= e["timestamp"] for e in events)


def test_a_task_started_before_its_group_existed_writes_nothing(cloud, client):
    logs = client("logs")
    write_task(cloud, "early", "lost line\n")
    cloud.clock.advance(1)
    logs.create_log_group(logGroupName=GROUP)
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == []
    with pytest.raises(ClientError) as caught:
        logs.get_log_events(logGroupName=GROUP, logStreamName="ecs/app/early")
    assert error_of(caught) == (
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    )


def test_deleting_the_group_deletes_its_task_streams_for_good(cloud, client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    cloud.clock.advance(1)
    path = write_task(cloud, "t1", "one\n")
    assert len(logs.describe_log_streams(logGroupName=GROUP)["logStreams"]) == 1
    logs.delete_log_group(logGroupName=GROUP)
    append(path, "two\n")
    cloud.clock.advance(1)
    logs.create_log_group(logGroupName=GROUP)
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == []


def test_a_partial_last_line_waits_for_its_newline_or_the_task_to_stop(cloud, client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    cloud.clock.advance(1)
    path = write_task(cloud, "t1", "whole\npart")
    get = {"logGroupName": GROUP, "logStreamName": "ecs/app/t1", "startFromHead": True}
    assert messages(logs.get_log_events(**get)) == ["whole"]
    append(path, "ial\n\nlast words")
    assert messages(logs.get_log_events(**get)) == ["whole", "partial"]
    stop_task(cloud, "t1")
    assert messages(logs.get_log_events(**get)) == ["whole", "partial", "last words"]


def test_describe_log_streams_orders_pages_and_filters(cloud, client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    cloud.clock.advance(1)
    paths = {name: write_task(cloud, name) for name in ("b", "a", "c")}
    for name in ("c", "a", "b"):  # their last events in this order
        cloud.clock.advance(10)
        append(paths[name], f"{name}\n")
        logs.describe_log_streams(logGroupName=GROUP)
    by_name = logs.describe_log_streams(logGroupName=GROUP, limit=2)
    assert [s["logStreamName"] for s in by_name["logStreams"]] == ["ecs/app/a", "ecs/app/b"]
    rest = logs.describe_log_streams(logGroupName=GROUP, nextToken=by_name["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["ecs/app/c"]
    assert "nextToken" not in rest
    latest = logs.describe_log_streams(logGroupName=GROUP, orderBy="LastEventTime", descending=True)
    assert [s["logStreamName"] for s in latest["logStreams"]] == [
        "ecs/app/b",
        "ecs/app/a",
        "ecs/app/c",
    ]
    prefixed = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="ecs/app/c")
    assert [s["logStreamName"] for s in prefixed["logStreams"]] == ["ecs/app/c"]


def test_describe_log_streams_refusals(client):
    logs = client("logs")
    with pytest.raises(ClientError) as caught:
        logs.describe_log_streams(logGroupName=GROUP)
    assert error_of(caught) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
    logs.create_log_group(logGroupName=GROUP)
    with pytest.raises(ClientError) as caught:
        logs.describe_log_streams(
            logGroupName=GROUP, orderBy="LastEventTime", logStreamNamePrefix="ecs"
        )
    assert error_of(caught) == (
        "InvalidParameterException",
        "Cannot order by LastEventTime with a logStreamNamePrefix.",
    )


# --- reading events ------------------------------------------------------------------------------


@pytest.fixture
def five(cloud, client) -> tuple[Any, Path, dict[str, Any]]:
    """A task stream with five events, ``l0`` … ``l4``."""
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    cloud.clock.advance(1)
    path = write_task(cloud, "t1", "".join(f"l{i}\n" for i in range(5)))
    return logs, path, {"logGroupName": GROUP, "logStreamName": "ecs/app/t1"}


def test_get_log_events_pages_forward_from_the_head(five):
    logs, path, stream = five
    answer = logs.get_log_events(**stream, startFromHead=True, limit=2)
    pages = [messages(answer)]
    while True:
        token = answer["nextForwardToken"]
        answer = logs.get_log_events(**stream, nextToken=token, limit=2)
        pages.append(messages(answer))
        if not answer["events"]:
            assert answer["nextForwardToken"] == token  # AWS's "this is the end"
            break
    assert pages == [["l0", "l1"], ["l2", "l3"], ["l4"], []]
    append(path, "l5\n")  # a reader polling the end sees what comes next
    assert messages(logs.get_log_events(**stream, nextToken=token)) == ["l5"]


def test_get_log_events_pages_backward_from_the_tail(five):
    logs, _, stream = five
    answer = logs.get_log_events(**stream, limit=2)
    pages = [messages(answer)]
    while True:
        token = answer["nextBackwardToken"]
        answer = logs.get_log_events(**stream, nextToken=token, limit=2)
        pages.append(messages(answer))
        if not answer["events"]:
            assert answer["nextBackwardToken"] == token
            break
    assert pages == [["l3", "l4"], ["l1", "l2"], ["l0"], []]


def test_get_log_events_tokens_look_like_aws_tokens(five):
    logs, _, stream = five
    answer = logs.get_log_events(**stream, startFromHead=True)
    for token, direction in ((answer["nextForwardToken"], "f"), (answer["nextBackwardToken"], "b")):
        assert token[:2] == f"{direction}/" and len(token) == 58 and token[2:].isdigit()
    with pytest.raises(ClientError) as caught:
        logs.get_log_events(**stream, nextToken="x/1")
    assert error_of(caught) == ("InvalidParameterException", "The specified nextToken is invalid.")


def test_get_log_events_between_start_and_end_time(cloud, five):
    logs, path, stream = five
    first = logs.get_log_events(**stream)["events"]
    cloud.clock.advance(60)
    append(path, "later1\nlater2\n")
    later = logs.get_log_events(**stream, startFromHead=True)["events"][5:]
    assert later[0]["timestamp"] >= first[-1]["timestamp"] + 60_000
    since = later[0]["timestamp"]
    assert messages(logs.get_log_events(**stream, startTime=since)) == ["later1", "later2"]
    before = logs.get_log_events(**stream, endTime=since, startFromHead=True)
    assert messages(before) == ["l0", "l1", "l2", "l3", "l4"]


def test_timestamps_of_shipped_lines_never_move(cloud, five):
    logs, path, stream = five
    once = logs.get_log_events(**stream)["events"]
    cloud.clock.advance(300)
    append(path, "more\n")
    assert logs.get_log_events(**stream, startFromHead=True)["events"][:5] == once


def test_filter_log_events_finds_terms_across_streams(cloud, client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    cloud.clock.advance(1)
    write_task(cloud, "t1", "GET / 200\nGET /health 200\n")
    write_task(cloud, "t2", "GET /missing 404\nstarted\n")
    found = logs.filter_log_events(logGroupName=GROUP, filterPattern="GET 200")["events"]
    assert sorted(e["message"] for e in found) == ["GET / 200", "GET /health 200"]
    assert {e["logStreamName"] for e in found} == {"ecs/app/t1"}
    every = logs.filter_log_events(logGroupName=GROUP, logStreamNames=["ecs/app/t2"])
    assert messages(every) == ["GET /missing 404", "started"]


# --- streams a learner makes -------------------------------------------------------------------


def test_put_log_events_into_a_stream_of_ones_own(cloud, client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="mine")
    now = int(cloud.clock.now() * 1000)
    events = [{"timestamp": now - 2000, "message": "one"}, {"timestamp": now, "message": "two"}]
    put = logs.put_log_events(logGroupName=GROUP, logStreamName="mine", logEvents=events)
    assert "rejectedLogEventsInfo" not in put
    got = logs.get_log_events(logGroupName=GROUP, logStreamName="mine", startFromHead=True)
    assert [(e["timestamp"], e["message"]) for e in got["events"]] == [
        (now - 2000, "one"),
        (now, "two"),
    ]
    [stream] = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    assert (stream["firstEventTimestamp"], stream["lastEventTimestamp"]) == (now - 2000, now)


def test_put_log_events_refusals_and_rejections(cloud, client):
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    with pytest.raises(ClientError) as caught:
        logs.create_log_stream(logGroupName="/nope", logStreamName="mine")
    assert error_of(caught)[0] == "ResourceNotFoundException"
    logs.create_log_stream(logGroupName=GROUP, logStreamName="mine")
    with pytest.raises(ClientError) as caught:
        logs.create_log_stream(logGroupName=GROUP, logStreamName="mine")
    assert error_of(caught)[0] == "ResourceAlreadyExistsException"
    now = int(cloud.clock.now() * 1000)
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(logGroupName=GROUP, logStreamName="other", logEvents=[
            {"timestamp": now, "message": "x"}
        ])  # fmt: skip
    assert error_of(caught) == (
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    )
    unordered = [{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}]
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(logGroupName=GROUP, logStreamName="mine", logEvents=unordered)
    assert error_of(caught)[0] == "InvalidParameterException"
    day = 86400_000
    old = [
        {"timestamp": now - 15 * day, "message": "old"},
        {"timestamp": now - 15 * day + 1, "message": "old2"},
    ]
    put = logs.put_log_events(logGroupName=GROUP, logStreamName="mine", logEvents=old)
    assert put["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    new = [{"timestamp": now, "message": "ok"}, {"timestamp": now + 3 * 3600_000, "message": "new"}]
    put = logs.put_log_events(logGroupName=GROUP, logStreamName="mine", logEvents=new)
    assert put["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    got = logs.get_log_events(logGroupName=GROUP, logStreamName="mine", startFromHead=True)
    assert messages(got) == ["ok"]

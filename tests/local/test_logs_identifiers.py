"""CloudWatch Logs names a log group by name or by ARN, and reads an ARN whole.

botocore's model (``logs``), member ``logGroupIdentifier`` of DescribeLogStreams, GetLogEvents and
FilterLogEvents: "Specify either the name or ARN of the log group"; "You must include either
logGroupIdentifier or logGroupName, but not both". The ARN DescribeLogGroups shows (``arn``) ends in
``:*``, the one it shows as ``logGroupArn`` does not (the ``LogGroup`` shape's documentation); both
name the group. DescribeLogGroups' ``logGroupIdentifiers``: "Use this array to filter the list of
log groups returned". ``orderBy``'s shape ``OrderBy`` is an enum of ``LogStreamName`` and
``LastEventTime``, so an empty string is no value of it.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.control_plane

GROUP = "/ecs/bgkit"


@pytest.fixture
def logs(cloud, client):
    made = client("logs")
    made.create_log_group(logGroupName=GROUP)
    made.create_log_group(logGroupName="/ecs/other")
    made.create_log_stream(logGroupName=GROUP, logStreamName="web/1")
    made.put_log_events(
        logGroupName=GROUP,
        logStreamName="web/1",
        logEvents=[{"timestamp": int(cloud.clock.now() * 1000), "message": "hello"}],
    )
    return made


def arns(logs):
    group = logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"][0]
    assert group["arn"] == group["logGroupArn"] + ":*"
    return group["arn"], group["logGroupArn"]


@pytest.mark.parametrize("form", [0, 1], ids=["with-star", "bare"])
def test_describe_log_streams_takes_either_arn_form(logs, form):
    identifier = arns(logs)[form]
    streams = logs.describe_log_streams(logGroupIdentifier=identifier)["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["web/1"]


@pytest.mark.parametrize("form", [0, 1], ids=["with-star", "bare"])
def test_get_and_filter_log_events_take_either_arn_form(logs, form):
    identifier = arns(logs)[form]
    got = logs.get_log_events(logGroupIdentifier=identifier, logStreamName="web/1")
    assert [e["message"] for e in got["events"]] == ["hello"]
    filtered = logs.filter_log_events(logGroupIdentifier=identifier)
    assert [e["message"] for e in filtered["events"]] == ["hello"]


def test_an_arn_of_another_region_or_account_names_no_group(logs):
    star = arns(logs)[0]
    for other in (
        star.replace(":us-east-1:", ":us-west-2:"),
        star.replace(":123456789012:", ":210987654321:"),
    ):
        with pytest.raises(ClientError) as caught:
            logs.describe_log_streams(logGroupIdentifier=other)
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_name_and_identifier_together_are_refused(logs):
    with pytest.raises(ClientError) as caught:
        logs.describe_log_streams(logGroupName=GROUP, logGroupIdentifier=GROUP)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"


def test_describe_log_groups_filters_by_identifiers(logs):
    star, _ = arns(logs)
    for identifiers in ([GROUP], [star]):
        found = logs.describe_log_groups(logGroupIdentifiers=identifiers)["logGroups"]
        assert [g["logGroupName"] for g in found] == [GROUP]
    both = logs.describe_log_groups(logGroupIdentifiers=[GROUP, "/ecs/other"])["logGroups"]
    assert [g["logGroupName"] for g in both] == [GROUP, "/ecs/other"]


def test_an_empty_order_by_is_refused(logs):
    with pytest.raises(ClientError) as caught:
        logs.describe_log_streams(logGroupName=GROUP, orderBy="")
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert "orderBy" in error["Message"]

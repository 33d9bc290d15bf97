"""CloudWatch alarms through boto3, and their evaluation against AWS's documented cases.

The missing-data tables are those of "How alarm state is evaluated when data is missing"
(docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html, in the
*Using Amazon CloudWatch alarms* guide): 0 not breaching, X breaching, - missing, newest last.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bgkit.local.services.cloudwatch.evaluation import decide
from bgkit.local.services.cloudwatch.models import alarms_in_alarm
from tests.local.cloudwatch_world import PROTOCOLS, cloudwatch

RETAIN = None
COLUMNS = ("missing", "ignore", "breaching", "notBreaching")
#: (data points, M, N, [state for missing, ignore, breaching, notBreaching])
DOCUMENTED = [
    ("0 - X - X", 3, 3, ["OK", "OK", "OK", "OK"]),
    ("0 - - - -", 3, 3, ["OK", "OK", "OK", "OK"]),
    ("- - - - -", 3, 3, ["INSUFFICIENT_DATA", RETAIN, "ALARM", "OK"]),
    ("0 X X - X", 3, 3, ["ALARM", "ALARM", "ALARM", "ALARM"]),
    ("- - X - -", 3, 3, ["ALARM", RETAIN, "ALARM", "OK"]),
    ("0 - X - X", 2, 3, ["ALARM", "ALARM", "ALARM", "ALARM"]),
    ("0 0 X 0 X", 2, 3, ["ALARM", "ALARM", "ALARM", "ALARM"]),
    ("0 - X - -", 2, 3, ["OK", "OK", "ALARM", "OK"]),
    ("- - - - 0", 2, 3, ["OK", "OK", "ALARM", "OK"]),
    ("- - - X -", 2, 3, ["ALARM", RETAIN, "ALARM", "OK"]),
]


@pytest.mark.parametrize(("row", "m", "n", "states"), DOCUMENTED)
def test_evaluation_follows_the_documented_table(row, m, n, states):
    points = [{"0": False, "X": True, "-": None}[p] for p in row.split()]
    assert [decide(points, n, m, treat) for treat in COLUMNS] == states


@pytest.mark.parametrize("row", ["- - - - X", "- - - X -"])
def test_evaluation_avoids_premature_alarm(row):
    """The same page's "Avoiding premature transitions to alarm state" (M = N = 3)."""
    points = [{"X": True, "-": None}[p] for p in row.split()]
    assert decide(points, 3, 3, "missing") == "OK"


@pytest.fixture(params=PROTOCOLS)
def cw(request, cloud) -> Any:
    made = cloudwatch(cloud, request.param)
    yield made
    made.close()


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def _alarm(cw, name: str = "errors", **extra: Any) -> None:
    cw.put_metric_alarm(
        AlarmName=name, Namespace="Shop", MetricName="Errors", Statistic="Sum", Period=60,
        EvaluationPeriods=2, DatapointsToAlarm=2, Threshold=5.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold", **extra,
    )  # fmt: skip


def _state(cw, name: str = "errors") -> dict[str, Any]:
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def _put(cw, cloud, minutes_ago: int, value: float) -> None:
    now = cloud.clock.now()
    stamp = now - now % 60 - 60 * minutes_ago
    cw.put_metric_data(
        Namespace="Shop",
        MetricData=[{"MetricName": "Errors", "Value": value,
                     "Timestamp": datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc)}],
    )  # fmt: skip


def _evaluate(cloud) -> None:
    """The next evaluation: a minute later on the local clock, then one advance pass."""
    cloud.clock.advance(60)
    cloud.advance()


@pytest.mark.control_plane
def test_put_metric_alarm_starts_insufficient_and_goes_to_alarm_then_ok(cw, cloud):
    _alarm(cw)
    first = _state(cw)
    assert first["StateValue"] == "INSUFFICIENT_DATA"
    assert first["StateReason"] == "Unchecked: Initial alarm creation"
    assert first["TreatMissingData"] == "missing"
    assert first["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors"
    _put(cw, cloud, 1, 9)
    _put(cw, cloud, 0, 7)
    _evaluate(cloud)
    alarmed = _state(cw)
    assert alarmed["StateValue"] == "ALARM"
    assert alarmed["StateReason"].startswith("Threshold Crossed: 2 out of the last 2 datapoints [")
    assert "were greater than or equal to the threshold (5.0)" in alarmed["StateReason"]
    assert "(minimum 2 datapoints for OK -> ALARM transition)." in alarmed["StateReason"]
    data = json.loads(alarmed["StateReasonData"])
    assert data["recentDatapoints"] == [9.0, 7.0] and data["threshold"] == 5.0
    assert data["statistic"] == "Sum" and data["period"] == 60
    assert alarms_in_alarm(cloud.store, "123456789012/us-east-1", ["nope", "errors"]) == ["errors"]
    _put(cw, cloud, 0, 1)
    _put(cw, cloud, 1, 1)
    _evaluate(cloud)
    assert _state(cw)["StateValue"] == "OK"
    history = cw.describe_alarm_history(AlarmName="errors", HistoryItemType="StateUpdate")
    summaries = [h["HistorySummary"] for h in history["AlarmHistoryItems"]]
    assert summaries == [
        "Alarm updated from ALARM to OK",
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
    ]
    item = json.loads(history["AlarmHistoryItems"][1]["HistoryData"])
    assert item["oldState"]["stateValue"] == "INSUFFICIENT_DATA"
    assert item["newState"]["stateValue"] == "ALARM"


@pytest.mark.control_plane
def test_one_breaching_datapoint_of_two_needed_stays(cw, cloud):
    _alarm(cw)
    _put(cw, cloud, 1, 1)
    _put(cw, cloud, 0, 9)
    _evaluate(cloud)
    assert _state(cw)["StateValue"] == "OK"


@pytest.mark.control_plane
def test_missing_data_treated_as_breaching(cw, cloud):
    _alarm(cw, TreatMissingData="breaching")
    _evaluate(cloud)
    alarm = _state(cw)
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"] == (
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints "
        "were treated as [Breaching]."
    )


@pytest.mark.control_plane
def test_put_metric_alarm_again_keeps_the_state_and_records_the_update(cw, cloud):
    _alarm(cw)
    cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="testing",
                       StateReasonData=json.dumps({"why": "test"}))  # fmt: skip
    _alarm(cw, AlarmDescription="5xx")
    alarm = _state(cw)
    assert alarm["StateValue"] == "ALARM" and alarm["AlarmDescription"] == "5xx"
    kinds = [
        h["HistorySummary"]
        for h in cw.describe_alarm_history(
            AlarmName="errors", HistoryItemType="ConfigurationUpdate"
        )["AlarmHistoryItems"]
    ]
    assert kinds == ['Alarm "errors" updated', 'Alarm "errors" created']


@pytest.mark.control_plane
def test_set_alarm_state_refusals(cw, cloud):
    _alarm(cw)
    with pytest.raises(ClientError) as error:
        cw.set_alarm_state(AlarmName="nope", StateValue="ALARM", StateReason="x")
    assert _code(error) == "ResourceNotFound"
    with pytest.raises(ClientError) as error:
        cw.set_alarm_state(AlarmName="errors", StateValue="OK", StateReason="x",
                           StateReasonData="not json")  # fmt: skip
    assert _code(error) == "InvalidFormat"
    assert _state(cw)["StateValue"] == "INSUFFICIENT_DATA"


@pytest.mark.control_plane
def test_put_metric_alarm_refusals_keep_nothing(cw, cloud):
    base = {"AlarmName": "a", "EvaluationPeriods": 2, "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanThreshold"}  # fmt: skip
    single = {"Namespace": "Shop", "MetricName": "Errors", "Period": 60}
    cases = [
        ({**base, **single}, "InvalidParameterCombination"),  # no statistic
        ({**base, **single, "Statistic": "Sum", "DatapointsToAlarm": 3}, "InvalidParameterValue"),
        ({**base, **single, "Statistic": "Sum", "Period": 45}, "InvalidParameterValue"),
        ({**base, **single, "ExtendedStatistic": "q5"}, "InvalidParameterValue"),
        ({**base, "Metrics": [{"Id": "m", "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "Shop", "MetricName": "E"}, "Period": 60,
            "Stat": "Sum"}}]}, "InvalidParameterValue"),  # none returns data
    ]  # fmt: skip
    for params, code in cases:
        with pytest.raises(ClientError) as error:
            cw.put_metric_alarm(**params)
        assert _code(error) == code, params
    assert cw.describe_alarms()["MetricAlarms"] == []


@pytest.mark.control_plane
def test_describe_alarms_filters_and_pages(cw, cloud):
    for name in ("web-5xx", "web-latency", "db-cpu"):
        _alarm(cw, name)
    cw.set_alarm_state(AlarmName="web-5xx", StateValue="ALARM", StateReason="x")
    assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == [
        "db-cpu",
        "web-5xx",
        "web-latency",
    ]
    assert len(cw.describe_alarms(AlarmNamePrefix="web-")["MetricAlarms"]) == 2
    assert [a["AlarmName"] for a in cw.describe_alarms(StateValue="ALARM")["MetricAlarms"]] == [
        "web-5xx"
    ]
    assert cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["MetricAlarms"] == []
    first = cw.describe_alarms(MaxRecords=2)
    second = cw.describe_alarms(MaxRecords=2, NextToken=first["NextToken"])
    assert [a["AlarmName"] for a in second["MetricAlarms"]] == ["web-latency"]
    with pytest.raises(ClientError) as error:
        cw.describe_alarms(NextToken="garbage")
    assert _code(error) == "InvalidNextToken"
    for_metric = cw.describe_alarms_for_metric(Namespace="Shop", MetricName="Errors")
    assert len(for_metric["MetricAlarms"]) == 3


@pytest.mark.control_plane
def test_delete_alarms_of_an_unknown_name_deletes_none(cw, cloud):
    _alarm(cw)
    with pytest.raises(ClientError) as error:
        cw.delete_alarms(AlarmNames=["errors", "nope"])
    assert _code(error) == "ResourceNotFound"
    assert len(cw.describe_alarms()["MetricAlarms"]) == 1
    cw.delete_alarms(AlarmNames=["errors"])
    assert cw.describe_alarms()["MetricAlarms"] == []
    summaries = [h["HistorySummary"] for h in cw.describe_alarm_history()["AlarmHistoryItems"]]
    assert summaries[0] == 'Alarm "errors" deleted'


@pytest.mark.control_plane
def test_alarm_actions_and_tags(cw, cloud):
    _alarm(cw, Tags=[{"Key": "team", "Value": "web"}])
    cw.disable_alarm_actions(AlarmNames=["errors", "nope"])
    assert _state(cw)["ActionsEnabled"] is False
    cw.enable_alarm_actions(AlarmNames=["errors"])
    assert _state(cw)["ActionsEnabled"] is True
    arn = _state(cw)["AlarmArn"]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "stage", "Value": "prod"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "stage", "Value": "prod"}]
    with pytest.raises(ClientError) as error:
        cw.list_tags_for_resource(ResourceARN=arn + "x")
    assert _code(error) == "ResourceNotFoundException"


@pytest.mark.control_plane
def test_alarm_on_metric_math(cw, cloud):
    cw.put_metric_alarm(
        AlarmName="rate", EvaluationPeriods=1, Threshold=10.0,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {"Id": "e", "ReturnData": False, "MetricStat": {"Metric": {
                "Namespace": "Shop", "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"}},
            {"Id": "r", "ReturnData": False, "MetricStat": {"Metric": {
                "Namespace": "Shop", "MetricName": "Requests"}, "Period": 60, "Stat": "Sum"}},
            {"Id": "rate", "Expression": "100 * e / r", "ReturnData": True},
        ],
    )  # fmt: skip
    now = cloud.clock.now()
    stamp = datetime.datetime.fromtimestamp(now - now % 60, datetime.timezone.utc)
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Errors", "Value": 3, "Timestamp": stamp},
        {"MetricName": "Requests", "Value": 10, "Timestamp": stamp}])  # fmt: skip
    _evaluate(cloud)
    assert _state(cw, "rate")["StateValue"] == "ALARM"

"""CloudWatch's metrics through boto3: PutMetricData, GetMetricStatistics, ListMetrics,
GetMetricData with metric math (limits and messages: the CloudWatch API reference of each
operation, docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.cloudwatch_world import PROTOCOLS, cloudwatch

pytestmark = pytest.mark.control_plane


@pytest.fixture(params=PROTOCOLS)
def cw(request, cloud) -> Any:
    made = cloudwatch(cloud, request.param)
    yield made
    made.close()


def _minute(cloud) -> datetime.datetime:
    """The start of the local clock's current minute, as a UTC datetime."""
    now = cloud.clock.now()
    return datetime.datetime.fromtimestamp(now - now % 60, datetime.timezone.utc)


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_put_metric_data_then_statistics_of_one_minute(cw, cloud):
    start = _minute(cloud)
    cw.put_metric_data(
        Namespace="Shop",
        MetricData=[
            {"MetricName": "Latency", "Value": 1.0, "Unit": "Seconds", "Timestamp": start},
            {"MetricName": "Latency", "Values": [2.0, 4.0], "Counts": [1, 2], "Unit": "Seconds",
             "Timestamp": start},
            {"MetricName": "Latency", "StatisticValues": {"SampleCount": 2, "Sum": 6.0,
             "Minimum": 3.0, "Maximum": 3.0}, "Unit": "Seconds", "Timestamp": start},
        ],
    )  # fmt: skip
    got = cw.get_metric_statistics(
        Namespace="Shop", MetricName="Latency", StartTime=start,
        EndTime=start + datetime.timedelta(minutes=1), Period=60,
        Statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
    )  # fmt: skip
    (point,) = got["Datapoints"]
    assert got["Label"] == "Latency"
    assert point["SampleCount"] == 6 and point["Sum"] == 17.0
    assert point["Minimum"] == 1.0 and point["Maximum"] == 4.0
    assert point["Average"] == pytest.approx(17.0 / 6) and point["Unit"] == "Seconds"


def test_get_metric_statistics_percentiles_of_raw_values(cw, cloud):
    start = _minute(cloud)
    cw.put_metric_data(
        Namespace="Shop",
        MetricData=[{"MetricName": "T", "Values": [float(v) for v in range(1, 101)],
                     "Timestamp": start}],
    )  # fmt: skip
    got = cw.get_metric_statistics(
        Namespace="Shop", MetricName="T", StartTime=start,
        EndTime=start + datetime.timedelta(minutes=1), Period=60,
        ExtendedStatistics=["p50", "p99"],
    )  # fmt: skip
    assert got["Datapoints"][0]["ExtendedStatistics"] == {"p50": 50.0, "p99": 99.0}


def test_get_metric_statistics_keeps_dimensions_and_units_apart(cw, cloud):
    start = _minute(cloud)
    cw.put_metric_data(
        Namespace="Shop",
        MetricData=[
            {"MetricName": "Hits", "Value": 1, "Dimensions": [{"Name": "Page", "Value": "a"}],
             "Timestamp": start},
            {"MetricName": "Hits", "Value": 5, "Dimensions": [{"Name": "Page", "Value": "b"}],
             "Timestamp": start},
            {"MetricName": "Hits", "Value": 7, "Unit": "Count",
             "Dimensions": [{"Name": "Page", "Value": "a"}], "Timestamp": start},
        ],
    )  # fmt: skip
    ask = {"Namespace": "Shop", "MetricName": "Hits", "StartTime": start, "Period": 60,
           "EndTime": start + datetime.timedelta(minutes=1), "Statistics": ["Sum"],
           "Dimensions": [{"Name": "Page", "Value": "a"}]}  # fmt: skip
    both = cw.get_metric_statistics(**ask)["Datapoints"]
    assert sorted((p["Unit"], p["Sum"]) for p in both) == [("Count", 7.0), ("None", 1.0)]
    counted = cw.get_metric_statistics(**ask, Unit="Count")["Datapoints"]
    assert [p["Sum"] for p in counted] == [7.0]


def test_get_metric_statistics_more_than_1440_datapoints_is_refused(cw, cloud):
    start = _minute(cloud) - datetime.timedelta(days=2)
    with pytest.raises(ClientError) as error:
        cw.get_metric_statistics(
            Namespace="Shop", MetricName="T", StartTime=start, EndTime=_minute(cloud),
            Period=60, Statistics=["Sum"],
        )  # fmt: skip
    assert _code(error) == "InvalidParameterCombination"
    assert "exceeds the limit of 1440" in error.value.response["Error"]["Message"]


@pytest.mark.parametrize("period", [7, 90])
def test_get_metric_statistics_period_not_allowed_is_refused(cw, cloud, period):
    with pytest.raises(ClientError) as error:
        cw.get_metric_statistics(
            Namespace="Shop", MetricName="T", StartTime=_minute(cloud),
            EndTime=_minute(cloud) + datetime.timedelta(hours=1), Period=period,
            Statistics=["Sum"],
        )  # fmt: skip
    assert _code(error) == "InvalidParameterValue"


def test_put_metric_data_refusals_keep_nothing(cw, cloud):
    start = _minute(cloud)
    cases = [
        ("AWS/EC2", [{"MetricName": "X", "Value": 1}], "InvalidParameterValue"),
        ("Shop", [{"MetricName": "X", "Value": 1},
                  {"MetricName": "Y", "Value": 1, "StatisticValues": {
                      "SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}],
         "InvalidParameterCombination"),
        ("Shop", [{"MetricName": "X", "Value": 1},
                  {"MetricName": "Y", "Values": [1, 2], "Counts": [1]}], "InvalidParameterValue"),
        ("Shop", [{"MetricName": "X", "Value": 1},
                  {"MetricName": "Y", "Value": 1,
                   "Timestamp": start - datetime.timedelta(days=15)}], "InvalidParameterValue"),
        ("Shop", [{"MetricName": "X", "Value": 1, "StorageResolution": 5}],
         "InvalidParameterValue"),
        ("Shop", [{"MetricName": "X", "Value": 1}] * 1001, "InvalidParameterValue"),
    ]  # fmt: skip
    for namespace, data, code in cases:
        with pytest.raises(ClientError) as error:
            cw.put_metric_data(Namespace=namespace, MetricData=data)
        assert _code(error) == code, (namespace, data[:2])
    assert cw.list_metrics()["Metrics"] == []


def test_list_metrics_filters(cw, cloud):
    cw.put_metric_data(
        Namespace="Shop",
        MetricData=[
            {"MetricName": "Hits", "Value": 1, "Dimensions": [{"Name": "Page", "Value": "a"}]},
            {"MetricName": "Hits", "Value": 1, "Dimensions": [{"Name": "Page", "Value": "b"}]},
            {"MetricName": "Errors", "Value": 1},
        ],
    )
    cw.put_metric_data(Namespace="Other", MetricData=[{"MetricName": "Hits", "Value": 1}])
    assert len(cw.list_metrics()["Metrics"]) == 4
    assert len(cw.list_metrics(Namespace="Shop")["Metrics"]) == 3
    by_name = cw.list_metrics(Namespace="Shop", MetricName="Hits")["Metrics"]
    assert [m["Dimensions"] for m in by_name] == [
        [{"Name": "Page", "Value": "a"}],
        [{"Name": "Page", "Value": "b"}],
    ]
    one = cw.list_metrics(Dimensions=[{"Name": "Page", "Value": "b"}])["Metrics"]
    assert [m["Dimensions"][0]["Value"] for m in one] == ["b"]
    assert len(cw.list_metrics(Dimensions=[{"Name": "Page"}])["Metrics"]) == 2
    assert len(cw.list_metrics(RecentlyActive="PT3H")["Metrics"]) == 4
    cloud.clock.advance(4 * 3600)
    assert cw.list_metrics(RecentlyActive="PT3H")["Metrics"] == []


def _errors_and_requests(cw, start):
    for minute, (errors, requests) in enumerate([(1, 10), (0, 20), (5, 10)]):
        stamp = start + datetime.timedelta(minutes=minute)
        cw.put_metric_data(
            Namespace="Shop",
            MetricData=[{"MetricName": "Errors", "Value": errors, "Timestamp": stamp},
                        {"MetricName": "Requests", "Value": requests, "Timestamp": stamp}],
        )  # fmt: skip


def _stat(query_id: str, name: str) -> dict[str, Any]:
    return {
        "Id": query_id,
        "ReturnData": False,
        "MetricStat": {
            "Metric": {"Namespace": "Shop", "MetricName": name},
            "Period": 60,
            "Stat": "Sum",
        },
    }


def test_get_metric_data_metric_math(cw, cloud):
    start = _minute(cloud) - datetime.timedelta(minutes=5)
    _errors_and_requests(cw, start)
    got = cw.get_metric_data(
        MetricDataQueries=[
            _stat("e", "Errors"), _stat("r", "Requests"),
            {"Id": "rate", "Expression": "100 * e / r", "Label": "Error rate"},
            {"Id": "total", "Expression": "SUM([e, r])"},
            {"Id": "worst", "Expression": "MAX(e)"},
            {"Id": "bad", "Expression": "IF(e > 2, 1, 0)"},
            {"Id": "filled", "Expression": "FILL(e, 0)"},
        ],
        StartTime=start, EndTime=start + datetime.timedelta(minutes=4),
        ScanBy="TimestampAscending",
    )  # fmt: skip
    results = {r["Id"]: r for r in got["MetricDataResults"]}
    assert set(results) == {"rate", "total", "worst", "bad", "filled"}
    assert results["rate"]["Label"] == "Error rate"
    assert results["rate"]["Values"] == [10.0, 0.0, 50.0]
    assert results["total"]["Values"] == [11.0, 20.0, 15.0]
    assert set(results["worst"]["Values"]) == {5.0}
    assert results["bad"]["Values"] == [0.0, 0.0, 1.0]
    assert results["filled"]["Values"] == [1.0, 0.0, 5.0, 0.0]
    assert all(r["StatusCode"] == "Complete" for r in got["MetricDataResults"])


def test_get_metric_data_pages_by_max_datapoints(cw, cloud):
    start = _minute(cloud) - datetime.timedelta(minutes=5)
    _errors_and_requests(cw, start)
    ask = {"MetricDataQueries": [{**_stat("e", "Errors"), "ReturnData": True}],
           "StartTime": start, "EndTime": start + datetime.timedelta(minutes=4),
           "MaxDatapoints": 2}  # fmt: skip
    first = cw.get_metric_data(**ask)
    assert first["MetricDataResults"][0]["Values"] == [5.0, 0.0]  # newest first by default
    assert first["MetricDataResults"][0]["StatusCode"] == "PartialData"
    second = cw.get_metric_data(**ask, NextToken=first["NextToken"])
    assert second["MetricDataResults"][0]["Values"] == [1.0]
    assert "NextToken" not in second


def test_get_metric_data_unsupported_function_is_refused(cw, cloud):
    start = _minute(cloud)
    with pytest.raises(ClientError) as error:
        cw.get_metric_data(
            MetricDataQueries=[_stat("e", "Errors"),
                               {"Id": "a", "Expression": "ANOMALY_DETECTION_BAND(e)"}],
            StartTime=start, EndTime=start + datetime.timedelta(minutes=4),
        )  # fmt: skip
    assert _code(error) == "ValidationError"
    assert "ANOMALY_DETECTION_BAND" in error.value.response["Error"]["Message"]

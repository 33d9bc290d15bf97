"""CloudWatch clients of the tests: real boto3 clients forced to one of the model's protocols.

boto3 speaks the first protocol of CloudWatch's model (``smithy-rpc-v2-cbor``); these tests pick
each one the model lists through the protocol tests' :func:`tests.protocol.roundtrip.speaking`
(a botocore session over a copy of the model that offers that protocol alone), so the client is
real botocore through and through.
"""

from __future__ import annotations

from typing import Any

import boto3

from bgkit.local.process import DUMMY_CREDENTIALS
from bgkit.local.server import LocalCloud
from tests.protocol.roundtrip import served_protocols, speaking

#: the protocols the local cloud answers CloudWatch in: every one its model lists
PROTOCOLS = served_protocols("cloudwatch")


def cloudwatch(cloud: LocalCloud, protocol: str, region: str = "us-east-1") -> Any:
    """A boto3 CloudWatch client of ``cloud`` that speaks ``protocol``."""
    session = boto3.session.Session(botocore_session=speaking("cloudwatch", protocol),
                                    **DUMMY_CREDENTIALS)  # fmt: skip
    return session.client("cloudwatch", region_name=region, endpoint_url=cloud.endpoint_url)


def alarm_now(cloud: LocalCloud, name: str, *, firing: bool, **more: Any) -> None:
    """A real alarm of ``cloud`` on an ALB's 5xx, made anew so it is evaluated on the next pass:
    in ALARM at once when ``firing`` (missing data breaches), else OK (missing data does not)."""
    client = cloud.client("cloudwatch")
    if client.describe_alarms(AlarmNames=[name])["MetricAlarms"]:
        client.delete_alarms(AlarmNames=[name])
    client.put_metric_alarm(
        AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
        Dimensions=[{"Name": "LoadBalancer", "Value": "app/bgkit-alb/0"}], Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="breaching" if firing else "notBreaching", **more,
    )  # fmt: skip

"""Small helpers of the ELBv2 API tests: plain boto3 calls and the error code of a refusal."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Code"]


def target_group(elbv2: Any, vpc: str, name: str = "bgkit-tg-1", **extra: Any) -> str:
    made = elbv2.create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip", **extra
    )
    return made["TargetGroups"][0]["TargetGroupArn"]


def forward(arn: str) -> list[dict[str, Any]]:
    return [{"Type": "forward", "TargetGroupArn": arn}]

"""Fixtures of the API tests: boto3 clients closed after each test; an ALB in the default VPC."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bgkit.local.server import LocalCloud


@pytest.fixture
def ec2(cloud: LocalCloud) -> Iterator[Any]:
    made = cloud.client("ec2")
    yield made
    made.close()


@pytest.fixture
def elbv2(cloud: LocalCloud) -> Iterator[Any]:
    made = cloud.client("elbv2")
    yield made
    made.close()


@pytest.fixture
def vpc(ec2: Any) -> str:
    return ec2.describe_vpcs()["Vpcs"][0]["VpcId"]


@pytest.fixture
def alb(elbv2: Any, ec2: Any) -> str:
    """An Application Load Balancer's ARN in the default VPC."""
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]]
    made = elbv2.create_load_balancer(Name="bgkit-alb", Subnets=subnets[:2])
    return made["LoadBalancers"][0]["LoadBalancerArn"]

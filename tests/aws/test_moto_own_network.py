"""The kit's own VPC (a region without a default VPC) made, listed and deleted against moto, a
second and independent implementation of AWS, and against the local cloud: the same calls must
work on both, and leave the same network and then nothing."""

from __future__ import annotations

import os
from typing import Any

import pytest

from bgkit.config import Settings
from bgkit.connect import Session
from bgkit.walkthrough import network
from tests.aws.test_moto_differential import MotoKit

moto = pytest.importorskip("moto")


def build_and_delete(kit: Any) -> dict[str, Any]:
    """What :func:`network.own_network` made (twice: get-or-create), as seen by describe calls,
    and what is left after :func:`network.delete_network`."""
    vpc_id, subnet_ids = network.own_network(kit)
    again = network.own_network(kit)
    ec2 = kit.client("ec2")
    subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": subnet_ids}]
    )["RouteTables"]
    seen = {
        "same twice": again == (vpc_id, subnet_ids),
        "blocks": sorted(s["CidrBlock"] for s in subnets),
        "zones": len({s["AvailabilityZone"] for s in subnets}),
        "public": all(s["MapPublicIpOnLaunch"] for s in subnets),
        "tables": len(tables),
        "default route": sorted(r.get("GatewayId", "")[:4] for r in tables[0]["Routes"]),
        "listed": sorted(kind for _, kind, _ in network.network_resources(kit)),
    }
    seen["deleted"] = sorted(kind for _, kind, _ in network.delete_network(kit, timeout=10))
    seen["left"] = network.network_resources(kit)
    return seen


@pytest.mark.control_plane
def test_moto_and_the_local_cloud_build_and_delete_the_same_network(cloud, tmp_path, monkeypatch):
    ours = build_and_delete(
        Session(Settings.load({}, local_port=cloud.port, prefix="net", state_dir=tmp_path / "l"))
    )
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with moto.mock_aws():
        theirs = build_and_delete(
            MotoKit(Settings.load({}, target="aws", prefix="net", state_dir=tmp_path / "m"))
        )
    assert ours == theirs
    assert ours["listed"] == ["internet gateway", "route table", "subnet", "subnet", "vpc"]
    assert ours["default route"] == ["igw-", "loca"] and ours["left"] == []

"""``bgkit cleanup --all-prefixes``: a facilitator deletes every participant's resources, found
by their tags — and nothing untagged, even with a matching name."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from bgkit import walkthrough as wt
from bgkit.cli import main
from bgkit.config import Settings
from bgkit.connect import Session
from bgkit.workshop import known_prefixes


def _participant(cloud, prefix: str) -> Session:
    kit = Session(Settings.load({}, local_port=cloud.port, prefix=prefix))
    vpc_id, _ = wt.default_network(kit)
    wt.security_group(kit, vpc_id)
    wt.target_groups(kit, vpc_id)
    wt.task_execution_role(kit)
    wt.cluster(kit)
    wt.log_group(kit)
    return kit


@pytest.fixture
def room(cloud, bare_env):
    """Two participants' resources, and an untagged security group named like a third's."""
    bare_env.setenv("BGKIT_LOCAL_PORT", str(cloud.port))
    # the in-process cloud has no pid file for connect() to find: do not start another
    bare_env.setattr(sys.modules["bgkit.connect"], "start_background", lambda settings: None)
    kits = {prefix: _participant(cloud, prefix) for prefix in ("alice", "bob")}
    ec2 = cloud.client("ec2")
    vpc_id, _ = wt.default_network(kits["alice"])
    ec2.create_security_group(GroupName="carol-sg", Description="not the kit's", VpcId=vpc_id)
    return kits


@pytest.mark.control_plane
def test_known_prefixes_are_read_from_the_tags(room):
    assert known_prefixes(room["alice"]) == ["alice", "bob"]


@pytest.mark.control_plane
def test_cleanup_all_prefixes_deletes_every_participants_and_nothing_untagged(room, cloud):
    result = CliRunner().invoke(main, ["cleanup", "--all-prefixes", "--yes"])
    assert result.exit_code == 0, result.output
    assert "prefix alice: nothing is left" in result.output
    assert "prefix bob: nothing is left" in result.output
    for kit in room.values():
        assert wt.created_resources(kit).empty
    groups = cloud.client("ec2").describe_security_groups()["SecurityGroups"]
    assert "carol-sg" in {group["GroupName"] for group in groups}
    again = CliRunner().invoke(main, ["cleanup", "--all-prefixes", "--yes"])
    assert again.exit_code == 0 and "nothing of any prefix" in again.output


@pytest.mark.control_plane
def test_cleanup_one_prefix_leaves_the_others(room):
    result = CliRunner().invoke(main, ["cleanup", "--prefix", "alice", "--yes"])
    assert result.exit_code == 0, result.output
    assert wt.created_resources(room["alice"]).empty
    assert len(wt.created_resources(room["bob"])) == 6


def test_prefix_and_all_prefixes_together_are_refused():
    result = CliRunner().invoke(main, ["cleanup", "--all-prefixes", "--prefix", "alice"])
    assert result.exit_code == 2 and "not both" in result.output

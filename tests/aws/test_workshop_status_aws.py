"""``bgkit workshop status --target aws``: the aws target's own code (credentials, region, the
cost guard) against a local cloud's endpoint, so nothing leaves the machine."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bgkit import walkthrough as wt
from bgkit.cli import main


@pytest.mark.control_plane
def test_status_on_the_aws_target_reads_the_shared_account(aws_kit):
    vpc_id, _ = wt.default_network(aws_kit)
    wt.security_group(aws_kit, vpc_id)
    wt.cluster(aws_kit)
    wt.codedeploy_role(aws_kit)
    result = CliRunner().invoke(main, ["workshop", "status", "--target", "aws"])
    assert result.exit_code == 0, result.output
    header, row, *rest = result.output.splitlines()
    assert header.split()[:3] == ["prefix", "reached", "role"]
    assert row.split()[:3] == ["alice", "02", "alice-codedeploy"]
    assert row.split()[-1] == "0.0"  # no load balancer, no task: nothing billed an hour
    assert rest == []  # no note: on AWS the cost column is the bill


@pytest.mark.control_plane
def test_status_of_an_empty_account(aws_env):
    result = CliRunner().invoke(main, ["workshop", "status", "--target", "aws"])
    assert result.exit_code == 0, result.output
    assert result.output == "no participant has resources of the kit on aws yet\n"

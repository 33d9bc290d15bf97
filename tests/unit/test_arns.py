"""ARNs read by botocore's ArnParser, through the one helper beside the ARN builder."""

from __future__ import annotations

import pytest

from bgkit.local.ids import arn, parse_arn


def test_an_arn_built_here_parses_back_into_its_parts():
    built = arn("codedeploy", "us-east-1", "deploymentgroup:app/group")
    assert parse_arn(built) == {
        "partition": "aws",
        "service": "codedeploy",
        "region": "us-east-1",
        "account": "123456789012",
        "resource": "deploymentgroup:app/group",
    }
    assert parse_arn(arn("iam", "", "role/r"))["region"] == ""


@pytest.mark.parametrize("text", ["", "arn:aws:ecs", "name", "aws:ecs:r:a:cluster/c", "arn:a:b:c"])
def test_what_is_not_an_arn_parses_to_none(text):
    assert parse_arn(text) is None

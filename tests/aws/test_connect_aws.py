"""``bgkit.connect(target="aws")``: the standard credential chain and region, and a clear refusal
— before any call — when either is missing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import bgkit
from bgkit import walkthrough as wt
from bgkit.config import Settings
from bgkit.connect import Session
from bgkit.errors import AwsTargetError

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_connect_without_credentials_refuses_and_calls_nothing(bare_env, api_calls):
    bare_env.setenv("AWS_REGION", "eu-west-1")
    with pytest.raises(AwsTargetError) as raised:
        bgkit.connect(target="aws")
    message = str(raised.value)
    assert "no AWS credentials" in message
    assert "aws configure" in message and "AWS_PROFILE" in message
    assert api_calls == []


def test_connect_without_credentials_creates_nothing_on_the_endpoint(
    bare_env, cloud, local_client, api_calls
):
    bare_env.setenv("AWS_REGION", "eu-west-1")
    bare_env.setenv("AWS_ENDPOINT_URL", cloud.endpoint_url)
    bare_env.setenv("BGKIT_TARGET", "aws")
    with pytest.raises(AwsTargetError):
        kit = bgkit.connect()  # the first cell of every notebook
        wt.prepare(kit)
    assert api_calls == []
    assert (
        local_client("ec2").describe_security_groups(
            Filters=[{"Name": "tag-key", "Values": ["bgkit:kit"]}]
        )["SecurityGroups"]
        == []
    )
    assert local_client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert local_client("iam").list_roles()["Roles"] == []


def test_connect_without_region_refuses(bare_env, api_calls):
    bare_env.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    bare_env.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    with pytest.raises(AwsTargetError, match="no AWS region") as raised:
        bgkit.connect(target="aws")
    assert "AWS_REGION" in str(raised.value)
    assert api_calls == []


def test_connect_takes_region_and_credentials_of_the_profile(bare_env, tmp_path):
    (tmp_path / "aws-config").write_text("[profile workshop]\nregion = ap-southeast-1\n")
    (tmp_path / "aws-credentials").write_text(
        "[workshop]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n"
    )
    bare_env.setenv("AWS_PROFILE", "workshop")
    kit = bgkit.connect(target="aws")
    assert kit.settings.region == "ap-southeast-1"
    assert kit.region_name == "ap-southeast-1"
    assert kit.get_credentials().access_key == "AKIAEXAMPLE"


def test_connect_region_keyword_wins_over_the_profile(bare_env, tmp_path):
    (tmp_path / "aws-config").write_text("[default]\nregion = ap-southeast-1\n")
    bare_env.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    bare_env.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    assert bgkit.connect(target="aws", region="eu-central-1").region_name == "eu-central-1"


def test_connect_with_an_unknown_profile_says_how_to_list_them(bare_env):
    bare_env.setenv("AWS_PROFILE", "nobody")
    bare_env.setenv("AWS_REGION", "eu-west-1")
    with pytest.raises(AwsTargetError, match="list-profiles"):
        bgkit.connect(target="aws")


def test_local_target_needs_no_aws_configuration(bare_env, cloud):
    kit = Session(Settings.load(local_port=cloud.port))
    assert kit.client("sts").get_caller_identity()["Account"]


def test_every_notebook_connects_before_its_first_aws_call():
    """So that, without credentials, each stops at ``bgkit.connect()`` and creates nothing."""
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        cells = [
            "".join(cell["source"])
            for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "code"
        ]
        uses = [i for i, text in enumerate(cells) if re.search(r"\bkit\b", text)]
        if not uses:
            continue
        first = cells[uses[0]]
        assert "bgkit.connect(" in first, f"{path.name} uses `kit` before `bgkit.connect()`"
        use = re.search(r"\bkit\.", first)
        assert use is None or first.index("bgkit.connect(") < use.start(), path.name

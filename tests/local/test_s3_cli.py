"""S3 through the AWS CLI: ``aws s3`` (mb, cp both ways, ls, rm) and ``aws s3api``, with the
environment ``bgkit local env`` prints (``AWS_ENDPOINT_URL`` and dummy credentials).

Sources: the AWS CLI's ``s3`` and ``s3api`` command references (the exit status 1 of a failed
``s3`` transfer; a service error in ``s3api`` is 255 in the version-1 CLI of the dev extra).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bgkit.local.process import DUMMY_CREDENTIALS
from bgkit.local.server import LocalCloud

pytestmark = pytest.mark.control_plane

AWS = str(Path(sys.executable).parent / "aws")


@pytest.fixture
def aws(cloud: LocalCloud, tmp_path: Path) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=cloud.endpoint_url,
        AWS_ACCESS_KEY_ID=DUMMY_CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=DUMMY_CREDENTIALS["aws_secret_access_key"],
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
    )

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [AWS, *args], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run


def test_s3_cp_ls_and_back(aws: Any, tmp_path: Path) -> None:
    source = tmp_path / "appspec.yaml"
    source.write_text("version: 0.0\nResources: []\n")

    aws("s3", "mb", "s3://bgkit-cli")
    aws("s3", "cp", str(source), "s3://bgkit-cli/deploy/appspec.yaml")
    listed = aws("s3", "ls", "s3://bgkit-cli/deploy/").stdout
    aws("s3", "cp", "s3://bgkit-cli/deploy/appspec.yaml", str(tmp_path / "back.yaml"))

    assert listed.split()[-2:] == [str(source.stat().st_size), "appspec.yaml"]
    assert (tmp_path / "back.yaml").read_text() == source.read_text()
    assert "bgkit-cli" in aws("s3", "ls").stdout
    aws("s3", "rm", "s3://bgkit-cli/deploy/appspec.yaml")
    assert aws("s3", "ls", "s3://bgkit-cli/", check=False).stdout == ""


def test_s3api_versions_and_refusals(aws: Any, tmp_path: Path) -> None:
    aws("s3api", "create-bucket", "--bucket", "bgkit-cli")
    aws("s3api", "put-bucket-versioning", "--bucket", "bgkit-cli",
        "--versioning-configuration", "Status=Enabled")  # fmt: skip
    body = tmp_path / "taskdef.json"
    body.write_text("{}")
    put_object = ("s3api", "put-object", "--bucket", "bgkit-cli", "--key", "taskdef.json")
    put = json.loads(aws(*put_object, "--body", str(body)).stdout)
    versions = json.loads(aws("s3api", "list-object-versions", "--bucket", "bgkit-cli").stdout)[
        "Versions"
    ]

    assert [v["VersionId"] for v in versions] == [put["VersionId"]]
    missing = aws("s3api", "head-object", "--bucket", "bgkit-cli", "--key", "nope", check=False)
    assert missing.returncode == 255
    assert "Not Found" in missing.stderr
    refused = aws("s3api", "delete-bucket", "--bucket", "bgkit-cli", check=False)
    assert refused.returncode == 255
    assert "BucketNotEmpty" in refused.stderr

"""`bgkit workshop setup` and `remove` (issue 19) on a local cloud: the room's boundary, one IAM
user a participant with the participant policy and a key in a 0600 file, and its reverse, which
never removes a user the kit did not make."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from bgkit import permissions
from bgkit.config import Settings
from bgkit.connect import Session
from bgkit.errors import ConfigError
from bgkit.local.ports import free_listener_offset
from bgkit.workshop_setup import prefixes, remove, set_up

pytestmark = pytest.mark.control_plane

BOUNDARY = permissions.boundary_arn("123456789012")
BGKIT = str(Path(sys.executable).parent / "bgkit")
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def kit(cloud):
    return Session(Settings.load({}, local_port=cloud.port))


def test_prefixes_are_counted_or_given_never_both():
    assert prefixes(3) == ["p1", "p2", "p3"]
    assert prefixes(names=["alice", "bob"]) == ["alice", "bob"]
    for wrong in ({}, {"count": 2, "names": ["a"]}, {"count": 0}, {"names": ["a", "a"]},
                  {"names": ["has space"]}, {"names": ["x" * 40]}):  # fmt: skip
        with pytest.raises(ConfigError):
            prefixes(**wrong)


def test_set_up_makes_the_boundary_and_a_user_a_participant(kit, tmp_path):
    made = set_up(kit, ["p1", "p2"], tmp_path / "keys")
    iam = kit.client("iam")
    boundary = iam.get_policy(PolicyArn=BOUNDARY)["Policy"]
    text = iam.get_policy_version(PolicyArn=BOUNDARY, VersionId="v1")["PolicyVersion"]
    assert text["Document"] == permissions.boundary_document()
    assert {"Key": "bgkit:workshop", "Value": "boundary"} in boundary["Tags"]
    assert [p.user_name for p in made] == ["bgkit-p1", "bgkit-p2"]
    attached = iam.list_attached_user_policies(UserName="bgkit-p1")["AttachedPolicies"]
    assert [a["PolicyName"] for a in attached] == ["bgkit-participant-p1"]
    policy = iam.get_policy_version(PolicyArn=attached[0]["PolicyArn"], VersionId="v1")
    assert policy["PolicyVersion"]["Document"] == json.loads(
        json.dumps(permissions.policy_document("p1", boundary=BOUNDARY))
    )
    keys = iam.list_access_keys(UserName="bgkit-p1")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [made[0].access_key_id]
    assert "SecretAccessKey" not in keys[0]
    assert made[0].secret_access_key not in repr(made[0])


def test_each_participant_file_is_private_and_holds_their_settings(kit, tmp_path):
    (made,) = set_up(kit, ["p1"], tmp_path / "keys")
    assert stat.S_IMODE(made.env_file.stat().st_mode) == 0o600
    env = dict(line.split("=", 1) for line in made.env_file.read_text().splitlines())
    assert env == {
        "BGKIT_TARGET": "local",
        "BGKIT_PREFIX": "p1",
        "BGKIT_PERMISSIONS_BOUNDARY": BOUNDARY,
        "AWS_ACCESS_KEY_ID": made.access_key_id,
        "AWS_SECRET_ACCESS_KEY": made.secret_access_key,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def test_set_up_refuses_a_user_that_exists_and_makes_nothing(kit, tmp_path):
    kit.client("iam").create_user(UserName="bgkit-p2")
    with pytest.raises(ConfigError, match="bgkit-p2 exists already"):
        set_up(kit, ["p1", "p2"], tmp_path)
    assert [u["UserName"] for u in kit.client("iam").list_users()["Users"]] == ["bgkit-p2"]


def test_a_participant_key_is_the_participants_identity(kit, cloud, tmp_path):
    (made,) = set_up(kit, ["p1"], tmp_path)
    iam = boto3.client(
        "iam", endpoint_url=cloud.endpoint_url, region_name="us-east-1",
        aws_access_key_id=made.access_key_id, aws_secret_access_key=made.secret_access_key,
    )  # fmt: skip
    with pytest.raises(iam.exceptions.ClientError, match="user/bgkit-p1 is not authorized"):
        iam.create_user(UserName="bgkit-admin")
    assert iam.list_roles()["Roles"] == []  # ReadIam
    iam.close()


def test_remove_deletes_what_set_up_made_and_then_the_boundary(kit, tmp_path):
    set_up(kit, ["p1", "p2"], tmp_path)
    assert remove(kit, ["p1"]) == ["p1"]
    iam = kit.client("iam")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["bgkit-p2"]
    assert iam.get_policy(PolicyArn=BOUNDARY)  # p2 is still in the room
    assert remove(kit) == ["p2"]
    assert iam.list_users()["Users"] == []
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_remove_keeps_a_boundary_a_role_still_has(kit, tmp_path):
    set_up(kit, ["p1"], tmp_path)
    kit.client("iam").create_role(
        RoleName="p1-task-execution", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=BOUNDARY
    )
    assert remove(kit) == ["p1"]
    assert (
        kit.client("iam").get_policy(PolicyArn=BOUNDARY)["Policy"]["PermissionsBoundaryUsageCount"]
        == 1
    )


def test_remove_refuses_a_user_it_did_not_make(kit, tmp_path):
    set_up(kit, ["p1"], tmp_path)
    kit.client("iam").create_user(UserName="bgkit-p9")
    with pytest.raises(ConfigError, match="bgkit-p9 was not made by bgkit workshop setup"):
        remove(kit, ["p1", "p9"])
    users = [u["UserName"] for u in kit.client("iam").list_users()["Users"]]
    assert users == ["bgkit-p1", "bgkit-p9"]


def test_the_commands_set_up_and_remove_the_room(tmp_path):
    """The facilitator's commands in real processes, against a local cloud of their own."""
    env = {**os.environ, "BGKIT_LOCAL_PORT": str(free_port()),
           "BGKIT_STATE_DIR": str(tmp_path / "state"),
           "BGKIT_LISTENER_OFFSET": str(free_listener_offset((80, 8080)))}  # fmt: skip

    def bgkit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([BGKIT, *args], env=env, capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)  # fmt: skip

    out = tmp_path / "keys"
    try:
        made = bgkit("workshop", "setup", "--participants", "2", "--out", str(out))
        assert made.returncode == 0, made.stderr
        assert "p2: user bgkit-p2" in made.stdout
        assert sorted(p.name for p in out.iterdir()) == ["p1.env", "p2.env"]
        secrets = [line.split("=", 1)[1] for line in (out / "p1.env").read_text().splitlines()
                   if line.startswith("AWS_SECRET")]  # fmt: skip
        assert secrets and secrets[0] not in made.stdout
        twice = bgkit("workshop", "setup", "--prefix", "p1", "--out", str(out))
        assert twice.returncode == 1 and "exists already" in twice.stderr
        gone = bgkit("workshop", "remove")
        assert gone.returncode == 0 and "removed p1, p2" in gone.stdout, gone.stderr
    finally:
        bgkit("local", "down")

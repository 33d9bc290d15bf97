"""``bgkit check``: each problem found, with its fix — on the local cloud and, for the aws
target, against a local cloud and with botocore's Stubber."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from bgkit import permissions, preflight
from bgkit.cli import main
from bgkit.config import Settings
from bgkit.errors import PortInUseError

USER = "arn:aws:iam::123456789012:user/alice"


class StubbedKit:
    """The interface of :class:`bgkit.connect.Session` over stubbed clients."""

    def __init__(self, region: str = "eu-west-1") -> None:
        self.settings = Settings.load({}, target="aws", region=region, prefix="alice")
        session = boto3.session.Session(
            region_name=region, aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x"
        )
        self.clients = {name: session.client(name) for name in ("sts", "iam", "ec2")}
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}
        for stub in self.stubs.values():
            stub.activate()

    def client(self, name: str, **_: Any) -> Any:
        return self.clients[name]

    def url(self, port: int, path: str = "") -> str:
        return f"http://alice-alb.example:{port}{path}"


def _identity(kit: StubbedKit, arn: str = USER) -> None:
    kit.stubs["sts"].add_response(
        "get_caller_identity", {"Account": "123456789012", "Arn": arn, "UserId": "AIDAEXAMPLE"}
    )


def _network(kit: StubbedKit, zones: tuple[str, ...] = ("eu-west-1a", "eu-west-1b")) -> None:
    kit.stubs["ec2"].add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-1"}]})
    subnets = [{"SubnetId": f"subnet-{i}", "AvailabilityZone": z} for i, z in enumerate(zones)]
    kit.stubs["ec2"].add_response("describe_subnets", {"Subnets": subnets})


def _simulation(kit: StubbedKit, denied: set[str]) -> None:
    actions = list(permissions.ACTIONS)
    for start in range(0, len(actions), 50):
        chunk = actions[start : start + 50]
        results = [
            {"EvalActionName": a, "EvalResourceName": "*",
             "EvalDecision": "implicitDeny" if a in denied else "allowed"}
            for a in chunk
        ]  # fmt: skip
        kit.stubs["iam"].add_response(
            "simulate_principal_policy",
            {"EvaluationResults": results, "IsTruncated": False},
            {"PolicySourceArn": USER, "ActionNames": chunk},
        )


def _names(checks: list[preflight.Check]) -> dict[str, preflight.Check]:
    return {check.name: check for check in checks}


# -- everywhere and local ---------------------------------------------------------------------


def test_setup_checks_cover_python_and_every_dependency():
    found = _names(preflight.setup_checks())
    assert {"Python", "boto3", "botocore", "ipywidgets", "pandas"} <= set(found)
    assert all(check.ok for check in found.values())


def test_local_checks_pass_with_a_running_cloud_and_free_ports(cloud, monkeypatch):
    monkeypatch.setattr("bgkit.local.process.start_background", lambda s: cloud.status())
    settings = Settings.load({}, local_port=cloud.port, listener_offset=cloud.listener_offset)
    found = _names(preflight.local_checks(settings))
    assert found["local cloud"].ok and "answers on" in found["local cloud"].detail
    assert found["listener port 80"].ok and found["listener port 8080"].ok


def test_local_checks_name_a_taken_listener_port_and_the_offset_fix(cloud, monkeypatch):
    monkeypatch.setattr("bgkit.local.process.start_background", lambda s: cloud.status())
    settings = Settings.load({}, local_port=cloud.port, listener_offset=cloud.listener_offset)
    found = _names(preflight.local_checks(settings, port_is_free=lambda port: False))
    check = found["listener port 8080"]
    assert check.ok is False and str(cloud.listener_offset + 8080) in check.detail
    assert "BGKIT_LISTENER_OFFSET" in check.fix


def test_local_checks_name_a_taken_endpoint_port_and_the_port_fix(monkeypatch, tmp_path):
    def taken(settings: Settings) -> None:
        raise PortInUseError("in use")

    monkeypatch.setattr("bgkit.local.process.start_background", taken)
    found = _names(preflight.local_checks(Settings.load({}, state_dir=tmp_path)))
    assert found["local cloud"].ok is False and "BGKIT_LOCAL_PORT" in found["local cloud"].fix


# -- aws: no credentials, and against a local cloud -------------------------------------------


def test_aws_without_credentials_is_one_problem_with_its_fix(bare_env):
    bare_env.setenv("AWS_REGION", "eu-west-1")
    report = preflight.run_checks(Settings.load(target="aws"))
    problem = _names(report.checks)["credentials and region"]
    assert problem.ok is False and "no AWS credentials" in problem.detail
    assert "aws configure" in problem.fix
    assert not report.ok and "1 problem(s) to fix" in str(report)


def test_check_command_exits_1_and_prints_the_fix(bare_env):
    result = CliRunner().invoke(main, ["check", "--target", "aws"])
    assert result.exit_code == 1
    assert "✗ credentials and region" in result.output and "fix:" in result.output


def test_aws_checks_against_the_local_cloud(aws_kit):
    found = _names(preflight.aws_checks(aws_kit))
    assert found["endpoint"].ok is False and "unset AWS_ENDPOINT_URL" in found["endpoint"].fix
    assert found["identity"].ok and "123456789012" in found["identity"].detail
    assert found["region"].ok and "eu-west-1" in found["region"].detail
    assert found["default VPC"].ok
    assert found["permissions"].detail == "the root user may do everything"  # the local caller
    # a user the local cloud does not know: SimulatePrincipalPolicy answers NoSuchEntity, so the
    # report says it could not check
    (check,) = preflight.permission_checks(aws_kit, USER)
    assert check.ok is None and "could not check" in check.detail


# -- aws, stubbed -----------------------------------------------------------------------------


def test_all_permissions_allowed(monkeypatch):
    kit = StubbedKit()
    _identity(kit)
    _network(kit)
    _simulation(kit, denied=set())
    found = _names(preflight.aws_checks(kit, env={}))
    assert all(check.ok for check in found.values()), found
    assert f"all {len(permissions.ACTIONS)} actions" in found["permissions"].detail
    for stub in kit.stubs.values():
        stub.assert_no_pending_responses()


def test_each_denied_action_is_a_problem_with_its_fix():
    kit = StubbedKit()
    _identity(kit)
    _network(kit)
    _simulation(kit, denied={"iam:PassRole", "ecs:CreateService"})
    report = preflight.Report("aws", preflight.aws_checks(kit, env={}))
    assert [c.name for c in report.problems] == [
        "permission ecs:CreateService",
        "permission iam:PassRole",
    ]
    assert all("README" in c.fix and "implicitDeny" in c.detail for c in report.problems)


def test_simulation_not_allowed_says_it_could_not_check():
    kit = StubbedKit()
    _identity(kit)
    _network(kit)
    kit.stubs["iam"].add_client_error("simulate_principal_policy", "AccessDenied", "no")
    report = preflight.Report("aws", preflight.aws_checks(kit, env={}))
    check = _names(report.checks)["permissions"]
    assert check.ok is None and "AccessDenied" in check.detail
    assert "iam:SimulatePrincipalPolicy" in check.fix
    assert report.ok and "1 thing(s) not checked" in str(report)


def test_assumed_role_is_simulated_as_its_role_with_its_path():
    kit = StubbedKit()
    role = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/Workshop"
    kit.stubs["iam"].add_response(
        "get_role",
        {"Role": {"Path": "/aws-reserved/sso.amazonaws.com/", "RoleName": "Workshop",
                  "RoleId": "AROAEXAMPLE12345", "Arn": role,
                  "CreateDate": "2026-01-01T00:00:00Z"}},
        {"RoleName": "Workshop"},
    )  # fmt: skip
    caller = "arn:aws:sts::123456789012:assumed-role/Workshop/alice"
    assert preflight.principal_arn(kit, caller) == role


def test_root_and_federated_callers():
    kit = StubbedKit()
    root = preflight.permission_checks(kit, "arn:aws:iam::123456789012:root")
    assert root[0].ok and "root" in root[0].fix
    federated = preflight.permission_checks(kit, "arn:aws:sts::123456789012:federated-user/bob")
    assert federated[0].ok is None


def test_rejected_credentials_say_how_to_refresh_them():
    kit = StubbedKit()
    kit.stubs["sts"].add_client_error("get_caller_identity", "ExpiredToken", "expired")
    found = _names(preflight.aws_checks(kit, env={}))
    assert found["identity"].ok is False and "aws sso login" in found["identity"].fix


def test_region_without_a_default_vpc_says_the_kit_makes_its_own():
    kit = StubbedKit()
    _identity(kit)
    kit.stubs["ec2"].add_response("describe_vpcs", {"Vpcs": []})
    kit.stubs["ec2"].add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-other"}]})
    _simulation(kit, denied=set())
    check = _names(preflight.aws_checks(kit, env={}))["default VPC"]
    assert check.ok is True and "will make a small VPC of the kit's own" in check.detail


def test_region_without_a_default_vpc_at_its_vpc_quota_is_a_problem():
    kit = StubbedKit()
    _identity(kit)
    kit.stubs["ec2"].add_response("describe_vpcs", {"Vpcs": []})
    full = [{"VpcId": f"vpc-{n}"} for n in range(5)]  # Amazon VPC quotas: 5 VPCs per Region
    kit.stubs["ec2"].add_response("describe_vpcs", {"Vpcs": full})
    _simulation(kit, denied=set())
    check = _names(preflight.aws_checks(kit, env={}))["default VPC"]
    assert check.ok is False and "Service Quotas" in check.fix


def test_region_without_a_default_vpc_finds_the_kits_own():
    kit = StubbedKit()
    _identity(kit)
    kit.stubs["ec2"].add_response("describe_vpcs", {"Vpcs": []})
    tags = [{"Key": "bgkit:kit", "Value": "bgkit"}, {"Key": "bgkit:prefix", "Value": "alice"}]
    kit.stubs["ec2"].add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-kit", "Tags": tags}]})
    _simulation(kit, denied=set())
    check = _names(preflight.aws_checks(kit, env={}))["default VPC"]
    assert check.ok is True and "vpc-kit" in check.detail


@pytest.mark.parametrize("zones", [("eu-west-1a",), ("eu-west-1a", "eu-west-1a")])
def test_default_vpc_in_one_zone_is_a_problem(zones):
    kit = StubbedKit()
    _identity(kit)
    _network(kit, zones)
    _simulation(kit, denied=set())
    check = _names(preflight.aws_checks(kit, env={}))["default VPC"]
    assert check.ok is False and "create-default-subnet" in check.fix

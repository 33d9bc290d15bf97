"""``bgkit check``: what a participant runs first, and what to fix before the walkthrough.

Everywhere: the Python version and the versions of bgkit's packages. On the local target: the
local cloud starts and answers (one the check started is stopped again; one already running is
left running, and the report says which), and the host ports of listeners 80 and 8080 are
free. On the aws target: credentials and region, the identity (``sts:GetCallerIdentity``), the
default VPC and its subnets (or, in a region without one, that the walkthrough will make a VPC of
its own), and whether the caller may perform each action the walkthrough needs
(``iam:SimulatePrincipalPolicy`` on the caller's ARN, when the caller may ask; otherwise the
report says it could not check). Each problem comes with its fix.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from bgkit import permissions
from bgkit.config import Settings
from bgkit.errors import BgkitError, NotRunningError, PortInUseError

__all__ = ["Check", "Report", "aws_checks", "local_checks", "run_checks", "setup_checks"]

LISTENER_PORTS = (80, 8080)
#: VPCs a region may have unless the account asked for more (Amazon VPC quotas)
VPC_QUOTA = 5
PERMISSIONS_FIX = (
    "ask your account's administrator to allow it (README, *Running on AWS*, lists every action "
    "the walkthrough needs; `python -c 'import bgkit.permissions as p, json; "
    "print(json.dumps(p.policy_document(), indent=2))'` prints them as a policy)"
)


@dataclass(frozen=True)
class Check:
    """One thing checked: ``ok`` is ``True``, ``False`` (a problem, with its ``fix``) or ``None``
    (it could not be checked; ``fix`` says how to find out)."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        mark = {True: "✓", False: "✗", None: "?"}[self.ok]
        text = f"{mark} {self.name}: {self.detail}"
        return text + (f"\n    fix: {self.fix}" if self.fix and self.ok is not True else "")


@dataclass
class Report:
    """Every check of a run, in order."""

    target: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found (checks that could not be made do not count as problems)."""
        return all(check.ok is not False for check in self.checks)

    @property
    def problems(self) -> list[Check]:
        return [check for check in self.checks if check.ok is False]

    def __str__(self) -> str:
        lines = [f"bgkit check — target {self.target}"]
        lines += [str(check) for check in self.checks]
        unknown = sum(check.ok is None for check in self.checks)
        verdict = "ready" if self.ok else f"{len(self.problems)} problem(s) to fix"
        lines.append(verdict + (f"; {unknown} thing(s) not checked" if unknown else ""))
        return "\n".join(lines)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": str(self)}


# -- everywhere -------------------------------------------------------------------------------


def setup_checks() -> list[Check]:
    """Python and the versions of the packages bgkit depends on."""
    checks = []
    python = platform.python_version()
    needed = SpecifierSet(metadata.metadata("bgkit")["Requires-Python"] or "")
    if needed.contains(python, prereleases=True):
        checks.append(Check("Python", True, python))
    else:
        checks.append(Check("Python", False, f"{python}; bgkit needs {needed}",
                            f"install Python {needed} and run `make install` again"))  # fmt: skip
    for line in metadata.requires("bgkit") or []:
        requirement = Requirement(line)
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue
        name, wanted = requirement.name, str(requirement.specifier) or "any version"
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            checks.append(Check(name, False, f"missing (needs {wanted})", "run `make install`"))
            continue
        if requirement.specifier.contains(version, prereleases=True):
            checks.append(Check(name, True, version))
        else:
            checks.append(Check(name, False, f"{version}, but bgkit needs {wanted}",
                                f"run `make install` (or `pip install '{line}'`)"))  # fmt: skip
    return checks


# -- local ------------------------------------------------------------------------------------


def local_checks(
    settings: Settings, port_is_free: Callable[[int], bool] | None = None
) -> list[Check]:
    """The local cloud starts and answers; listeners 80 and 8080 can have their host ports.

    A local cloud that was not running is started for the check and stopped afterwards; one that
    was running is left as it was. The ``local cloud`` check says which.
    """
    from bgkit.local.process import port_is_free as free_on_loopback
    from bgkit.local.process import read_status, start_background, stop_background

    port_is_free = port_is_free or free_on_loopback
    checks = []
    was_running = read_status(settings)
    try:
        status = start_background(settings)
    except PortInUseError:
        checks.append(Check("local cloud", False,
                            f"port {settings.local_port} is taken by another program",
                            "stop that program, or choose another port: "
                            "`export BGKIT_LOCAL_PORT=4600`"))  # fmt: skip
        status = None
    except BgkitError as error:
        checks.append(Check("local cloud", False, str(error),
                            "read the log it names; `bgkit local reset` starts from a clean "
                            "state"))  # fmt: skip
        status = None
    started = status is not None and (was_running is None or was_running["pid"] != status["pid"])
    try:
        if status is not None:
            checks.append(_answers(settings, status, started))
        checks += _listener_checks(settings, status, port_is_free)
    finally:
        if started:
            with contextlib.suppress(NotRunningError):
                stop_background(settings)
    return checks


def _listener_checks(
    settings: Settings, status: Mapping[str, Any] | None, port_is_free: Callable[[int], bool]
) -> list[Check]:
    checks = []
    served = {listener["port"] for listener in (status or {}).get("listeners", [])}
    for port in LISTENER_PORTS:
        host = settings.listener_offset + port
        name = f"listener port {port}"
        if port in served:
            checks.append(Check(name, True, f"127.0.0.1:{host}, served by the local cloud"))
        elif port_is_free(host):
            checks.append(Check(name, True, f"127.0.0.1:{host} is free"))
        else:
            checks.append(Check(name, False, f"127.0.0.1:{host} is taken by another program",
                                f"stop it (`ss -ltnp 'sport = :{host}'` names it) or move every "
                                "listener: `export BGKIT_LISTENER_OFFSET=20000`"))  # fmt: skip
    return checks


def _answers(settings: Settings, status: Mapping[str, Any], started: bool) -> Check:
    from bgkit.connect import Session

    how = (
        "started for this check and stopped after it (`bgkit local up` or a notebook starts it)"
        if started
        else "it was running, and the check leaves it running"
    )
    try:
        identity = Session(settings).client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        return Check("local cloud", False, f"started (pid {status['pid']}) but does not answer: "
                     f"{error}; {how}", "run `bgkit local down`, then `bgkit check` "
                     "again")  # fmt: skip
    return Check("local cloud", True,
                 f"answers on {settings.endpoint_url} (pid {status['pid']}, account "
                 f"{identity['Account']}); {how}")  # fmt: skip


# -- aws --------------------------------------------------------------------------------------


def aws_checks(kit: Any, env: Mapping[str, str] | None = None) -> list[Check]:
    """Identity, region, default VPC and permissions, through ``kit`` (a session of the aws
    target: anything with ``client(name)`` and ``settings``)."""
    env = os.environ if env is None else env
    checks = []
    endpoint = env.get("AWS_ENDPOINT_URL")
    if endpoint:
        checks.append(Check("endpoint", False,
                            f"AWS_ENDPOINT_URL={endpoint}: the calls go there, not to AWS",
                            "unset AWS_ENDPOINT_URL (`bgkit local env` sets it for the local "
                            "cloud)"))  # fmt: skip
    try:
        identity = kit.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        checks.append(Check("identity", False, f"AWS refuses the credentials: {error}",
                            "refresh them (`aws sso login --profile NAME`, or new access keys "
                            "in `aws configure`), then run `bgkit check --target aws` "
                            "again"))  # fmt: skip
        return checks
    arn, account = identity["Arn"], identity["Account"]
    checks.append(Check("identity", True, f"{arn} (account {account})"))
    checks.append(_region(kit.settings.region))
    checks.append(_default_vpc(kit))
    checks += permission_checks(kit, arn)
    return checks


def _region(region: str) -> Check:
    from bgkit.costs import PriceTable

    table = PriceTable.load()
    if region in table.regions:
        return Check("region", True, f"{region} (prices of {table.compiled} in the cost table)")
    return Check("region", True, f"{region}; the cost table has no prices for it, so the "
                 "estimate uses the highest of its regions")  # fmt: skip


def _own_vpc(kit: Any, vpcs: list[dict[str, Any]]) -> Check:
    """The check of a region without a default VPC: the walkthrough makes a VPC of its own
    (:mod:`bgkit.walkthrough.network`) unless the region is at its quota of VPCs."""
    from bgkit.walkthrough.network import VPC_CIDR
    from bgkit.walkthrough.tags import is_ours

    region = kit.settings.region
    ours = [vpc["VpcId"] for vpc in vpcs if is_ours(vpc.get("Tags"), kit.settings.prefix)]
    if ours:
        return Check("default VPC", True, f"{region} has no default VPC; the walkthrough uses "
                     f"the kit's own, {ours[0]}, made by an earlier run")  # fmt: skip
    if len(vpcs) >= VPC_QUOTA:
        return Check("default VPC", False,
                     f"{region} has no default VPC and already {len(vpcs)} VPCs, the default "
                     "quota, so notebook 01 could not make the kit's own",
                     "delete a VPC you no longer need, ask for more VPCs per Region (Service "
                     "Quotas › Amazon VPC), or choose another region "
                     "(`export AWS_REGION=...`)")  # fmt: skip
    return Check("default VPC", True,
                 f"{region} has no default VPC; notebook 01 will make a small VPC of the kit's "
                 f"own ({VPC_CIDR}: two public subnets in two Availability Zones, an internet "
                 "gateway and its route, tagged by the kit), and notebook 07 and `bgkit "
                 "cleanup` will delete it")  # fmt: skip


def _default_vpc(kit: Any) -> Check:
    ec2 = kit.client("ec2")
    region = kit.settings.region
    try:
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        if not vpcs:
            return _own_vpc(kit, ec2.describe_vpcs()["Vpcs"])
        vpc_id = vpcs[0]["VpcId"]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    except ClientError as error:
        return Check("default VPC", None, f"could not look: {error}",
                     "ask for ec2:DescribeVpcs and ec2:DescribeSubnets")  # fmt: skip
    zones = {subnet["AvailabilityZone"] for subnet in subnets["Subnets"]}
    if len(zones) < 2:
        return Check("default VPC", False,
                     f"{vpc_id} has subnets in {len(zones)} Availability Zone(s); a load "
                     "balancer needs two",
                     f"add a default subnet: `aws ec2 create-default-subnet "
                     f"--availability-zone {region}b`")  # fmt: skip
    return Check("default VPC", True, f"{vpc_id}, subnets in {len(zones)} Availability Zones")


def principal_arn(kit: Any, caller_arn: str) -> str | None:
    """The IAM ARN to simulate for the caller of ``sts:GetCallerIdentity``: the user itself, or
    the role behind an assumed-role session (its path read with ``iam:GetRole`` when allowed);
    ``None`` for the root user and federated users."""
    parts = caller_arn.split(":", 5)
    if len(parts) < 6:
        return None
    account, resource = parts[4], parts[5]
    if resource.startswith("user/"):
        return caller_arn
    if resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        try:
            return kit.client("iam").get_role(RoleName=role)["Role"]["Arn"]
        except (BotoCoreError, ClientError):
            return f"arn:{parts[1]}:iam::{account}:role/{role}"
    return None


def permission_checks(kit: Any, caller_arn: str, actions: Iterable[str] = ()) -> list[Check]:
    """May the caller perform each of ``actions`` (default: :data:`bgkit.permissions.ACTIONS`)?

    One failed check per denied action, or a single passed one; a single ``None`` check when
    IAM could not be asked.
    """
    actions = list(actions) or list(permissions.ACTIONS)
    if caller_arn.endswith(":root"):
        return [Check("permissions", True, "the root user may do everything",
                      "prefer an IAM user or an SSO role to the root user")]  # fmt: skip
    principal = principal_arn(kit, caller_arn)
    if principal is None:
        return [Check("permissions", None, f"cannot simulate the policies of {caller_arn}",
                      "compare your permissions with README, *Running on AWS*")]  # fmt: skip
    iam = kit.client("iam")
    decisions: dict[str, str] = {}
    try:
        for start in range(0, len(actions), 50):
            pages = iam.get_paginator("simulate_principal_policy").paginate(
                PolicySourceArn=principal, ActionNames=actions[start : start + 50]
            )
            for page in pages:
                for result in page["EvaluationResults"]:
                    decisions[result["EvalActionName"]] = result["EvalDecision"]
    except ClientError as error:
        code = error.response["Error"]["Code"]
        return [
            Check(
                "permissions",
                None,
                f"could not check: iam:SimulatePrincipalPolicy on {principal} answered {code}",
                "ask for iam:SimulatePrincipalPolicy on your own ARN to have them "
                "checked, or compare your permissions with README, *Running on AWS*",
            )
        ]
    denied = [action for action in actions if decisions.get(action) != "allowed"]
    if not denied:
        return [
            Check(
                "permissions",
                True,
                f"all {len(actions)} actions the walkthrough needs "
                f"are allowed for {principal} (simulated without resource conditions)",
            )
        ]
    return [
        Check(f"permission {action}", False, f"{decisions.get(action, 'not evaluated')} for "
              f"{principal}", PERMISSIONS_FIX)
        for action in denied
    ]  # fmt: skip


# -- all of it --------------------------------------------------------------------------------


def run_checks(
    settings: Settings | None = None,
    *,
    connect: Callable[..., Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Report:
    """Every check for the target of ``settings`` (default: from the environment).

    Args:
        connect: makes the aws session (default :func:`bgkit.connect`); tests give their own.
        env: the environment (default ``os.environ``).
    """
    settings = settings or Settings.load()
    report = Report(settings.target, setup_checks())
    if settings.target == "local":
        report.checks += local_checks(settings)
        return report
    from bgkit.connect import connect as default_connect
    from bgkit.errors import AwsTargetError

    try:
        kit = (connect or default_connect)(
            target="aws", prefix=settings.prefix, state_dir=settings.state_dir
        )
    except AwsTargetError as error:
        message, _, fix = str(error).partition(". ")
        report.checks.append(Check("credentials and region", False, message, fix))
        return report
    report.checks.append(Check("credentials and region", True,
                               f"found; region {kit.settings.region}"))  # fmt: skip
    report.checks += aws_checks(kit, env)
    return report

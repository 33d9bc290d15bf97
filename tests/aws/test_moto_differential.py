"""The walkthrough's resource-creation calls (IAM, EC2, ELBv2, ECS) against moto, a second and
independent implementation of AWS, and against the local cloud: a call that only the local cloud
accepts is a call that would fail on AWS first.

moto runs in this process (``moto.mock_aws``); no request leaves it. Its AWS managed policies are
loaded (``MOTO_IAM_LOAD_MANAGED_POLICIES``), as on AWS, where ``AttachRolePolicy`` of
``AWSCodeDeployRoleForECSLimited`` works.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from bgkit import walkthrough as wt
from bgkit.config import Settings
from bgkit.connect import Session

moto = pytest.importorskip("moto")

#: calls moto refuses and the local cloud accepts, with why it is not a bug of ours (none known)
KNOWN: dict[str, str] = {}


class MotoKit:
    """The interface of :class:`bgkit.connect.Session` (``client()``, ``settings``, ``url()``)
    over a plain boto3 session, for moto's in-process mock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._session = boto3.session.Session(
            region_name=settings.region, aws_access_key_id="testing", aws_secret_access_key="x"
        )

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        return self._session.client(service_name, *args, **kwargs)

    def url(self, port: int, path: str = "") -> str:
        return f"http://{self.settings.prefix}-alb.example:{port}{path}"


def run_steps(kit: Any) -> dict[str, str]:
    """Notebooks 01–03 and the listing of notebook 07, step by step: ``ok`` or the error
    code of each step (a step whose inputs failed is ``skipped``)."""
    outcomes: dict[str, str] = {}
    made: dict[str, Any] = {}

    def step(name: str, action: Callable[[], Any], *needs: str) -> None:
        if any(outcomes.get(need) != "ok" for need in needs):
            outcomes[name] = "skipped"
            return
        try:
            made[name] = action()
            outcomes[name] = "ok"
        except ClientError as error:
            outcomes[name] = error.response["Error"]["Code"]
        except NotImplementedError as error:  # moto: an operation it lacks
            outcomes[name] = f"not implemented: {error}"

    step("default_network", lambda: wt.default_network(kit))
    vpc = lambda: made["default_network"][0]  # noqa: E731
    subnets = lambda: made["default_network"][1]  # noqa: E731
    step("security_group", lambda: wt.security_group(kit, vpc()), "default_network")
    step("security_group again", lambda: wt.security_group(kit, vpc()), "security_group")
    step("load_balancer", lambda: wt.load_balancer(kit, subnets(), made["security_group"]),
         "security_group")  # fmt: skip
    step("target_groups", lambda: wt.target_groups(kit, vpc()), "default_network")
    step("listeners", lambda: wt.listeners(kit, made["load_balancer"]["LoadBalancerArn"],
         made["target_groups"][0]["TargetGroupArn"]), "load_balancer", "target_groups")  # fmt: skip
    step("task_execution_role", lambda: wt.task_execution_role(kit))
    step("log_group", lambda: wt.log_group(kit))
    step("cluster", lambda: wt.cluster(kit))
    step("task_definition", lambda: wt.task_definition(
        kit, "nginx", made["task_execution_role"]["Arn"]), "task_execution_role")  # fmt: skip
    step("codedeploy_role", lambda: wt.codedeploy_role(kit))
    step("service", lambda: wt.service(
        kit, task_definition_arn=made["task_definition"]["taskDefinitionArn"],
        target_group_arn=made["target_groups"][0]["TargetGroupArn"], subnet_ids=subnets(),
        security_group_id=made["security_group"]),
        "task_definition", "target_groups", "cluster", "listeners")  # fmt: skip
    step("created_resources", lambda: _all_listed(wt.created_resources(kit)))
    return outcomes


def _all_listed(frame: Any) -> None:
    """The listing of notebook 07 finds, by their tags, all 10 resources made above."""
    if len(frame) != 10:
        raise ClientError({"Error": {"Code": "Listed", "Message": frame.to_string()}}, "list")


@pytest.mark.control_plane
def test_moto_accepts_every_call_the_local_cloud_accepts(cloud, tmp_path, monkeypatch):
    local_kit = Session(
        Settings.load({}, local_port=cloud.port, prefix="diff", state_dir=tmp_path / "local")
    )
    ours = run_steps(local_kit)
    assert set(ours.values()) == {"ok"}, ours

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    monkeypatch.setenv("BGKIT_CONFIRM_COSTS", "yes")  # the load balancer and the service are made
    with moto.mock_aws():
        theirs = run_steps(
            MotoKit(Settings.load({}, target="aws", prefix="diff", state_dir=tmp_path / "moto"))
        )
    refused = {
        step: outcome
        for step, outcome in theirs.items()
        if ours[step] == "ok" and outcome != "ok" and step not in KNOWN
    }
    assert not refused, f"moto refuses what the local cloud accepts: {refused}"

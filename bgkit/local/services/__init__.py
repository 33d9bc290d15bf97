"""The providers of the local cloud, one a service (see :mod:`..provider` for the contract)."""

from __future__ import annotations

from bgkit.local.provider import Provider
from bgkit.local.services.codedeploy.provider import CodeDeployProvider
from bgkit.local.services.ec2.provider import Ec2Provider
from bgkit.local.services.ecs.provider import EcsProvider
from bgkit.local.services.elbv2.provider import Elbv2Provider
from bgkit.local.services.iam.provider import IamProvider
from bgkit.local.services.logs.provider import LogsProvider
from bgkit.local.services.sts import StsProvider

PROVIDERS: tuple[type[Provider], ...] = (
    StsProvider, IamProvider, Ec2Provider, Elbv2Provider, EcsProvider, CodeDeployProvider,
    LogsProvider,
)  # fmt: skip


def providers() -> dict[str, Provider]:
    """A fresh provider of each service, by botocore service name."""
    return {cls.service: cls() for cls in PROVIDERS}

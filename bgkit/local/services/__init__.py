"""The services of the local cloud, one package a service.

Each package has ``provider.py``, the operations (see :mod:`bgkit.local.provider` for the
contract), and ``models.py``, its records, kinds, finders and ARN helpers: the only module other
services and the data plane import. Importing a ``models`` module loads no provider; the local
cloud asks :func:`providers` for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bgkit.local.provider import Provider


def providers() -> dict[str, Provider]:
    """A fresh provider of each service, by botocore service name."""
    from bgkit.local.services.awslambda.provider import LambdaProvider
    from bgkit.local.services.cloudwatch.provider import CloudWatchProvider
    from bgkit.local.services.codedeploy.provider import CodeDeployProvider
    from bgkit.local.services.codepipeline.provider import CodePipelineProvider
    from bgkit.local.services.ec2.provider import Ec2Provider
    from bgkit.local.services.ecs.provider import EcsProvider
    from bgkit.local.services.elbv2.provider import Elbv2Provider
    from bgkit.local.services.iam.provider import IamProvider
    from bgkit.local.services.logs.provider import LogsProvider
    from bgkit.local.services.s3.provider import S3Provider
    from bgkit.local.services.sts.provider import StsProvider

    classes: tuple[type[Provider], ...] = (
        StsProvider, IamProvider, Ec2Provider, Elbv2Provider, EcsProvider, CodeDeployProvider,
        LogsProvider, LambdaProvider, CodePipelineProvider, S3Provider, CloudWatchProvider,
    )  # fmt: skip
    return {cls.service: cls() for cls in classes}

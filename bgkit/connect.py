"""A boto3 session for the chosen target; starts the local cloud on demand.

:func:`connect` gives the one handle a notebook needs: ``kit.client("ecs")`` is a plain boto3
client for the target, and ``kit.url(80)`` is where the load balancer's listener on port 80
answers — ``http://127.0.0.1:10080`` on the local cloud, ``http://<the ALB's DNS name>:80`` on
AWS — so no notebook hard-codes a host.

On the aws target the session uses boto3's standard credential chain and region (environment,
``AWS_PROFILE``, SSO, the config files) and refuses to start — with
:class:`~bgkit.errors.AwsTargetError` saying what to set — when either is missing, so a notebook
stops at its first cell and creates nothing. Its clients refuse the billable operations (the load
balancer, Fargate tasks) until the cost estimate is confirmed (:mod:`bgkit.costs`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ProfileNotFound

from bgkit.config import Settings
from bgkit.errors import AwsTargetError, BgkitError
from bgkit.local.process import DUMMY_CREDENTIALS, start_background


class Session(boto3.session.Session):
    """A :class:`boto3.session.Session` that knows bgkit's settings.

    On the local target every client it makes talks to the local cloud's endpoint; on AWS it is
    an ordinary session with the standard credential chain.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._dns_name: str | None = None
        if settings.target == "local":
            super().__init__(region_name=settings.region, **DUMMY_CREDENTIALS)
        else:
            try:
                super().__init__(region_name=settings.region)
                credentials = self.get_credentials()
            except ProfileNotFound as error:
                raise AwsTargetError(f"{error}; {PROFILE_FIX}") from None
            except BotoCoreError as error:
                raise AwsTargetError(
                    f"boto3 could not load AWS credentials: {error}. {CREDENTIALS_FIX}"
                ) from None
            if credentials is None:
                raise AwsTargetError(
                    "BGKIT_TARGET=aws, but boto3 finds no AWS credentials. " + CREDENTIALS_FIX
                )
            from bgkit.costs import install_cost_guard  # ipywidgets only when on AWS

            install_cost_guard(self)

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.settings.target == "local":
            kwargs.setdefault("endpoint_url", self.settings.endpoint_url)
        return super().client(service_name, *args, **kwargs)

    def url(self, port: int, path: str = "") -> str:
        """Where the kit's load balancer answers on listener ``port``.

        Locally: ``http://127.0.0.1:<offset + port>``. On AWS: the DNS name of the load balancer
        named ``<prefix>-alb`` (looked up once, with ``DescribeLoadBalancers``).

        Raises:
            BgkitError: on AWS, when the load balancer does not exist yet.
        """
        if self.settings.target == "local":
            return self.settings.listener_url(port) + path
        if self._dns_name is None:
            name = f"{self.settings.prefix}-alb"
            elbv2 = self.client("elbv2")
            try:
                found = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"]
            except elbv2.exceptions.LoadBalancerNotFoundException:
                found = []
            if not found:
                raise BgkitError(
                    f"the load balancer {name} does not exist yet; run the notebook "
                    "01-prepare-the-network-and-cluster first"
                )
            self._dns_name = found[0]["DNSName"]
        return f"http://{self._dns_name}:{port}{path}"

    def __repr__(self) -> str:
        return (
            f"bgkit.Session(target={self.settings.target!r}, region={self.settings.region!r}, "
            f"prefix={self.settings.prefix!r})"
        )


CREDENTIALS_FIX = (
    "Give it some, then restart the kernel: `aws configure` (access keys), or "
    "`aws configure sso` then `aws sso login --profile NAME` and `export AWS_PROFILE=NAME`, "
    "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. `bgkit check --target aws` tells "
    "what is missing. To stay on this machine instead, unset BGKIT_TARGET."
)
PROFILE_FIX = "check the name with `aws configure list-profiles`, or unset AWS_PROFILE"
REGION_FIX = (
    "BGKIT_TARGET=aws, but no AWS region is set. Set one, then restart the kernel: "
    "`export AWS_REGION=eu-west-1` (or `aws configure set region eu-west-1 --profile NAME`), "
    "or pass `bgkit.connect(region=...)`."
)


def aws_region(
    settings: Settings, explicit: str | None = None, env: Mapping[str, str] | None = None
) -> str:
    """The region of the aws target: ``explicit`` (a keyword), else ``AWS_REGION`` or
    ``AWS_DEFAULT_REGION``, else the profile's ``region`` in the AWS config files.

    :class:`Settings` falls back to ``us-east-1`` for the local cloud; on AWS a silent default
    would put resources where nobody looks, so none is assumed.

    Raises:
        AwsTargetError: no region is found anywhere.
    """
    env = os.environ if env is None else env
    if explicit or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"):
        return settings.region
    try:
        region = boto3.session.Session().region_name
    except ProfileNotFound as error:
        raise AwsTargetError(f"{error}; {PROFILE_FIX}") from None
    if not region:
        raise AwsTargetError(REGION_FIX)
    return region


def connect(**settings: Any) -> Session:
    """A session for the target of the settings (keywords override ``BGKIT_*`` variables).

    On the local target the local cloud is started in the background when it is not running.

    Raises:
        AwsTargetError: on the aws target, when boto3 finds no credentials or no region; nothing
            has been called or created then.
    """
    resolved = Settings.load(**settings)
    if resolved.target == "local":
        start_background(resolved)
        return Session(resolved)
    region = aws_region(resolved, settings.get("region"))
    return Session(resolved.replace(region=region))

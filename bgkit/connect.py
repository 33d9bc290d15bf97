"""A boto3 session for the chosen target; starts the local cloud on demand.

:func:`connect` gives the one handle a notebook needs: ``kit.client("ecs")`` is a plain boto3
client for the target, and ``kit.url(80)`` is where the load balancer's listener on port 80
answers — ``http://127.0.0.1:10080`` on the local cloud, ``http://<the ALB's DNS name>:80`` on
AWS — so no notebook hard-codes a host.
"""

from __future__ import annotations

from typing import Any

import boto3

from bgkit.config import Settings
from bgkit.errors import BgkitError
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
            super().__init__(region_name=settings.region)

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


def connect(**settings: Any) -> Session:
    """A session for the target of the settings (keywords override ``BGKIT_*`` variables).

    On the local target the local cloud is started in the background when it is not running.
    """
    resolved = Settings.load(**settings)
    if resolved.target == "local":
        start_background(resolved)
    return Session(resolved)

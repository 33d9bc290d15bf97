"""A boto3 session for the chosen target; starts the local cloud on demand."""

from __future__ import annotations

from typing import Any

import boto3

from bgkit.config import Settings
from bgkit.local.server import DUMMY_CREDENTIALS, start_background


class Session(boto3.session.Session):
    """A :class:`boto3.session.Session` that knows bgkit's settings.

    On the local target every client it makes talks to the local cloud's endpoint; on AWS it is
    an ordinary session with the standard credential chain.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.target == "local":
            super().__init__(region_name=settings.region, **DUMMY_CREDENTIALS)
        else:
            super().__init__(region_name=settings.region)

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.settings.target == "local":
            kwargs.setdefault("endpoint_url", self.settings.endpoint_url)
        return super().client(service_name, *args, **kwargs)

    def listener_url(self, port: int) -> str:
        """Where a listener on ``port`` answers (locally: ``127.0.0.1:offset+port``)."""
        return self.settings.listener_url(port)


def connect(**settings: Any) -> Session:
    """A session for the target of the settings (keywords override ``BGKIT_*`` variables).

    On the local target the local cloud is started in the background when it is not running.
    """
    resolved = Settings.load(**settings)
    if resolved.target == "local":
        start_background(resolved)
    return Session(resolved)

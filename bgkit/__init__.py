"""bgkit: learn blue/green deployments on Amazon ECS with AWS CodeDeploy, by doing them.

``bgkit.connect()`` gives a boto3 session for the chosen target (the local cloud by default);
``bgkit.LocalCloud`` runs the local cloud inside a Python process (tests, benchmarks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bgkit.config import Settings
from bgkit.connect import Session, connect
from bgkit.errors import (
    AwsTargetError,
    BgkitError,
    ConfigError,
    CostNotConfirmedError,
    LocalCloudError,
    NotRunningError,
    PortInUseError,
    ServiceError,
    UnknownOperationError,
)

if TYPE_CHECKING:
    from bgkit.local.server import LocalCloud

__all__ = [
    "AwsTargetError",
    "BgkitError",
    "ConfigError",
    "CostNotConfirmedError",
    "LocalCloud",
    "LocalCloudError",
    "NotRunningError",
    "PortInUseError",
    "ServiceError",
    "Session",
    "Settings",
    "UnknownOperationError",
    "connect",
]


def __getattr__(name: str) -> object:
    # The local cloud itself loads only when asked for: a notebook or the `bgkit` command that
    # just talks to it (through boto3) never imports its server and providers.
    if name == "LocalCloud":
        from bgkit.local.server import LocalCloud

        return LocalCloud
    raise AttributeError(f"module 'bgkit' has no attribute {name!r}")

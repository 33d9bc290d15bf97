"""bgkit: learn blue/green deployments on Amazon ECS with AWS CodeDeploy, by doing them.

``bgkit.connect()`` gives a boto3 session for the chosen target (the local cloud by default);
``bgkit.LocalCloud`` runs the local cloud inside a Python process (tests, benchmarks).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from bgkit.config import Settings
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
    from bgkit.connect import Session, connect
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


class _Package(types.ModuleType):
    """``bgkit.connect`` and ``bgkit.Session`` load boto3 when first used, not with the package
    (the ``bgkit`` command and the local cloud's server need none of it). ``connect`` is also
    the name of the submodule they come from: the property keeps ``bgkit.connect`` the function
    when the import system sets the package's attribute to that submodule."""

    @property
    def connect(self) -> Any:
        from bgkit.connect import connect

        return connect

    @connect.setter
    def connect(self, value: Any) -> None:
        pass  # the import system's bgkit.connect = <module>: the function stays

    @property
    def Session(self) -> Any:
        from bgkit.connect import Session

        return Session


sys.modules[__name__].__class__ = _Package

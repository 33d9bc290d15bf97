"""The exceptions bgkit raises, drawn once: each with its built-in base where it has one.

::

    BgkitError (Exception)
    ├── ConfigError (ValueError)          a setting has a value bgkit cannot use
    ├── AwsTargetError (RuntimeError)     the aws target cannot start: no credentials or no region
    ├── CostNotConfirmedError (PermissionError)
    │                                     something billable was asked for on AWS before the
    │                                     cost estimate was confirmed
    ├── LocalCloudError (RuntimeError)    the local cloud cannot be started, reached or stopped
    │   ├── PortInUseError                its port is taken by another process
    │   └── NotRunningError               it is not running where the settings say
    └── ServiceError                      an AWS error answered by the local cloud: the caller's
        │                                 request is wrong (code and message as AWS gives them)
        └── UnknownOperationError         an operation the local cloud does not implement

Anything else raised inside the local cloud is a bug of ours: the endpoint answers it as AWS's
``InternalFailure`` (HTTP 500) and logs the traceback.
"""

from __future__ import annotations

__all__ = [
    "AwsTargetError",
    "BgkitError",
    "ConfigError",
    "CostNotConfirmedError",
    "LocalCloudError",
    "NotRunningError",
    "PortInUseError",
    "ServiceError",
    "UnknownOperationError",
]


class BgkitError(Exception):
    """Base of every error bgkit raises on purpose."""


class ConfigError(BgkitError, ValueError):
    """A setting (environment variable or keyword) has a value bgkit cannot use."""


class AwsTargetError(BgkitError, RuntimeError):
    """The aws target cannot start: boto3 finds no credentials or no region."""


class CostNotConfirmedError(BgkitError, PermissionError):
    """A billable resource (the load balancer, the Fargate tasks) was asked for on AWS before
    anyone confirmed the cost estimate (:func:`bgkit.costs.confirm_costs`)."""


class LocalCloudError(BgkitError, RuntimeError):
    """The local cloud cannot be started, reached or stopped."""


class PortInUseError(LocalCloudError):
    """The local cloud's port is already taken."""


class NotRunningError(LocalCloudError):
    """No local cloud runs where the settings say."""


class ServiceError(BgkitError):
    """An error the local cloud answers as AWS would: the request is wrong.

    Args:
        code: AWS's error code, exactly as the service model names the exception shape
            (``NoSuchEntity``, ``InvalidGroup.NotFound``, ``DeploymentLimitExceededException``).
        message: what is wrong and what to do about it.
        status: the HTTP status; when ``None`` the protocol layer takes it from the service
            model's error shape, or 400.
        sender_fault: ``True`` for the caller's mistakes (query protocol ``<Type>Sender``).
    """

    def __init__(
        self, code: str, message: str, *, status: int | None = None, sender_fault: bool = True
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault


class UnknownOperationError(ServiceError):
    """An operation that exists in AWS but not in the bgkit local cloud."""

    def __init__(self, code: str, service: str, operation: str) -> None:
        super().__init__(
            code, f"{service}:{operation} is not available in the bgkit local cloud", status=400
        )
        self.service = service
        self.operation = operation

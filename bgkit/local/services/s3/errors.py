"""S3's refusals: its codes, statuses and messages, and the elements its error XML adds.

S3's error document names what was wrong beside the code (``<BucketName>``, ``<Key>``,
``<VersionId>``, ``<ArgumentName>`` …): :class:`S3Error` carries them as ``details``, and the
headers some errors carry (a delete marker's ``x-amz-delete-marker``) as ``headers``; the
``rest-xml`` serialiser writes both. Messages are S3's own (its *Error responses* reference).
"""

from __future__ import annotations

from bgkit.errors import ServiceError

__all__ = [
    "S3Error",
    "invalid_argument",
    "no_such_bucket",
    "no_such_key",
    "no_such_version",
]


class S3Error(ServiceError):
    """A refusal of S3, with the elements and headers its answer carries.

    Args:
        code: S3's error code (``NoSuchBucket``).
        message: S3's message.
        status: the HTTP status.
        details: elements written after ``<Message>``, in order.
        headers: response headers of the error.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        details: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code, message, status=status)
        self.details = details or {}
        self.headers = headers or {}


def no_such_bucket(name: str) -> S3Error:
    return S3Error("NoSuchBucket", "The specified bucket does not exist", 404, {"BucketName": name})


def no_such_key(key: str, headers: dict[str, str] | None = None) -> S3Error:
    return S3Error("NoSuchKey", "The specified key does not exist.", 404, {"Key": key}, headers)


def no_such_version(key: str, version_id: str) -> S3Error:
    return S3Error(
        "NoSuchVersion",
        "The specified version does not exist.",
        404,
        {"Key": key, "VersionId": version_id},
    )


def invalid_argument(message: str, name: str, value: str) -> S3Error:
    return S3Error("InvalidArgument", message, 400, {"ArgumentName": name, "ArgumentValue": value})

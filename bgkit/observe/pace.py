"""How often a live view reads AWS, and how it takes throttling: the API budget of a panel.

Thirty panels in one account share its API rate limits (``docs/api-budget.md`` does the
arithmetic). So a panel:

- makes its clients with botocore's ``adaptive`` retry mode (:data:`PANEL_CONFIG`): a throttled
  call is retried after a back-off, and the client's rate limiter slows the next calls down,
  instead of the panel failing;
- refreshes at a :class:`Pace`: fast while what it shows changes or after a click, then slower
  and slower while its snapshot stays the same; never faster than every
  :data:`AWS_FASTEST` seconds on the aws target;
- tells a throttled read (:func:`throttled`) from a failure, and shows it calmly.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

__all__ = [
    "AWS_FASTEST",
    "PANEL_CONFIG",
    "SLOWEST",
    "THROTTLING_CODES",
    "Pace",
    "panel_clients",
    "throttled",
]

#: the panel's clients: adaptive retries (client-side rate limiting on throttling errors)
PANEL_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 6})
#: on the aws target, wall seconds between two refreshes at least
AWS_FASTEST = 5.0
#: wall seconds between two refreshes at most, when nothing changes (per target)
SLOWEST = {"local": 5.0, "aws": 30.0}
#: how much longer each unchanged refresh waits than the one before
GROWTH = 1.5
#: error codes AWS's services throttle with (botocore's retry handler's list, standard mode)
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)


def panel_clients(kit: Any, *services: str) -> tuple[Any, ...]:
    """One client per service, with :data:`PANEL_CONFIG` (adaptive retries)."""
    return tuple(kit.client(name, config=PANEL_CONFIG) for name in services)


def throttled(error: BaseException) -> bool:
    """Whether ``error`` is AWS throttling the caller (still, after the retries)."""
    if not isinstance(error, ClientError):
        return False
    return error.response.get("Error", {}).get("Code", "") in THROTTLING_CODES


class Pace:
    """The wall seconds until a live view's next refresh.

    Args:
        fastest: the interval while things change (raised to :data:`AWS_FASTEST` on aws).
        target: ``local`` or ``aws``.
    """

    def __init__(self, fastest: float, target: str = "local") -> None:
        floor = AWS_FASTEST if target == "aws" else 0.0
        self.fastest = max(fastest, floor)
        self.slowest = max(SLOWEST.get(target, SLOWEST["aws"]), self.fastest)
        self.interval = self.fastest
        self._last: Any = None

    def seen(self, key: Any) -> float:
        """Record the snapshot just read (anything comparable); return the next interval —
        the fastest after a change, longer each time it is the same."""
        if key == self._last:
            self.interval = min(self.interval * GROWTH, self.slowest)
        else:
            self.interval = self.fastest
        self._last = key
        return self.interval

    def hurry(self) -> None:
        """Back to the fastest interval (after a click)."""
        self.interval = self.fastest
        self._last = None

    def throttled(self) -> float:
        """AWS throttled the read: wait twice as long (up to the slowest) before the next."""
        self.interval = min(max(self.interval, self.fastest) * 2, self.slowest)
        return self.interval

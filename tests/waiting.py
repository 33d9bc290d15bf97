"""Waiting for the real parts of the local cloud (processes, listeners) in end-to-end tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(what: str, check: Callable[[], Any], deadline: float = 90.0) -> Any:
    """``check()``'s first truthy answer, polled every 0.2 s; fails naming ``what`` after
    ``deadline`` wall seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")

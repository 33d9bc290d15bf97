"""The HTTP values the protocol layer works on: a request as received, a response to send.

Plain values with no transport behind them, so parsers, serialisers, the protocol layer and the
gateway share them without importing each other, and tests build them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HttpRequest", "HttpResponse"]


@dataclass
class HttpRequest:
    """An HTTP request as the gateway received it.

    Attributes:
        method: ``"POST"``, ``"GET"`` …
        path: the path, without the query string.
        query: the query string, as ``urllib.parse.parse_qs(..., keep_blank_values=True)``.
        headers: the headers, keys lower-cased.
        body: the raw body.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpResponse:
    """An HTTP response for the gateway to send."""

    status: int
    headers: dict[str, str]
    body: bytes

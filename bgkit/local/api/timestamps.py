"""Timestamps on the wire: reading the forms AWS accepts, writing a model's ``timestampFormat``.

A timestamp arrives as epoch seconds, ISO 8601 or RFC 822 text (:func:`parse_timestamp`); a
provider's result holds a ``datetime``, epoch seconds or text (:func:`to_datetime`); a response
writes it in the format the shape or the protocol asks for (:func:`format_timestamp`). Every
``datetime`` given back is aware; one read from the wire is in UTC.
"""

from __future__ import annotations

import datetime
import email.utils
from typing import Any

from dateutil import parser as dateutil_parser

__all__ = ["format_timestamp", "parse_timestamp", "to_datetime"]


def parse_timestamp(value: Any) -> datetime.datetime:
    """A timestamp of the wire as an aware UTC ``datetime``.

    Args:
        value: epoch seconds (number or numeric string), ISO 8601 or RFC 822 text.

    Raises:
        ValueError: when ``value`` is none of these.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    try:
        return datetime.datetime.fromtimestamp(float(text), datetime.timezone.utc)
    except (ValueError, OverflowError):
        pass
    try:
        parsed = dateutil_parser.isoparse(text)
    except (ValueError, OverflowError):
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError) as error:
            raise ValueError(f"not a timestamp: {value!r}") from error
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def to_datetime(value: Any) -> datetime.datetime:
    """A result's timestamp (``datetime``, epoch seconds or text) as an aware ``datetime``."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.timezone.utc)
        return value
    return parse_timestamp(value)


def format_timestamp(value: Any, timestamp_format: str) -> str | int | float:
    """``value`` in a model's ``timestampFormat``: iso8601, unixTimestamp or rfc822."""
    moment = to_datetime(value).astimezone(datetime.timezone.utc)
    kind = timestamp_format.lower()
    if kind == "unixtimestamp":
        seconds = moment.timestamp()
        return int(seconds) if seconds.is_integer() else round(seconds, 6)
    if kind == "rfc822":
        return email.utils.format_datetime(moment.replace(microsecond=0), usegmt=True)
    if moment.microsecond:
        millis = f"{moment.microsecond / 1e6:.3f}"[1:]
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + millis + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

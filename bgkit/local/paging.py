"""Pages of the list and describe operations, one pager for every service of the local cloud.

A provider says only which items an operation pages::

    return PAGER.page("ListClusters", arns, paging)

where ``paging`` holds the call's parameters (``next_token``, ``max_results`` … as the gateway
passes them). Which members carry the token, the limit and the items comes from botocore's
paginator model of the operation — its ``input_token``, ``output_token``, ``limit_key``,
``result_key`` and, for IAM, ``more_results`` (:class:`Members`); an operation that pages without
a paginator model is given its members by name. What stays each service's own is its
:class:`Pager`:

- how its tokens look (:class:`Tokens`; decimal offsets unless it says otherwise);
- how it refuses a token it did not give: its error code and message;
- its limits: how many items a page holds when the call names no limit, and which limits it
  refuses (``size``, and ``sizes`` for the operations that differ).

A token is the offset of the next item of the list the operation builds, so a page follows
another as long as the list does not change. botocore's paginator models are read once a
process, the first time an operation of the service is paged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.paginate import PaginatorModel

from bgkit.errors import ServiceError

__all__ = ["OFFSETS", "Members", "Pager", "Tokens", "model_members"]

#: a service's limit rule: the limit a call asks for (``None``: none) → the page size
#: (``None``: every item), or a :class:`ServiceError` for a limit it refuses
Size = Callable[[int | None], int | None]


@dataclass(frozen=True)
class Members:
    """The members that page one operation, named as botocore's paginator models name them.

    Attributes:
        input_token: the request member that carries the token (``nextToken``, ``Marker``).
        output_token: the response member that carries the next page's token (``NextMarker``).
        result_key: the response member that holds the page's items.
        limit_key: the request member that asks for a page size, if the operation has one.
        more_results: the response member that says whether more follow (IAM's ``IsTruncated``).
    """

    input_token: str
    output_token: str
    result_key: str
    limit_key: str | None = None
    more_results: str | None = None

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Members:
        """The members of one entry of a paginator model; its first result key holds the items
        (FilterLogEvents' second, ``searchedLogStreams``, is the provider's)."""

        def first(value: Any) -> Any:
            return value[0] if isinstance(value, list) else value

        return cls(
            input_token=first(config["input_token"]),
            output_token=first(config["output_token"]),
            result_key=first(config["result_key"]),
            limit_key=config.get("limit_key"),
            more_results=config.get("more_results"),
        )


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def _paginator_model(service: str) -> PaginatorModel:
    """botocore's paginator model of a service, loaded once a process."""
    return _session().get_paginator_model(service)


@functools.cache
def model_members(service: str, operation: str) -> Members | None:
    """The paging members botocore's paginator model gives an operation, or ``None``."""
    try:
        return Members.of(_paginator_model(service).get_paginator(operation))
    except ValueError:  # botocore: the operation has no paginator model
        return None


def _read_offset(token: str) -> int | None:
    if not token:
        return 0  # an empty token starts over, as none does
    return int(token) if token.isdecimal() else None


@dataclass(frozen=True)
class Tokens:
    """How a service writes the token of the next page and reads one back.

    Attributes:
        write: the token of an offset.
        read: the offset a token holds, or ``None`` when it is not a token of this service.
        bounded: refuse a token whose offset lies past the last item (``False``: it reads as
            an empty last page).
    """

    write: Callable[[int], str] = str
    read: Callable[[str], int | None] = _read_offset
    bounded: bool = True


#: decimal offsets (``"100"``), refused past the end: EC2, ELBv2, ECS, CodeDeploy
OFFSETS = Tokens()


def _as_asked(limit: int | None) -> int | None:
    return limit


class Pager:
    """The pages of one service's operations.

    Args:
        service: botocore's name of the service (whose paginator model names the members).
        refuse: the error for a token the service did not give, from the token as sent.
        tokens: how the service's tokens look.
        size: the service's limit rule (default: a page holds what the call asks, every item
            when it asks nothing).
        sizes: the limit rules of the operations whose rule is not ``size``.
        members: the paging members of the operations that page without a paginator model.
    """

    def __init__(
        self,
        service: str,
        refuse: Callable[[str], ServiceError],
        *,
        tokens: Tokens = OFFSETS,
        size: Size = _as_asked,
        sizes: Mapping[str, Size] | None = None,
        members: Mapping[str, Members] | None = None,
    ) -> None:
        self.service = service
        self.refuse = refuse
        self.tokens = tokens
        self.size = size
        self.sizes = dict(sizes or {})
        self.explicit = dict(members or {})

    def members(self, operation: str) -> Members:
        """The members that page ``operation``.

        Raises:
            LookupError: the operation has no paginator model and the pager was given no names.
        """
        found = self.explicit.get(operation) or model_members(self.service, operation)
        if found is None:
            raise LookupError(
                f"{self.service} {operation} has no paginator model: give its Pager the members "
                "that page it"
            )
        return found

    def limit(self, operation: str, paging: Mapping[str, Any]) -> int | None:
        """The page size a call gets (``None``: every item), checked by the service's rule.

        A provider that must refuse a bad limit before it looks anything up calls this first;
        :meth:`page` checks it again, to the same answer.
        """
        limit_key = self.members(operation).limit_key
        asked = paging.get(xform_name(limit_key)) if limit_key else None
        return self.sizes.get(operation, self.size)(asked)

    def page(
        self,
        operation: str,
        items: Sequence[Any],
        paging: Mapping[str, Any],
        *,
        show: Callable[[Any], Any] | None = None,
    ) -> dict[str, Any]:
        """One page of ``items`` as ``operation`` answers it: the items under its result member,
        and the next page's token when more follow.

        Args:
            operation: the operation, as botocore names it (``DescribeVpcs``).
            items: everything the call lists, in the order it lists them.
            paging: the call's parameters; only the token and the limit are read.
            show: what each item of the page is shown as (for items costly to show, shown only
                when they are on the page).

        Raises:
            ServiceError: the service's refusal of the token or of the limit.
        """
        members = self.members(operation)
        size = self.limit(operation, paging)
        token = paging.get(xform_name(members.input_token))
        start = 0 if token is None else self._offset(token, len(items))
        end = len(items) if size is None else start + size
        chosen = items[start:end]
        result: dict[str, Any] = {
            members.result_key: [show(item) for item in chosen] if show else list(chosen)
        }
        if end < len(items):
            result[members.output_token] = self.tokens.write(end)
        if members.more_results:
            result[members.more_results] = end < len(items)
        return result

    def _offset(self, token: str, count: int) -> int:
        offset = self.tokens.read(token)
        if offset is None or (self.tokens.bounded and offset > count):
            raise self.refuse(token)
        return offset

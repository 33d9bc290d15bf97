"""Which operation of a ``rest-json`` service an HTTP request calls: its method and its URI.

A REST service names no operation in the request; its model gives each operation an HTTP method
and a ``requestUri`` template (``/2015-03-31/functions/{FunctionName}/invocations``, a greedy label
``{Key+}`` may span slashes, a template may require literal query keys: ``/path?foo=bar&hello``).
:class:`Routes` matches a request against every template of a model and picks the most specific
match — the one with the most literal characters, then the most required query keys — as AWS's
front ends do. Labels are read from the raw (still percent-encoded) path and decoded one by one,
so an encoded ``/`` inside a label never splits it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel, ServiceModel

__all__ = ["Route", "Routes"]

_LABEL = re.compile(r"\{([^}+]+)(\+?)\}")


@dataclass(frozen=True)
class Route:
    """One operation's method and URI template, compiled.

    Attributes:
        method: the HTTP method (upper case).
        pattern: matches the raw path; one group per label, named ``l0``, ``l1`` …
        labels: the label names, in the order of the groups.
        query: literal query keys the template requires, with their value (``None``: any).
        weight: how specific the template is (literal characters of its path).
        operation: the operation's name.
        members: the query keys and headers (lower case) that required input members bind to:
            what tells apart operations of one template (S3's ``PutObject`` and ``CopyObject``,
            whose ``x-amz-copy-source`` is required, or ``UploadPart``'s ``uploadId``).
    """

    method: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]
    query: Mapping[str, str | None]
    weight: int
    operation: str
    members: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, operation: OperationModel) -> Route:
        """The route of ``operation`` from its ``http`` trait."""
        template = operation.http.get("requestUri", "/")
        path, _, query = template.partition("?")
        auth_path = operation.http.get("authPath")
        if auth_path is not None:
            # botocore's S3 client moves ``/{Bucket}`` out of a loaded model's requestUri (the
            # bucket goes to the endpoint) and keeps the path in authPath: a server reads that
            path = auth_path[:-1] if auth_path.endswith("/") and not path else auth_path
        parts, labels, literal = [], [], 0
        position = 0
        for match in _LABEL.finditer(path):
            text = path[position : match.start()]
            parts.append(re.escape(text))
            literal += len(text)
            group = f"l{len(labels)}"
            parts.append(f"(?P<{group}>.+)" if match.group(2) else f"(?P<{group}>[^/]+)")
            labels.append(match.group(1))
            position = match.end()
        tail = path[position:]
        parts.append(re.escape(tail))
        literal += len(tail)
        required: dict[str, str | None] = {}
        for field in filter(None, query.split("&")):
            key, equals, value = field.partition("=")
            required[key] = value if equals else None
        members = []
        shape = operation.input_shape
        for name in shape.required_members if shape is not None else ():
            member = shape.members[name]
            location = member.serialization.get("location")
            if location in ("querystring", "header") and member.type_name != "map":
                wire = member.serialization.get("name", name)
                members.append((location, wire.lower() if location == "header" else wire))
        return cls(
            method=operation.http.get("method", "POST").upper(),
            pattern=re.compile("".join(parts)),
            labels=tuple(labels),
            query=required,
            weight=literal,
            operation=operation.name,
            members=tuple(members),
        )

    def match(
        self,
        method: str,
        raw_path: str,
        query: Mapping[str, Sequence[str]],
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, str] | None:
        """The decoded labels when the request takes this route, else ``None``; with
        ``headers``, only when it also carries what the required members bind to."""
        if method.upper() != self.method:
            return None
        if headers is not None:
            for location, wire in self.members:
                if wire not in (headers if location == "header" else query):
                    return None
        found = self.pattern.fullmatch(raw_path)
        if found is None:
            return None
        for key, value in self.query.items():
            if key not in query or (value is not None and value not in query[key]):
                return None
        return {name: unquote(found.group(f"l{index}")) for index, name in enumerate(self.labels)}


class Routes:
    """Every route of a service model, most specific first."""

    def __init__(self, service_model: ServiceModel) -> None:
        routes = [Route.of(service_model.operation_model(n)) for n in service_model.operation_names]
        self.routes = sorted(
            routes, key=lambda r: (-r.weight, -len(r.query), -len(r.members), r.operation)
        )

    def find(
        self,
        method: str,
        raw_path: str,
        query: Mapping[str, Sequence[str]] | str = "",
        headers: Mapping[str, str] | None = None,
    ) -> tuple[str, dict[str, str]] | None:
        """The operation a request calls and its decoded labels, or ``None``.

        Args:
            method: the request's method.
            raw_path: its path, still percent-encoded.
            query: its query, parsed (``parse_qs``) or raw.
            headers: its headers (keys lower case): a route whose required members'
                headers or query keys are missing is passed over while another matches.
        """
        if isinstance(query, str):
            query = parse_qs(query, keep_blank_values=True)
        for given in (headers, None) if headers is not None else (None,):
            for route in self.routes:
                labels = route.match(method, raw_path, query, given)
                if labels is not None:
                    return route.operation, labels
        return None

    def methods_of(self, raw_path: str) -> list[str]:
        """The methods some route takes on ``raw_path`` (for a refusal that names them)."""
        return sorted({r.method for r in self.routes if r.pattern.fullmatch(raw_path)})

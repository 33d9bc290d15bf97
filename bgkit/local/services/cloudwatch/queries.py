"""``GetMetricData``'s queries: metric statistics and the cheap part of metric math.

A query is a ``MetricStat`` (one statistic of one metric a period) or an ``Expression`` over the
ids of other queries. The math understood: numbers, ids, ``+ - * /`` with parentheses, the
comparisons ``> >= < <= == !=`` (1 or 0), ``SUM``, ``AVG``, ``MIN`` and ``MAX`` of one series
(a value a timestamp) or of a list ``[a, b]`` (the series added, averaged … timestamp by
timestamp), ``FILL(series, value)`` (every period of the time range that has no value gets
``value``) and ``IF(condition, a[, b])``. Arithmetic between two series keeps the timestamps
both have. Any other function is refused with ``ValidationError``, naming the function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.cloudwatch.models import METRIC, dimensions_of, metric_key, points_of
from bgkit.local.services.cloudwatch.statistics import (
    STATISTICS,
    aggregate,
    aligned_start,
    check_period,
    check_statistic,
)

Series = dict[float, float]
Value = float | Series
ID = re.compile(r"[a-z][a-zA-Z0-9_]*")
TOKEN = re.compile(
    r"\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/(),\[\]<>]))"
)
MAX_QUERIES = 500


def refuse(query_id: str, message: str) -> ServiceError:
    return ServiceError("ValidationError", f"Error in expression '{query_id}': {message}")


def _tokens(text: str, query_id: str) -> list[str]:
    found, at = [], 0
    text = text.rstrip()
    while at < len(text):
        match = TOKEN.match(text, at)
        if not match or match.end() == at:
            raise refuse(query_id, f"Unexpected character at position {at + 1}")
        found.append(next(g for g in match.groups() if g is not None))
        at = match.end()
    return found


def _combine(a: Value, b: Value, op: Callable[[float, float], float | None]) -> Value:
    if isinstance(a, dict) and isinstance(b, dict):
        pairs = {t: op(a[t], b[t]) for t in a if t in b}
    elif isinstance(a, dict):
        pairs = {t: op(v, b) for t, v in a.items()}  # type: ignore[arg-type]
    elif isinstance(b, dict):
        pairs = {t: op(a, v) for t, v in b.items()}
    else:
        result = op(a, b)
        return result if result is not None else float("nan")
    return {t: v for t, v in pairs.items() if v is not None}


def _divide(a: float, b: float) -> float | None:
    return a / b if b else None


OPERATORS: dict[str, Callable[[float, float], float | None]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": _divide,
    ">": lambda a, b: float(a > b), ">=": lambda a, b: float(a >= b),
    "<": lambda a, b: float(a < b), "<=": lambda a, b: float(a <= b),
    "==": lambda a, b: float(a == b), "!=": lambda a, b: float(a != b),
}  # fmt: skip
REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "SUM": sum, "AVG": lambda v: sum(v) / len(v), "MIN": min, "MAX": max,
}  # fmt: skip


class Expression:
    """One expression parsed and evaluated over the series of the queries it names."""

    def __init__(self, query_id: str, text: str, series: dict[str, Series], grid: list[float]):
        self.id, self.series, self.grid = query_id, series, grid
        self.tokens, self.at = _tokens(text, query_id), 0

    def value(self) -> Series:
        result = self._comparison()
        if self.at != len(self.tokens):
            raise refuse(self.id, f"Unexpected '{self.tokens[self.at]}'")
        if not isinstance(result, dict):
            return {t: result for t in self.grid}
        return dict(sorted(result.items()))

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        token = self._peek()
        if token is None or (expected is not None and token != expected):
            raise refuse(self.id, f"Expected '{expected or 'a value'}'")
        self.at += 1
        return token

    def _binary(self, operators: tuple[str, ...], operand: Callable[[], Value]) -> Value:
        left = operand()
        while self._peek() in operators:
            op = OPERATORS[self._take()]
            left = _combine(left, operand(), op)
        return left

    def _comparison(self) -> Value:
        return self._binary((">", ">=", "<", "<=", "==", "!="), self._sum)

    def _sum(self) -> Value:
        return self._binary(("+", "-"), self._product)

    def _product(self) -> Value:
        return self._binary(("*", "/"), self._unary)

    def _unary(self) -> Value:
        if self._peek() == "-":
            self._take()
            return _combine(-1.0, self._unary(), OPERATORS["*"])
        return self._atom()

    def _atom(self) -> Value:
        token = self._take()
        if token == "(":
            inner = self._comparison()
            self._take(")")
            return inner
        if token[0].isdigit():
            return float(token)
        if self._peek() == "(":
            return self._call(token)
        if token in self.series:
            return self.series[token]
        raise refuse(self.id, f"Unknown metric or expression id '{token}'")

    def _arguments(self) -> list[Any]:
        self._take("(")
        args: list[Any] = []
        while True:
            if self._peek() == "[":
                self._take("[")
                items = [self._comparison()]
                while self._peek() == ",":
                    self._take(",")
                    items.append(self._comparison())
                self._take("]")
                args.append(items)
            else:
                args.append(self._comparison())
            if self._peek() != ",":
                break
            self._take(",")
        self._take(")")
        return args

    def _call(self, name: str) -> Value:
        upper = name.upper()
        if upper not in (*REDUCERS, "FILL", "IF"):
            raise refuse(
                self.id,
                f"Unsupported function {name}: the bgkit local cloud understands SUM, AVG, MIN, "
                "MAX, FILL and IF",
            )
        args = self._arguments()
        if upper in REDUCERS:
            return self._reduce(upper, args)
        if upper == "FILL":
            if len(args) != 2 or isinstance(args[1], dict) or not isinstance(args[0], dict):
                raise refuse(self.id, "FILL takes a series and a number")
            return {t: args[0].get(t, args[1]) for t in self.grid}
        if len(args) not in (2, 3):
            raise refuse(self.id, "IF takes a condition and one or two values")
        condition, then = args[0], args[1]
        otherwise = args[2] if len(args) == 3 else None
        if not isinstance(condition, dict):
            condition = {t: condition for t in self.grid}
        found = {}
        for t, c in condition.items():
            chosen = then if c else otherwise
            value = chosen.get(t) if isinstance(chosen, dict) else chosen
            if value is not None:
                found[t] = value
        return found

    def _reduce(self, name: str, args: list[Any]) -> Value:
        reducer = REDUCERS[name]
        if len(args) != 1:
            raise refuse(self.id, f"{name} takes one series or one list of series")
        arg = args[0]
        if isinstance(arg, list):  # timestamp by timestamp over the series of the list
            stamps = sorted({t for s in arg if isinstance(s, dict) for t in s})
            found = {}
            for t in stamps:
                values = [
                    s[t] if isinstance(s, dict) else s
                    for s in arg
                    if not isinstance(s, dict) or t in s
                ]
                if values:
                    found[t] = reducer(values)
            return found
        if isinstance(arg, dict):
            return reducer(list(arg.values())) if arg else float("nan")
        return arg


def metric_stat_series(
    ctx: RequestContext, query: dict[str, Any], start: float, end: float
) -> Series:
    """The values of a ``MetricStat`` query, by period start."""
    stat = query["MetricStat"]
    period = int(query.get("Period") or stat["Period"])
    check_period(period, f"MetricDataQueries.{query['Id']}.MetricStat.Period")
    name = stat["Stat"]
    if name not in STATISTICS:
        check_statistic(name, "Stat")
    metric = stat["Metric"]
    key = metric_key(
        metric["Namespace"], metric["MetricName"], dimensions_of(metric.get("Dimensions"))
    )
    begin = aligned_start(start, ctx.now(), period)
    points = points_of(ctx.store, ctx.records(METRIC).partition, key, begin, end)
    unit = stat.get("Unit")
    if unit is None:
        points = [[p[0], "", *p[2:]] for p in points]
    found = {}
    for (stamp, _), agg in aggregate(points, begin, period, unit).items():
        value = agg.statistic(name)
        if value is not None:
            found[stamp] = value
    return dict(sorted(found.items()))


def evaluate_queries(
    ctx: RequestContext, queries: list[dict[str, Any]], start: float, end: float
) -> dict[str, Series]:
    """Every query's series, by id (expressions after the queries they name)."""
    ids = [q["Id"] for q in queries]
    for query_id in ids:
        if not ID.fullmatch(query_id):
            raise ServiceError(
                "ValidationError",
                f"Invalid metric data query id '{query_id}': an id starts with a lowercase "
                "letter and holds letters, digits and underscores only.",
            )
    if len(set(ids)) != len(ids):
        raise ServiceError("ValidationError", "The values of MetricDataQueries.Id must be unique.")
    series: dict[str, Series] = {}
    period = 60
    for query in queries:
        has_stat, has_expression = "MetricStat" in query, "Expression" in query
        if has_stat == has_expression:
            raise ServiceError(
                "ValidationError",
                f"The MetricDataQuery '{query['Id']}' must hold exactly one of MetricStat and "
                "Expression.",
            )
        if has_stat:
            series[query["Id"]] = metric_stat_series(ctx, query, start, end)
            period = int(query["MetricStat"]["Period"])
    for query in queries:
        if "Expression" in query:
            step = int(query.get("Period") or period)
            first = aligned_start(start, ctx.now(), step)
            grid = [
                first + k * step
                for k in range(max(0, int((end - first) // step) + 1))
                if first + k * step < end
            ]
            series[query["Id"]] = Expression(query["Id"], query["Expression"], series, grid).value()
    return series

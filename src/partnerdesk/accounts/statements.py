"""Querysets compiled to SQL once per process and shape, run again with new values (speed issue, R12.2).

Django compiles a queryset to SQL on every evaluation: for a list request (a bounded count and a page)
that is more Python time than the database needs for both. A list whose queryset has a fixed shape for a
given combination of filters is compiled here once, with *markers* in place of the values that vary
(a partner's id, the chosen states, ...); the markers' positions among the compiled parameters are noted,
and later requests execute the same SQL text with their own values in those positions. The rows get the
same converters the ORM would apply (SQLite's datetimes), so the result is what ``values_list`` returns.

Only values that reach the SQL as parameters unchanged can be slots (ints and strings); a shape
whose compilation does not show every marker exactly once per use is refused (`ShapeError`) and its caller
falls back to the ORM. `LIMIT`/`OFFSET` are parameters at the end of the statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

# Within every integer field's range (Django refuses out-of-range lookups: EmptyResultSet), unlike the
# constants a list's SQL carries (levels 1 to 3).
_INT_MARKER = 29_000


class ShapeError(Exception):
    """The queryset's compiled parameters do not show its markers as expected: not cacheable."""


def marker(kind: type, index: int) -> Any:
    """A value of `kind` that no real parameter has, distinct per slot index."""
    if kind is int:
        return _INT_MARKER + index
    if kind is str:
        return f"\x00slot{index}\x00"
    raise TypeError(f"no marker for {kind}")


@dataclass(frozen=True)
class Statement:
    """Compiled SQL with a plan for its parameters: a slot's index and the type the backend wrapped the
    marker in (psycopg's Int2 for a small integer field), or index -1 and a constant."""

    sql: str
    plan: tuple[tuple[int, Any], ...]
    converters: Any
    compiler: Any
    using: str

    def params(self, values: Sequence[Any], *tail: Any) -> list[Any]:
        return [
            (constant(values[slot]) if constant else values[slot]) if slot >= 0 else constant
            for slot, constant in self.plan
        ] + list(tail)

    def rows(self, values: Sequence[Any], *tail: Any) -> list[Any]:
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params(values, *tail))
            rows = cursor.fetchall()
        if self.converters:
            return list(self.compiler.apply_converters(rows, self.converters))
        return rows


def compile_values(queryset: QuerySet[Any], markers: Sequence[Any], *, wrap: str = "{sql}") -> Statement:
    """Compile a values_list queryset whose varying values are `markers` (in slot order).

    `wrap` puts the compiled SQL into a larger statement (``{sql}`` stands for it), e.g. a bounded count."""
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    adapted = {_key(m): i for i, m in enumerate(markers)}
    plan: list[tuple[int, Any]] = []
    seen: set[int] = set()
    for value in params:
        key = _key(value)
        if key in adapted:
            plan.append((adapted[key], None if type(value) in (int, str) else type(value)))
            seen.add(adapted[key])
        elif isinstance(value, str) and "\x00slot" in value:
            raise ShapeError(f"a marker was changed on its way into the SQL: {value!r}")
        else:
            plan.append((-1, value))
    if seen != set(range(len(markers))) or len([p for p in plan if p[0] >= 0]) != len(markers):
        raise ShapeError("a marker is missing from the compiled parameters, or appears twice")
    converters = compiler.get_converters([column for column, _, _ in compiler.select])
    return Statement(wrap.format(sql=sql), tuple(plan), converters, compiler, queryset.db)


def _key(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return object()
    return ("int", int(value)) if isinstance(value, int) else ("str", str(value))


class StatementCache:
    """Statements per (database, shape), built by `build` on first use in this process."""

    def __init__(self, build: Callable[..., dict[str, Statement] | None]) -> None:
        self.build = build
        self.cache: dict[Any, dict[str, Statement] | None] = {}

    def get(self, using: str, shape: tuple[Any, ...]) -> dict[str, Statement] | None:
        key = (using, connections[using].vendor, shape)
        if key not in self.cache:
            try:
                self.cache[key] = self.build(*shape)
            except (ShapeError, EmptyResultSet):
                self.cache[key] = None  # this shape stays with the ORM
        return self.cache[key]

"""Lookups that every request of a page makes, without the ORM's query building each time.

`Model.objects.filter(...).first()` builds, compiles and clones a query each time: about a
thousand Python calls for a row that a primary or unique key finds (issue 9: the forum
profile is read on every forum page). `fetch_one` builds the SQL once per model and set of
columns and turns the row into a model instance with `Model.from_db`, as the ORM does — the
instance saves, refreshes and compares like any other.

Only for equality on a model's own columns; anything with a rule in it (visibility, access)
stays in the model's QuerySet methods.

`FixedQuery` keeps the compiled SQL of a query whose SQL and parameters never change (the
home page's lists) and only executes it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models import QuerySet
from django.db.models.query import NamedValuesListIterable
from django.db.models.utils import create_namedtuple_class

M = TypeVar("M", bound=models.Model)


@functools.cache
def _select(model: type[models.Model], columns: tuple[str, ...], alias: str) -> tuple[str, list]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    by_attname = {field.attname: field for field in fields}
    where = " AND ".join(f"{quote(str(by_attname[name].column))} = %s" for name in columns)
    sql = (
        f"SELECT {', '.join(quote(str(field.column)) for field in fields)}"  # noqa: S608 - our columns, values as parameters
        f" FROM {quote(model._meta.db_table)} WHERE {where} LIMIT 1"
    )
    return sql, [field.attname for field in fields]


def fetch_one(model: type[M], **equals: Any) -> M | None:
    """The row of `model` whose columns (attribute names, `user_id` not `user`) equal the
    given values, or None. Meant for lookups by a unique key; with several matches, any one."""
    alias = router.db_for_read(model)
    columns = tuple(sorted(equals))
    sql, attnames = _select(model, columns, alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [equals[name] for name in columns])
        row = cursor.fetchone()
    if row is None:
        return None
    connection = connections[alias]
    columns_read = [field.cached_col for field in model._meta.concrete_fields]
    return model.from_db(
        alias, attnames, converted(row, converters(columns_read, connection), connection)
    )


def converters(expressions: Sequence[Any], connection: Any) -> list[tuple[int, list, Any]]:
    """How the ORM converts the values of these selected columns as it reads them (the
    backend's converters, then the field's: JSON decoded, booleans on SQLite…): (position,
    converters, column) for each column that has any."""
    found = []
    for position, expression in enumerate(expressions):
        functions = [
            *connection.ops.get_db_converters(expression),
            *expression.get_db_converters(connection),
        ]
        if functions:
            found.append((position, functions, expression))
    return found


def converted(row: Sequence, conversions: list[tuple[int, list, Any]], connection: Any) -> list:
    values = list(row)
    for position, functions, expression in conversions:
        value = values[position]
        for function in functions:
            value = function(value, expression, connection)
        values[position] = value
    return values


class FixedQuery:
    """A `values_list(..., named=True)` query that every request of a page makes with the same
    SQL and parameters, compiled once per process and database and then only executed.

    Building and compiling a QuerySet costs 800–1,600 Python calls; running its SQL and
    converting the rows, a few hundred (issue 9: the home page's lesson titles, FAQ,
    testimonials and instructor). The rows are read afresh on every call, so nothing is ever
    stale; only the SQL is kept. So `build` must not depend on anything that changes between
    calls — the clock, the request, the user, settings: tests/test_lib.py builds every
    instance twice, a year apart, and checks that the SQL and parameters are the same.
    """

    instances: list[FixedQuery] = []

    def __init__(self, build: Callable[[], QuerySet]) -> None:
        self.build = build
        self._compiled: dict[str, tuple[str, tuple, list, type]] = {}
        FixedQuery.instances.append(self)

    def compile(self, alias: str = DEFAULT_DB_ALIAS) -> tuple[str, tuple, list, type]:
        """The SQL, parameters, selected columns and row class of the query for a database."""
        queryset = self.build()
        query = queryset.query
        if not issubclass(queryset._iterable_class, NamedValuesListIterable):
            raise TypeError("FixedQuery takes a values_list(..., named=True) QuerySet")
        if query.annotation_select or query.extra_select:
            raise TypeError("FixedQuery takes model fields only: no annotations, no extra")
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        names = queryset._fields  # type: ignore[attr-defined]
        return sql, tuple(params), columns, create_namedtuple_class(*names)

    def rows(self, alias: str = DEFAULT_DB_ALIAS) -> list[Any]:
        compiled = self._compiled.get(alias)
        if compiled is None:
            compiled = self._compiled[alias] = self.compile(alias)
        sql, params, columns, row_class = compiled
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            results = cursor.fetchall()
        new = tuple.__new__
        conversions = converters(columns, connection)
        if not conversions:
            return [new(row_class, row) for row in results]
        return [new(row_class, converted(row, conversions, connection)) for row in results]

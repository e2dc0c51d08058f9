"""One-row lookups that every page of a part of the site makes, without the ORM's query
building.

`Model.objects.filter(...).first()` builds, compiles and clones a query each time: about a
thousand Python calls for a row that a primary or unique key finds (issue 9: the forum
profile is read on every forum page). `fetch_one` builds the SQL once per model and set of
columns and turns the row into a model instance with `Model.from_db`, as the ORM does — the
instance saves, refreshes and compares like any other.

Only for equality on a model's own columns; anything with a rule in it (visibility, access)
stays in the model's QuerySet methods.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from django.db import connections, models, router

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
    # Values as the database returned them, converted as the ORM's own reads convert them.
    connection = connections[alias]
    fields = model._meta.concrete_fields
    values = []
    for field, value in zip(fields, row, strict=True):
        column = field.cached_col
        for converter in [
            *connection.ops.get_db_converters(column),
            *column.get_db_converters(connection),
        ]:
            value = converter(value, column, connection)
        values.append(value)
    return model.from_db(alias, attnames, values)

"""Writing many rows with flat memory: batches from iterators, COPY on PostgreSQL."""

from __future__ import annotations

import resource
from collections.abc import Iterable, Iterator
from typing import TypeVar, cast

from django.db import connection, models

# Rows per INSERT: a batch of questions with their answers is ~3 MB of Python objects and
# SQL; larger batches are barely faster and raise the peak (the allocator keeps it).
BATCH = 500

T = TypeVar("T")


def batched(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def create(model: type[models.Model], objects: Iterable[models.Model]) -> None:
    """`bulk_create` batch by batch from an iterator: the objects get their primary keys, and
    no more than one batch is in memory."""
    for batch in batched(objects):
        model._default_manager.bulk_create(batch)


def insert(model: type[models.Model], objects: Iterable[models.Model]) -> None:
    """Insert many rows. On PostgreSQL with COPY (several times faster than INSERT for the
    large tables; the objects get no primary key), elsewhere with `bulk_create` in batches."""
    if connection.vendor != "postgresql":
        create(model, objects)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # A concrete field always has a column (the stubs allow None for non-concrete ones).
    columns = ", ".join(connection.ops.quote_name(cast(str, f.column)) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objects:
            copy.write_row(
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
            )


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

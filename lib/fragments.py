"""Cached HTML fragments of a list, read in one cache round trip.

Django's `{% cache %}` asks the cache once per fragment: twenty posts on a topic's page are
twenty round trips to Redis. `cached_fragments` asks once for all of a list's fragments
(`get_many`), renders only the misses and stores them at once (`set_many`). Keys are made as
`{% cache %}` makes them (`make_template_fragment_key`), from what a fragment shows, so that a
change to any of it is a new key and never a stale fragment.

Only what every reader sees alike may be cached this way: the caller keeps the reader's own
parts outside the fragment, and does not cache what only some readers may see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.utils.safestring import SafeString, mark_safe

T = TypeVar("T")


def fragment_key(name: str, *shown: Any) -> str:
    """The cache key of fragment `name` showing the values `shown`."""
    return make_template_fragment_key(name, shown)


def cached_fragments(
    items: Sequence[T],
    key: Callable[[T], str],
    render: Callable[[T], str],
    timeout: int,
) -> list[SafeString]:
    """The HTML of each of `items`: from the cache under `key(item)`, else `render(item)`,
    which is then stored for `timeout` seconds."""
    keys = [key(item) for item in items]
    found = cache.get_many(keys)
    missed = {k: render(item) for k, item in zip(keys, items, strict=True) if k not in found}
    if missed:
        cache.set_many(missed, timeout)
    # Our own rendered templates, escaped when they were rendered.
    return [mark_safe(found.get(k, missed.get(k, ""))) for k in keys]  # noqa: S308

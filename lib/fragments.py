"""Rendered fragments cached under a digest of everything they show (issue 9).

The caller lists, for each fragment, the values it renders; the key is a digest of those and
of the template's own source. Any change to one of them is another key, so a cached fragment
is never stale and nothing needs invalidating; old keys simply expire.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe

SECONDS = 600


@functools.cache
def template_digest(name: str) -> str:
    source = get_template(name).template.source  # type: ignore[attr-defined]
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def render_cached(
    name: str, items: Sequence[tuple[tuple[Any, ...], dict[str, Any]]]
) -> list[SafeString]:
    """`items` are (the values the fragment shows, its template context) pairs."""
    return cached_fragments(
        name,
        [shown for shown, _ in items],
        lambda missing: [render_to_string(name, items[i][1]) for i in missing],
    )


def cached_fragments(
    name: str, shown: Sequence[tuple[Any, ...]], render: Callable[[list[int]], list[str]]
) -> list[SafeString]:
    """`render_cached` for callers that load what a fragment needs only when it must be
    rendered: `render(positions)` returns the HTML of the fragments at those positions of
    `shown`, the ones the cache did not have."""
    digest = template_digest(name)
    keys = [
        "fragment:" + hashlib.sha256(repr((name, digest, values)).encode()).hexdigest()
        for values in shown
    ]
    cached = cache.get_many(keys)
    positions = [i for i, key in enumerate(keys) if key not in cached]
    if positions:
        rendered = dict(zip((keys[i] for i in positions), render(positions), strict=True))
        cache.set_many(rendered, SECONDS)
        cached.update(rendered)
    return [mark_safe(cached[key]) for key in keys]  # noqa: S308 - rendered here


def age_shown(value: datetime.datetime, now: datetime.datetime) -> tuple[str, int]:
    """What `naturaltime(value)` can show at `now`, for a fragment's key, without formatting
    it (formatting was most of the cost of a cached row): the age in whole seconds in its
    first minute ("12 seconds ago"), then in whole minutes. The text changes no more often
    than that, except that once calendar months count (Django's `timesince`), it turns
    on the second, or at midnight at a month's end: a cached text can then be behind by up to
    a second, or at a month's end up to a minute."""
    age = (now - value).total_seconds()
    return ("s", math.floor(age)) if age < 60 else ("m", int(age // 60))


def generation(key: str) -> int:
    """A counter that `bump(key)` changes, for the keys of cached things a change must retire
    (when no value they show can say so). A missing (evicted) counter starts again from the
    clock, never from a value that was used before."""
    value: int | None = cache.get(key)
    if value is None:
        cache.add(key, time.time_ns(), None)
        value = cache.get(key, 0)
    return value or 0


def bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # not set yet, or evicted
        cache.set(key, time.time_ns(), None)

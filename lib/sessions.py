"""Sessions read from Redis and written through to the database, safe while Redis is down.

Django's `cached_db` reads the database when the cache misses, and with lib.cache a failed
cache call is a miss: signed-in pages keep working without Redis. What it cannot do while Redis
is unreachable is take a session's copy out of the cache. A session ended then (signed out) or
changed would come back from Redis as it was once Redis answers again (after a hang, or a
restart from its snapshot), and a copied, signed-out cookie would work again. So each process
remembers the sessions it ended or changed during the outage, and deletes their cached copies
before it reads any session from Redis again; those are then read from the database.
"""

from __future__ import annotations

import threading
from typing import Any

from django.contrib.sessions.backends import cached_db
from django.core.cache.backends.base import BaseCache

_stale: set[str] = set()  # cache keys of sessions whose copy in Redis may be out of date
_stale_lock = threading.Lock()


class SessionStore(cached_db.SessionStore):
    _cache: BaseCache  # set by cached_db; its type stubs leave it out

    def load(self) -> dict[str, Any]:
        self._drop_stale_copies()
        return super().load()

    def save(self, must_create: bool = False) -> None:
        super().save(must_create)
        self._note_if_cache_down(self.cache_key)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        super().delete(session_key)
        if key is not None:
            self._note_if_cache_down(self.cache_key_prefix + key)

    def _cache_down(self) -> bool:
        is_down = getattr(self._cache, "is_down", None)  # lib.cache.RedisCache
        return bool(is_down and is_down())

    def _note_if_cache_down(self, cache_key: str) -> None:
        if self._cache_down():
            with _stale_lock:
                _stale.add(cache_key)

    def _drop_stale_copies(self) -> None:
        if not _stale or self._cache_down():
            return
        with _stale_lock:
            keys = list(_stale)
        self._cache.delete_many(keys)
        if not self._cache_down():
            with _stale_lock:
                _stale.difference_update(keys)

"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` object for every cache
operation; building one fills its table of response callbacks, about 540 Python calls — more
than the operation itself. Pages that read their cached fragments and generations make one to
four cache calls each, so with Redis (the production cache) that was 540–2,200 calls per
request (issue 9, `bench/profile_pages.py --redis-url …`). A `redis.Redis` object holds no
connection of its own (it borrows one from the pool for each command) and is safe to share
between threads, so one per pool is kept and reused. Connections still come from, and go back
to, the same pools; after a fork the pool notices the new process and opens fresh connections.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        # Keyed by the pool: with read replicas Django picks a server at random per call.
        # Pools are kept for the life of this object, so their ids stay theirs.
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with `RedisCacheClient` above."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

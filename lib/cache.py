"""The production cache: Redis through django-redis, and a site that stays up when Redis is not.

Redis holds nothing the site needs in order to serve: cached fragments and query results,
copies of sessions (the database has them: lib/sessions.py), rate-limit counters and the
error-email throttle. So with Redis down or hung, every cache call is a miss (django-redis's
IGNORE_EXCEPTIONS, logged at most once a minute per process: LOGGING) and pages are built from
PostgreSQL: slower, but up. Two additions to django-redis:

- After a connection error or timeout, this process leaves that Redis alone for
  REDIS_CACHE_RETRY_SECONDS: the calls in between fail at once and are misses. Otherwise each
  cache call of every page would wait out REDIS_CACHE_TIMEOUT_MS, since a hung Redis accepts
  connections and never answers.
- Rate-limit counters (lib/ratelimit.py's and allauth's ACCOUNT_RATE_LIMITS) are kept in this
  process's memory while Redis is down. The limits still hold, counted per process (so up to
  WEB_CONCURRENCY times the limit), rather than failing open (unlimited password guessing) or
  closed (allauth's lock would refuse every sign-in).
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

import redis
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache as DjangoRedisCache

# lib/ratelimit.py's keys, and allauth's (allauth.core.internal.ratelimit: the counter and its
# ":lock"). tests/test_redis_outage.py signs in and posts with Redis down, and fails if either
# stops matching.
RATE_LIMIT_PREFIXES = ("rl:", "allauth:rl:")

_outages: weakref.WeakKeyDictionary[redis.ConnectionPool, Outage] = weakref.WeakKeyDictionary()
_outages_lock = threading.Lock()


class Outage:
    """What this process knows of one Redis server (one connection pool) being down."""

    def __init__(self) -> None:
        self.retry_at = 0.0  # time.monotonic(); calls before it are not tried

    def skipping(self) -> bool:
        return time.monotonic() < self.retry_at

    def failed(self) -> None:
        self.retry_at = time.monotonic() + settings.REDIS_CACHE_RETRY_SECONDS


def outage_of(pool: redis.ConnectionPool) -> Outage:
    outage = _outages.get(pool)
    if outage is None:
        with _outages_lock:
            outage = _outages.setdefault(pool, Outage())
    return outage


class Redis(redis.Redis):
    """redis-py's client (django-redis's REDIS_CLIENT_CLASS), failing at once while its server
    failed less than REDIS_CACHE_RETRY_SECONDS ago."""

    def execute_command(self, *args: Any, **options: Any) -> Any:
        outage = outage_of(self.connection_pool)
        if outage.skipping():
            raise redis.ConnectionError("Redis failed a moment ago; not tried again yet")
        try:
            return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except (redis.ConnectionError, redis.TimeoutError):
            outage.failed()
            raise

    def pipeline(self, *args: Any, **kwargs: Any) -> Any:
        if outage_of(self.connection_pool).skipping():
            raise redis.ConnectionError("Redis failed a moment ago; not tried again yet")
        return super().pipeline(*args, **kwargs)


class RedisCache(DjangoRedisCache):
    """django-redis's backend, with rate-limit counters in local memory while Redis is down."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        # One store per process, whichever thread's backend object uses it.
        self._counters = LocMemCache("rate-limits-while-redis-is-down", {"MAX_ENTRIES": 10_000})

    def is_down(self) -> bool:
        """Whether this process is leaving Redis alone after a failure."""
        return outage_of(self.client.get_client(write=True).connection_pool).skipping()

    def add(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        return self._counter_call("add", key, *args, **kwargs)

    def get(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        return self._counter_call("get", key, *args, **kwargs)

    def set(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        return self._counter_call("set", key, *args, **kwargs)

    def delete(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        return self._counter_call("delete", key, *args, **kwargs)

    def incr(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        return self._counter_call("incr", key, *args, **kwargs)

    def _counter_call(self, name: str, key: Any, *args: Any, **kwargs: Any) -> Any:
        if not (isinstance(key, str) and key.startswith(RATE_LIMIT_PREFIXES)):
            return getattr(super(), name)(key, *args, **kwargs)
        if not self.is_down():
            result = getattr(super(), name)(key, *args, **kwargs)
            if not self.is_down():  # else this very call found Redis down
                return result
        return getattr(self._counters, name)(key, *args, **kwargs)

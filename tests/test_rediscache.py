"""The production cache: Django's Redis backend with one client per connection pool."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from lib.rediscache import RedisCache

ROOT = Path(__file__).resolve().parent.parent


def test_the_production_settings_use_it_when_redis_is_configured():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "settings-test",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
    }
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.CACHES['default']['BACKEND'])"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert out.strip() == "lib.rediscache.RedisCache"


def test_one_client_per_pool_is_made_and_reused():
    # No connection is opened here: clients and pools connect on their first command.
    cache = RedisCache("redis://127.0.0.1:6379/15", {})
    client = cache._cache.get_client()
    assert cache._cache.get_client() is client
    assert cache._cache.get_client("some-key", write=True) is client
    assert client.connection_pool is cache._cache._get_connection_pool(write=False)


def test_read_replicas_each_get_their_own_client():
    cache = RedisCache("redis://127.0.0.1:6379/15,redis://127.0.0.1:6379/14", {})
    writer = cache._cache.get_client(write=True)
    readers = {id(cache._cache.get_client()) for _ in range(40)}
    # Reads go to the second server only (Django's rule with one replica), writes to the first.
    assert len(readers) == 1
    reader = cache._cache.get_client()
    assert reader is not writer
    assert reader.connection_pool.connection_kwargs["db"] == 14
    assert writer.connection_pool.connection_kwargs["db"] == 15


@pytest.mark.redis
def test_it_stores_and_reads_values_in_redis():
    if not settings.TEST_REDIS_URL:
        from tests.conftest import skip_or_fail

        skip_or_fail("REQUIRE_REDIS", "needs Redis: TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    cache = RedisCache(settings.TEST_REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    cache.set("a", {"html": "<p>one</p>"}, 30)
    cache.set_many({"b": 2, "c": [3]}, 30)
    assert cache.get("a") == {"html": "<p>one</p>"}
    assert cache.get_many(["a", "b", "c", "missing"]) == {
        "a": {"html": "<p>one</p>"},
        "b": 2,
        "c": [3],
    }
    assert cache.incr("b") == 3
    cache.delete_many(["a", "b", "c"])
    assert cache.get_many(["a", "b", "c"]) == {}

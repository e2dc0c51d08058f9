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


def production_settings(**environ: str) -> list[str]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "settings-test",
        **environ,
    }
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE)"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return out.split()


def test_the_production_settings_use_it_and_cached_sessions_when_redis_is_configured():
    assert production_settings(REDIS_URL="redis://127.0.0.1:6379/15") == [
        "lib.rediscache.RedisCache",
        "django.contrib.sessions.backends.cached_db",
    ]
    # Each process's own memory is no place for sessions: one ended in one process would
    # live on in another's.
    assert production_settings() == [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.contrib.sessions.backends.db",
    ]


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


def test_sessions_in_the_cache_end_with_sign_out_and_a_password_change(settings, client, learner):
    """With Redis, sessions are read from the cache (`cached_db`): signing out and changing
    the password must still end them, for a copy of the cookie too. (Tests use the local
    cache, which behaves the same within one process.)"""
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    dashboard = reverse("courses:dashboard")

    def signed_in_copy() -> Client:
        response = client.post(
            reverse("account_login"),
            {"login": "learner@example.com", "password": "correct horse battery"},
        )
        assert response.status_code == 302
        copy = Client()
        copy.cookies["sessionid"] = client.cookies["sessionid"].value
        assert copy.get(dashboard).status_code == 200
        key = client.cookies["sessionid"].value
        assert cache.get(f"django.contrib.sessions.cached_db{key}") is not None
        return copy

    copy = signed_in_copy()
    client.post(reverse("account_logout"))
    assert copy.get(dashboard).status_code == 302  # to the sign-in page

    copy = signed_in_copy()
    learner.set_password("another horse battery staple")
    learner.save()
    assert copy.get(dashboard).status_code == 302

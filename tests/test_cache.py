"""The production cache: django-redis (lib/cache.py), and sessions read from it (lib/sessions.py).

What happens when Redis fails is in tests/test_redis_outage.py.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from config.env import redis_cache
from lib.cache import RedisCache
from tests.conftest import skip_or_fail

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
        "lib.cache.RedisCache",
        "lib.sessions",
    ]
    # Each process's own memory is no place for sessions: one ended in one process would
    # live on in another's.
    assert production_settings() == [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.contrib.sessions.backends.db",
    ]


def test_one_redis_client_is_made_and_reused():
    # Django's own Redis backend built a client per call, ~540 Python calls each (issue 9).
    # No connection is opened here: clients and pools connect on their first command.
    cache = RedisCache(
        "redis://127.0.0.1:6379/15",
        redis_cache("redis://127.0.0.1:6379/15", timeout_ms=settings.REDIS_CACHE_TIMEOUT_MS),
    )
    client = cache.client.get_client()
    assert cache.client.get_client() is client
    assert cache.client.get_client(write=False) is client


@pytest.mark.redis
def test_it_stores_and_reads_values_in_redis():
    if not settings.TEST_REDIS_URL:
        skip_or_fail("REQUIRE_REDIS", "needs Redis: TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    params = redis_cache(settings.TEST_REDIS_URL, timeout_ms=settings.REDIS_CACHE_TIMEOUT_MS)
    params["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:8]}"
    cache = RedisCache(settings.TEST_REDIS_URL, params)
    cache.set("a", {"html": "<p>one</p>"}, 30)
    cache.set_many({"b": 2, "c": [3]}, 30)
    assert cache.get("a") == {"html": "<p>one</p>"}
    assert cache.get_many(["a", "b", "c", "missing"]) == {
        "a": {"html": "<p>one</p>"},
        "b": 2,
        "c": [3],
    }
    assert cache.incr("b") == 3
    assert cache.add("rl:x", 1, 30) is True
    assert cache.add("rl:x", 1, 30) is False
    assert cache.incr("rl:x") == 2
    cache.delete_many(["a", "b", "c", "rl:x"])
    assert cache.get_many(["a", "b", "c", "rl:x"]) == {}


def test_sessions_in_the_cache_end_with_sign_out_and_a_password_change(settings, client, learner):
    """With Redis, sessions are read from the cache (lib.sessions): signing out and changing
    the password must still end them, for a copy of the cookie too. (Tests use the local
    cache, which behaves the same within one process.)"""
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse

    settings.SESSION_ENGINE = "lib.sessions"
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

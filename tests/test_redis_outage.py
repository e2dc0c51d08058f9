"""Redis down or hung: the site keeps serving from PostgreSQL, slower but up (issue 21, point 2).

Each test runs its own redis-server on a free port, configured as production configures it
(config.env.redis_cache, lib.sessions), and stops it (down: connections refused) or
pauses it (hung: connections accepted, never answered; its data kept for when it resumes).
"""

import logging
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django.urls import reverse

from config.env import redis_cache
from forum.models import Category, Topic
from lib import sessions
from tests.conftest import skip_or_fail

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

PASSWORD = "correct horse battery"  # tests/factories.py


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def pause(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def session_keys(self) -> list[bytes]:
        return redis.Redis.from_url(self.url).keys("*django.contrib.sessions.cached_db*")


@pytest.fixture
def redis_server():
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("REQUIRE_REDIS", "needs redis-server (apt-get install redis-server)")
    server = RedisServer(binary)
    server.start()
    yield server
    server.resume() if server.process else None
    server.stop()


@pytest.fixture
def site_on_redis(settings, redis_server):
    """The settings production has with REDIS_URL set, pointed at this test's Redis."""
    settings.CACHES = {
        "default": redis_cache(redis_server.url, timeout_ms=settings.REDIS_CACHE_TIMEOUT_MS)
    }
    settings.SESSION_ENGINE = "lib.sessions"
    settings.REDIS_CACHE_RETRY_SECONDS = 1
    # What each process remembers outlives a test; no test inherits another's.
    LocMemCache("rate-limits-while-redis-is-down", {}).clear()
    sessions._stale.clear()
    yield redis_server
    sessions._stale.clear()


@pytest.fixture
def category(db):
    return Category.objects.create(name="Practice questions", slug="practice", order=1)


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def new_topic(client: Client, category: Category, n: int):
    return client.post(
        reverse("forum:new_topic", args=[category.slug]),
        {"title": f"Topic number {n}", "body": "Some text.", "format": "plain"},
    )


def test_with_redis_down_every_kind_of_page_still_answers_and_caching_resumes_after(
    site_on_redis, learner, outsider, category
):
    member = Client()
    assert sign_in(member, learner.email).status_code == 302
    assert member.get(reverse("courses:dashboard")).status_code == 200
    assert site_on_redis.session_keys()  # sessions are read from Redis while it is up

    site_on_redis.stop()
    started = time.monotonic()
    assert Client().get(reverse("home")).status_code == 200
    assert member.get(reverse("courses:dashboard")).status_code == 200
    assert member.get(reverse("forum:index")).status_code == 200
    assert member.get(reverse("forum:category", args=[category.slug])).status_code == 200
    assert new_topic(member, category, 1).status_code == 302  # rate-limited
    assert Topic.objects.filter(title="Topic number 1").exists()
    visitor = Client()
    assert visitor.get(reverse("account_login")).status_code == 200
    assert sign_in(visitor, outsider.email).status_code == 302  # rate-limited too
    assert visitor.get(reverse("courses:dashboard")).status_code == 200
    assert time.monotonic() - started < 10

    site_on_redis.start()  # empty: --save ""
    time.sleep(1.1)  # REDIS_CACHE_RETRY_SECONDS
    assert member.get(reverse("courses:dashboard")).status_code == 200
    assert site_on_redis.session_keys()
    cache.set("after", "back", 30)
    assert cache.get("after") == "back"


def test_a_hung_redis_costs_a_process_one_timeout_not_one_per_cache_call(
    site_on_redis, settings, learner, category
):
    settings.REDIS_CACHE_RETRY_SECONDS = 60
    member = Client()
    assert sign_in(member, learner.email).status_code == 302

    site_on_redis.pause()
    started = time.monotonic()
    for _ in range(3):
        assert Client().get(reverse("home")).status_code == 200
        assert member.get(reverse("courses:dashboard")).status_code == 200
        assert member.get(reverse("forum:category", args=[category.slug])).status_code == 200
    # One timeout (REDIS_CACHE_TIMEOUT_MS, 0.3 s); those nine pages make some thirty cache calls.
    assert time.monotonic() - started < 3  # about 0.5 s here; some 5 s without the pause


def test_a_session_ended_while_redis_hangs_stays_ended_when_redis_answers_again(
    site_on_redis, learner
):
    member = Client()
    assert sign_in(member, learner.email).status_code == 302
    stolen = member.cookies["sessionid"].value

    def with_stolen_cookie() -> Client:
        copy = Client()
        copy.cookies["sessionid"] = stolen
        return copy

    assert with_stolen_cookie().get(reverse("courses:dashboard")).status_code == 200

    site_on_redis.pause()  # Redis keeps its copy of the session
    assert member.post(reverse("account_logout")).status_code == 302
    assert with_stolen_cookie().get(reverse("courses:dashboard")).status_code == 302

    site_on_redis.resume()
    time.sleep(1.1)  # REDIS_CACHE_RETRY_SECONDS
    assert with_stolen_cookie().get(reverse("courses:dashboard")).status_code == 302
    assert site_on_redis.session_keys() == []


def test_with_redis_down_rate_limits_count_in_each_process_neither_open_nor_closed(
    site_on_redis, settings, learner, outsider, category
):
    settings.FORUM_POST_RATE_LIMIT = 2
    member = Client()
    assert sign_in(member, learner.email).status_code == 302
    site_on_redis.stop()

    assert [new_topic(member, category, n).status_code for n in range(3)] == [302, 302, 429]

    guesser = Client()
    attacker = {"REMOTE_ADDR": "203.0.113.66"}
    for _ in range(5):
        assert sign_in(guesser, outsider.email, "a guess", **attacker).status_code == 200
    refused = sign_in(guesser, outsider.email, **attacker)
    assert "Too many failed login attempts" in refused.content.decode()
    # The owner, from their own address, is not locked out.
    assert sign_in(Client(), outsider.email, REMOTE_ADDR="198.51.100.20").status_code == 302


def test_with_redis_down_its_errors_are_logged_once_a_minute_not_per_request(
    site_on_redis, learner, caplog
):
    redis_logger = logging.getLogger("django_redis.cache")
    for log_filter in redis_logger.filters:
        log_filter._throttle.clear()  # type: ignore[attr-defined]
    member = Client()
    assert sign_in(member, learner.email).status_code == 302
    site_on_redis.stop()

    with caplog.at_level(logging.ERROR, logger="django_redis.cache"):
        for _ in range(10):
            assert member.get(reverse("courses:dashboard")).status_code == 200
            assert Client().get(reverse("home")).status_code == 200
    assert [r.name for r in caplog.records if r.name.startswith("django_redis")] == [
        "django_redis.cache"
    ]

"""A locked row must not freeze the site (issue 21, point 5): web requests wait a bounded time
for a lock or a statement and then answer the "busy, nothing was saved" 503, background work
may wait longer, and gunicorn serves other pages from other threads meanwhile (and never kills
a worker before PostgreSQL has cancelled its statement)."""

import contextlib
import os
import re
import runpy
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path, reverse

import config.urls
from forum.models import Category, Post, Topic
from lib import database
from tests.conftest import sign_in
from tests.forum.conftest import make_topic

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.postgres


def slow_statement(request) -> HttpResponse:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 200")
        cursor.execute("SELECT pg_sleep(5)")
    return HttpResponse("finished")


urlpatterns = [path("slow/", slow_statement), path("", include("config.urls"))]
handler500 = config.urls.handler500


def web_client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        sign_in(client, user)
    return client


def url_of_the_test_database() -> str:
    """DATABASE_URL for another process to use the test database."""
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "")
    password = urllib.parse.quote(db["PASSWORD"] or "")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{db['NAME']}"


def show(setting: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        return cursor.fetchone()[0]


@contextlib.contextmanager
def web_timeouts(*, lock_ms: int, statement_ms: int = 10000):
    """Connections opened in the block, by any thread, get these web timeouts."""
    options = connection.settings_dict["OPTIONS"]
    saved = options["options"]
    connection.close()
    options["options"] = f"-c statement_timeout={statement_ms} -c lock_timeout={lock_ms}"
    try:
        yield
    finally:
        options["options"] = saved
        connection.close()


@contextlib.contextmanager
def row_locked(model, pk: int):
    """Another transaction holds the row's lock (SELECT ... FOR UPDATE) until the block ends."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                model.objects.select_for_update().get(pk=pk)
                locked.set()
                release.wait(60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def wait_for_a_lock_wait() -> None:
    """Until some other session is waiting for a lock."""
    for _ in range(100):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("nobody waits for the lock")


class InThread(threading.Thread):
    """Runs `target` at once on its own thread (and database connection); `result` is what it
    returned, with the seconds it took."""

    def __init__(self, target) -> None:
        super().__init__()
        self.target = target
        self.start()

    def run(self) -> None:
        started = time.monotonic()
        try:
            self.result = (self.target(), time.monotonic() - started)
        finally:
            connection.close()


def assert_busy_page(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    page = response.content.decode()
    assert "The site is busy right now" in page
    assert "nothing was saved" in page


# The timeouts ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_web_connections_wait_at_most_the_configured_lock_and_statement_timeouts():
    assert show("statement_timeout") == f"{settings.DB_STATEMENT_TIMEOUT_MS // 1000}s"
    assert show("lock_timeout") == f"{settings.DB_LOCK_TIMEOUT_MS // 1000}s"
    assert (settings.DB_STATEMENT_TIMEOUT_MS, settings.DB_LOCK_TIMEOUT_MS) == (15000, 5000)


@pytest.mark.django_db(transaction=True)
def test_celery_workers_connect_with_the_longer_task_timeouts():
    from celery.signals import worker_init

    worker_init.send(sender=None)
    try:
        worker_thread = InThread(lambda: (show("statement_timeout"), show("lock_timeout")))
        worker_thread.join(10)
    finally:
        connection_created.disconnect(dispatch_uid=database.TASK_TIMEOUTS_UID)
    assert worker_thread.result[0] == ("5min", "1min")
    assert show("statement_timeout") == "15s"  # this (web) process's own connection


@pytest.mark.django_db
def test_management_commands_connect_with_the_longer_task_timeouts():
    script = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('SHOW statement_timeout'); print(c.fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "DATABASE_URL": url_of_the_test_database(),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "5min"


# Requests that wait too long -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_statement_cancelled_for_taking_too_long_is_the_busy_page():
    started = time.monotonic()
    response = web_client().get("/slow/")
    assert time.monotonic() - started < 3
    assert_busy_page(response)


@pytest.mark.django_db(transaction=True)
def test_a_reply_stuck_on_a_locked_topic_is_the_busy_page_while_other_pages_answer(learner):
    topic = make_topic(Category.objects.create(name="Practice", slug="practice"), learner)
    replier = web_client(learner)

    def reply():
        url = reverse("forum:reply", args=[topic.pk])
        return replier.post(url, {"body": "Waiting for the lock", "format": "plain"})

    with web_timeouts(lock_ms=2000), row_locked(Topic, topic.pk):
        replying = InThread(reply)
        wait_for_a_lock_wait()
        started = time.monotonic()
        home = web_client().get(reverse("home"))
        health = web_client().get(reverse("healthz"))
        others_took = time.monotonic() - started
        reply_still_waiting = replying.is_alive()
        replying.join(10)

    assert (home.status_code, health.status_code) == (200, 200)
    assert reply_still_waiting
    assert others_took < 1
    response, reply_took = replying.result
    assert_busy_page(response)
    assert "go back to the form and send it again" in response.content.decode()
    assert 2 <= reply_took < 5
    assert not Post.objects.filter(body="Waiting for the lock").exists()


# gunicorn -----------------------------------------------------------------------------------


def gunicorn_settings(**env: str) -> dict:
    names = ("DB_STATEMENT_TIMEOUT_MS", "WEB_CONCURRENCY", "WEB_THREADS", "HOST", "PORT")
    saved = {name: os.environ.pop(name, None) for name in names}
    os.environ.update(env)
    try:
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


def test_gunicorn_serves_with_threads_and_outwaits_the_statement_timeout():
    conf = gunicorn_settings()
    assert conf["worker_class"] == "gthread"
    assert conf["workers"] * conf["threads"] >= 8
    assert conf["timeout"] > settings.DB_STATEMENT_TIMEOUT_MS / 1000
    assert conf["graceful_timeout"] > settings.DB_STATEMENT_TIMEOUT_MS / 1000
    longer = gunicorn_settings(DB_STATEMENT_TIMEOUT_MS="60000")
    assert longer["timeout"] > 60
    assert longer["graceful_timeout"] > 60


def test_the_procfile_and_make_serve_run_gunicorn_with_its_settings_file():
    web = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    assert "gunicorn.conf.py" in web
    assert "honcho start" in (ROOT / "Makefile").read_text()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    """The site served by gunicorn with gunicorn.conf.py, one worker of four threads, against
    the test database, with a 2-second lock timeout. Yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": url_of_the_test_database(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "4",
        "DB_LOCK_TIMEOUT_MS": "2000",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(OSError):
                if http_request(f"{base}/healthz")[0] == 200:
                    break
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def http_request(url: str, data: dict | None = None, cookies: dict | None = None):
    """(status, headers, text) of the response, whose connection is closed at once, as a
    browser does (gunicorn lingers on a connection its client keeps open)."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    cookie = "; ".join(f"{name}={value}" for name, value in (cookies or {}).items())
    request = urllib.request.Request(url, data=body, headers={"Cookie": cookie} if cookie else {})
    try:
        response = urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        return response.status, response.headers, response.read().decode()


@pytest.mark.django_db(transaction=True)
def test_under_gunicorn_a_request_stuck_on_a_lock_does_not_stall_other_pages(learner, gunicorn):
    topic = make_topic(Category.objects.create(name="Practice", slug="practice"), learner)
    # The learner's browser: signed in, with the reply form's CSRF token.
    session = Client()
    session.force_login(learner)
    cookies = {settings.SESSION_COOKIE_NAME: session.cookies[settings.SESSION_COOKIE_NAME].value}
    _, headers, topic_page = http_request(f"{gunicorn}/forum/t/{topic.pk}/", cookies=cookies)
    cookies["csrftoken"] = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', topic_page).group(1)
    form = {"csrfmiddlewaretoken": token, "body": "Waiting for the lock", "format": "plain"}
    http_request(f"{gunicorn}/")  # the first page of a worker compiles templates

    def reply():
        return http_request(f"{gunicorn}/forum/t/{topic.pk}/reply/", form, cookies)

    with row_locked(Topic, topic.pk):
        replying = InThread(reply)
        wait_for_a_lock_wait()
        started = time.monotonic()
        home = http_request(f"{gunicorn}/")
        health = http_request(f"{gunicorn}/healthz")
        others_took = time.monotonic() - started
        reply_still_waiting = replying.is_alive()
        replying.join(30)

    assert (home[0], health[0]) == (200, 200)
    assert reply_still_waiting
    assert others_took < 1
    (status, headers, page), reply_took = replying.result
    assert (status, headers["Retry-After"]) == (503, "10")
    assert "The site is busy right now" in page
    assert reply_took < 5
    assert not Post.objects.filter(body="Waiting for the lock").exists()

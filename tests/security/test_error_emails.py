"""Error emails: never a secret written into a URL setting (issue 19, point 4); never a flood
that outsiders can cause (point 5)."""

import asyncio
import datetime as dt
import logging
import os
import socket
import sys
import time
import uuid

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.test import Client

from config.env import redis_cache
from lib.errorreports import (
    PrivateExceptionReporter,
    ThrottledAdminEmailHandler,
    mailer,
    mask_url_credentials,
)
from tests.conftest import skip_or_fail

# Each URL setting with its own password, and the host that must still be shown.
URL_SETTINGS = {
    "REDIS_URL": ("redis://:redis-pw-Hx81@cache.internal:6379/0", "cache.internal:6379"),
    "CELERY_BROKER_URL": ("amqp://htw:amqp-pw-Qz42@broker.internal:5672//", "broker.internal"),
    "SENTRY_DSN": ("https://dsnkey0Fe93@o1.ingest.sentry.example/7", "o1.ingest.sentry.example"),
}
PASSWORDS = [
    "redis-pw-Hx81",
    "amqp-pw-Qz42",
    "dsnkey0Fe93",
    "location-pw-Lw55",
    "replica-pw-Rp63",
    "smtp-pw-Sm07",
    "meta-pw-Me29",
]


@pytest.fixture
def url_settings(settings):
    for name, (url, _host) in URL_SETTINGS.items():
        setattr(settings, name, url)
    # Local memory takes LOCATION as a mere name: the report shows production's CACHES shape
    # (a Redis URL with its password) without connecting anywhere.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "rediss://default:location-pw-Lw55@cache-tls.internal:6380/1",
        }
    }
    settings.REPLICA_DATABASES = {
        "reports": {"URL": "postgres://reader:replica-pw-Rp63@replica.internal:5432/htw"},
        "mirrors": ["smtp://mailer:smtp-pw-Sm07@smtp.internal:587", ("http://127.0.0.1:9",)],
    }
    return settings


def sent() -> list:
    """The error emails, once the thread that sends them has sent those queued."""
    assert mailer.wait(10)
    return mail.outbox


def everything_in(message) -> str:
    parts = [message.subject, message.body]
    parts += [str(content) for content, _type in getattr(message, "alternatives", [])]
    parts += [str(attachment) for attachment in message.attachments]
    return "\n".join(parts)


@pytest.mark.urls("tests.security.urls_boom")
def test_an_error_email_shows_url_hosts_but_no_passwords(url_settings):
    url_settings.ADMINS = [("Admin", "admin@example.com")]
    client = Client(raise_request_exception=False)
    # Under runserver request.META holds the environment, REDIS_URL included.
    response = client.post("/boom/", REDIS_URL="redis://:meta-pw-Me29@meta.internal:6379/0")
    assert response.status_code == 500

    [report] = sent()
    text = everything_in(report)
    assert "RuntimeError" in text
    for password in PASSWORDS:
        assert password not in text
    for _url, host in URL_SETTINGS.values():
        assert host in text
    for host in ("cache-tls.internal:6380", "replica.internal", "smtp.internal", "meta.internal"):
        assert host in text
    assert "redis://:********************@cache.internal:6379/0" in text
    assert "http://127.0.0.1:9" in text  # URLs without credentials are left alone


@pytest.mark.urls("tests.security.urls_boom")
def test_the_debug_page_shows_url_hosts_but_no_passwords(url_settings):
    url_settings.DEBUG = True
    client = Client(raise_request_exception=False)
    response = client.post("/boom/")
    assert response.status_code == 500

    page = response.content.decode()
    for password in PASSWORDS:
        assert password not in page
    assert "cache.internal:6379" in page
    assert "replica.internal" in page


def test_a_report_without_a_request_masks_url_passwords_in_text_and_html(url_settings):
    try:
        raise ValueError("a task failed")
    except ValueError:
        reporter = PrivateExceptionReporter(None, *sys.exc_info(), is_email=True)
    for report in (reporter.get_traceback_text(), reporter.get_traceback_html()):
        for password in PASSWORDS:
            assert password not in report
        assert "broker.internal" in report
        assert "cache-tls.internal:6380" in report


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("redis://:pw1@h:6379/0", "redis://:***@h:6379/0"),
        ("rediss://default:pw1@h:6380", "rediss://default:***@h:6380"),
        ("postgres://u:p%40w@db:5432/htw", "postgres://u:***@db:5432/htw"),
        ("amqp://u:pw1@rabbit//", "amqp://u:***@rabbit//"),
        ("smtp://me@example.com:p@ss@smtp:587?tls=1", "smtp://me@example.com:***@smtp:587?tls=1"),
        ("https://user:pw1@example.com/x", "https://user:***@example.com/x"),
        ("https://KEY123@o1.ingest.sentry.io/1", "https://***@o1.ingest.sentry.io/1"),
        ("redis://:a1@h1,redis://:b2@h2/0", "redis://:***@h1,redis://:***@h2/0"),
        ("redis://:a1@h1;redis://:b2@h2", "redis://:***@h1;redis://:***@h2"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://example.com/@someone", "https://example.com/@someone"),
        ("hello@howtherapyworks.example", "hello@howtherapyworks.example"),
    ],
)
def test_every_kind_of_url_loses_its_password_and_keeps_its_host(url, masked):
    assert mask_url_credentials(url, "***") == masked


def test_masking_a_huge_header_takes_no_time():
    # Request headers are cleansed like settings; anyone may send kilobytes of letters.
    started = time.perf_counter()
    for text in ("a" * 20_000, "a" * 10_000 + "://" + "b" * 10_000, "https://" + "a," * 10_000):
        mask_url_credentials(text, "***")
    assert time.perf_counter() - started < 1


# Throttling ---------------------------------------------------------------------------------


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("Admin", "admin@example.com")]
    settings.ERROR_EMAIL_INTERVAL = 600
    handlers = {
        handler
        for name in ("django", "django.request")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, ThrottledAdminEmailHandler)
    }
    assert handlers, "LOGGING no longer uses ThrottledAdminEmailHandler"
    # Each process's fallback throttle outlives a test; no test inherits another's.
    for handler in handlers:
        handler._local.clear()
    yield settings
    mailer.wait(10)  # none is left to reach the next test's outbox
    for handler in handlers:
        handler._local.clear()


@pytest.fixture
def errors_client():
    return Client(raise_request_exception=False)


def test_requests_with_an_unknown_host_get_400_and_email_nobody(admins, errors_client):
    for _ in range(20):
        assert errors_client.get("/", HTTP_HOST="evil.example").status_code == 400
    assert sent() == []


@pytest.mark.urls("tests.security.urls_boom")
def test_twenty_suspicious_requests_of_one_kind_get_400_and_send_one_email(admins, errors_client):
    admins.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    for _ in range(20):
        response = errors_client.post("/boom/", {f"field{i}": "x" for i in range(10)})
        assert response.status_code == 400
    [report] = sent()
    assert "TooManyFieldsSent" in report.body


@pytest.mark.urls("tests.security.urls_boom")
def test_twenty_failures_of_the_same_error_send_one_email(admins, errors_client):
    for _ in range(20):
        assert errors_client.post("/boom/").status_code == 500
    [report] = sent()
    assert "RuntimeError" in report.body
    assert "more not emailed" not in report.subject + report.body


@pytest.mark.urls("tests.security.urls_boom")
def test_a_different_error_sends_its_own_email(admins, errors_client):
    for _ in range(3):
        errors_client.post("/boom/")
        errors_client.get("/boom/other/")
    first, second = sent()
    assert "RuntimeError" in first.body
    assert "LookupError" in second.body


@pytest.mark.urls("tests.security.urls_boom")
def test_after_the_interval_the_next_email_says_how_many_were_not_sent(admins, errors_client):
    start = dt.datetime(2027, 3, 5, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            errors_client.post("/boom/")
    with time_machine.travel(start + dt.timedelta(seconds=599), tick=False):
        errors_client.post("/boom/")
    assert len(sent()) == 1
    with time_machine.travel(start + dt.timedelta(seconds=601), tick=False):
        errors_client.post("/boom/")
        errors_client.post("/boom/")
    _first, second = sent()
    assert "(and 5 more not emailed)" in second.subject
    assert "(and 5 more not emailed)" in second.body
    assert "RuntimeError" in second.body

    with time_machine.travel(start + dt.timedelta(seconds=1202), tick=False):
        errors_client.post("/boom/")
    assert "(and 1 more not emailed)" in sent()[2].subject


def test_records_without_an_exception_are_throttled_by_logger_and_message_template(admins):
    logger = logging.getLogger("django.test_errors")
    for lesson_id in range(1, 6):
        logger.error("Lesson %s has no chapter", lesson_id)
    logger.error("The sweeper could not run")
    first, second = sent()
    assert "Lesson 1 has no chapter" in first.subject
    assert "The sweeper could not run" in second.subject


@pytest.mark.urls("tests.security.urls_boom")
def test_with_the_cache_down_each_process_still_sends_one_email_per_interval(admins, errors_client):
    # Production's cache (it ignores Redis errors: a failed call is a miss) with nothing there.
    admins.CACHES = {
        "default": redis_cache("redis://127.0.0.1:1/0", timeout_ms=admins.REDIS_CACHE_TIMEOUT_MS)
    }
    start = dt.datetime(2027, 3, 5, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(20):
            assert errors_client.post("/boom/").status_code == 500
        errors_client.get("/boom/other/")
    first, second = sent()
    assert "RuntimeError" in first.body
    assert "LookupError" in second.body

    with time_machine.travel(start + dt.timedelta(seconds=601), tick=False):
        errors_client.post("/boom/")
    assert "(and 19 more not emailed)" in sent()[2].subject


class SlowMailServer:
    """Takes its time over every message, as a struggling mail server does."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.seconds)
        self.messages.append(envelope.original_content)
        return "250 Message accepted"


@pytest.fixture
def slow_mail_server(admins):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = SlowMailServer(seconds=3)
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    admins.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    admins.EMAIL_HOST, admins.EMAIL_PORT, admins.EMAIL_TIMEOUT = "127.0.0.1", port, 10
    admins.EMAIL_USE_TLS = admins.EMAIL_USE_SSL = False
    admins.EMAIL_HOST_USER = admins.EMAIL_HOST_PASSWORD = ""
    yield server
    mailer.wait(10)
    controller.stop()


@pytest.mark.urls("tests.security.urls_boom")
def test_fifty_failing_requests_send_one_email_and_none_waits_for_the_mail_server(
    admins, errors_client, slow_mail_server
):
    started = time.monotonic()
    assert errors_client.post("/boom/").status_code == 500
    assert time.monotonic() - started < 1.5  # the mail server takes 3 s to answer
    for _ in range(49):
        assert errors_client.post("/boom/").status_code == 500

    assert mailer.wait(10)
    [message] = slow_mail_server.messages
    assert b"RuntimeError" in message


def failure_record() -> logging.LogRecord:
    try:
        raise RuntimeError("the sweeper failed")
    except RuntimeError:
        return logging.LogRecord(
            "django.test_errors", logging.ERROR, __file__, 1, "Sweep failed", None, sys.exc_info()
        )


def test_two_processes_sharing_the_cache_send_one_email(admins):
    first_process, second_process = ThrottledAdminEmailHandler(), ThrottledAdminEmailHandler()
    for _ in range(3):
        first_process.handle(failure_record())
        second_process.handle(failure_record())
    [report] = sent()
    assert "RuntimeError" in report.body


@pytest.mark.redis
def test_two_processes_sharing_redis_send_one_email_and_then_the_count(admins):
    if not admins.TEST_REDIS_URL:
        skip_or_fail("REQUIRE_REDIS", "needs Redis: TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    admins.CACHES = {
        "default": {
            **redis_cache(admins.TEST_REDIS_URL, timeout_ms=admins.REDIS_CACHE_TIMEOUT_MS),
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        }
    }
    admins.ERROR_EMAIL_INTERVAL = 1  # Redis keeps its own time: no travelling
    first_process, second_process = ThrottledAdminEmailHandler(), ThrottledAdminEmailHandler()
    for _ in range(3):
        first_process.handle(failure_record())
        second_process.handle(failure_record())
    assert len(sent()) == 1
    time.sleep(1.1)
    second_process.handle(failure_record())
    assert "(and 5 more not emailed)" in sent()[1].subject


def test_a_forked_worker_sends_error_emails_from_a_thread_of_its_own(admins, tmp_path):
    """gunicorn forks its workers: a thread started in the parent does not exist in a child."""
    admins.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    admins.EMAIL_FILE_PATH = str(tmp_path)
    handler = ThrottledAdminEmailHandler()
    handler.handle(failure_record())  # the parent's thread starts
    assert mailer.wait(10)

    pid = os.fork()
    if pid == 0:
        try:
            child_error = logging.LogRecord(
                "django.test_errors", logging.ERROR, __file__, 1, "Child failed", None, None
            )
            handler.handle(child_error)
            os._exit(0 if mailer.wait(10) else 1)
        finally:
            os._exit(2)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert len(list(tmp_path.iterdir())) == 2

"""Error reports never carry a secret written into a URL setting (issue 19, point 4)."""

import sys
import time

import pytest
from django.core import mail
from django.test import Client

from lib.errorreports import PrivateExceptionReporter, mask_url_credentials

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

    [report] = mail.outbox
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

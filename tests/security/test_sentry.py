"""Sentry events (SENTRY_DSN, issue 27, point 2) carry nothing private: no request body, query,
cookies, headers, path tokens, frame variables, log arguments, task arguments or URL passwords.
The SDK runs for real; only its transport is a local one that keeps the envelopes."""

import json
import logging
import os
import subprocess
import sys

import pytest
import sentry_sdk
from django.test import Client
from sentry_sdk.transport import Transport

from lib import sentry

CANARY = "Kx7PrivateCanary"
SECRETS = [CANARY, "hunter2-secret", "auth-secret-Ab12", "redis-pw-Hx81", "dsnkey0Fe93"]
DSN = "https://dsnkey0Fe93@o1.ingest.sentry.example/7"


class Capture(Transport):
    """Keeps what the SDK would send to Sentry."""

    def __init__(self) -> None:
        super().__init__({"dsn": DSN})
        self.envelopes: list = []

    def capture_envelope(self, envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict]:
        return [e.get_event() for e in self.envelopes if e.get_event() is not None]

    def payloads(self) -> str:
        """Every item of every envelope, as sent (the envelope header names the DSN itself)."""
        return "\n".join(
            item.payload.get_bytes().decode() for e in self.envelopes for item in e.items
        )


@pytest.fixture
def sent(settings):
    settings.REDIS_URL = "redis://:redis-pw-Hx81@cache.internal:6379/0"
    capture = Capture()
    sentry.init(DSN, environment="test", transport=capture)
    yield capture
    sentry_sdk.get_client().close()
    # Off again for the other tests: no DSN, and no integration left active, so the hooks
    # the integrations patched into Django (once per process) do nothing.
    sentry_sdk.init(default_integrations=False, auto_enabling_integrations=False)


@pytest.mark.urls("tests.security.urls_sentry")
@pytest.mark.django_db
def test_a_failing_request_reaches_sentry_without_anything_private(sent):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = f"cookie-{CANARY}"
    response = client.post(
        f"/boom/token-{CANARY}/?q=search-{CANARY}",
        {"text": f"Question about {CANARY}", "password": "hunter2-secret"},
        HTTP_AUTHORIZATION="Bearer auth-secret-Ab12",
        HTTP_REFERER=f"https://elsewhere.example/?q={CANARY}",
    )

    assert response.status_code == 500
    [event] = sent.events()
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert "cache.internal:6379" in exception["value"]  # the host stays, its password does not
    assert any(frame["function"] == "boom" for frame in exception["stacktrace"]["frames"])
    # The URL pattern, not the path; the method when gunicorn's WSGI call went through Sentry's.
    assert event["request"]["url"] == "/boom/{token}/"
    assert set(event["request"]) <= {"method", "url"}
    assert "user" not in event and "breadcrumbs" not in event
    everything = sent.payloads()
    for secret in SECRETS:
        assert secret not in everything


def test_a_log_record_keeps_its_template_but_not_its_arguments_or_extra(sent):
    logging.getLogger("qa.services").error(
        "could not notify about %s", f"question {CANARY}", extra={"question": CANARY}
    )

    [event] = sent.events()
    assert event["logentry"] == {"message": "could not notify about %s"}
    assert event["extra"]["question"] != CANARY
    assert CANARY not in sent.payloads()


def test_a_failing_task_keeps_its_name_but_not_its_arguments(sent):
    from config.celery import app

    @app.task(name="tests.sentry.fails")
    def fails(text: str) -> None:
        raise RuntimeError("the task failed")

    fails.apply(args=[f"answer {CANARY}"], throw=False)

    [event] = sent.events()
    assert event["extra"]["celery-job"]["task_name"] == "tests.sentry.fails"
    assert CANARY not in sent.payloads()


@pytest.mark.urls("tests.security.urls_sentry")
@pytest.mark.django_db
def test_unknown_hosts_and_busy_pages_send_nothing(sent):
    client = Client(raise_request_exception=False)

    assert client.get("/", HTTP_HOST="evil.example").status_code == 400
    assert client.get("/busy/").status_code == 503

    assert sent.events() == []


def test_without_a_dsn_nothing_is_started(settings):
    assert not settings.SENTRY_DSN
    assert sentry_sdk.get_client().transport is None


def test_the_payloads_are_json_events(sent):
    logging.getLogger("lib.health").error("the database is down")

    [event] = sent.events()
    assert json.loads(json.dumps(event))["level"] == "error"


def test_settings_start_sentry_when_the_dsn_is_set():
    code = (
        "import django, sentry_sdk; django.setup(); client = sentry_sdk.get_client(); "
        "print(client.dsn, client.options['environment'], client.options['before_send'].__name__)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "DATABASE_URL": "",
        "SENTRY_DSN": DSN,
        "SENTRY_ENVIRONMENT": "staging",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )

    assert result.stdout.split() == [DSN, "staging", "scrub"]

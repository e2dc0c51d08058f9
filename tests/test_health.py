import datetime as dt
import socket
import time

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.db.utils import OperationalError
from django.urls import reverse

from config.celery import app
from lib import health
from lib.errorreports import mailer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_alerts_remembered():
    # Each process remembers what it alerted about; no test inherits another's.
    health._down.clear()
    yield
    mailer.wait(10)
    health._down.clear()


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("Admin", "admin@example.com")]
    settings.ERROR_EMAIL_INTERVAL = 600
    return settings


@pytest.fixture
def with_workers(settings):
    """A broker is configured (tasks still run inline here): /healthz checks the workers."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    return settings


def sent() -> list:
    assert mailer.wait(10)
    return mail.outbox


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True}}


def test_healthz_fails_when_the_database_is_down(client, monkeypatch):
    class DeadConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", DeadConnection())
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] is False


def test_healthz_is_degraded_not_down_when_configured_redis_is_down(client, settings):
    # The site serves without Redis (lib/cache.py): the load balancer must keep sending traffic.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()
    response = client.get(reverse("healthz"))
    assert time.monotonic() - started < 2  # no retries with a pause between them
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": True, "redis": False}}


def test_healthz_is_degraded_with_the_workers_flagged_when_the_heartbeat_is_stale(
    client, with_workers
):
    cache.set(health.HEARTBEAT_KEY, {"at": time.time() - 181}, None)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": True, "workers": False}}


def test_healthz_is_degraded_when_no_worker_ever_ran_the_heartbeat(client, with_workers):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["checks"]["workers"] is False


def test_a_worker_running_the_heartbeat_makes_the_workers_ok(client, with_workers):
    cache.set(health.HEARTBEAT_KEY, {"at": time.time() - 600}, None)
    health.record_heartbeat.delay()
    response = client.get(reverse("healthz"))
    assert response.json() == {"status": "ok", "checks": {"database": True, "workers": True}}


def test_the_heartbeat_is_on_the_beat_schedule_every_minute():
    entry = app.conf.beat_schedule["health-heartbeat"]
    assert entry["task"] == "lib.health.record_heartbeat"
    assert entry["schedule"].minute == set(range(60))
    assert entry["options"]["expires"] < 60  # a stopped worker's backlog is dropped


def test_the_heartbeat_probes_the_mail_server_and_healthz_reports_it(
    client, with_workers, settings
):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_SSL = "127.0.0.1", port, False
    health.record_heartbeat.delay()
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": True, "workers": True, "smtp": False},
    }


def test_a_database_outage_sends_one_alert_however_many_probes_and_one_notice_when_it_is_back(
    client, admins, monkeypatch
):
    monkeypatch.setattr(health, "check_database", lambda: "OperationalError: connection refused")
    for _ in range(30):
        assert client.get(reverse("healthz")).status_code == 503
    [alert] = sent()
    assert alert.subject.endswith(
        "ERROR: Down: the database (OperationalError: connection refused)"
    )
    assert alert.to == ["admin@example.com"]

    monkeypatch.setattr(health, "check_database", lambda: None)
    for _ in range(30):
        assert client.get(reverse("healthz")).status_code == 200
    _alert, notice = sent()
    assert notice.subject.endswith("WARNING: Back: the database")


def test_an_outage_that_lasts_is_alerted_again_each_interval(client, admins, monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda: "OperationalError: connection refused")
    start = dt.datetime(2027, 3, 5, 9, 0, tzinfo=dt.UTC)
    for minutes in range(0, 25):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            client.get(reverse("healthz"))
    # At 0, 10 and 20 minutes (ERROR_EMAIL_INTERVAL is 600 s).
    assert [m.subject.split("ERROR: ")[1] for m in sent()] == [
        "Down: the database (OperationalError: connection refused)"
    ] * 3


def test_each_part_has_its_own_alert(client, admins, settings, with_workers):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    client.get(reverse("healthz"))
    subjects = sorted(m.subject.split("ERROR: Down: ")[1].split(" (")[0] for m in sent())
    assert subjects == ["Redis", "the Celery workers"]

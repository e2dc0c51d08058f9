"""GET /healthz for the load balancer, and one alert when a part of the site goes down.

/healthz answers 503 ("unavailable") only when the database does not answer: nothing works
without it. Redis down, workers that stopped running the beat heartbeat or a mail server that
does not answer make it "degraded" with a 200: the site still serves (lib/cache.py), and taking
every web process out of the load balancer would take it down.

Alerts: when a check starts failing, the web process that sees it logs one ERROR (emailed to
ADMIN_EMAILS through ThrottledAdminEmailHandler, so once per ERROR_EMAIL_INTERVAL however many
processes and probes see it), again each ERROR_EMAIL_INTERVAL while it stays down, and one
WARNING when it is back (emailed too: LOGGING's "health_alerts" handler).

The mail server is probed by the heartbeat task (a worker, once a minute), never by /healthz.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from redis.backoff import NoBackoff
from redis.retry import Retry

HEARTBEAT_KEY = "health:heartbeat"
NAMES = {
    "database": "the database",
    "redis": "Redis",
    "workers": "the Celery workers",
    "smtp": "the mail server",
}

_down: dict[str, float] = {}  # check -> when this process last alerted that it is down
_down_lock = threading.Lock()


def describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def check_database() -> str | None:
    """None when the check passes, else what is wrong (so for each check below)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return describe(exc)
    return None


def check_redis() -> str | None:
    # A client of its own, without lib.cache's pause after a failure: it sees Redis come back.
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
    except Exception as exc:
        return describe(exc)
    finally:
        client.close()
    return None


def check_workers(beat: dict[str, Any] | None) -> str | None:
    """`beat`: what record_heartbeat last stored."""
    if beat is None:
        return "no heartbeat found (none has run yet, or Redis is down or lost it)"
    age = time.time() - beat["at"]
    if age > settings.HEALTH_WORKERS_STALE_SECONDS:
        return f"the last heartbeat ran {age:.0f} s ago"
    return None


def uses_smtp() -> bool:
    return settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"


def probe_smtp() -> str | None:
    server_class = smtplib.SMTP_SSL if settings.EMAIL_USE_SSL else smtplib.SMTP
    try:
        with server_class(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=10) as server:
            server.noop()
    except Exception as exc:
        return describe(exc)
    return None


@shared_task(ignore_result=True)
def record_heartbeat() -> None:
    """Run by a worker every minute (config/celery.py): /healthz reports the workers degraded
    when it stops, and the mail server as this probe last found it."""
    beat: dict[str, Any] = {"at": time.time()}
    if uses_smtp():
        beat["smtp"] = probe_smtp()
    cache.set(HEARTBEAT_KEY, beat, None)


def run_checks() -> dict[str, str | None]:
    problems = {"database": check_database()}
    if settings.REDIS_URL:
        problems["redis"] = check_redis()
    if settings.CELERY_BROKER_URL:  # else tasks run inline: there are no workers
        beat = cache.get(HEARTBEAT_KEY)
        problems["workers"] = check_workers(beat)
        if beat is not None and problems["workers"] is None and "smtp" in beat:
            problems["smtp"] = beat["smtp"]
    return problems


def alert_on_changes(problems: dict[str, str | None]) -> None:
    now = time.time()
    for name, problem in problems.items():
        with _down_lock:
            alerted = _down.get(name)
            down = problem is not None and (
                alerted is None or now - alerted >= settings.ERROR_EMAIL_INTERVAL
            )
            back = problem is None and alerted is not None
            if down:
                _down[name] = now
            elif back:
                del _down[name]
        # A logger per check: the email throttle tells errors apart by logger and message.
        logger = logging.getLogger(f"{__name__}.{name}")
        if down:
            logger.error("Down: %s (%s)", NAMES[name], problem)
        elif back:
            logger.warning("Back: %s", NAMES[name])


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 "ok"; 200 "degraded" when only Redis, the workers or the mail server fail; 503
    "unavailable" when the database fails."""
    problems = run_checks()
    alert_on_changes(problems)
    if problems["database"] is not None:
        status, code = "unavailable", 503
    elif any(problem is not None for problem in problems.values()):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    checks = {name: problem is None for name, problem in problems.items()}
    return JsonResponse({"status": status, "checks": checks}, status=code)


class HealthCheckMiddleware:
    """Answers /healthz (config/urls.py names the same path) before the session and the
    signed-in user are read, which would need the database: with it down, the check answers
    its 503 to a probe carrying a session cookie too, instead of failing itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)

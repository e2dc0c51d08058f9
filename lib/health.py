import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: database unavailable")
        return False


def check_redis() -> bool | None:
    """None when no Redis is configured."""
    if not settings.REDIS_URL:
        return None
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
        return bool(client.ping())
    except Exception:
        logger.exception("Health check: Redis unavailable")
        return False


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database (and Redis, if configured) answer; 503 otherwise."""
    checks = {"database": check_database()}
    redis_ok = check_redis()
    if redis_ok is not None:
        checks["redis"] = redis_ok
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


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

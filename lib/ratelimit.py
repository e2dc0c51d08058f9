"""A small fixed-window rate limiter backed by the cache (Redis in production).

if not ratelimit.allow(f"forum-post:{user.pk}", limit=10, period=600):
    ... show "You are posting very quickly; try again in a few minutes."
"""

import time

from django.core.cache import cache
from django.http import HttpRequest


def allow(key: str, *, limit: int, period: int) -> bool:
    """Count one hit for `key`; False once more than `limit` hits fall in the current window."""
    window = int(time.time() // period)
    cache_key = f"rl:{key}:{window}"
    added = cache.add(cache_key, 1, timeout=period + 1)
    if added:
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=period + 1)
        return True
    return count <= limit


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind a proxy (BEHIND_PROXY=1) the last X-Forwarded-For hop is
    the one our proxy added, so it is the only one that cannot be forged."""
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "")

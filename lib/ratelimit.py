"""A small fixed-window rate limiter backed by the cache (Redis in production).

if not ratelimit.allow(f"forum-post:{user.pk}", limit=10, period=600):
    ... show "You are posting very quickly; try again in a few minutes."

While Redis is down the counts go on in each web process's memory (lib/cache.py keeps keys
under "rl:" there): every limit still holds, per process, so up to WEB_CONCURRENCY times as
many get through. None fails open (unlimited) or closed (refusing everyone); README.md lists
the limits.
"""

import ipaddress
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
    # None: a cache that ignores its errors and keeps no counters of its own (not lib.cache).
    return count is None or count <= limit


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind proxies (TRUSTED_PROXY_COUNT > 0) each proxy appends the
    address it saw to X-Forwarded-For, so the client is that many hops from the right: hops
    further left are whatever the client sent and cannot be trusted.

    A hop that is not an IP address (a proxy misconfigured, or reached directly) is ignored:
    the address goes into cache keys and the audit log's `inet` column."""
    from django.conf import settings

    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= count and is_ip_address(hops[-count]):
            return hops[-count]
    address: str = request.META.get("REMOTE_ADDR", "")
    return address


def client_network(request: HttpRequest) -> str:
    """client_ip, with an IPv6 address cut to its /64 (allauth's ACCOUNT_RATE_LIMITS do the
    same): one home or server is given a whole /64 and could step through it."""
    ip = client_ip(request)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address)
    return ip


def is_ip_address(text: str) -> bool:
    """An IPv4 or IPv6 address as PostgreSQL's `inet` takes it: without an IPv6 zone
    ("fe80::1%eth0"), whose text after the % Python accepts whatever it is."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return "%" not in text

"""Reading the settings from the environment (config/settings.py uses these).

Values fail loudly: a typo in a yes/no or a number stops the site from starting instead of
reading as False or 0. The builders turn a URL or a bucket name into the entry Django expects
(CACHES, STORAGES, the EMAIL_* settings); tests build the same entries with them.
"""

import os
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def env(name: str, default: str = "") -> str:
    """The variable's value; unset and empty both mean the default."""
    return os.environ.get(name) or default


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def parse_bool(name: str, value: str) -> bool:
    """A yes/no setting; anything but the usual words is refused, so that a typo ("ture")
    stops the site from starting instead of reading as False."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; it is {value!r}."
    )


def parse_int(name: str, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; it is {value!r}.") from None


def env_bool(name: str, default: bool = False) -> bool:
    """The variable as a yes/no; unset and empty mean the default, a bad value is an error."""
    value = os.environ.get(name, "")
    return parse_bool(name, value) if value.strip() else default


def env_int(name: str, default: int) -> int:
    """The variable as a whole number; unset and empty mean the default, a bad value is an
    error."""
    value = os.environ.get(name, "")
    return parse_int(name, value) if value.strip() else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def redis_cache(url: str, *, timeout_ms: int) -> dict[str, Any]:
    """The CACHES entry for a Redis at `url`: a cache call waits at most `timeout_ms`, and a
    failed one is a miss (tests/test_redis_outage.py uses it too)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    timeout = timeout_ms / 1000
    return {
        "BACKEND": "lib.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "htw",
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": timeout,
            "SOCKET_TIMEOUT": timeout,
            "REDIS_CLIENT_CLASS": "lib.cache.Redis",
            # redis-py's default is three more tries with a growing pause: seconds per call.
            "CONNECTION_POOL_KWARGS": {"retry": Retry(NoBackoff(), 0)},
        },
    }


def s3_storage(bucket: str, *, signed_url_seconds: int, **options: str | None) -> dict[str, Any]:
    """The STORAGES entry for a private bucket whose signed links last `signed_url_seconds`
    (tests/test_media_storage.py uses it too)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "signature_version": "s3v4",
            # No ACL: S3's default, a private object. Buckets with ACLs disabled (AWS's default
            # since 2023) refuse every upload that names one, even "private".
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": signed_url_seconds,
            "file_overwrite": False,
            "custom_domain": None,
            **options,
        },
    }


def parse_email_url(url: str) -> dict[str, Any]:
    """Turn EMAIL_URL into email settings.

    console://            print messages (development default)
    file:///path/to/dir   write .eml files
    locmem://             keep in memory (tests)
    smtp://user:pass@host:587?tls=1   smtps://user:pass@host:465
    anymail://postmark    any django-anymail provider; its keys come from ANYMAIL_* variables
    """
    parsed = urlparse(url)
    scheme = parsed.scheme
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if scheme == "anymail":
        return {"EMAIL_BACKEND": f"anymail.backends.{parsed.netloc}.EmailBackend"}
    if scheme not in backends:
        raise ImproperlyConfigured(f"EMAIL_URL has an unknown scheme: {scheme!r}")
    result: dict[str, Any] = {"EMAIL_BACKEND": backends[scheme]}
    if scheme == "file":
        result["EMAIL_FILE_PATH"] = parsed.path
    if scheme in {"smtp", "smtps"}:
        query = parse_qs(parsed.query)
        result.update(
            EMAIL_HOST=parsed.hostname or "localhost",
            EMAIL_PORT=parsed.port or (465 if scheme == "smtps" else 25),
            EMAIL_HOST_USER=unquote(parsed.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parsed.password or ""),
            EMAIL_USE_SSL=scheme == "smtps",
            EMAIL_USE_TLS=parse_bool("EMAIL_URL's tls", query.get("tls", ["0"])[0]),
            EMAIL_TIMEOUT=parse_int("EMAIL_URL's timeout", query.get("timeout", ["20"])[0]),
        )
    return result

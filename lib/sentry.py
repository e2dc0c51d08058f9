"""Error tracking with Sentry, when SENTRY_DSN is set (issue 27), scrubbed like the error emails.

The emails (lib/errorreports.py) never carry what people typed, secrets or cookies; Sentry is
a third party, so its events carry less still. `init` turns off what the SDK could collect
(request bodies, cookies, personal data, frame variables, breadcrumbs, performance traces),
and `scrub` goes over every event before it leaves, whatever an integration added:

- the request keeps its method and the URL *pattern* (`/lessons/feed/{token}/{pk}/`), never
  the path itself (feed tokens, password-reset keys and unsubscribe tokens live in paths),
  the query string, headers, cookies or body;
- frames keep file, line and code but lose their variables; log records keep the message
  template but lose its arguments and `extra`; a Celery task keeps its name, not its args;
- no user (not even the id), and a password or key written into any URL is masked, as in
  the emails (`redis://:********@host`).

Events from unknown Host headers (anyone can send them) and the status-code lines Django
logs for 5xx pages without an exception (/healthz while the database is down) are dropped.
"""

import logging
import re
from typing import Any

logger = logging.getLogger(__name__)

# Loggers whose records must never become events.
IGNORED_LOGGERS = ("django.security.DisallowedHost",)
# Django's "Service Unavailable: /path" lines for pages that answered 5xx without a bug.
_STATUS_LINE = re.compile(r"^[A-Z][A-Za-z ]+: %s$")
OFF = {"mode": "off"}


def init(dsn: str, *, environment: str = "", release: str = "", transport: Any = None) -> None:
    """Start the SDK for this process (web, worker or beat); `transport` for tests."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger

    for name in IGNORED_LOGGERS:
        ignore_logger(name)
    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        # send_default_pii=False in the words of sentry-sdk 2.7x, which deprecates that flag.
        data_collection={  # type: ignore[arg-type]
            "user_info": False,
            "cookies": OFF,
            "http_headers": {"request": OFF},
            "http_bodies": [],
            "url_query_params": OFF,
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        include_local_variables=False,
        max_request_body_size="never",
        max_breadcrumbs=0,
        traces_sample_rate=None,
        profiles_sample_rate=None,
        before_send=scrub,  # type: ignore[arg-type]
        before_send_transaction=lambda event, hint: None,
        integrations=[
            DjangoIntegration(transaction_style="url"),
            CeleryIntegration(),
            LoggingIntegration(level=None, event_level=logging.ERROR),
        ],
        transport=transport,
    )


def scrub(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """The event without anything private (see the module's docstring), or None to drop it."""
    from lib.errorreports import HIDDEN, mask_url_credentials

    logentry = event.get("logentry") or {}
    if (
        event.get("logger") == "django.request"
        and not event.get("exception")
        and _STATUS_LINE.match(str(logentry.get("message", "")))
    ):
        return None
    request = event.get("request") or {}
    route = event.get("transaction") if event.get("transaction_info", {}).get("source") else None
    event["request"] = {"method": request.get("method", "")}
    if route:
        event["request"]["url"] = route
    event.pop("user", None)
    event.pop("breadcrumbs", None)
    if logentry:
        event["logentry"] = {"message": logentry.get("message", "")}
    extra = event.get("extra") or {}
    job = extra.get("celery-job")
    event["extra"] = {key: HIDDEN for key in extra if key != "celery-job"}
    if isinstance(job, dict):
        event["extra"]["celery-job"] = {"task_name": job.get("task_name", ""), "args": HIDDEN}
    for exception in (event.get("exception") or {}).get("values", []):
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values", []):
        for frame in (thread.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    masked: dict[str, Any] | None = _masked(
        event, lambda text: mask_url_credentials(text, "*" * 20)
    )
    return masked


def _masked(value: Any, mask: Any) -> Any:
    """`value` with `mask` applied to every string in it, however deep."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {key: _masked(item, mask) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item, mask) for item in value]
    return value

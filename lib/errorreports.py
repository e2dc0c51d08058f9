"""Error reports (the emails to ADMIN_EMAILS, the debug page) without what people typed.

A request body can hold a clinical question, a forum post or a password; a traceback frame's
local variables can hold the same text after the view read it. Reports keep the field names,
the URL path, the user and the traceback, and replace every submitted value, query-string
value, uploaded file and frame variable with a placeholder. Settings (and request.META, which
under runserver holds the environment) keep their hosts but lose any password or key written
into a URL: `redis://:PASSWORD@host` appears as `redis://:********************@host`.

The emails go out through ThrottledAdminEmailHandler: each error at most once per
ERROR_EMAIL_INTERVAL, so that nobody can fill the admins' inbox by repeating a failing request,
and from a thread of their own, so that no request waits for the mail server.
"""

import atexit
import hashlib
import logging
import math
import os
import queue
import re
import threading
import time
from collections.abc import ItemsView
from copy import copy
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

HIDDEN = "[not included in error reports]"

# A URL's scheme, then its userinfo: everything up to the authority's last "@" (client
# libraries split there too, so a password may hold an unescaped "@"). The authority ends at
# "/", "?", "#", whitespace or the next URL, for settings that list several ("redis://a,redis://b").
# A scheme is looked for only where a word starts, which keeps the search linear: request
# headers pass through here too, and anyone can send 8 KB of letters.
_SCHEME = r"(?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]*://"
_URL_USERINFO = re.compile(
    rf"(?P<scheme>{_SCHEME})(?P<userinfo>(?:(?!{_SCHEME})[^/?#\s])*)@", re.IGNORECASE
)


def mask_url_credentials(text: str, mask: str) -> str:
    """`text` with the password of every URL in it replaced by `mask`.

    A userinfo without a password is masked whole: there the user name is the key (Sentry-style
    DSNs, `https://KEY@host`). The host, port, path and user names beside a password stay.
    """

    def masked(match: re.Match[str]) -> str:
        user, colon, password = match["userinfo"].partition(":")
        if colon:
            userinfo = f"{user}:{mask}" if password else match["userinfo"]
        else:
            userinfo = mask if user else ""
        return f"{match['scheme']}{userinfo}@"

    return _URL_USERINFO.sub(masked, text)


class PrivateExceptionReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True  # also with DEBUG on: the debug page is a report too

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        # Django hides settings by name (…PASSWORD, …KEY); a URL's password hides in REDIS_URL,
        # CELERY_BROKER_URL or CACHES' LOCATION. Dicts, lists and tuples come back here per item.
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return mask_url_credentials(cleansed, self.cleansed_substitute)
        return cleansed

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, str]:
        if request is None:
            return {}
        return dict.fromkeys(request.POST, HIDDEN)

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)
        for key in ("QUERY_STRING", "HTTP_REFERER", "RAW_URI", "REQUEST_URI"):
            if key in meta:
                meta[key] = HIDDEN
        return meta

    def get_traceback_frame_variables(
        self, request: HttpRequest | None, tb_frame: Any
    ) -> ItemsView[str, Any]:
        return dict.fromkeys(tb_frame.f_locals, HIDDEN).items()


class PrivateExceptionReporter(ExceptionReporter):
    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if self.request is not None:
            data["request_GET_items"] = [(key, HIDDEN) for key in self.request.GET]
            data["request_FILES_items"] = [(key, HIDDEN) for key in self.request.FILES]
            data["request_insecure_uri"] = self.request.path
        return data


class LocalThrottle:
    """Each signature at most once per interval, in this process; counts what it holds back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, int]] = {}  # signature -> (interval start, held back)

    def decide(self, signature: str, interval: float) -> int | None:
        """None to hold this one back, else how many were held back since the last one."""
        now = time.time()
        with self._lock:
            if len(self._seen) > 1000:
                self._seen = {s: v for s, v in self._seen.items() if v[0] + interval > now}
            started, held_back = self._seen.get(signature, (-math.inf, 0))
            if now < started + interval:
                self._seen[signature] = (started, held_back + 1)
                return None
            self._seen[signature] = (now, 0)
            return held_back

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


class OncePerInterval(logging.Filter):
    """Lets a kind of record (logger, message template, exception type) through at most once
    per `seconds` in this process; the next one says how many were left out. For loggers that
    would write a line per request during an outage: django-redis's ignored errors (LOGGING)."""

    def __init__(self, seconds: float = 60) -> None:
        super().__init__()
        self.seconds = seconds
        self._throttle = LocalThrottle()

    def filter(self, record: logging.LogRecord) -> bool:
        exc_type = record.exc_info[0] if record.exc_info else None
        held_back = self._throttle.decide(f"{record.name}:{record.msg}:{exc_type}", self.seconds)
        if held_back is None:
            return False
        if held_back:
            record.msg = f"{record.getMessage()} (and {held_back} more not logged)"
            record.args = None
        return True


class Mailer:
    """Sends error emails from one daemon thread per process.

    A failing request must not wait for the mail server: a slow one would hold every failing
    request (and its worker) for up to EMAIL_TIMEOUT, and an outage fails many requests at
    once. Messages are built in the request's thread (from its request and traceback, which do
    not outlive it) and only sent here. The thread starts on first use in each process, so a
    gunicorn worker forked from a parent that had one starts its own.
    """

    def __init__(self, size: int = 100) -> None:
        self.size = size
        self._forget_parent()
        os.register_at_fork(after_in_child=self._forget_parent)
        atexit.register(self.wait, 5)

    def _forget_parent(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.Queue[EmailMultiAlternatives] = queue.Queue(self.size)

    def send(self, message: EmailMultiAlternatives) -> None:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    thread = threading.Thread(target=self._run, name="error-emails", daemon=True)
                    thread.start()
                    self._pid = os.getpid()
        try:
            self._queue.put_nowait(message)
        except queue.Full:  # the mail server has been stuck for a hundred different errors
            logging.getLogger(__name__).warning("Error email not sent: %s", message.subject)

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            try:
                message.send(fail_silently=True)
            except Exception:  # not the mail server's (fail_silently): the thread must go on
                logging.getLogger(__name__).exception("Error email not sent")
            finally:
                self._queue.task_done()

    def wait(self, timeout: float) -> bool:
        """Whether every queued email was sent within `timeout` seconds (tests; exiting)."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True


mailer = Mailer()


class NotHealthz(logging.Filter):
    """For django.request: the 503 /healthz answers while the database is down is the answer
    the load balancer asked for, once a second or so, not an error to log or email each time
    (lib.health alerts once instead)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(getattr(record, "request", None), "path", None) != "/healthz"


class ThrottledAdminEmailHandler(AdminEmailHandler):
    """Django's error emails, each error at most once per ERROR_EMAIL_INTERVAL seconds, sent
    by `mailer` off the request's thread.

    Anyone who finds a request that fails could otherwise fill the admins' inbox (and the mail
    provider's quota). The next email of an error says how many were not sent. Processes agree
    through the cache; while the cache fails (Redis down) each process throttles on its own.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = LocalThrottle()

    def emit(self, record: logging.LogRecord) -> None:
        if not settings.ADMINS:
            return
        signature = error_signature(record)
        try:
            suppressed = self._shared_decision(signature)
        except Exception:  # a log handler must neither fail nor flood when the cache does
            suppressed = self._local.decide(signature, settings.ERROR_EMAIL_INTERVAL)
        if suppressed is None:
            return
        if suppressed:
            record = copy(record)
            record.msg = f"{record.getMessage()} (and {suppressed} more not emailed)"
            record.args = None
        super().emit(record)  # renders the report here, then calls send_mail below

    def send_mail(
        self, subject: str | Promise, message: str | Promise, *args: Any, **kwargs: Any
    ) -> None:
        """django.core.mail.mail_admins, handed to `mailer` instead of sent."""
        email = EmailMultiAlternatives(
            f"{settings.EMAIL_SUBJECT_PREFIX}{subject}",
            str(message),
            settings.SERVER_EMAIL,
            [address for _name, address in settings.ADMINS],
            connection=get_connection(backend=self.email_backend, fail_silently=True),
        )
        if html_message := kwargs.get("html_message"):
            email.attach_alternative(html_message, "text/html")
        mailer.send(email)

    def _shared_decision(self, signature: str) -> int | None:
        """None to stay silent, else how many were suppressed since this error's last email."""
        interval = settings.ERROR_EMAIL_INTERVAL
        gate, count = f"errormail:{signature}:sent", f"errormail:{signature}:suppressed"
        first = cache.add(gate, 1, timeout=interval)  # several processes: one of them wins
        if first is None:  # lib.cache with Redis down: nothing was stored, nobody decided
            raise ConnectionError("the cache did not answer")
        try:
            if not first:
                # Kept a week: long enough to reach the next email of an error that comes back.
                if not cache.add(count, 1, timeout=max(interval, 7 * 24 * 3600)):
                    cache.incr(count)
                return None
            suppressed: int = cache.get(count, 0)
            if suppressed:
                cache.decr(count, suppressed)  # not delete: others may have counted since
            return suppressed
        except Exception:  # the count expired or the cache failed after the decision: keep it
            return 0 if first else None


def error_signature(record: logging.LogRecord) -> str:
    """What makes two log records the same error: the exception's type and innermost frame,
    or for a record without an exception its logger and message template (not its arguments,
    which hold paths and ids). Hashed: cache keys carry no file names or messages."""
    exc_type, _exc, tb = record.exc_info or (None, None, None)
    if exc_type is not None:
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = (
            f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
            if tb is not None
            else f"{record.pathname}:{record.lineno}"
        )
        signature = f"{exc_type.__module__}.{exc_type.__qualname__}@{where}"
    else:
        signature = f"{record.name}:{record.msg}"
    return hashlib.sha256(signature.encode()).hexdigest()[:32]

"""When PostgreSQL is down or too busy: an honest 503, and bounded waits.

A request that cannot reach the database (refused, lost, shutting down, out of connections)
or whose statement was cancelled by `statement_timeout` / `lock_timeout` (settings:
DB_STATEMENT_TIMEOUT_MS, DB_LOCK_TIMEOUT_MS) is answered with templates/503.html and a
`Retry-After` header instead of the generic 500 page: the site is briefly unavailable, or busy,
and nothing was saved (a failed statement rolls its transaction back). `server_error` is the
site's handler500, so this covers failures in middleware (loading the session or the user) as
well as in views. Any other error is still the 500 page; both are reported to the admins.

The page is rendered without the request: no context processor, session or user is read, so it
works with the database gone. /healthz answers before sessions are read (lib/health.py).

Web requests get the short timeouts from the connection options in settings; Celery workers
and management commands (migrations) call `use_task_timeouts` for longer ones.
"""

import sqlite3
import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views import defaults

UNAVAILABLE = "unavailable"
BUSY = "busy"

# PostgreSQL SQLSTATEs of a statement that gave up: statement_timeout, lock_timeout, and the
# transaction conflicts whose answer is also "try again".
BUSY_STATES = {"57014", "55P03", "40001", "40P01"}
# Connection exceptions (08), insufficient resources such as too many connections (53), the
# server shutting down or ending the session (57P), and writing to a read-only server during
# a failover.
UNAVAILABLE_CLASSES = ("08", "53", "57P")
UNAVAILABLE_STATES = {"25006"}
# Seconds after which trying again makes sense.
RETRY_AFTER = {UNAVAILABLE: 30, BUSY: 10}

TASK_TIMEOUTS_UID = "lib.database.task_timeouts"


def fault(exc: BaseException | None) -> str | None:
    """UNAVAILABLE, BUSY, or None for an error that is not the database's state (a bug)."""
    if not isinstance(exc, DatabaseError):
        return None
    cause = exc.__cause__  # Django re-raises the driver's error "from" it
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if state in BUSY_STATES:
        return BUSY
    if state is not None:
        unavailable = state.startswith(UNAVAILABLE_CLASSES) or state in UNAVAILABLE_STATES
        return UNAVAILABLE if unavailable else None
    if isinstance(cause, sqlite3.OperationalError):  # development
        return BUSY if "locked" in str(cause) else None
    # No SQLSTATE: the driver never reached the server, or lost it.
    return UNAVAILABLE if isinstance(exc, OperationalError | InterfaceError) else None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the database being down or busy is a 503 that says so."""
    kind = fault(sys.exc_info()[1])
    if kind is None:
        return defaults.server_error(request)
    context = {"busy": kind == BUSY, "sent_form": request.method == "POST"}
    response = HttpResponse(loader.render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER[kind])
    add_never_cache_headers(response)
    return response


def set_task_timeouts(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, false), "
            "set_config('lock_timeout', %s, false)",
            [str(settings.DB_TASK_STATEMENT_TIMEOUT_MS), str(settings.DB_TASK_LOCK_TIMEOUT_MS)],
        )


def use_task_timeouts() -> None:
    """The connections this process opens from now on get DB_TASK_STATEMENT_TIMEOUT_MS and
    DB_TASK_LOCK_TIMEOUT_MS instead of the web's: a batch or a migration may take longer
    than a page, and nobody is waiting for it."""
    connection_created.connect(set_task_timeouts, dispatch_uid=TASK_TIMEOUTS_UID)

"""gunicorn's settings for the Procfile's web process (`make serve`); sizing advice in README.md.

Threads, so that a request waiting on the database (a locked row, a slow query) holds one thread
and not a whole worker: the other threads keep serving every other page. Each thread may hold
a database connection (CONN_MAX_AGE), so WEB_CONCURRENCY x WEB_THREADS, plus the Celery
workers, must stay under PostgreSQL's max_connections.
"""

import os


def _env_int(name: str, default: int) -> int:
    """Unset or empty: the default; anything but a whole number stops gunicorn, naming it."""
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number; it is {value!r}.") from None


bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
workers = _env_int("WEB_CONCURRENCY", 3)
worker_class = "gthread"
threads = _env_int("WEB_THREADS", 8)

# PostgreSQL cancels a web request's statement after DB_STATEMENT_TIMEOUT_MS (the same default
# as config/settings.py), and the site answers with its "busy" page and an error report.
# gunicorn must never cut a request short first: a worker it kills for silence (any worker that
# is not threaded) answers a bare "Internal Server Error" and reports nothing, and a restart
# (graceful_timeout) would drop the requests still running.
_statement_timeout = _env_int("DB_STATEMENT_TIMEOUT_MS", 15000) // 1000
timeout = _statement_timeout + 15 if _statement_timeout else 120
graceful_timeout = timeout

accesslog = "-"
# The access log names the path, never the query string nor the referring page: a search
# (/search/?q=…) is the person's own and may quote their private questions (README, "Search").
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'

"""Settings for How Therapy Works.

One list of settings, driven by environment variables: config/env.py reads them (refusing a
bad value) and builds the cache, storage and email entries. The defaults are safe for
development (`make run`): SQLite, Celery tasks run inline, email printed to the console, Stripe
off. Production sets `DEBUG=0`, `SECRET_KEY`, `ALLOWED_HOSTS`, `DATABASE_URL`, `REDIS_URL` and
`EMAIL_URL`; `.env.example` lists every variable.
"""

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dj_database_url
import django_stubs_ext
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config.env import env, env_bool, env_int, env_list, parse_email_url, redis_cache, s3_storage

BASE_DIR = Path(__file__).resolve().parent.parent

# ModelAdmin[Model], QuerySet[Model] … at runtime, as strict mypy wants them written.
django_stubs_ext.monkeypatch()


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Generate one with: "
            'python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The site's name in emails ("register an account on How Therapy Works"); the Sites record
# takes it and SITE_URL's host after every migrate (accounts/sites.py).
SITE_NAME = env("SITE_NAME", "How Therapy Works")
# The fixed name in the ids podcast apps and calendars keep for life (episode guids
# `https://<it>/lessons/<id>/podcast`, event UIDs `groupsession-<id>@<it>`): not SITE_URL's
# host, so a new domain or scheme does not duplicate every episode and event. A site that
# published ids before this setting keeps them by setting it to the host it served on then.
STABLE_ID_DOMAIN = env("STABLE_ID_DOMAIN", "howtherapyworks.com")

INSTALLED_APPS = [
    "accounts",
    "courses",
    "lessons",
    "zoomgroups",
    "qa",
    "forum",
    "newsletter",
    "ce",
    "contact",
    "bookmarks",
    "audit",
    "outbox",
    # The benchmarks' data (`seed_load`); no models or URLs, never imported by the site.
    "bench",
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_prose_editor",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lib.csp.ContentSecurityPolicyMiddleware",
    # Before anything reads the request: NUL or non-UTF-8 input is a 400 (templates/400.html).
    "lib.wellformed.WellFormedRequestMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and sign-in, which need the database: /healthz answers 503, not 500.
    "lib.health.HealthCheckMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.mfa.SecondFactorMiddleware",
    "lib.caching.PrivatePagesNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.navigation.site_context",
                "accounts.context_processors.staff_powers",
            ],
            "libraries": {"htw": "lib.templatetags.htw"},
        },
    },
]

# Database: SQLite by default; PostgreSQL (psycopg 3) in production with persistent
# connections, which on this class of machine is ~7x the throughput of reconnecting.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# Bounded waits, so that one stuck transaction cannot hold every web thread (issue 21): a web
# request's statement running longer than DB_STATEMENT_TIMEOUT_MS, or waiting longer than
# DB_LOCK_TIMEOUT_MS for a row another transaction holds, is cancelled and the person gets
# the "busy, nothing was saved" page (lib/database.py). Celery workers and management commands
# (migrations) use the longer DB_TASK_* values instead (lib.database.use_task_timeouts). A
# server that does not answer at all fails after DB_CONNECT_TIMEOUT seconds. 0 turns one off.
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 15000)
DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", 5000)
DB_TASK_STATEMENT_TIMEOUT_MS = env_int("DB_TASK_STATEMENT_TIMEOUT_MS", 300000)
DB_TASK_LOCK_TIMEOUT_MS = env_int("DB_TASK_LOCK_TIMEOUT_MS", 60000)
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    db_options = DATABASES["default"].setdefault("OPTIONS", {})
    db_options.setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
    # Before any options DATABASE_URL gives, which win.
    db_options["options"] = (
        f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS} -c lock_timeout={DB_LOCK_TIMEOUT_MS} "
        + db_options.get("options", "")
    ).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and Celery: Redis when REDIS_URL is set; otherwise a local cache and inline tasks.
REDIS_URL = env("REDIS_URL")
# The site keeps serving from the database while Redis is down or hung (lib/cache.py): a
# cache call waits at most this long, and after a failure each process leaves Redis alone
# for REDIS_CACHE_RETRY_SECONDS (its cache calls are misses meanwhile).
REDIS_CACHE_TIMEOUT_MS = env_int("REDIS_CACHE_TIMEOUT_MS", 300)
REDIS_CACHE_RETRY_SECONDS = env_int("REDIS_CACHE_RETRY_SECONDS", 5)
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL, timeout_ms=REDIS_CACHE_TIMEOUT_MS)}
    # Sessions read from the shared cache, written through to the database: no session query
    # on most requests. Only with a shared cache: with each process's own memory, a session
    # ended in one process could live on in another's. lib/sessions.py is Django's cached_db,
    # made safe for sessions ended while Redis is down.
    SESSION_ENGINE = "lib.sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task taken by a worker that then died goes back to the queue after this many seconds
# (Redis cannot tell a dead worker from a slow one; its own default is an hour). So no task
# may run that long: the time limits end it first, or a second worker would run it too.
# A task waiting for a longer countdown is handed out again while it waits, which is why
# every task is idempotent and the outbox keeps its retry times in the database instead.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 300)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Look for such tasks every few seconds, not every 100 (kombu's 10 s x a throttle of 10).
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 2)),
    "unacked_restore_throttle": 1,
    # With the broker down, a publish fails at once instead of retrying for six seconds in
    # the request: the outbox's re-driver is the retry (workers reconnect on their own terms).
    "max_retries": 0,
    "socket_connect_timeout": 2,
}
CELERY_TASK_TIME_LIMIT = CELERY_VISIBILITY_TIMEOUT * 9 // 10
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_VISIBILITY_TIMEOUT * 8 // 10
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "courses:dashboard"
LOGOUT_REDIRECT_URL = "home"
SITE_ID = 1

# django-allauth: email is the login, verified before first sign-in.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Tell people by email when their password, email address or two-factor settings change.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
# Two-factor authentication: an authenticator app plus recovery codes; required for staff in
# the admin (accounts/mfa.py).
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "How Therapy Works"
# Rate limits (per client address, TRUSTED_PROXY_COUNT). Failed sign-ins count per address
# and per account *and* address ("key", accounts/adapter.py): never per account alone, which
# would let anyone lock the owner out. Over a limit, failed sign-ins get a message on the form,
# the rest templates/429.html.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,30/h/ip,5/5m/key",
    "signup": "10/h/ip",
    "reset_password": "10/h/ip,3/h/key",
    "reset_password_from_key": "20/h/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# The site is in English only. Translation machinery off makes every "3 minutes ago", plural
# and {% translate %} a plain string operation: a fifth of the CPU of the forum's lists (issue 9).
USE_I18N = False
USE_TZ = True
# The program's own clock: Friday groups and newsletter sends are scheduled in this zone.
PROGRAM_TIME_ZONE = env("PROGRAM_TIME_ZONE", "America/New_York")
# Friday groups: sessions per trimester run (at most 10: a database constraint backs it) and
# how many minutes before the start the Join button appears.
ZOOMGROUPS_MAX_PER_COHORT = env_int("ZOOMGROUPS_MAX_PER_COHORT", 10)
ZOOMGROUPS_JOIN_OPENS_MINUTES = env_int("ZOOMGROUPS_JOIN_OPENS_MINUTES", 15)
# Zoom (issue 26): off unless the Server-to-Server OAuth app's three values are set; then
# meetings, registrants, recordings and attendance come from Zoom (zoomgroups/zoom.py). The
# webhook (/zoom/webhook/) is on only with its secret token. The two URLs point at a fake in tests.
ZOOM_ACCOUNT_ID = env("ZOOM_ACCOUNT_ID")
ZOOM_CLIENT_ID = env("ZOOM_CLIENT_ID")
ZOOM_CLIENT_SECRET = env("ZOOM_CLIENT_SECRET")
ZOOM_WEBHOOK_SECRET_TOKEN = env("ZOOM_WEBHOOK_SECRET_TOKEN")
# The Zoom user who hosts the meetings: "me" is the user who created the app.
ZOOM_HOST_USER = env("ZOOM_HOST_USER", "me")
ZOOM_API_BASE = env("ZOOM_API_BASE", "https://api.zoom.us/v2")
ZOOM_OAUTH_URL = env("ZOOM_OAUTH_URL", "https://zoom.us/oauth/token")

# TIFT newsletter: default send slot (weekday 0 = Monday, hour in PROGRAM_TIME_ZONE), how long
# a confirmation link and the infographic's download link last, messages per worker batch, and
# when a worker's claim is stale (live batches renew theirs every tenth of that).
NEWSLETTER_SEND_WEEKDAY = env_int("NEWSLETTER_SEND_WEEKDAY", 1)
NEWSLETTER_SEND_HOUR = env_int("NEWSLETTER_SEND_HOUR", 9)
NEWSLETTER_CONFIRM_DAYS = env_int("NEWSLETTER_CONFIRM_DAYS", 7)
NEWSLETTER_INFOGRAPHIC_DAYS = env_int("NEWSLETTER_INFOGRAPHIC_DAYS", 30)
NEWSLETTER_BATCH_SIZE = env_int("NEWSLETTER_BATCH_SIZE", 200)
NEWSLETTER_STALE_MINUTES = env_int("NEWSLETTER_STALE_MINUTES", 2)

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploads (lesson video, podcast audio, captions, the infographic) live in MEDIA_ROOT, or with
# FILE_STORAGE=s3 in a private bucket of any S3-compatible service (issue 27): objects are
# private and never linked directly. The access-checked views (lessons/streaming.py)
# answer with a signed link that lasts MEDIA_SIGNED_URL_SECONDS, made after the check.
FILE_STORAGE = env("FILE_STORAGE", "django.core.files.storage.FileSystemStorage")
MEDIA_SIGNED_URL_SECONDS = env_int("MEDIA_SIGNED_URL_SECONDS", 300)
if FILE_STORAGE in {"s3", "storages.backends.s3.S3Storage"}:
    if not env("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    media_storage = s3_storage(
        env("AWS_STORAGE_BUCKET_NAME"),
        signed_url_seconds=MEDIA_SIGNED_URL_SECONDS,
        endpoint_url=env("AWS_S3_ENDPOINT_URL") or None,
        region_name=env("AWS_S3_REGION_NAME") or None,
        access_key=env("AWS_ACCESS_KEY_ID") or None,
        secret_key=env("AWS_SECRET_ACCESS_KEY") or None,
        addressing_style=env("AWS_S3_ADDRESSING_STYLE") or None,
    )
else:
    media_storage = {"BACKEND": FILE_STORAGE}
STORAGES = {
    "default": media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "lib.staticfiles.StaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Email: EMAIL_URL becomes EMAIL_BACKEND, EMAIL_HOST … (config/env.py lists the schemes).
globals().update(parse_email_url(env("EMAIL_URL", "console://")))
ANYMAIL = {
    key[len("ANYMAIL_") :]: value for key, value in os.environ.items() if key.startswith("ANYMAIL_")
}
# The provider whose tracking webhook reports bounces and complaints (anymail's name for it:
# postmark, mailgun, brevo, ...): by default the one EMAIL_URL sends through. Its webhook is
# mounted at /anymail/<provider>/tracking/ only when ANYMAIL_WEBHOOK_SECRET ("user:password",
# the basic auth the provider is told to use) is set too: without it, anyone could post.
EMAIL_FEEDBACK_PROVIDER = env(
    "EMAIL_FEEDBACK_PROVIDER",
    urlparse(env("EMAIL_URL")).netloc if env("EMAIL_URL").startswith("anymail://") else "",
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "How Therapy Works <hello@howtherapyworks.example>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
INSTRUCTOR_EMAIL = env("INSTRUCTOR_EMAIL", "instructor@howtherapyworks.example")
# Q&A: a question waiting longer than this many days is overdue in the instructor's queue.
QA_ANSWER_TARGET_DAYS = env_int("QA_ANSWER_TARGET_DAYS", 7)
CONTACT_EMAIL = env("CONTACT_EMAIL", "hello@howtherapyworks.example")
# Contact-form messages are deleted this many days after they arrive (beat, daily).
CONTACT_RETENTION_DAYS = env_int("CONTACT_RETENTION_DAYS", 365)
# Where a reader's reply to any of the site's emails goes (a person reads it); "" for none.
EMAIL_REPLY_TO = env("EMAIL_REPLY_TO", CONTACT_EMAIL)
# Where the mailto: of TIFT's List-Unsubscribe header goes (someone must honour it by hand).
NEWSLETTER_UNSUBSCRIBE_EMAIL = env("NEWSLETTER_UNSUBSCRIBE_EMAIL", CONTACT_EMAIL)

# Forum: how many posts (topics and replies) a member may send per period, in seconds.
FORUM_POST_RATE_LIMIT = env_int("FORUM_POST_RATE_LIMIT", 6)
FORUM_POST_RATE_PERIOD = env_int("FORUM_POST_RATE_PERIOD", 300)

# Stripe: off unless both keys are set. STRIPE_API_BASE points the client at a fake in tests.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE")
# How long a seat is held during checkout, and how long a waitlist or aid offer stays open.
ENROLMENT_HOLD_MINUTES = env_int("ENROLMENT_HOLD_MINUTES", 30)
WAITLIST_OFFER_HOURS = env_int("WAITLIST_OFFER_HOURS", 48)
# How long an enrolment change waits for a row another transaction has locked (a seat count,
# a payment) before it gives up with "try again in a minute" instead of queueing behind it.
ENROLMENT_LOCK_TIMEOUT_MS = env_int("ENROLMENT_LOCK_TIMEOUT_MS", 5000)

# Security. Production (DEBUG off) gets secure cookies and HSTS; a proxy that terminates TLS
# must send X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) and is trusted only when configured.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Scripts never need the CSRF cookie: htmx requests take the token from the form (site.js).
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# How many proxies in front of gunicorn append to X-Forwarded-For; the client's address is
# that many hops from the right. 0 (the default, and always without BEHIND_PROXY) trusts
# only REMOTE_ADDR, so nobody can choose their own rate-limit key.
# allauth's rate limits use the same address (accounts.adapter).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1) if env_bool("BEHIND_PROXY") else 0

# Content-Security-Policy (django-csp, with lib/csp.py): scripts only from this origin or with
# the response's nonce. Extra sources: the video players lessons embed (lessons/embeds.py), where
# forms may post or redirect to (Stripe Checkout), and images/audio in chapters and podcasts by URL.
CONTENT_SECURITY_POLICY: dict[str, dict[str, list[Any]]] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", *env_list("CSP_IMG_SRC", "https:")],
        "media-src": [SELF, *env_list("CSP_MEDIA_SRC", "https:")],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": env_list(
            "CSP_FRAME_SRC", "https://www.youtube-nocookie.com,https://player.vimeo.com"
        )
        or [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF, *env_list("CSP_FORM_ACTION", "https://checkout.stripe.com")],
        "frame-ancestors": [NONE],
    }
}

ADMINS = [("Admin", addr) for addr in env_list("ADMIN_EMAILS")]
# Error reports keep the traceback and field names but never what people typed (request
# bodies, query values, uploads, frame variables): lib/errorreports.py. Loggers that would
# print request or query parameters at DEBUG (SQL, the Stripe client) stay above DEBUG.
DEFAULT_EXCEPTION_REPORTER = "lib.errorreports.PrivateExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "lib.errorreports.PrivateExceptionReporterFilter"
# The same error is emailed at most once per this many seconds; the next email says how many
# were not sent. Requests with an unknown Host header are not logged at all: anyone can send
# them, and there is nothing to fix (Django's documentation advises the same).
ERROR_EMAIL_INTERVAL = env_int("ERROR_EMAIL_INTERVAL", 600)
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# /healthz reports the workers degraded (and alerts once) when a worker has not run the beat
# heartbeat task (every minute) for this long (lib/health.py).
HEALTH_WORKERS_STALE_SECONDS = env_int("HEALTH_WORKERS_STALE_SECONDS", 180)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "once_a_minute": {"()": "lib.errorreports.OncePerInterval", "seconds": 60},
        "not_healthz": {"()": "lib.errorreports.NotHealthz"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "null": {"class": "logging.NullHandler"},  # no handlers at all would mean stderr
        "mail_admins": {
            "class": "lib.errorreports.ThrottledAdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "include_html": False,
        },
        # Health alerts (lib/health.py): a part of the site down (ERROR) and back (WARNING).
        "health_alerts": {
            "class": "lib.errorreports.ThrottledAdminEmailHandler",
            "level": "WARNING",
            "filters": ["require_debug_false"],
            "include_html": False,
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Named so that Django's own, unthrottled mail_admins handler is replaced: it stays
        # on this logger otherwise and emails every django.security error.
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.security.DisallowedHost": {"handlers": ["null"], "propagate": False},
        "django.request": {
            "handlers": ["console", "mail_admins"],
            "filters": ["not_healthz"],
            "level": "ERROR",
            "propagate": False,
        },
        "lib.health": {"handlers": ["health_alerts"], "level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        # Redis errors the cache ignores (lib/cache.py): a line a minute, not one per request.
        "django_redis.cache": {"filters": ["once_a_minute"]},
        "stripe": {"level": "INFO"},
    },
}

# Error tracking with Sentry, only when SENTRY_DSN is set: the same scrubbing as the error
# emails and less (no bodies, cookies, users, paths or frame variables: lib/sentry.py).
SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN:
    from lib import sentry

    sentry.init(
        SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", "production"),
        release=env("SENTRY_RELEASE"),
    )

"""Test settings: the real settings with a fixed key, in-memory email, inline tasks.

Tests never share state through Redis: the cache is local and tasks run inline even when the
environment names a broker. The one test that runs a real worker reads TEST_REDIS_URL.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["EMAIL_URL"] = "locmem://"

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # the settings' choice without Redis
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
MEDIA_ROOT = BASE_DIR / "test-artifacts" / "media"  # noqa: F405
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The email provider's tracking webhook, mounted as in production (tests post Postmark-shaped
# reports to /anymail/postmark/tracking/ with this basic auth).
EMAIL_FEEDBACK_PROVIDER = "postmark"
# Zoom off, whatever the environment says; tests that want it use the fake_zoom fixture.
ZOOM_ACCOUNT_ID = ZOOM_CLIENT_ID = ZOOM_CLIENT_SECRET = ZOOM_WEBHOOK_SECRET_TOKEN = ""
ANYMAIL = {**ANYMAIL, "WEBHOOK_SECRET": "anymail-test:webhook-secret"}  # noqa: F405
# Browser tests pay at a fake Stripe Checkout on loopback (tests/fakestripe.py, any port).
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append("http://127.0.0.1:*")  # noqa: F405

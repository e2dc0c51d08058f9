import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import parse_email_url

ROOT = Path(__file__).resolve().parent.parent


def run_settings(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_mode_refuses_to_start_without_a_secret_key():
    result = run_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_mode_starts_with_a_secret_key():
    result = run_settings(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.com")
    assert result.returncode == 0, result.stderr


def test_debug_mode_starts_without_a_secret_key():
    assert run_settings(DEBUG="1").returncode == 0


def test_smtp_email_url_is_parsed():
    conf = parse_email_url("smtp://mailer:s%40cret@mail.example.com:587?tls=1")
    assert conf["EMAIL_HOST"] == "mail.example.com"
    assert conf["EMAIL_PORT"] == 587
    assert conf["EMAIL_HOST_PASSWORD"] == "s@cret"
    assert conf["EMAIL_USE_TLS"] is True


def test_unknown_email_scheme_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        parse_email_url("pigeon://coop")


def test_production_settings_pass_the_deploy_checks():
    # The test process itself allows async-unsafe calls (for Playwright); a deployment must not.
    unset = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": "k" * 20 + "-production-like-secret-" + "z" * 20,
            "ALLOWED_HOSTS": "learn.example.com",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

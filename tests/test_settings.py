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


# Environment values fail loudly: a typo must not read as False or crash without a name ----


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        (" Yes ", True),
        ("ON", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_yes_no_settings_read_the_usual_words(monkeypatch, value, expected):
    from config.settings import env_bool

    monkeypatch.setenv("HTW_TEST_FLAG", value)
    assert env_bool("HTW_TEST_FLAG", not expected) is expected


@pytest.mark.parametrize("value", ["", "   "])
def test_unset_or_empty_settings_take_their_default(monkeypatch, value):
    from config.settings import env_bool, env_int

    monkeypatch.setenv("HTW_TEST_SETTING", value)
    assert env_bool("HTW_TEST_SETTING", True) is True
    assert env_int("HTW_TEST_SETTING", 42) == 42
    monkeypatch.delenv("HTW_TEST_SETTING")
    assert env_bool("HTW_TEST_SETTING", False) is False
    assert env_int("HTW_TEST_SETTING", 7) == 7


@pytest.mark.parametrize("value", ["ture", "flase", "2", "y es", "enabled"])
def test_a_bad_yes_no_value_is_refused_by_name(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from config.settings import env_bool

    monkeypatch.setenv("HTW_TEST_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match=r"HTW_TEST_FLAG must be one of .*"):
        env_bool("HTW_TEST_FLAG")


@pytest.mark.parametrize(("value", "expected"), [("5", 5), (" 600 ", 600), ("0", 0), ("-1", -1)])
def test_whole_number_settings_are_read(monkeypatch, value, expected):
    from config.settings import env_int

    monkeypatch.setenv("HTW_TEST_NUMBER", value)
    assert env_int("HTW_TEST_NUMBER", 99) == expected


@pytest.mark.parametrize("value", ["1O", "5.5", "ten", "0x10", "3 0"])
def test_a_bad_whole_number_is_refused_by_name(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from config.settings import env_int

    monkeypatch.setenv("HTW_TEST_NUMBER", value)
    with pytest.raises(ImproperlyConfigured, match="HTW_TEST_NUMBER must be a whole number"):
        env_int("HTW_TEST_NUMBER", 1)


def test_the_site_does_not_start_with_a_typo_in_a_setting():
    result = run_settings(DEBUG="ture")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG must be one of" in result.stderr

    result = run_settings(DEBUG="1", CONN_MAX_AGE="6OO")
    assert result.returncode != 0
    assert "CONN_MAX_AGE must be a whole number; it is '6OO'" in result.stderr


def test_a_typo_in_the_email_urls_flags_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    assert parse_email_url("smtp://mail.example.com:587?tls=yes")["EMAIL_USE_TLS"] is True
    assert parse_email_url("smtp://mail.example.com:587")["EMAIL_USE_TLS"] is False
    with pytest.raises(ImproperlyConfigured, match="tls"):
        parse_email_url("smtp://mail.example.com:587?tls=ture")
    with pytest.raises(ImproperlyConfigured, match="timeout"):
        parse_email_url("smtp://mail.example.com:587?timeout=2O")


def test_gunicorn_refuses_a_bad_number_by_name():
    base = {k: v for k, v in os.environ.items() if k != "WEB_THREADS"}
    result = subprocess.run(
        [sys.executable, "-c", "import runpy; runpy.run_path('gunicorn.conf.py')"],
        cwd=ROOT,
        env={**base, "WEB_THREADS": "8x"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "WEB_THREADS must be a whole number" in result.stderr

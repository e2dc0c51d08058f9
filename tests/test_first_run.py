"""A newcomer's first run (issue 24, point 9): the README's commands work as written, links
name the address the site is served on, the site has a name, and no broker warning."""

import logging
import os
import re
import subprocess

import pytest
from django.conf import settings
from django.contrib.sites.models import Site
from django.urls import reverse

from accounts.demo import DEMO_TOTP_SECRET, demo_code

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "first.run@example.com",
    "password1": "a long calm passphrase",
    "password2": "a long calm passphrase",
    "display_name": "First Run",
    "credentials": "",
    "time_zone": "Europe/London",
}


def test_readme_demo_code_command_prints_the_current_code():
    readme = (settings.BASE_DIR / "README.md").read_text()
    command = re.search(r"`(\.venv/bin/python -c \"from accounts\.demo[^`]*)`", readme)
    assert command, "README no longer shows the demo code command"
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    result = subprocess.run(  # noqa: S602  (the README's line, run as a newcomer would)
        command.group(1),
        shell=True,
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    code = result.stdout.strip()
    assert re.fullmatch(r"\d{6}", code)
    assert code in {demo_code(), demo_code(__import__("time").time() - 30)}


def test_demo_code_is_the_code_allauth_accepts():
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    for at in (0, 29, 30, 1_700_000_000, 1_796_566_123):
        expected = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, at // 30))
        assert demo_code(at) == expected


def test_make_run_links_to_the_port_it_serves_on():
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8101"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in result.stdout.splitlines() if "manage.py" in line]
    assert lines
    for line in lines:
        assert "SITE_URL=http://127.0.0.1:8101" in line, line
    assert "runserver 127.0.0.1:8101" in result.stdout


def test_sites_record_follows_site_url_and_name():
    site = Site.objects.get_current()
    assert site.name == settings.SITE_NAME == "How Therapy Works"
    assert site.domain == settings.SITE_URL.split("://", 1)[1]


def test_signup_email_names_the_site_and_no_broker_warning(
    client, mailoutbox, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.WARNING)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    [message] = mailoutbox
    assert "register an account on How Therapy Works (" in message.body
    assert "on ." not in message.body
    assert not [r for r in caplog.records if r.name.startswith(("kombu", "celery"))]


def test_celery_without_broker_uses_the_in_process_transport():
    from config.celery import app

    assert settings.CELERY_TASK_ALWAYS_EAGER
    assert app.conf.broker_url == "memory://localhost/"


def test_sites_record_takes_a_new_site_url_on_the_next_migrate(settings):
    from django.core.management import call_command

    settings.SITE_URL = "https://learn.example.com:8443"
    settings.SITE_NAME = "HTW staging"
    call_command("migrate", verbosity=0)
    site = Site.objects.get_current()
    assert (site.domain, site.name) == ("learn.example.com:8443", "HTW staging")

"""The privacy page says what the code really does: its durations come from the settings and
constants that enforce them, and its promises are checked against the code here."""

import ast
import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from accounts import services

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "accounts",
    "contact",
    "courses",
    "forum",
    "lessons",
    "lib",
    "newsletter",
    "qa",
    "zoomgroups",
]


def page(client) -> str:
    response = client.get(reverse("privacy"))
    assert response.status_code == 200
    return response.content.decode()


def test_anyone_can_read_it_and_it_is_linked_from_every_page(client):
    home = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("privacy")}"' in home
    text = page(client)
    for heading in ["What", "Why", "How long", "Who sees it"]:
        assert f"<dt>{heading}</dt>" in text


def test_session_length_comes_from_the_setting(client, settings):
    settings.SESSION_COOKIE_AGE = 9 * 86400

    assert "up to 9 days" in page(client)


def test_payment_retention_matches_the_deletion_page_and_email(client, client_for, learner):
    years = f"{services.PAYMENT_RECORD_YEARS} years"

    assert years in page(client)
    assert years in client_for(learner).get(reverse("accounts:delete")).content.decode()
    email = (ROOT / "templates/emails/account_deleted.txt").read_text()
    assert "{{ payment_record_years }} years" in email


def test_newsletter_confirmation_days_come_from_the_setting(client, settings):
    settings.NEWSLETTER_CONFIRM_DAYS = 11

    assert "works for 11 days" in page(client)


def test_email_record_keeping_comes_from_the_outbox(client, monkeypatch):
    import datetime as dt

    from outbox import models as outbox

    monkeypatch.setattr(outbox, "KEEP_DONE", dt.timedelta(days=12))
    monkeypatch.setattr(outbox, "KEEP_FAILED", dt.timedelta(days=34))

    assert "for 12 days, or 34 if it could not be delivered" in page(client)


def _seconds(period: str) -> int:
    """allauth's "5/5m/key" period part: "m", "5m", "h", "2d"…"""
    match = re.fullmatch(r"(\d*)([smhd])", period)
    assert match, period
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return int(match.group(1) or 1) * unit


def _period(node: ast.expr, module: str) -> int:
    """The value of a `period=` argument: a number, a setting or NAME[1] of the module."""
    if isinstance(node, ast.Constant):
        return int(node.value)
    if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "settings":
        return int(getattr(settings, node.attr))
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return int(getattr(importlib.import_module(module), node.value.id)[node.slice.value])
    raise AssertionError(f"Cannot read the rate-limit period {ast.unparse(node)} in {module}")


def test_no_rate_limit_counter_outlives_what_the_page_says():
    """The page promises rate-limit counters last at most LONGEST_RATE_LIMIT_SECONDS."""
    periods = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "allow"
                    and getattr(node.func.value, "id", "") == "ratelimit"
                ):
                    (period,) = [k.value for k in node.keywords if k.arg == "period"]
                    periods.append((module, _period(period, module)))
    for limits in getattr(settings, "ACCOUNT_RATE_LIMITS", {}).values():
        for limit in str(limits).split(","):
            periods.append(("ACCOUNT_RATE_LIMITS", _seconds(limit.split("/")[1])))

    assert len(periods) >= 5
    too_long = [(where, p) for where, p in periods if p > services.LONGEST_RATE_LIMIT_SECONDS]
    assert too_long == []


def test_the_export_covers_every_kind_of_data_the_page_lists(client_for, learner):
    """ "Download my data gives you everything below that is about you"."""
    data = client_for(learner).get(reverse("accounts:export")).json()

    for section in [
        "profile",
        "questions",
        "lesson_progress",
        "friday_groups",
        "forum",
        "enrolments",
        "waitlist",
        "financial_aid_requests",
        "newsletter",
        "emails",
        "contact_messages",
        "email_settings",
    ]:
        assert section in data, section


def test_no_model_stores_card_details():
    """ "Card details go to Stripe only; we never see or store them"."""
    suspicious = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if re.search(r"card|cvc|cvv|pan\b", field.name)
    ]

    assert suspicious == []

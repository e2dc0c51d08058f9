"""Friday-group fixtures: sessions on known Fridays and the secrets that must never leak."""

import datetime as dt
import zoneinfo

import pytest

from courses.models import Enrollment
from tests import factories
from tests.fakezoom import fake_zoom  # noqa: F401  (fixture: Zoom against a local fake)
from zoomgroups import services

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
JOIN_URL = "https://zoom.example/j/98765432100?pwd=TOPSECRETJOINPWD"
PASSCODE = "PASSCODE-7731"
SECRETS = ("98765432100", "TOPSECRETJOINPWD", PASSCODE)
# A Friday well in the future; tests travel around it with time_machine.
FRIDAY_NOON = dt.datetime(2027, 3, 19, 12, 0, tzinfo=NEW_YORK)


def make_session(cohort, starts_at=FRIDAY_NOON, **fields):
    fields.setdefault("topic", "How one pattern covers another")
    fields.setdefault("join_url", JOIN_URL)
    fields.setdefault("passcode", PASSCODE)
    (session,) = services.schedule_sessions(cohort=cohort, starts=[starts_at], **fields)
    return session


def assert_no_secret(text: str | bytes) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in text


@pytest.fixture
def session(cohort):
    return make_session(cohort)


@pytest.fixture
def refunded_learner(cohort):
    user = factories.make_user("refunded@example.com", display_name="Ray Refunded")
    factories.enrol(user, cohort, status=Enrollment.Status.REFUNDED)
    return user

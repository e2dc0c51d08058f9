"""Shared fixtures: the five personas of the access table, and the test environment.

Personas (see DESIGN.md, "Who may see what"):
  visitor        — the anonymous test client
  learner        — enrolled (active) in `cohort` of `course`
  other_learner  — enrolled in a different course's cohort
  outsider       — signed in, verified, enrolled nowhere
  instructor     — staff, in the Instructor group
  staff          — staff, in the Staff group

Postgres-only and browser tests skip on a machine without those parts, with a reason;
REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 / REQUIRE_REDIS=1 (set by .ci/run) turn the skip
into a failure so that a green CI means the whole suite ran.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connection

from accounts import roles
from tests import factories
from tests.fakestripe import fake_stripe  # noqa: F401  (fixture: Stripe against a local fake)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _required(flag: str) -> bool:
    return os.environ.get(flag, "").strip().lower() in {"1", "true", "yes"}


def skip_or_fail(flag: str, reason: str) -> None:
    if _required(flag):
        pytest.fail(f"{reason} ({flag}=1 requires it)")
    pytest.skip(f"{reason}; set it up and/or set {flag}=1 to require it")


@pytest.fixture(autouse=True)
def _requirements(request):
    if request.node.get_closest_marker("postgres"):
        # The `db` fixture is not always loaded yet; the configured engine tells the vendor.
        from django.conf import settings

        if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
            skip_or_fail(
                "REQUIRE_POSTGRES",
                "needs PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/htw",
            )
    if request.node.get_closest_marker("browser") and not Path(CHROMIUM).exists():
        skip_or_fail("REQUIRE_BROWSER", "needs Chromium: apt-get install -y chromium")


@pytest.fixture(autouse=True)
def _email_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# Personas ---------------------------------------------------------------------------------


@pytest.fixture
def course(db):
    return factories.make_course(1, title="How Therapy Works", slug="how-therapy-works")


@pytest.fixture
def other_course(db):
    return factories.make_course(2, title="What Therapists Do", slug="what-therapists-do")


@pytest.fixture
def cohort(course):
    return factories.make_cohort(course, name="Spring 2027", slug="spring-2027")


@pytest.fixture
def other_cohort(other_course):
    return factories.make_cohort(other_course, name="Spring 2027", slug="spring-2027")


@pytest.fixture
def learner(cohort):
    user = factories.make_user(
        "learner@example.com", display_name="Lee Learner", credentials="LMHC"
    )
    factories.enrol(user, cohort)
    return user


@pytest.fixture
def other_learner(other_cohort):
    user = factories.make_user("other@example.com", display_name="Olga Other")
    factories.enrol(user, other_cohort)
    return user


@pytest.fixture
def outsider(db):
    return factories.make_user("outsider@example.com", display_name="Otto Outsider")


@pytest.fixture
def instructor(db):
    return factories.make_user(
        "instructor@example.com", display_name="Dr. Ines Instructor", role=roles.INSTRUCTOR
    )


@pytest.fixture
def staff(db):
    return factories.make_user("staff@example.com", display_name="Stan Staff", role=roles.STAFF)


@pytest.fixture
def client_for(client):
    """`client_for(user)` returns a test client signed in as `user` (None: a visitor)."""
    from django.test import Client

    def make(user):
        c = Client()
        if user is not None:
            sign_in(c, user)
        return c

    return make


def sign_in(client, user) -> None:
    """Log `client` in as `user`. Staff accounts sign in with their authenticator app (the
    admin requires it, accounts/mfa.py), so their session records a two-factor sign-in."""
    from allauth.account.internal.flows.login import record_authentication
    from django.test import RequestFactory

    client.force_login(user)
    if user.is_staff or user.is_superuser:
        request = RequestFactory().get("/")
        request.session = client.session
        record_authentication(request, user, "password", email=user.email)
        record_authentication(request, user, "mfa", type="totp")
        request.session.save()


# Browser tests ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def screenshot_dir() -> Path:
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def login_browser(context, live_server):
    """`login_browser(user)` signs the Playwright browser context in as `user`."""
    from django.conf import settings
    from django.test import Client

    def login(user) -> None:
        c = Client()
        sign_in(c, user)
        cookie = c.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )

    return login


@pytest.fixture
def demo_learner(settings):
    """The demo content (`manage.py seed_demo`) and its learner, `learner@demo.test`: the pages
    the browser, page-weight and HTML-checker tests look at."""
    import io

    from django.core.management import call_command

    from accounts.models import User

    settings.DEBUG = True  # seed_demo refuses to run otherwise (it makes known passwords)
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False
    return User.objects.get(email="learner@demo.test")

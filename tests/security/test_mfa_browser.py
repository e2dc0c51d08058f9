"""A new staff member's first visit to the admin, in a real browser: sign in, confirm a code
sent by email, set up the authenticator app (QR code and secret), keep the recovery codes,
then the admin opens."""

import re

import pytest
from playwright.sync_api import expect

from accounts import roles
from tests import factories
from tests.security.test_mfa import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_set_up_two_factor_on_their_way_to_the_admin(
    page, live_server, screenshot_dir, mailoutbox
):
    factories.make_user("sam@example.com", role=roles.STAFF, display_name="Sam Staff")
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )

    page.goto(f"{live_server.url}/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()

    # Not yet: first a code sent to the account's email (a password alone cannot add an app)...
    expect(page.get_by_role("heading", name="Confirm your email first")).to_be_visible()
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_text("We sent a code to sam@example.com")).to_be_visible()
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    page.get_by_label("Code from the email").fill(code)
    page.screenshot(path=screenshot_dir / "mfa-email-code.png", full_page=True)
    page.get_by_role("button", name="Confirm and continue").click()

    # ...then the authenticator app, after confirming the password once more.
    expect(page.get_by_label("Password")).to_be_visible()
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()

    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    expect(page.get_by_role("img")).to_have_count(1)
    page.screenshot(path=screenshot_dir / "mfa-activate.png", full_page=True)
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(code_for(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_text(re.compile("recovery codes", re.I)).first).to_be_visible()
    page.screenshot(path=screenshot_dir / "mfa-recovery-codes.png", full_page=True)

    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_text("Program administration")).to_be_visible()
    assert csp_errors == []

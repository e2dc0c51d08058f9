"""The sign-up journey in a real browser (Playwright driving Debian's Chromium)."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_signup_verify_login_and_edit_profile_in_a_browser(page, live_server, screenshot_dir):
    page.goto(f"{live_server.url}/")
    page.screenshot(path=screenshot_dir / "home.png", full_page=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Create account").click()

    page.get_by_label("Email").fill("browser.person@example.com")
    page.get_by_label(re.compile(r"^Password[\s*]*$")).fill("a long calm passphrase")
    page.get_by_label("Password (again)").fill("a long calm passphrase")
    page.get_by_label("Your name").fill("Bea Browser")
    page.get_by_label("Professional credentials").fill("LMFT")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.screenshot(path=screenshot_dir / "signup.png", full_page=True)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link.replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Confirm").click()

    # Confirming signs the person in and leads to the dashboard.
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    page.get_by_role("link", name="Profile").click()
    page.get_by_label("Short bio").fill("Therapist in Leeds.")
    page.get_by_label("Time zone").select_option("Australia/Sydney")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("Australia/Sydney")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshot_dir / "profile-phone.png", full_page=True)

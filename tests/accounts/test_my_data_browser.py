"""Download my data, then delete my account, in a real browser (on a phone-sized screen)."""

import json

import pytest
from playwright.sync_api import expect

from accounts.models import User
from qa.models import Question
from tests.test_accessibility_browser import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learner_downloads_their_data_then_deletes_the_account(
    page, live_server, login_browser, screenshot_dir, learner
):
    Question.objects.create(asker=learner, title="Cancelling clients", text="Private words")
    page.set_viewport_size({"width": 390, "height": 844})
    login_browser(learner)
    page.goto(f"{live_server.url}/profile/")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(download.value.path().read_text())
    assert data["profile"]["email"] == "learner@example.com"
    assert data["questions"][0]["text"] == "Private words"

    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    page.get_by_label("Erase their text").check()
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_text("That is not your password.")).to_be_visible()

    page.get_by_label("Erase their text").check()
    page.get_by_label("Your password").fill("correct horse battery")
    page.screenshot(path=screenshot_dir / "delete-account-phone.png", full_page=True)
    page.get_by_role("button", name="Delete my account for good").click()

    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    open_menu(page)  # folded on a phone
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert not Question.objects.exists()
    assert not User.objects.get(pk=learner.pk).is_active

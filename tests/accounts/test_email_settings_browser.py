"""The email settings page in a real browser, on a phone: readable without sideways scroll,
no serious accessibility violation, switches saved; and a one-click link from an email asks
before it turns anything off."""

import pytest
from playwright.sync_api import expect

from accounts.models import EmailSettings
from accounts.notifications import opt_out
from tests.test_accessibility_browser import offline, serious

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_turns_friday_reminders_off_on_a_phone(
    page, live_server, login_browser, screenshot_dir, learner
):
    offline(page, live_server)
    page.set_viewport_size({"width": 390, "height": 844})
    login_browser(learner)
    page.goto(f"{live_server.url}/profile/")
    page.get_by_role("link", name="Email settings").click()

    expect(page.get_by_role("heading", name="Email settings", level=1)).to_be_visible()
    expect(page.get_by_role("group", name="Friday groups")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=screenshot_dir / "email-settings-phone.png", full_page=True)
    violations = serious(page, "/profile/emails/", "phone")
    assert not violations, "\n".join(map(str, violations))

    reminders = page.get_by_label("Friday group reminders (a day and an hour before each session)")
    expect(reminders).to_be_checked()
    reminders.uncheck()
    page.get_by_role("radio", name="Once a day, a digest").check()
    page.get_by_role("button", name="Save email settings").click()

    expect(page.get_by_text("Your email settings are saved.")).to_be_visible()
    expect(reminders).not_to_be_checked()
    expect(page.get_by_role("radio", name="Once a day, a digest")).to_be_checked()
    assert not EmailSettings.wants(kind="group_reminders", user_id=learner.pk)


def test_a_one_click_link_asks_then_turns_the_email_off(page, live_server, learner):
    offline(page, live_server)
    context, _ = opt_out(user_id=learner.pk, kind="answer_notices")
    path = "/" + context["off_url"].split("://", 1)[1].split("/", 1)[1]

    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name="Turn these emails off?")).to_be_visible()
    assert EmailSettings.wants(kind="answer_notices", user_id=learner.pk)
    violations = serious(page, "one-click off", "desktop")
    assert not violations, "\n".join(map(str, violations))

    page.get_by_role("button", name="Turn them off").click()
    expect(page.get_by_role("heading", name="Turned off")).to_be_visible()
    assert not EmailSettings.wants(kind="answer_notices", user_id=learner.pk)

"""@mentions in a real browser, on a phone: typing @ offers the members who may read the
topic, the keyboard picks one (the textarea keeps focus and points at the option), a handle
nobody has is pointed out next to the field, and the page passes axe with the list open."""

import pytest
from playwright.sync_api import expect

from forum import services
from tests.test_accessibility_browser import offline, serious

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_learner_mentions_a_member_with_the_keyboard_on_a_phone(
    page, live_server, login_browser, screenshot_dir, learner, second_learner, topic
):
    handle = services.get_profile(second_learner).handle
    offline(page, live_server)
    page.set_viewport_size({"width": 390, "height": 844})
    login_browser(learner)
    page.goto(f"{live_server.url}{topic.get_absolute_url()}")

    body = page.get_by_label("Your post")
    body.press_sequentially("Good point @sa")
    listbox = page.get_by_role("listbox", name="Members to mention")
    expect(listbox).to_be_visible()
    option = listbox.get_by_role("option", name=f"@{handle} Sam Second, LPC")
    expect(option).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="1 member to mention")).to_be_attached()

    body.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(body).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    expect(body).to_be_focused()
    page.screenshot(path=screenshot_dir / "forum-mention-phone.png", full_page=True)
    violations = serious(page, "topic with mention list", "phone")
    assert not violations, "\n".join(map(str, violations))
    assert no_sideways_scroll(page)

    body.press("Enter")
    expect(body).to_have_value(f"Good point @{handle} ")
    expect(listbox).to_be_hidden()

    # Escape closes a list without inserting anything.
    body.press_sequentially("and @s")
    expect(listbox).to_be_visible()
    body.press("Escape")
    expect(listbox).to_be_hidden()
    expect(body).to_have_value(f"Good point @{handle} and @s")

    # A handle nobody has is pointed out next to the field, and the text is kept.
    body.fill(f"Good point @{handle}, and @ghost-member too")
    page.get_by_role("button", name="Post reply").click()
    error = page.locator("#id_body_error")
    expect(error).to_contain_text("No member has the handle @ghost-member")
    expect(page.get_by_label("Your post")).to_have_value(
        f"Good point @{handle}, and @ghost-member too"
    )

    page.get_by_label("Your post").fill(f"Good point @{handle}.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Your reply is posted.")).to_be_visible()
    expect(page.locator(".mention", has_text=f"@{handle}")).to_be_visible()


def test_clicking_a_suggestion_inserts_it(
    page, live_server, login_browser, learner, second_learner, category
):
    handle = services.get_profile(second_learner).handle
    offline(page, live_server)
    login_browser(learner)
    page.goto(f"{live_server.url}/forum/c/{category.slug}/new/")

    body = page.get_by_label("Your post")
    body.press_sequentially("Hello @")
    page.get_by_role("option", name=f"@{handle} Sam Second, LPC").click()

    expect(body).to_have_value(f"Hello @{handle} ")
    expect(body).to_be_focused()

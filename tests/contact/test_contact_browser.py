"""The contact form, the coaching page and the textbook link in a real browser: a visitor on a
phone finds coaching from the footer and asks about it; the waitlist topic leads onto the
waitlist; errors sit on their fields; axe finds nothing serious at a phone's and a desktop's
width, and no page scrolls sideways."""

import pytest
from playwright.sync_api import expect

from contact.models import ContactMessage
from courses.models import WaitlistEntry
from tests import factories
from tests.test_accessibility_browser import VIEWPORTS, audit, offline, report, serious

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOOK = "https://books.example/how-therapy-works"


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_a_visitor_on_a_phone_finds_coaching_in_the_footer_and_asks_about_it(
    page, live_server, screenshot_dir
):
    offline(page, live_server)
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"{live_server.url}/")

    page.get_by_role("contentinfo").get_by_role("link", name="Coaching and mentoring").click()
    expect(page.get_by_role("heading", name="Coaching and mentoring", level=1)).to_be_visible()
    assert no_sideways_scroll(page)
    page.screenshot(path=screenshot_dir / "coaching-phone.png", full_page=True)
    page.get_by_role("link", name="Ask about coaching and mentoring").click()

    expect(page.get_by_label("Topic")).to_have_value("coaching")
    assert no_sideways_scroll(page)
    page.get_by_label("Your name").fill("Cal Clinician")
    page.get_by_label("Your email").fill("cal@example.com")
    page.get_by_label("Your message").fill("I finished trimester 1 and would like supervision.")
    page.screenshot(path=screenshot_dir / "contact-phone.png", full_page=True)
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your message has reached us")
    assert no_sideways_scroll(page)
    message = ContactMessage.objects.get()
    assert (message.topic, message.email) == ("coaching", "cal@example.com")


def test_the_waitlist_topic_asks_for_the_trimester_then_puts_the_visitor_on_the_list(
    page, live_server, course
):
    offline(page, live_server)
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"{live_server.url}/contact/")
    page.get_by_label("Your name").fill("Wren Waiting")
    page.get_by_label("Your email").fill("wren@example.com")
    page.get_by_label("Topic").select_option("waitlist")
    page.get_by_role("button", name="Send").click()

    trimester = page.get_by_label("Trimester")
    expect(trimester).to_have_attribute("aria-invalid", "true")
    expect(trimester).to_have_accessible_description(
        "For the waitlist: the trimester whose next run you want to join. "
        "Choose the trimester whose waitlist you want to join."
    )
    violations = serious(page, "/contact/ (after a failed submit)", "phone")
    assert not violations, report(violations)

    trimester.select_option(label=f"Trimester {course.number}: {course.title}")
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_text("You are on the waitlist for")).to_be_visible()
    entry = WaitlistEntry.objects.get()
    assert (entry.course, entry.cohort, entry.email) == (course, None, "wren@example.com")


def test_a_keyboard_alone_fills_in_and_sends_the_form(page, live_server):
    """The trap field for bots is out of the tab order: Tab goes from field to field."""
    offline(page, live_server)
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(f"{live_server.url}/contact/")
    page.get_by_label("Your name").focus()

    page.keyboard.type("Kim Keys")
    page.keyboard.press("Tab")
    page.keyboard.type("kim@example.com")
    page.keyboard.press("Tab")  # topic: the default, the program
    page.keyboard.press("Tab")  # trimester: not needed
    page.keyboard.press("Tab")
    page.keyboard.type("A question about the Friday groups.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert ContactMessage.objects.get().message == "A question about the Friday groups."


def test_the_new_pages_have_no_serious_accessibility_violations(page, live_server):
    course = factories.make_course(textbook_title="How Therapy Works", textbook_url=BOOK)
    offline(page, live_server)

    paths = ["/contact/", "/contact/thanks/", "/coaching/", course.get_absolute_url(), "/"]
    violations = audit(page, live_server, paths)

    assert not violations, report(violations)
    for viewport in ("phone", "desktop"):
        page.set_viewport_size(VIEWPORTS[viewport])
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            assert no_sideways_scroll(page), (viewport, path)
    expect(page.get_by_role("link", name="How Therapy Works", exact=True).last).to_have_attribute(
        "href", BOOK
    )

"""The enrolment journeys in a real browser, against the fake Stripe server."""

import re

import pytest
from playwright.sync_api import expect

from courses import services
from courses.models import Enrollment, SeatHold, WaitlistEntry
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_joins_the_waitlist(page, live_server, course, screenshot_dir):
    factories.make_cohort(course, name="Spring 2027", slug="spring-2027", seat_cap=0)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Join the waitlist", exact=True).first.click()

    page.get_by_label("Your name").fill("Wren Visitor")
    page.get_by_label("Email").fill("wren@example.com")
    page.get_by_label("Message (optional)").fill("Happy to take any run.")
    page.screenshot(path=screenshot_dir / "enrol-waitlist-form.png", full_page=True)
    page.get_by_role("button", name="Join the waitlist").click()

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    entry = WaitlistEntry.objects.get()
    assert (entry.email, entry.cohort.slug) == ("wren@example.com", "spring-2027")


def test_learner_enrols_through_checkout_and_lands_in_the_course(
    page, live_server, login_browser, course, fake_stripe, screenshot_dir
):
    cohort = factories.make_cohort(course, name="Spring 2027", slug="spring-2027", seat_cap=12)
    person = factories.make_user("pat@example.com", display_name="Pat Payer")
    login_browser(person)

    page.goto(f"{live_server.url}/courses/{course.slug}/")
    expect(page.get_by_text("12 seats left")).to_be_visible()
    page.get_by_role("link", name="Enrol").click()
    page.screenshot(path=screenshot_dir / "enrol-page.png", full_page=True)
    page.get_by_role("button", name="Continue to secure payment").click()

    expect(page).to_have_title("Fake Stripe Checkout")
    page.get_by_role("button", name="Pay").click()

    expect(page.get_by_role("heading", name="You are in. Welcome!")).to_be_visible()
    page.screenshot(path=screenshot_dir / "enrol-enrolled.png", full_page=True)
    page.get_by_role("link", name="Start the course").click()
    expect(page).to_have_url(re.compile(rf"/courses/{course.slug}/$"))
    expect(page.get_by_text("You have access to every lesson")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshot_dir / "enrol-course-phone.png", full_page=True)
    enrollment = Enrollment.objects.get(user=person)
    assert (enrollment.cohort, enrollment.status) == (cohort, Enrollment.Status.ACTIVE)


def test_checkout_left_on_a_phone_keeps_the_seat_until_released(
    page, live_server, login_browser, course, fake_stripe, screenshot_dir
):
    cohort = factories.make_cohort(course, name="Spring 2027", slug="spring-2027", seat_cap=1)
    login_browser(factories.make_user("pat@example.com", display_name="Pat Payer"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/enrol/{cohort.pk}/")
    page.get_by_role("button", name="Continue to secure payment").click()
    expect(page).to_have_title("Fake Stripe Checkout")
    [session] = fake_stripe.sessions.values()

    page.goto(session["cancel_url"])  # Stripe's back arrow

    expect(page.get_by_role("heading", name="Checkout cancelled")).to_be_visible()
    expect(page.get_by_role("button", name="Return to payment")).to_be_visible()
    page.screenshot(path=screenshot_dir / "enrol-cancelled-phone.png", full_page=True)
    assert SeatHold.objects.get().state == SeatHold.State.ACTIVE
    page.get_by_role("button", name="Release my seat now").click()
    expect(page.get_by_text("Your seat is released")).to_be_visible()
    assert SeatHold.objects.get().state == SeatHold.State.RELEASED


def test_visitor_leaves_the_waitlist_from_the_email_on_a_phone(
    page, live_server, course, mailoutbox, screenshot_dir
):
    services.join_waitlist(course=course, cohort=None, name="Wren", email="wren@example.com")
    entry = WaitlistEntry.objects.get()
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}{entry.get_leave_url()}")

    expect(page.get_by_role("heading", name="Leave the waitlist?")).to_be_visible()
    page.screenshot(path=screenshot_dir / "waitlist-leave-phone.png", full_page=True)
    page.get_by_role("button", name="Leave the waitlist").click()
    expect(page.get_by_role("heading", name="You have left the waitlist")).to_be_visible()
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.REMOVED
    assert [m.to for m in mailoutbox if "left the waitlist" in m.subject] == [["wren@example.com"]]

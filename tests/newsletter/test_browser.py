"""A visitor subscribes on the archive page and confirms, in a real browser."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from newsletter.models import Subscriber

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_signs_up_on_the_archive_and_confirms(page, live_server, screenshot_dir):
    page.goto(f"{live_server.url}/newsletter/")
    expect(page.get_by_role("heading", name="TIFT — the archive")).to_be_visible()
    page.get_by_label("Email address").fill("browser.reader@example.com")
    page.get_by_label("First name (optional)").fill("Bo")
    page.screenshot(path=screenshot_dir / "newsletter-archive.png", full_page=True)
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    link = re.search(r"http://\S+/newsletter/confirm/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name=re.compile("you're subscribed"))).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshot_dir / "newsletter-thanks-phone.png", full_page=True)
    assert Subscriber.objects.get().status == "confirmed"
    assert mail.outbox[-1].subject == "Welcome to TIFT"

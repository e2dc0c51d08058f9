"""The learner's path in a real browser: the last lesson's last material, the post-test, the
evaluation, then the certificate downloaded and read."""

import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from lessons.models import Progress
from tests.ce.conftest import attend, finish_lessons

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_from_the_last_lesson_to_the_certificate(ce, learner, page, live_server, login_browser):
    first, last = ce.lessons
    finish_lessons(learner, [first])
    Progress.objects.create(user=learner, lesson=last, chapter_done_at=timezone.now())
    attend(learner, ce.sessions[0])
    page.route(re.compile(r"^https://(www\.)?youtube(-nocookie)?\.com/.*"), lambda r: r.abort())

    login_browser(learner)
    page.goto(f"{live_server.url}{last.get_absolute_url()}")
    page.get_by_role("button", name="Mark the video as done").click()
    expect(page.get_by_text("✓ Video done")).to_be_visible()

    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_role("link", name="Your CE transcript and certificates").click()
    page.get_by_role("link", name="Trimester 1: How Therapy Works").click()
    expect(page.get_by_text("Finish every material")).to_have_count(0)
    page.get_by_role("button", name="I watched this recording").first.click()
    expect(page.get_by_text("Noted: you watched the recording")).to_be_visible()

    page.get_by_role("link", name="Take the post-test").click()
    for n in range(4):
        page.get_by_label(f"Right {n}").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("You scored 100%. You passed.")).to_be_visible()

    page.get_by_role("link", name="Fill in the course evaluation").click()
    page.get_by_role("group", name="Overall quality").get_by_label("5").check()
    page.get_by_role("button", name="Send my evaluation").click()
    expect(page.get_by_text("Thank you: your evaluation is in.")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="Get my certificate").click()
    content = open(download.value.path(), "rb").read()  # noqa: SIM115
    text = " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    assert "Lee Learner, LMHC" in text
    assert "Live (interactive) hours: 1.25" in text
    assert "Home-study hours: 4.25" in text

    page.goto(f"{live_server.url}/ce/{ce.credit.course.slug}/")
    expect(page.get_by_role("link", name="Download your certificate (PDF)")).to_be_visible()

"""The Q&A journey in a real browser: a learner asks, the instructor answers in the admin,
the learner reads the answer; the instructor publishes a de-identified entry and another
learner finds it in the library."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from qa.models import Question

QUESTION_LABEL = re.compile(r"^Your question\s*\*?$")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_as(context, login_browser, user):
    context.clear_cookies()
    login_browser(user)


def test_ask_answer_read_publish_and_find(
    page, context, live_server, login_browser, learner, other_learner, instructor, screenshot_dir
):
    cache.clear()
    base = live_server.url

    # A learner asks, after being reminded about an identifier.
    sign_in_as(context, login_browser, learner)
    page.goto(f"{base}/questions/")
    page.get_by_role("link", name="Ask a question").first.click()
    page.get_by_label("Your question in a line").fill("Client goes quiet after naming sadness")
    page.get_by_label(QUESTION_LABEL).fill(
        "Mrs. Parker names sadness, then changes the subject. Should I stay with it?"
    )
    page.get_by_label(re.compile("may publish a de-identified version")).check()
    page.screenshot(path=screenshot_dir / "qa-ask.png", full_page=True)
    page.get_by_role("button", name="Send my question").click()
    expect(page.get_by_text("This may identify a client")).to_be_visible()
    page.get_by_label(QUESTION_LABEL).fill(
        "A client names sadness, then changes the subject. Should I stay with it?"
    )
    page.get_by_role("button", name="Send my question").click()
    expect(page.get_by_text("Your question is sent")).to_be_visible()
    expect(page.get_by_text("Waiting for an answer")).to_be_visible()
    question = Question.objects.get()

    # The instructor answers in the admin, typing into the rich-text editor.
    sign_in_as(context, login_browser, instructor)
    page.goto(f"{base}/admin/")
    expect(page.locator("#qa-waiting-summary")).to_contain_text("1 question waiting")
    page.goto(f"{base}/admin/qa/question/")
    page.screenshot(path=screenshot_dir / "qa-admin-queue.png", full_page=True)
    page.get_by_role("link", name="Client goes quiet after naming sadness").click()
    editor = page.locator("#answer-0 [contenteditable=true]")
    editor.click()
    page.keyboard.type("Stay with the moment gently and name the shift you noticed.")
    page.locator("#answer-0").get_by_label("Video link").fill("https://vimeo.com/76979871")
    page.screenshot(path=screenshot_dir / "qa-admin-answer.png", full_page=True)
    page.get_by_role("button", name="Send the answer to the learner").click()
    expect(page.get_by_text("The answer is sent")).to_be_visible()

    # The learner reads the answer.
    sign_in_as(context, login_browser, learner)
    page.goto(f"{base}/questions/")
    expect(page.get_by_text("Answered").first).to_be_visible()
    page.get_by_role("link", name="Client goes quiet after naming sadness").click()
    expect(page.get_by_text("Stay with the moment gently")).to_be_visible()
    expect(page.locator("iframe[src^='https://player.vimeo.com/video/76979871']")).to_have_count(1)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshot_dir / "qa-answer-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The instructor starts a library entry, rewrites it, confirms and publishes.
    sign_in_as(context, login_browser, instructor)
    page.goto(f"{base}/admin/qa/question/{question.pk}/change/")
    page.get_by_role("button", name="Start a library entry").click()
    expect(page.get_by_text("A draft library entry is ready")).to_be_visible()
    page.get_by_label("Title").fill("Staying with a feeling the client moves away from")
    page.get_by_label("De-identified question").fill(
        "When a client names a feeling and then changes the subject, do I follow or stay?"
    )
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Confirm that the entry is de-identified")).to_be_visible()
    page.get_by_label("I confirm this is de-identified").check()
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    # Another learner finds it in the library.
    sign_in_as(context, login_browser, other_learner)
    page.goto(f"{base}/")
    page.get_by_role("link", name="Q&A Library").click()
    page.get_by_label("Search the library").fill("feeling")
    page.locator("#main").get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Staying with a feeling the client moves away from").click()
    expect(page.get_by_text("Stay with the moment gently")).to_be_visible()
    expect(page.get_by_text("Client goes quiet after naming sadness")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "qa-library-entry.png", full_page=True)

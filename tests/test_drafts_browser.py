"""Unsent drafts in a real browser (issue 21, point 3): a post whose submit fails (the site
answering 503) is still in the form when the page comes back, and gone once a submit
succeeds; signing out forgets every draft; the instructor's rich-text answer survives too."""

import pytest
from playwright.sync_api import expect

from forum.models import Category, Post
from lib import ratelimit
from qa.models import Answer
from tests.forum.conftest import make_topic
from tests.qa.conftest import make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "When shame shows up I slow down and name it, then wait."
DOWN = "<h1>The site is briefly unavailable</h1><p>Nothing was saved.</p>"


def kept_drafts(page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('htw-draft:'))")


def wait_for_drafts(page, expected: list[str]) -> None:
    """Until this browser keeps exactly these drafts (they are saved a moment after typing)."""
    for _ in range(50):
        if kept_drafts(page) == expected:
            return
        page.wait_for_timeout(100)
    assert kept_drafts(page) == expected


def fail_posts_to(page, url_pattern: str) -> None:
    """The site answers this form's submits as if the database were down."""

    def down(route):
        if route.request.method == "POST":
            route.fulfill(
                status=503, headers={"Retry-After": "30"}, body=DOWN, content_type="text/html"
            )
        else:
            route.continue_()

    page.route(url_pattern, down)


def test_a_reply_survives_a_failed_submit_and_goes_once_posted(
    page, live_server, login_browser, learner, screenshot_dir
):
    topic = make_topic(Category.objects.create(name="Practice", slug="practice"), learner)
    login_browser(learner)
    topic_url = f"{live_server.url}{topic.get_absolute_url()}"
    page.goto(topic_url)
    fail_posts_to(page, f"**/forum/t/{topic.pk}/reply/")

    page.get_by_label("Your post").fill(TEXT)
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_role("heading", name="The site is briefly unavailable")).to_be_visible()

    page.goto(topic_url)
    expect(page.get_by_label("Your post")).to_have_value(TEXT)
    expect(page.get_by_text("Restored your unsent draft")).to_be_visible()
    page.screenshot(path=screenshot_dir / "drafts-restored.png", full_page=True)

    page.unroute(f"**/forum/t/{topic.pk}/reply/")
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Your reply is posted.")).to_be_visible()
    assert Post.objects.filter(body=TEXT).count() == 1
    assert kept_drafts(page) == []
    page.goto(topic_url)
    expect(page.get_by_label("Your post")).to_have_value("")
    expect(page.get_by_text("Restored your unsent draft")).to_have_count(0)


def test_a_reply_sent_back_with_an_error_keeps_its_draft(
    page, live_server, login_browser, learner, settings
):
    topic = make_topic(Category.objects.create(name="Practice", slug="practice"), learner)
    settings.FORUM_POST_RATE_LIMIT = 1  # the topic was the one post allowed: a reply is refused
    ratelimit.allow(f"forum-post:{learner.pk}", limit=1, period=settings.FORUM_POST_RATE_PERIOD)
    login_browser(learner)
    page.goto(f"{live_server.url}{topic.get_absolute_url()}")

    page.get_by_label("Your post").fill(TEXT)
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Your text is still here", exact=False)).to_be_visible()

    assert kept_drafts(page) == [f"htw-draft:u{learner.pk}:forum-reply:{topic.pk}"]


def test_signing_out_forgets_every_draft(page, live_server, login_browser, learner):
    login_browser(learner)
    page.goto(f"{live_server.url}/questions/ask/")
    page.get_by_label("Your question in a line").fill("Staying with shame")
    wait_for_drafts(page, [f"htw-draft:u{learner.pk}:qa-ask"])

    page.get_by_role("button", name="Sign out").click()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")
    ).to_be_visible()
    assert kept_drafts(page) == []


def test_the_instructors_answer_survives_a_failed_save(
    page, live_server, login_browser, learner, instructor
):
    question = make_question(learner)
    login_browser(instructor)
    change_url = f"{live_server.url}/admin/qa/question/{question.pk}/change/"
    page.goto(change_url)
    fail_posts_to(page, f"**/admin/qa/question/{question.pk}/change/")

    page.locator("#answer-0 [contenteditable=true]").click()
    page.keyboard.type("Stay with the moment gently.")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("heading", name="The site is briefly unavailable")).to_be_visible()

    page.goto(change_url)
    editor = page.locator("#answer-0 [contenteditable=true]")
    expect(editor).to_contain_text("Stay with the moment gently.")
    expect(page.get_by_text("Restored your unsent draft")).to_be_visible()

    page.unroute(f"**/admin/qa/question/{question.pk}/change/")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert "Stay with the moment gently." in Answer.objects.get(question=question).text
    assert kept_drafts(page) == []

"""The instructor's queue and answer page on a phone (issue 23, point 4): at 390 px wide
neither the page nor the queue's table scrolls sideways, the answer editor is usable, and
axe-core finds no serious or critical violation (how axe is run: test_accessibility_browser)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.qa.conftest import answer_question, make_entry, make_lesson, make_question
from tests.test_accessibility_browser import VIEWPORTS, offline, report, serious

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TEXT = (
    "My client, a nurse on night shifts, names sadness and then changes the subject "
    "every time we get near it. "
    * 6
    + "See https://example.com/a/very/long/link/that/must/wrap/rather/than/scroll/sideways/ok"
)


@pytest.fixture
def queue(learner, other_learner, course, settings):
    settings.QA_ANSWER_TARGET_DAYS = 7
    lesson = make_lesson(course, title="Transference and the inner child, part two")
    now = timezone.now()
    questions = []
    for n in range(12):
        question = make_question(
            learner if n % 2 else other_learner,
            title=f"How do I stay with grief when the client changes the subject ({n})?",
            text=LONG_TEXT,
            course=course,
            lesson=lesson,
            consent_to_publish=n % 3 == 0,
            created_at=now - dt.timedelta(days=n * 2),
        )
        if n % 4 == 3:
            answer_question(question)
        questions.append(question)
    make_entry(title="Grief that hides behind a change of subject")
    return questions


def sideways_overflow(page) -> dict[str, int]:
    """How far the page, and each element that scrolls on its own, is wider than its box."""
    return page.evaluate(
        """() => {
            const found = {};
            const root = document.documentElement;
            const wider = (el) => el.scrollWidth - el.clientWidth;
            if (wider(root) > 0) found.page = wider(root);
            const boxes = "#changelist .results, .qa-answer-layout, .inline-group, fieldset";
            for (const el of document.querySelectorAll(boxes)) {
                if (wider(el) > 1) found[el.id || el.className] = wider(el);
            }
            return found;
        }"""
    )


def test_the_queue_and_answer_page_fit_a_phone_and_pass_axe(
    page, live_server, login_browser, instructor, queue, screenshot_dir
):
    offline(page, live_server)
    login_browser(instructor)
    page.set_viewport_size(VIEWPORTS["phone"])
    base = live_server.url

    page.goto(f"{base}/admin/qa/question/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=screenshot_dir / "qa-admin-queue-phone.png", full_page=True)
    assert sideways_overflow(page) == {}
    expect(page.get_by_role("link", name=queue[10].title)).to_be_visible()
    violations = serious(page, "/admin/qa/question/", "phone")

    page.get_by_role("link", name=queue[10].title).click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=screenshot_dir / "qa-admin-answer-phone.png", full_page=True)
    assert sideways_overflow(page) == {}
    editor = page.locator("#answer-0 [contenteditable=true]")
    expect(editor).to_be_visible()
    assert editor.bounding_box()["height"] >= 200  # room to write on a phone too
    violations += serious(page, "question change page", "phone")

    page.set_viewport_size(VIEWPORTS["desktop"])
    page.reload()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=screenshot_dir / "qa-admin-answer-desktop.png", full_page=True)
    editor_box = page.locator("#answer-0 [contenteditable=true]").bounding_box()
    question_box = page.locator(".qa-answer-context").bounding_box()
    assert editor_box["height"] >= 350  # a long answer fits
    assert question_box["x"] + question_box["width"] <= editor_box["x"]  # side by side
    violations += serious(page, "question change page", "desktop")

    assert not violations, report(violations)

"""Accessibility of the main pages, checked by axe-core in a real browser.

Every page a visitor or a learner uses most is loaded at a phone's width and at a desktop's, and
axe-core (the engine behind the browsers' own accessibility audits) looks for what keeps a person
who uses a screen reader, a keyboard or a zoomed phone out: contrast, labels, names of links and
buttons, landmarks, headings, ids. Any violation of impact "serious" or "critical" fails the test
with a list of rule, impact, page and the elements concerned. The Django admin is not checked:
its markup is Django's. Two checks go beyond what axe sees on a loaded page: a form sent back with
errors names every message on its field, and a keyboard alone opens, walks and closes the menu on
a phone. Each page is checked in the light and the dark colour scheme.

The world is the demo content (`manage.py seed_demo`): a course with a current run, lessons with a
chapter, a video and a podcast, an enrolled learner with answered questions, the Q&A library, the
forum with its categories, long topics and replies, the Friday groups and newsletter issues — the
pages as people see them, not empty lists.
"""

import re
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from accounts.models import User
from courses.models import Course
from forum.models import Category, Topic
from lessons.models import Lesson
from newsletter.models import Issue
from qa.models import LibraryEntry, Question
from zoomgroups.models import GroupSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
# Every page is checked in the light and the dark scheme (prefers-color-scheme, emulated).
SCHEMES = ("light", "dark")
FAILING_IMPACTS = {"serious", "critical"}
# Third-party frames (the video players) are not ours to check, and axe would wait for each one
# to answer; the <iframe> elements themselves (their titles) are still checked.
AXE_OPTIONS = {"resultTypes": ["violations"], "iframes": False}

axe = Axe()


@dataclass
class Violation:
    page: str
    viewport: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:5]) + (" …" if len(self.targets) > 5 else "")
        return f"{self.page} [{self.viewport}] {self.rule} ({self.impact}): {self.help} — {shown}"


def offline(page, live_server) -> None:
    page.route(
        lambda url: not url.startswith(live_server.url),
        lambda route: route.abort(),
    )


def serious(page, where: str, viewport: str) -> list[Violation]:
    """Run axe on the page as it is now; its violations of impact serious or critical."""
    # axe is injected with page.evaluate (the DevTools protocol), which the site's strict
    # Content-Security-Policy does not govern: no need for `bypass_csp`, the policy stays on.
    results = axe.run(page, options=AXE_OPTIONS)
    return [
        Violation(
            where,
            viewport,
            v["id"],
            v["impact"],
            v["help"],
            [" ".join(map(str, node["target"])) for node in v["nodes"]],
        )
        for v in results.response["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]


def open_menu(page) -> None:
    """On a narrow screen, open the folded menu, so that axe checks its links too."""
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible():
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")


def audit(page, live_server, paths: list[str]) -> list[Violation]:
    """Load each path at each viewport in each colour scheme, with the phone's menu open, and
    collect axe's serious and critical violations."""
    found: list[Violation] = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for viewport, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            for path in paths:
                response = page.goto(f"{live_server.url}{path}")
                assert response is not None and response.ok, (
                    f"{path}: {response and response.status}"
                )
                page.wait_for_load_state("networkidle")
                open_menu(page)
                found += serious(page, path, f"{viewport}, {scheme}")
    return found


def report(violations: list[Violation]) -> str:
    return f"{len(violations)} serious or critical accessibility violations:\n" + "\n".join(
        f"  {v}" for v in violations
    )


def public_paths() -> list[str]:
    course = Course.objects.order_by("order").first()
    issue = Issue.objects.in_archive().order_by("-number").first()
    return [
        "/",
        course.get_absolute_url(),
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/newsletter/",
        f"/newsletter/{issue.number}/",
        "/privacy/",
    ]


def learner_paths(learner: User) -> list[str]:
    question = Question.objects.filter(asker=learner, answer__isnull=False).first()
    lesson = Lesson.objects.filter(course__cohorts__enrollments__user=learner).first()
    entry = LibraryEntry.objects.filter(status=LibraryEntry.Status.PUBLISHED).first()
    category = Category.objects.visible_to(learner).order_by("order").first()
    topic = Topic.objects.visible_to(learner).order_by("-pk").first()
    session = GroupSession.objects.filter(cohort__enrollments__user=learner).first()
    return [
        "/dashboard/",
        lesson.course.get_absolute_url(),
        lesson.get_absolute_url(),
        f"{lesson.get_absolute_url()}notes/",
        "/groups/",
        f"/groups/{session.pk}/",
        "/questions/",
        f"/questions/{question.pk}/",
        "/questions/ask/",
        "/library/",
        f"/library/{entry.pk}/",
        "/forum/",
        category.get_absolute_url(),
        topic.get_absolute_url(),
        "/forum/search/?q=emotion",
        "/search/?q=emotion",
        "/profile/",
        "/profile/emails/",
        "/ce/",
        f"/ce/{lesson.course.slug}/",
        f"/ce/{lesson.course.slug}/post-test/",
        f"/ce/{lesson.course.slug}/evaluation/",
    ]


def test_public_pages_have_no_serious_accessibility_violations(page, live_server, demo_learner):
    offline(page, live_server)

    violations = audit(page, live_server, public_paths())

    assert not violations, report(violations)


def test_learner_pages_have_no_serious_accessibility_violations(
    page, live_server, login_browser, demo_learner
):
    offline(page, live_server)
    login_browser(demo_learner)

    violations = audit(page, live_server, learner_paths(demo_learner))

    assert not violations, report(violations)


def test_errors_after_a_failed_submit_are_tied_to_their_fields(page, live_server):
    """A screen reader announces an invalid field and every message about it: the field says it is
    invalid (`aria-invalid`) and points at its messages (`aria-describedby`)."""
    offline(page, live_server)
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("new@example.com")
    page.locator("#id_password1").fill("1234")  # too short, too common, numeric
    page.locator("#id_password2").fill("1234")
    page.get_by_role("button", name="Sign up").click()

    password = page.locator("#id_password1")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(re.compile("too short.*too common.*numeric"))
    expect(page.locator("#id_display_name")).to_have_accessible_description(
        re.compile("This field is required")
    )
    violations = serious(page, "/accounts/signup/ (after a failed submit)", "phone")
    assert not violations, report(violations)


def test_a_keyboard_reaches_the_content_and_every_menu_link_on_a_phone(
    page, live_server, login_browser, demo_learner
):
    """The first Tab shows the skip link, which moves focus to the content; on a phone the menu
    is folded behind a Menu button, which Enter opens, and each link then takes the focus in
    view; Escape folds it again and gives the focus back to the button."""
    offline(page, live_server)
    login_browser(demo_learner)
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"{live_server.url}/dashboard/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.goto(f"{live_server.url}/dashboard/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand, home
    page.keyboard.press("Tab")
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu).to_be_hidden()

    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    # First in the open menu: the site search, its box and its button.
    for _ in range(2):
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        expect(focused).to_be_in_viewport()
        assert focused.evaluate("el => el.closest('form.site-search') !== null")
    links = menu.get_by_role("link").all() + menu.get_by_role("button").all()
    assert len(links) >= 6
    for _ in links:
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        expect(focused).to_be_in_viewport()
        assert focused.evaluate("el => el.closest('nav') !== null"), focused.inner_text()

    page.keyboard.press("Escape")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()

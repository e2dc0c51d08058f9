"""The header and its menu in a real browser, at a small phone's width (320 px), a common
phone's (390 px) and a laptop's (1280 px), on every main page (the pages of the accessibility
audit): no page scrolls sideways, on a phone the menu folds behind a Menu button that opens
the whole menu, and at 1280 px the brand and every link sit on one line — for a learner and
for staff, whose menu is one link longer. Without JavaScript the menu is all there, wrapped.
A signed-in person who is not enrolled meets locked pages that say why and what to do, in
both colour schemes.
"""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from lessons.models import Lesson
from tests.test_accessibility_browser import (
    SCHEMES,
    VIEWPORTS,
    learner_paths,
    offline,
    public_paths,
    report,
    serious,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (320, 390, 1280)
WIDE = 1280

LAYOUT = """() => {
  const root = document.documentElement;
  const header = document.querySelector('.header-inner');
  const brand = header.querySelector('.brand').getBoundingClientRect();
  const items = [...document.querySelectorAll('nav[aria-label="Main"] li')]
    .map((li) => li.getBoundingClientRect());
  return {
    overflow: root.scrollWidth - root.clientWidth,
    headerHeight: header.getBoundingClientRect().height,
    brandMiddle: brand.top + brand.height / 2,
    itemMiddles: items.map((r) => r.top + r.height / 2),
    itemRight: Math.max(...items.map((r) => r.right)),
  };
}"""


def check_layout(page, width: int, path: str) -> list[str]:
    """What is wrong with the page's layout at `width`: sideways scroll, or (wide) a header on
    more than one line, or (narrow) a menu that is not folded behind its button."""
    problems = []
    layout = page.evaluate(LAYOUT)
    if layout["overflow"] > 0:
        problems.append(f"{path} @{width}: scrolls sideways by {layout['overflow']} px")
    toggle = page.get_by_role("button", name="Menu")
    menu = page.get_by_role("navigation", name="Main")
    if width >= WIDE:
        if toggle.is_visible():
            problems.append(f"{path} @{width}: the Menu button shows on a wide screen")
        middles = [layout["brandMiddle"], *layout["itemMiddles"]]
        if max(middles) - min(middles) > 4 or layout["headerHeight"] > 72:
            problems.append(f"{path} @{width}: the header wraps ({layout})")
        if layout["itemRight"] > width:
            problems.append(f"{path} @{width}: the menu runs off the screen")
        return problems
    if not toggle.is_visible() or menu.is_visible():
        problems.append(f"{path} @{width}: the menu is not folded behind its button")
        return problems
    toggle.click()
    if not menu.is_visible():
        problems.append(f"{path} @{width}: the Menu button does not open the menu")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    if overflow > 0:
        problems.append(f"{path} @{width}: the open menu scrolls sideways by {overflow} px")
    return problems


def walk(page, live_server, paths: list[str]) -> list[str]:
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.ok, f"{path}: {response and response.status}"
            problems += check_layout(page, width, path)
    return problems


def test_every_main_page_fits_a_phone_and_keeps_the_header_on_one_line_on_a_laptop(
    page,
    live_server,
    login_browser,
    demo_learner,
):
    offline(page, live_server)
    problems = walk(page, live_server, public_paths())
    login_browser(demo_learner)
    problems += walk(page, live_server, learner_paths(demo_learner))

    assert not problems, "\n".join(problems)


def test_the_staff_menu_fits_too(page, live_server, login_browser, demo_learner):
    offline(page, live_server)
    login_browser(User.objects.get(email="staff@demo.test"))

    problems = walk(page, live_server, ["/", "/dashboard/", "/groups/", "/forum/", "/library/"])

    assert not problems, "\n".join(problems)
    assert page.get_by_role("link", name="Staff admin").is_visible()


def test_the_menu_button_says_whether_the_menu_is_open_and_escape_closes_it(
    page,
    live_server,
    login_browser,
    demo_learner,
):
    offline(page, live_server)
    login_browser(demo_learner)
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"{live_server.url}/groups/")
    toggle = page.get_by_role("button", name="Menu")
    menu = page.get_by_role("navigation", name="Main")
    expect(toggle).to_have_attribute("aria-controls", "site-menu")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link", name="Friday groups")).to_have_attribute("aria-current", "page")
    for name in ["Dashboard", "My questions", "Q&A Library", "Forum", "Profile"]:
        expect(menu.get_by_role("link", name=name)).to_be_in_viewport()
    expect(menu.get_by_role("button", name="Sign out")).to_be_in_viewport()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()

    toggle.click()
    menu.get_by_role("link", name="Forum").focus()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()


def test_without_javascript_every_link_is_on_the_page_and_nothing_scrolls_sideways(
    browser,
    live_server,
    context,
    login_browser,
    demo_learner,
):
    login_browser(demo_learner)
    plain = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 800})
    plain.add_cookies(context.cookies())
    page = plain.new_page()
    offline(page, live_server)

    for path in ["/dashboard/", "/groups/", "/forum/"]:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        menu = page.get_by_role("navigation", name="Main")
        for name in ["Dashboard", "Friday groups", "My questions", "Forum", "Profile"]:
            expect(menu.get_by_role("link", name=name)).to_be_visible()
        expect(menu.get_by_role("button", name="Sign out")).to_be_visible()
        overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, (path, overflow)
    plain.close()


def test_a_newcomer_meets_locked_pages_that_say_why_and_lead_to_enrolment(
    page,
    live_server,
    login_browser,
    demo_learner,
):
    offline(page, live_server)
    login_browser(User.objects.get(email="newcomer@demo.test"))
    lesson = Lesson.objects.filter(free_preview=False).order_by("course__order", "order").first()
    locked = {
        lesson.get_absolute_url(): "This lesson opens when you enrol in a run of",
        "/library/": "The Q&A Video Library is for enrolled learners",
        "/forum/": "The Learner Exchange Forum is for enrolled learners",
    }
    violations = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for viewport, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            for path, why in locked.items():
                response = page.goto(f"{live_server.url}{path}")
                assert response is not None and response.status == 403, path
                expect(page.get_by_role("main")).to_contain_text(why)
                violations += serious(page, f"{path} (locked)", f"{viewport}, {scheme}")
    assert not violations, report(violations)

    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    page.get_by_role("link", name="Dates, enrolment and waitlist").click()
    expect(page).to_have_url(f"{live_server.url}{lesson.course.get_absolute_url()}")

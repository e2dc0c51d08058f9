"""The site search in Chromium, on the demo content: from the header box of any signed-in page
to grouped, highlighted results, on a phone and a desktop; no sideways scroll; axe finds no
serious or critical violation on the results or on a query sent back with a message."""

import pytest
from playwright.sync_api import expect

from tests.test_accessibility_browser import (
    VIEWPORTS,
    offline,
    open_menu,
    report,
    serious,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [320, 390, 1280]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_learner_searches_from_the_header_and_gets_grouped_results(
    page, live_server, login_browser, demo_learner, width
):
    offline(page, live_server)
    login_browser(demo_learner)
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{live_server.url}/dashboard/")
    assert no_sideways_scroll(page), "the dashboard scrolls sideways with the search box"

    open_menu(page)  # on a phone the search box is in the folded menu
    box = page.get_by_role("search").get_by_label("Search the site")
    expect(box).to_be_visible()
    box.fill("emotion")
    box.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/search/?q=emotion")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    groups = page.locator("main section h2")
    expect(groups.first).to_be_visible()
    assert "Lessons" in groups.all_inner_texts()
    expect(page.locator("main mark").first).to_be_visible()
    assert no_sideways_scroll(page), "the results scroll sideways"
    expect(
        page.get_by_label("Search lessons, the library, the forum and your questions")
    ).to_have_value("emotion")


def test_search_pages_have_no_serious_accessibility_violations(
    page, live_server, login_browser, demo_learner
):
    offline(page, live_server)
    login_browser(demo_learner)
    violations = []
    for viewport, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        for path in ["/search/?q=emotion", "/search/?q=emotion&kind=forum", "/search/?q=+"]:
            page.goto(f"{live_server.url}{path}")
            violations += serious(page, path, viewport)

    assert not violations, report(violations)


def test_a_query_that_cannot_be_searched_is_explained_on_its_field(
    page, live_server, login_browser, demo_learner
):
    offline(page, live_server)
    login_browser(demo_learner)
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"{live_server.url}/search/?q=%21%21%21")

    field = page.locator("#search-page-q")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description("Search for words: use letters or numbers.")
    expect(field).to_have_value("!!!")


def test_the_header_search_box_is_reached_by_keyboard(
    page, live_server, login_browser, demo_learner
):
    offline(page, live_server)
    login_browser(demo_learner)
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(f"{live_server.url}/dashboard/")
    box = page.locator("#site-search-q")
    for _ in range(30):
        page.keyboard.press("Tab")
        if box.evaluate("el => el === document.activeElement"):
            break
    expect(box).to_be_focused()
    page.keyboard.type("formulation")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/search/?q=formulation")

"""The Content-Security-Policy in a real browser: injected inline script does not run, while the
site's own scripts, the admin's rich-text editor and the embedded video players still work."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def collect_csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return errors


def inject(page, url: str, snippet: str) -> None:
    """Serve `url` as our server sent it (its headers, so its policy) with `snippet` added, as
    if an attacker had slipped markup past the sanitizer."""

    def handle(route):
        response = route.fetch()
        body = response.text().replace("</body>", f"{snippet}</body>")
        route.fulfill(response=response, body=body)

    page.route(url, handle)


def test_an_injected_inline_script_is_blocked(page, live_server):
    errors = collect_csp_errors(page)
    inject(
        page,
        f"{live_server.url}/",
        "<script>window.injected = 'script ran'</script>"
        "<img src='/nowhere.png' onerror=\"window.injected = 'handler ran'\">"
        "<a id='js-link' href=\"javascript:window.injected = 'link ran'\">x</a>",
    )
    page.goto(f"{live_server.url}/")
    page.click("#js-link")
    page.wait_for_timeout(200)

    assert page.evaluate("window.injected") is None
    assert len(errors) >= 3, errors  # the script, the handler and the javascript: link
    assert any("script-src" in e for e in errors)
    # The site's own scripts (same origin) did run: site.js marks the page.
    assert page.evaluate("document.documentElement.classList.contains('js')")


def test_a_script_created_at_runtime_is_blocked_too(page, live_server):
    errors = collect_csp_errors(page)
    page.goto(f"{live_server.url}/")
    page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = "window.injected = 'dom script ran'";
            document.body.appendChild(s);
        }"""
    )
    page.wait_for_timeout(100)
    assert page.evaluate("window.injected") is None
    assert errors


def test_an_inline_script_with_the_response_nonce_runs(page, live_server):
    """The nonce is what lets our own inline code through: the policy is not just 'no scripts'."""
    seen: dict[str, str] = {}

    def handle(route):
        response = route.fetch()
        nonce = re.search(r"'nonce-([\w+/=-]+)'", response.headers["content-security-policy"])
        seen["nonce"] = nonce.group(1)
        body = response.text().replace(
            "</body>", f"<script nonce='{nonce.group(1)}'>window.allowed = 'yes'</script></body>"
        )
        route.fulfill(response=response, body=body)

    page.route(f"{live_server.url}/", handle)
    page.goto(f"{live_server.url}/")
    assert seen["nonce"]
    assert page.evaluate("window.allowed") == "yes"


def test_the_lesson_page_frames_the_video_player_without_violations(
    page, live_server, login_browser, learner, course
):
    factories.make_lesson(
        course,
        title="Change mechanisms",
        slug="change-mechanisms",
        video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        podcast_url="https://cdn.example.com/episode.mp3",
        chapter='<p>Text</p><figure><img src="https://images.example.com/a.png" alt="A"></figure>',
    )
    requested: list[str] = []

    def offline(route):
        requested.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^https://.*"), offline)
    errors = collect_csp_errors(page)
    login_browser(learner)
    page.goto(f"{live_server.url}/courses/{course.slug}/lessons/change-mechanisms/")
    page.get_by_role("button", name="Play the video: Change mechanisms").click()
    frame = page.locator("iframe[title^='Video introduction']")
    expect(frame).to_be_attached()
    frame.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    # The browser asked for the player (the policy let it), the picture and the audio.
    assert any(url.startswith("https://www.youtube-nocookie.com/embed/") for url in requested)
    assert any("images.example.com" in url for url in requested)
    assert errors == []


def test_the_admin_rich_text_editor_works_under_the_policy(page, live_server, login_browser):
    instructor = factories.make_user("ines@example.com", role="Instructor")
    lesson = factories.make_lesson(chapter="<p>Old text.</p>")
    errors = collect_csp_errors(page)
    login_browser(instructor)
    page.goto(f"{live_server.url}/admin/lessons/lesson/{lesson.pk}/change/")
    editor = page.locator(".ProseMirror[contenteditable='true']").first
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Written under the policy.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    lesson.refresh_from_db()
    assert "Written under the policy." in lesson.chapter
    assert errors == []


def test_site_and_admin_pages_run_without_policy_violations(
    page, live_server, login_browser, learner, instructor, course
):
    """A sweep of the pages with scripts (htmx, the forum composer, the editors) as a learner,
    then as the instructor in the admin: the policy blocks nothing the site itself needs."""
    from forum import services as forum_services
    from forum.models import Category, Post
    from tests.qa.conftest import make_question

    lesson = factories.make_lesson(course, slug="change-mechanisms", video_url="")
    category = Category.objects.create(name="Practice questions", slug="practice", order=1)
    topic = forum_services.create_topic(
        category=category, author=learner, title="Avoidance", body="Text", fmt=Post.Format.MARKDOWN
    )
    question = make_question(learner)
    page.route(re.compile(r"^https://.*"), lambda route: route.abort())
    errors = collect_csp_errors(page)

    login_browser(learner)
    for path in [
        "/",
        "/dashboard/",
        lesson.get_absolute_url(),
        "/forum/",
        f"/forum/t/{topic.pk}/",
        f"/forum/c/{category.slug}/new/",
        "/questions/",
        f"/questions/{question.pk}/",
        "/groups/",
        "/profile/",
        "/accounts/2fa/",
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert page.evaluate("document.documentElement.classList.contains('js')"), path
        # htmx runs on the pages that use it (the lesson's mark-done buttons), and only there.
        uses_htmx = page.locator("[data-hx-get], [data-hx-post]").count() > 0
        assert page.evaluate("typeof window.htmx") == ("object" if uses_htmx else "undefined")
        if path == lesson.get_absolute_url():
            assert uses_htmx

    page.context.clear_cookies()
    login_browser(instructor)
    for path in [
        "/admin/",
        f"/admin/qa/question/{question.pk}/change/",
        "/admin/newsletter/issue/add/",
        f"/admin/lessons/lesson/{lesson.pk}/change/",
        "/admin/courses/enrollment/",
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        if "change" in path or "add" in path:
            expect(page.locator(".ProseMirror[contenteditable='true']").first).to_be_visible()
    assert errors == []

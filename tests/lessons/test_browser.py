"""A learner's journey in a real browser: dashboard → continue a lesson → mark the video done."""

import re

import pytest
from playwright.sync_api import expect

from lessons.models import Progress
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learner_continues_a_lesson_and_marks_the_video_done(
    page, live_server, login_browser, screenshot_dir
):
    course = factories.make_course(1, title="How Therapy Works", slug="how-therapy-works")
    cohort = factories.make_cohort(course, name="Spring 2027", slug="spring-2027")
    learner = factories.make_user("lee@example.com", display_name="Lee Learner")
    factories.enrol(learner, cohort)
    first = factories.make_lesson(course, title="Psychopathology", slug="psychopathology", order=1)
    lesson = factories.make_lesson(
        course,
        title="Change mechanisms",
        slug="change-mechanisms",
        order=2,
        chapter="<h2>Why it matters</h2>" + "<p>A paragraph of the chapter.</p>" * 12,
        video_url="https://vimeo.com/76979871",
        podcast_url="https://cdn.example.com/episode.mp3",
        podcast_transcript="Host: Welcome.\n\nInstructor: Thanks.",
    )
    Progress.objects.create(user=learner, lesson=first)
    Progress.objects.create(user=learner, lesson=lesson)  # the latest one touched
    # No third-party requests from the test: the video frame stays empty.
    page.route(
        re.compile(r"^https://(player\.vimeo\.com|cdn\.example\.com)/.*"), lambda r: r.abort()
    )

    login_browser(learner)
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_text("Continue where you left off")).to_be_visible()
    expect(page.get_by_text("0 of 2 lessons done")).to_be_visible()
    page.get_by_role("link", name="Continue “Change mechanisms”").click()

    expect(page.get_by_role("heading", name="Change mechanisms", level=1)).to_be_visible()
    expect(page.get_by_text("0 of 3 materials done")).to_be_visible()
    page.get_by_role("button", name="Mark the video as done").click()

    # htmx swaps the status and the lesson's progress bar in place.
    expect(page.get_by_text("✓ Video done")).to_be_visible()
    expect(page.get_by_text("1 of 3 materials done")).to_be_visible()
    expect(page.locator("#lesson-progress-meter")).to_have_attribute("value", "1")
    assert Progress.objects.get(user=learner, lesson=lesson).done_materials == ["video"]

    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshot_dir / "lesson-phone.png", full_page=True)

    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_text("0 of 2 lessons done")).to_be_visible()  # 1 of 3 materials only
    page.screenshot(path=screenshot_dir / "dashboard-phone.png", full_page=True)


def test_reaching_the_end_of_the_chapter_records_it(page, live_server, login_browser):
    course = factories.make_course(1, title="How Therapy Works", slug="how-therapy-works")
    cohort = factories.make_cohort(course)
    learner = factories.make_user("reader@example.com")
    factories.enrol(learner, cohort)
    lesson = factories.make_lesson(
        course,
        slug="long-read",
        chapter="<p>A long chapter paragraph, read slowly.</p>" * 80,
        video_url="",
    )

    login_browser(learner)
    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    expect(page.get_by_text("0 of 1 material done")).to_be_visible()
    page.locator("[data-chapter-end]").scroll_into_view_if_needed()
    page.mouse.wheel(0, 400)

    expect(page.get_by_text("✓ Chapter done")).to_be_visible()
    expect(page.get_by_text("lesson complete")).to_be_visible()
    assert Progress.objects.get(user=learner, lesson=lesson).completed_at is not None


# Stand-ins for the providers' players, served at their real origins: each answers the page's
# subscription in its provider's message format, then reports the end of the video.
FAKE_PLAYERS = {
    "vimeo": (
        "https://vimeo.com/76979871",
        r"^https://player\.vimeo\.com/.*",
        """const d = JSON.parse(e.data);
           if (d.method === "addEventListener" && d.value === "ended") {
             setTimeout(() => parent.postMessage(JSON.stringify({event: "ended"}), "*"), 300);
           }""",
        'parent.postMessage(JSON.stringify({event: "ready"}), "*");',
    ),
    "youtube": (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        r"^https://www\.youtube-nocookie\.com/.*",
        """const d = JSON.parse(e.data);
           if (d.event === "command" && d.func === "addEventListener") {
             setTimeout(() => parent.postMessage(
               JSON.stringify({event: "onStateChange", info: 0, id: d.id, channel: "widget"}), "*"
             ), 300);
           }""",
        "",
    ),
}


@pytest.mark.parametrize("provider", sorted(FAKE_PLAYERS))
def test_an_embedded_player_reaching_the_end_records_the_video(
    page, live_server, login_browser, provider
):
    video_url, pattern, on_message, on_load = FAKE_PLAYERS[provider]
    course = factories.make_course(1)
    learner = factories.make_user("viewer@example.com")
    factories.enrol(learner, factories.make_cohort(course))
    lesson = factories.make_lesson(course, slug="watch-it", video_url=video_url)
    player = (
        "<!doctype html><title>player</title><script>"
        f'window.addEventListener("message", (e) => {{ {on_message} }});{on_load}'
        "</script>"
    )
    page.route(
        re.compile(pattern),
        lambda route: route.fulfill(status=200, content_type="text/html", body=player),
    )

    login_browser(learner)
    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    page.get_by_role("button", name="Play the video").click()

    expect(page.get_by_text("✓ Video done")).to_be_visible()
    assert Progress.objects.get(user=learner, lesson=lesson).done_materials == ["video"]


def test_a_message_from_another_origin_records_nothing(page, live_server, login_browser):
    course = factories.make_course(1)
    learner = factories.make_user("viewer@example.com")
    factories.enrol(learner, factories.make_cohort(course))
    lesson = factories.make_lesson(course, slug="watch-it", video_url="https://vimeo.com/76979871")
    page.route(re.compile(r"^https://player\.vimeo\.com/.*"), lambda route: route.abort())

    login_browser(learner)
    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    page.get_by_role("button", name="Play the video").click()
    # The page itself (not the player's frame) claims the video ended.
    page.evaluate("window.postMessage(JSON.stringify({event: 'ended'}), '*')")
    page.wait_for_timeout(1000)

    expect(page.get_by_role("button", name="Mark the video as done")).to_be_visible()
    assert not Progress.objects.get(user=learner, lesson=lesson).done_materials


def test_keyboard_user_keeps_focus_on_the_toggle_after_marking(page, live_server, login_browser):
    course = factories.make_course(1)
    learner = factories.make_user("keys@example.com")
    factories.enrol(learner, factories.make_cohort(course))
    # The video, not the chapter: scrolling to a short chapter's end would record it on its own.
    lesson = factories.make_lesson(course, slug="by-keyboard")
    page.route(re.compile(r"^https://www\.youtube-nocookie\.com/.*"), lambda r: r.abort())

    login_browser(learner)
    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    page.get_by_role("button", name="Mark the video as done").focus()
    page.keyboard.press("Enter")

    undo = page.get_by_role("button", name="Mark the video as not done")
    expect(undo).to_be_focused(timeout=15_000)  # a loaded shared machine can be slow
    # htmx wires up the swapped-in form when it settles (20 ms); a person is never faster.
    expect(page.locator(".htmx-settling")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Mark the video as done")).to_be_focused(timeout=15_000)
    assert "video" not in Progress.objects.get(user=learner, lesson=lesson).done_materials


@pytest.mark.parametrize("who", ["learner", "visitor"])
def test_the_video_player_loads_only_when_the_learner_presses_play(
    page, live_server, login_browser, who, screenshot_dir
):
    """Issue 24, point 11: a poster stands in for the YouTube or Vimeo player, so that opening
    a lesson asks nothing of another site; pressing play puts the player in its place."""
    course = factories.make_course(1)
    learner = factories.make_user("viewer@example.com")
    factories.enrol(learner, factories.make_cohort(course))
    lesson = factories.make_lesson(
        course,
        slug="watch-it",
        title="Transference and the inner child: what the first sessions show",
        video_url="https://vimeo.com/76979871",
        free_preview=True,
    )
    outside: list[str] = []

    def elsewhere(route):
        outside.append(route.request.url)
        route.fulfill(
            status=200, content_type="text/html", body="<!doctype html><title>player</title>"
        )

    page.route(lambda url: not url.startswith(live_server.url), elsewhere)
    if who == "learner":
        login_browser(learner)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    page.wait_for_load_state("networkidle")

    assert outside == []
    expect(page.locator("#video iframe")).to_have_count(0)
    play = page.get_by_role("button", name=f"Play the video: {lesson.title}")
    expect(play).to_be_visible()
    # A phone: the poster holds the long title and the button, and nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("#video").screenshot(path=screenshot_dir / f"lesson-video-poster-{who}.png")

    play.click()

    frame = page.locator("#video iframe")
    expect(frame).to_have_attribute("title", f"Video introduction: {lesson.title}")
    expect(frame).to_have_attribute(
        "src", re.compile(r"^https://player\.vimeo\.com/video/76979871\?dnt=1&autoplay=1$")
    )
    page.wait_for_load_state("networkidle")
    assert outside and all(url.startswith("https://player.vimeo.com/") for url in outside)

"""The learner tools in a real browser (issue 24, point 4): notes saved as one types, with a
visible saved / not-saved status; the podcast and an embedded YouTube or Vimeo video starting
where they stopped on another device, at the chosen speed; save for later without JavaScript;
the printed chapter; at a phone's width and without serious accessibility violations."""

import io
import re
import wave

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from bookmarks.models import Bookmark
from lessons.models import Note, Progress
from tests import factories
from tests.test_accessibility_browser import report, serious

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def silence(seconds: int) -> bytes:
    """A WAV file of `seconds` of silence: something Chromium plays and seeks offline."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 8000 * seconds)
    return buffer.getvalue()


@pytest.fixture
def world():
    course = factories.make_course(1, title="How Therapy Works", slug="how-therapy-works")
    cohort = factories.make_cohort(course, name="Spring 2027", slug="spring-2027")
    learner = factories.make_user("lee@example.com", display_name="Lee Learner")
    factories.enrol(learner, cohort)
    lesson = factories.make_lesson(
        course,
        title="Role of emotion",
        slug="role-of-emotion",
        video_url="",
        chapter=(
            "<h2>Why it matters</h2>"
            + "<p>A paragraph of the chapter.</p>" * 8
            + '<p>See <a href="https://example.org/further-reading">further reading</a>.</p>'
        ),
        podcast_transcript="Host: Welcome.",
    )
    lesson.podcast_file.save("episode.wav", ContentFile(silence(30)), save=True)
    return learner, lesson


def offline(page, live_server) -> None:
    page.route(lambda url: not url.startswith(live_server.url), lambda route: route.abort())


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def device(browser, live_server, user):
    """A new browser (another of the learner's devices) at a phone's size, signed in as `user`."""
    from django.conf import settings
    from django.test import Client

    c = Client()
    c.force_login(user)
    context = browser.new_context(viewport=PHONE)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": c.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def test_notes_save_as_the_learner_types_and_say_when_they_could_not(
    page, live_server, login_browser, world, screenshot_dir
):
    learner, lesson = world
    offline(page, live_server)
    csp_errors = []
    page.on("console", lambda m: "Content Security Policy" in m.text and csp_errors.append(m.text))
    login_browser(learner)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")

    notes = page.get_by_label("Your notes on this lesson")
    notes.fill("Try the two-chair exercise with K.")
    expect(page.locator("#note-status")).to_contain_text("Saved at")
    assert (
        Note.objects.get(user=learner, lesson=lesson).text == "Try the two-chair exercise with K."
    )
    assert no_sideways_scroll(page)
    page.screenshot(path=screenshot_dir / "lesson-notes-phone.png", full_page=True)

    # The connection drops: the status says so, and the text stays in the field.
    page.route(re.compile(r".*/notes/$"), lambda route: route.abort())
    notes.press_sequentially(" And shame.")
    expect(page.locator("#note-status")).to_contain_text("Not saved")
    expect(page.locator("#note-status")).to_have_class(re.compile("note-error"))
    page.unroute(re.compile(r".*/notes/$"))
    notes.press_sequentially(" Again.")
    expect(page.locator("#note-status")).to_contain_text("Saved at")
    assert Note.objects.get().text == "Try the two-chair exercise with K. And shame. Again."

    # Back on the page later (any device): the note is there, and on the course page.
    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    expect(notes).to_have_value("Try the two-chair exercise with K. And shame. Again.")
    page.goto(f"{live_server.url}{lesson.course.get_absolute_url()}")
    expect(page.get_by_role("heading", name="Your notes")).to_be_visible()
    expect(page.get_by_text("Try the two-chair exercise")).to_be_visible()
    assert no_sideways_scroll(page)
    violations = serious(page, "course page with notes", "phone")
    assert not violations, report(violations)
    assert csp_errors == []


def test_the_podcast_starts_where_it_stopped_on_another_device_at_the_chosen_speed(
    browser, live_server, world
):
    learner, lesson = world
    phone = device(browser, live_server, learner).new_page()
    phone.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    audio = phone.locator("#podcast-player")
    phone.wait_for_function("document.querySelector('#podcast-player').readyState >= 1")
    phone.get_by_label("Speed").select_option("1.5")
    assert audio.evaluate("a => a.playbackRate") == 1.5
    with phone.expect_response(re.compile(r".*/position/$")) as sent:
        audio.evaluate("a => { a.currentTime = 12.4; }")  # paused: a seek is sent at once
    assert sent.value.status == 204
    assert Progress.objects.get(user=learner, lesson=lesson).podcast_position == 12

    laptop = device(browser, live_server, learner).new_page()
    laptop.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    laptop.wait_for_function(
        "Math.floor(document.querySelector('#podcast-player').currentTime) === 12"
    )
    # The speed is this browser's choice; the other device starts at 1×.
    assert laptop.get_by_label("Speed").input_value() == "1"
    for p in (phone, laptop):
        p.context.close()


def test_save_for_later_works_without_javascript(browser, live_server, world):
    learner, lesson = world
    from django.conf import settings
    from django.test import Client

    c = Client()
    c.force_login(learner)
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": c.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    # Without JavaScript the controls that need it are not offered; the form still is.
    expect(page.locator(".player-speed")).to_be_hidden()
    expect(page.locator(".print-chapter")).to_be_hidden()
    expect(page.get_by_role("button", name="Save notes")).to_be_visible()
    page.get_by_role("button", name="Save for later").click()
    expect(page.get_by_text("Saved for later: your dashboard lists it.")).to_be_visible()
    assert Bookmark.objects.filter(user=learner, lesson=lesson).exists()
    page.goto(f"{live_server.url}/dashboard/")
    saved = page.locator("section", has=page.get_by_role("heading", name="Saved for later"))
    expect(saved.get_by_role("link", name="Role of emotion")).to_be_visible()
    assert no_sideways_scroll(page)
    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    page.get_by_role("button", name="Remove from saved").click()
    assert not Bookmark.objects.exists()
    context.close()


def test_the_printed_lesson_is_its_chapter(page, live_server, login_browser, world, tmp_path):
    learner, lesson = world
    offline(page, live_server)
    login_browser(learner)
    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    expect(page.get_by_role("button", name="Print the chapter")).to_be_visible()
    violations = serious(page, "lesson page with the tools", "desktop")
    assert not violations, report(violations)

    page.emulate_media(media="print")
    for hidden in [
        ".site-header",
        ".site-footer",
        "#notes",
        "#podcast",
        ".lesson-pager",
        ".print-chapter",
        ".save-for-later",
        ".material-nav",
    ]:
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator(".chapter")).to_be_visible()
    link_after = page.evaluate(
        "getComputedStyle(document.querySelector('.chapter a'), '::after').content"
    )
    assert "https://example.org/further-reading" in link_after
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.chapter')).fontFamily"
    ).startswith("Georgia")
    pdf = page.pdf(path=str(tmp_path / "chapter.pdf"))
    assert pdf.startswith(b"%PDF")


# Stand-ins for YouTube's and Vimeo's players at their real origins. Each keeps the messages
# the page sends it (`commands()`: what the page asked the player to do), tells its length
# when asked in its provider's format, and lets the test make it report playing or pausing
# at a time (`report(state, seconds)`).
FAKE_EMBEDS = {
    "youtube": (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        r"^https://www\.youtube-nocookie\.com/.*",
        """
        const post = (info) => parent.postMessage(
          JSON.stringify({event: "infoDelivery", info, id: 1, channel: "widget"}), "*");
        window.addEventListener("message", (e) => {
          const d = JSON.parse(e.data);
          received.push(d);
          if (d.event === "listening") post({duration: 600, currentTime: 0, playerState: -1});
        });
        window.commands = () => received.filter((d) => d.event === "command"
          && d.func !== "addEventListener").map((d) => [d.func, d.args[0]]);
        window.report = (state, seconds) =>
          post({playerState: {play: 1, pause: 2}[state], currentTime: seconds});
        """,
        {"seek": "seekTo", "speed": "setPlaybackRate"},
    ),
    "vimeo": (
        "https://vimeo.com/76979871",
        r"^https://player\.vimeo\.com/.*",
        """
        const post = (m) => parent.postMessage(JSON.stringify(m), "*");
        window.addEventListener("message", (e) => {
          const d = JSON.parse(e.data);
          received.push(d);
          if (d.method === "getDuration") post({method: "getDuration", value: 600});
        });
        const asks = ["addEventListener", "getDuration"];
        window.commands = () => received.filter((d) => d.method && !asks.includes(d.method))
          .map((d) => [d.method, d.value]);
        window.report = (state, seconds) => {
          post({event: "timeupdate", data: {seconds, duration: 600, percent: seconds / 600}});
          post({event: state, data: {seconds, duration: 600, percent: seconds / 600}});
        };
        post({event: "ready"});
        """,
        {"seek": "setCurrentTime", "speed": "setPlaybackRate"},
    ),
}


@pytest.mark.parametrize("provider", sorted(FAKE_EMBEDS))
def test_an_embedded_video_starts_where_it_stopped_on_another_device_at_the_chosen_speed(
    browser, live_server, world, provider
):
    learner, lesson = world
    video_url, pattern, script, names = FAKE_EMBEDS[provider]
    lesson.video_url = video_url
    lesson.save()
    Progress.objects.update_or_create(user=learner, lesson=lesson, defaults={"video_position": 125})
    player = f"<!doctype html><title>player</title><script>const received = [];{script}</script>"
    contexts = []

    def open_lesson():
        context = device(browser, live_server, learner)
        contexts.append(context)
        page = context.new_page()
        page.route(
            re.compile(pattern),
            lambda route: route.fulfill(status=200, content_type="text/html", body=player),
        )
        page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
        # The player's frame once it has navigated to the provider (not while still blank).
        with page.expect_event(
            "framenavigated", lambda frame: re.match(pattern, frame.url) is not None
        ) as navigated:
            page.get_by_role("button", name="Play the video").click()
        frame = navigated.value
        frame.wait_for_load_state()
        return page, frame

    def asked(frame, command: str, value) -> None:
        frame.wait_for_function(
            f"window.commands && window.commands().some(([c, v]) => c === {command!r}"
            f" && v === {value!r})"
        )

    try:
        phone, frame = open_lesson()
        # It starts where the learner stopped (on the server: set by another device).
        asked(frame, names["seek"], 125)
        phone.locator("#video").get_by_label("Speed").select_option("1.5")
        asked(frame, names["speed"], 1.5)
        assert no_sideways_scroll(phone)

        # Paused at 200 s: sent at once.
        with phone.expect_response(re.compile(r".*/position/$")) as sent:
            frame.evaluate("report('play', 190); report('pause', 200.6)")
        assert sent.value.status == 204
        assert Progress.objects.get(user=learner, lesson=lesson).video_position == 200

        laptop, frame = open_lesson()
        asked(frame, names["seek"], 200)
        # The speed is this browser's choice; the other device plays at 1×.
        assert laptop.locator("#video").get_by_label("Speed").input_value() == "1"
        asked(frame, names["speed"], 1)
    finally:
        for context in contexts:
            context.close()

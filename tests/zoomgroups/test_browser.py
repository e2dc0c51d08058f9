"""The Friday-groups journey in a real browser: a learner in Sydney sees the session in their
own time, RSVPs in place, and the Join button appears only when the join window opens."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.zoomgroups.conftest import NEW_YORK, make_session
from zoomgroups.models import RSVP, GroupSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")


def next_friday_noon() -> dt.datetime:
    today = timezone.now().astimezone(NEW_YORK).date()
    friday = today + dt.timedelta(days=(4 - today.weekday()) % 7 + 7)
    return dt.datetime.combine(friday, dt.time(12), tzinfo=NEW_YORK)


def spelled(moment: dt.datetime) -> str:
    """Independent of the app's formatting: “Saturday, March 20, 2027, 3:00 AM AEDT”."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (
        f"{moment:%A}, {moment:%B} {moment.day}, {moment.year}, "
        f"{hour}:{moment:%M} {half} {moment.tzname()}"
    )


def test_learner_sees_their_time_rsvps_and_joins_when_the_window_opens(
    page, live_server, login_browser, learner, cohort, screenshot_dir
):
    learner.time_zone = "Australia/Sydney"
    learner.save()
    starts = next_friday_noon()
    session = make_session(cohort, starts_at=starts, topic="Role of emotion")
    login_browser(learner)
    url = f"{live_server.url}/groups/"

    page.goto(url)
    card = page.locator(f"#session-{session.pk}")
    expect(card.get_by_role("heading", name="Role of emotion")).to_be_visible()
    expect(card).to_contain_text(spelled(starts.astimezone(SYDNEY)))
    expect(card).to_contain_text("Program time:")
    expect(card.get_by_role("link", name="Join on Zoom")).to_have_count(0)
    expect(card).to_contain_text("The Join button appears here 15 minutes before the start")

    # RSVP in place (htmx): the card updates without a page load.
    card.get_by_role("button", name="Attending").click()
    expect(card.get_by_text("See you there.")).to_be_visible()
    expect(card.get_by_role("button", name="Attending")).to_have_attribute("aria-pressed", "true")
    assert RSVP.objects.get(session=session, user=learner).response == "attending"
    page.screenshot(path=screenshot_dir / "zoomgroups-rsvp.png", full_page=True)

    # Twenty minutes before the start: still no Join button.
    GroupSession.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() + dt.timedelta(minutes=20)
    )
    page.reload()
    expect(page.locator(f"#session-{session.pk}")).to_contain_text("The Join button appears")
    expect(page.get_by_role("link", name="Join on Zoom")).to_have_count(0)

    # Ten minutes before: the window is open.
    GroupSession.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() + dt.timedelta(minutes=10)
    )
    page.reload()
    join = page.get_by_role("link", name="Join on Zoom")
    expect(join).to_be_visible()
    expect(join).to_have_attribute("href", f"/groups/{session.pk}/join/")
    page.screenshot(path=screenshot_dir / "zoomgroups-join-open.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshot_dir / "zoomgroups-phone.png", full_page=True)

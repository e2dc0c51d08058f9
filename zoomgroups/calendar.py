"""iCalendar output: the private feed of a learner's sessions and a single session's .ics.

Times are written in UTC (DTSTART:20270319T160000Z), which every calendar app converts to the
viewer's zone correctly, across daylight-saving changes, without needing a VTIMEZONE. Each event
keeps the UID `groupsession-<id>@<settings.STABLE_ID_DOMAIN>` for life (not SITE_URL's host,
which may change); SEQUENCE rises when the time or topic changes and LAST-MODIFIED follows the
last edit, so subscribed calendars update the event in place.
Events link to the site's Friday groups page: the join link is never in a calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

if TYPE_CHECKING:
    from zoomgroups.models import GroupSession

CONTENT_TYPE = "text/calendar; charset=utf-8"


def event_uid(session: GroupSession) -> str:
    return f"groupsession-{session.pk}@{settings.STABLE_ID_DOMAIN}"


def build_calendar(sessions: Iterable[GroupSession], *, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//How Therapy Works//Friday groups//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", dt.timedelta(hours=6), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")
    page = settings.SITE_URL + reverse("zoomgroups:index")
    stamp = timezone.now()
    for session in sessions:
        event = Event()
        event.add("uid", event_uid(session))
        event.add("dtstamp", stamp)
        event.add("dtstart", session.starts_at.astimezone(dt.UTC))
        event.add("dtend", session.ends_at.astimezone(dt.UTC))
        event.add("summary", f"Friday group: {session.topic}")
        event.add(
            "description",
            f"{session.cohort.course.title} — {session.cohort.name}.\n"
            f"Join from the Friday groups page shortly before the start: {page}",
        )
        event.add("location", page)
        event.add("url", page)
        event.add("sequence", session.sequence)
        event.add("last-modified", session.updated_at.astimezone(dt.UTC))
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    ical: bytes = cal.to_ical()
    return ical

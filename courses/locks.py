"""Pages that exist but are locked to this person, and the page that says why and what to do
(issue 24): a lesson of a course they have no access to, the library or the forum for someone
who is not enrolled, access that a refund or a cancellation took away.

The locked page names only what the person could already see (a lesson's title and course are
on the public course page) and their own enrolment. It is the same for every object of an area
(every forum or library address), so it never tells whether a private thing exists: people's
private things still answer 404 to those who may use the area but not see them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from courses.models import Course, Enrollment

if TYPE_CHECKING:
    from lessons.models import Lesson

SIGNED_OUT = "signed_out"
NOT_ENROLLED = "not_enrolled"
REFUNDED = "refunded"
CANCELLED = "cancelled"

AREAS = {
    "lesson": "this lesson",
    "library": "the Q&A Video Library",
    "forum": "the Learner Exchange Forum",
}


@dataclass(frozen=True)
class Lock:
    """Why `user` may not open something: one of the reasons above, with the run and the day
    their access ended when a refund or a cancellation ended it."""

    reason: str
    run_name: str = ""
    ended_on: dt.date | None = None


def lock_for(user: object, *, course_id: int | None = None) -> Lock:
    """The reason, from the person's latest enrolment that no longer grants access (in
    `course_id`'s runs, or in any run); someone who never held one is simply not enrolled."""
    if not getattr(user, "is_authenticated", False):
        return Lock(SIGNED_OUT)
    ended = Enrollment.objects.for_user(user).exclude(status__in=Enrollment.ACCESS_STATUSES)
    if course_id is not None:
        ended = ended.filter(cohort__course_id=course_id)
    last = (
        ended.order_by("-ended_at", "-updated_at")
        .values_list("status", "cohort__name", "ended_at", "updated_at")
        .first()
    )
    if last is None:
        return Lock(NOT_ENROLLED)
    status, run_name, ended_at, updated_at = last
    reason = REFUNDED if status == Enrollment.Status.REFUNDED else CANCELLED
    return Lock(reason, run_name=run_name, ended_on=(ended_at or updated_at).date())


def locked_page(
    request: HttpRequest, *, area: str, course: Course | None = None, lesson: Lesson | None = None
) -> HttpResponse:
    """403 with the page that says why `area` is locked to this person and what to do."""
    lock = lock_for(request.user, course_id=course.pk if course else None)
    context = {
        "area": area,
        "area_name": AREAS[area],
        "lock": lock,
        "course": course,
        "lesson": lesson,
    }
    response = render(request, "courses/locked.html", context, status=403)
    add_never_cache_headers(response)
    return response

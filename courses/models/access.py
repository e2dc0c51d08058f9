"""Who may open a course: THE rule and what pages read of it once per request.

Access rule (see DESIGN.md): a learner may open a course's lessons while they hold an
enrolment in any cohort of that course whose status grants access (active or comped) — also
after the cohort has ended (`Enrollment.objects.for_user(user).granting_access()`). Refunds
and cancellations take access away at once. Staff and the instructor (`is_staff`, with a
second factor) see everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from accounts import mfa
from courses.models.enrolment import Enrollment

if TYPE_CHECKING:
    from accounts.models import User


def is_program_staff(user: User | object) -> bool:
    """Staff and the instructor see every course, run and forum circle — in a session that
    passed a second factor (`accounts.mfa.powers_allowed`)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_staff", False)
        and mfa.powers_allowed(user)
    )


def granted_runs(user: User | object) -> list[Any]:
    """The runs in which `user` holds an enrolment granting access, by start date: rows of
    (cohort_id, course_id, name) from `Enrollment.objects.for_user(user).granting_access()`.

    The navigation, the enrol buttons, the dashboard and the course and lesson pages all ask,
    so the rows are read once per request and kept on the user object (`request.user` lives
    as long as the request). Code that changes enrolments checks access with
    `Course.objects.accessible_to()`, which always asks the database.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    memo = getattr(user, "_htw_granted_runs", None)
    if memo is None:
        memo = list(
            Enrollment.objects.for_user(user)
            .granting_access()
            .annotate(course_id=models.F("cohort__course_id"), name=models.F("cohort__name"))
            .order_by("cohort__starts_on", "cohort_id")
            .values_list("cohort_id", "course_id", "name", named=True)
        )
        user._htw_granted_runs = memo  # type: ignore[union-attr]
    return memo


def access_grants(user: User | object) -> dict[int, int]:
    """{cohort id: course id} of `granted_runs(user)`."""
    return {run.cohort_id: run.course_id for run in granted_runs(user)}


def has_course_access(user: User | object, course_id: int) -> bool:
    """What `Course.objects.accessible_to(user)` says of one course, from `granted_runs`."""
    return is_program_staff(user) or course_id in access_grants(user).values()


def is_member(user: User | object) -> bool:
    """A learner with access to at least one course, or staff: may use the library and forum.

    Read once per request (see `granted_runs`).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    return is_program_staff(user) or bool(granted_runs(user))


def granted_course_ids(user: User | object) -> list[int] | None:
    """The ids of the courses `user` may open, from `granted_runs`, or None for staff (all of
    them). What pages filter on to show a learner's lessons and sessions: the page has read
    the runs for its menu anyway."""
    if is_program_staff(user):
        return None
    return sorted(set(access_grants(user).values()))


def granted_cohort_ids(user: User | object) -> list[int] | None:
    """The ids of the runs `user` holds access in, or None for staff (see
    `granted_course_ids`)."""
    if is_program_staff(user):
        return None
    return sorted(access_grants(user))


def enrolled_course_ids(user: User | object) -> models.QuerySet:
    """Subquery: the ids of the courses a learner holds an access-granting enrolment in, for
    `course_id__in=` filters that must ask the database (feeds, `accessible_to`)."""
    return Enrollment.objects.for_user(user).granting_access().values("cohort__course_id")

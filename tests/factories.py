"""Factories with deterministic defaults. Each returns a saved object; override any field."""

import datetime as dt
import itertools

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from courses.models import Cohort, Course, Enrollment

_seq = itertools.count(1)


def make_user(
    email: str | None = None,
    *,
    password: str = "correct horse battery",
    verified: bool = True,
    role: str | None = None,
    **fields,
) -> User:
    n = next(_seq)
    email = email or f"person{n}@example.com"
    fields.setdefault("display_name", f"Person {n}")
    user = User.objects.create_user(email=email, password=password, **fields)
    if verified:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if role:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(Group.objects.get(name=role))
    return user


def make_course(number: int | None = None, **fields) -> Course:
    number = number if number is not None else next(_seq) % 30000 + 100
    fields.setdefault("title", f"Course {number}")
    fields.setdefault("slug", f"course-{number}")
    fields.setdefault("order", number)
    return Course.objects.create(number=number, **fields)


def make_cohort(course: Course | None = None, **fields) -> Cohort:
    n = next(_seq)
    course = course or make_course()
    today = timezone.localdate()
    now = timezone.now()
    fields.setdefault("name", f"Run {n}")
    fields.setdefault("slug", f"run-{n}")
    fields.setdefault("starts_on", today - dt.timedelta(days=10))
    fields.setdefault("ends_on", today + dt.timedelta(days=80))
    fields.setdefault("enrolment_opens_at", now - dt.timedelta(days=30))
    fields.setdefault("enrolment_closes_at", now + dt.timedelta(days=30))
    fields.setdefault("seat_cap", 20)
    fields.setdefault("price_cents", 120000)
    fields.setdefault("status", Cohort.Status.OPEN)
    return Cohort.objects.create(course=course, **fields)


def enrol(
    user: User, cohort: Cohort, status: str = Enrollment.Status.ACTIVE, **fields
) -> Enrollment:
    return Enrollment.objects.create(user=user, cohort=cohort, status=status, **fields)


def make_lesson(course: Course | None = None, **fields):
    """A lesson with a chapter, a video link and no audio file unless given."""
    from lessons.models import Lesson

    n = next(_seq)
    course = course or make_course()
    fields.setdefault("title", f"Lesson {n}")
    fields.setdefault("slug", f"lesson-{n}")
    fields.setdefault("order", n)
    fields.setdefault("summary", f"Summary of lesson {n}.")
    fields.setdefault("chapter", f"<h2>Part {n}</h2><p>Chapter text of lesson {n}.</p>")
    fields.setdefault("video_url", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    return Lesson.objects.create(course=course, **fields)

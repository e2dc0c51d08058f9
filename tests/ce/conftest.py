"""CE fixtures: a trimester with hours, a completion rule, a post-test and an evaluation, and a
run with three past Friday groups (one attended, one watched as a recording, one neither)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from ce.models import (
    CourseCredit,
    EvaluationQuestion,
    LessonHours,
    PostTest,
    PostTestChoice,
    PostTestQuestion,
    RecordingView,
)
from lessons.models import Lesson, Progress
from tests import factories
from zoomgroups.models import Attendance, GroupSession

STATEMENT = "Approved-sponsor statement 4471: this program is approved for CE credit."


@dataclass
class CEWorld:
    credit: CourseCredit
    lessons: list[Lesson]
    sessions: list[GroupSession]
    post_test: PostTest
    right: dict  # question id → correct choice id
    wrong: dict  # question id → a wrong choice id
    scale: EvaluationQuestion
    free_text: EvaluationQuestion


def past_friday(weeks_ago: int) -> dt.datetime:
    day = timezone.now() - dt.timedelta(weeks=weeks_ago)
    while day.weekday() != 4:
        day -= dt.timedelta(days=1)
    return day.replace(hour=17, minute=0, second=0, microsecond=0)


@pytest.fixture
def ce(course, cohort) -> CEWorld:
    credit = CourseCredit.objects.create(
        course=course,
        approving_body="American Psychological Association",
        provider_number="APA-123",
        sponsor_statement=STATEMENT,
        min_live_groups=2,
        recordings_count=True,
    )
    lessons = []
    for n in (1, 2):
        lesson = factories.make_lesson(course, title=f"CE lesson {n}", slug=f"ce-lesson-{n}")
        LessonHours.objects.create(lesson=lesson, chapter=Decimal("1.00"), video=Decimal("0.50"))
        lessons.append(lesson)
    sessions = [
        GroupSession.objects.create(
            cohort=cohort,
            slot=n,
            starts_at=past_friday(4 - n),
            topic=f"Group {n}",
            recording_url=f"https://video.example/rec{n}",
        )
        for n in (1, 2, 3)
    ]
    post_test = PostTest.objects.create(course=course, pass_percent=75)
    right, wrong = {}, {}
    for n in range(4):
        q = PostTestQuestion.objects.create(post_test=post_test, text=f"Question {n}?", order=n)
        right[q.pk] = PostTestChoice.objects.create(
            question=q, text=f"Right {n}", is_correct=True
        ).pk
        wrong[q.pk] = PostTestChoice.objects.create(question=q, text=f"Wrong {n}").pk
    scale = EvaluationQuestion.objects.create(course=course, text="Overall quality", order=1)
    free_text = EvaluationQuestion.objects.create(
        course=course, text="What would you change?", kind="text", required=False, order=2
    )
    return CEWorld(credit, lessons, sessions, post_test, right, wrong, scale, free_text)


def finish_lessons(user, lessons) -> None:
    now = timezone.now() - dt.timedelta(days=1)
    for lesson in lessons:
        Progress.objects.update_or_create(
            user=user,
            lesson=lesson,
            defaults={"chapter_done_at": now, "video_done_at": now, "completed_at": now},
        )


def attend(user, session) -> None:
    Attendance.objects.create(user=user, session=session)


def watch(user, session) -> None:
    RecordingView.objects.create(user=user, session=session)


def answers(mapping: dict) -> dict:
    return {f"q{q}": c for q, c in mapping.items()}


def all_done(client, user, ce: CEWorld) -> None:
    """Everything but the certificate: lessons, two groups, the post-test, the evaluation."""
    finish_lessons(user, ce.lessons)
    attend(user, ce.sessions[0])
    watch(user, ce.sessions[1])
    assert (
        client.post(f"/ce/{ce.credit.course.slug}/post-test/", answers(ce.right)).status_code == 302
    )
    response = client.post(f"/ce/{ce.credit.course.slug}/evaluation/", {f"e{ce.scale.pk}": "4"})
    assert response.status_code == 302

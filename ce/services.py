"""CE hours earned, what is missing for a certificate, and the certificate's life (issue 25).

Hours come from what the learner did, never from what they say they did, with one exception
sponsors accept for home study: "I watched this recording" on a past Friday group.
- live: a Friday group of the learner's run where staff marked them as attending;
- home study: each lesson material the learner finished (its hours, set per material), and each
  recording watched of a Friday group they did not attend. Home-study hours count toward a
  certificate only once the trimester's post-test is passed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from ce.models import (
    DEFAULT_LIVE_HOURS,
    Certificate,
    CourseCredit,
    EvaluationAnswer,
    EvaluationQuestion,
    EvaluationResponse,
    LessonHours,
    PostTest,
    PostTestQuestion,
    PostTestResult,
    RecordingView,
)
from courses.models import Cohort, Course, Enrollment
from lessons.models import MATERIALS, Lesson, Progress
from zoomgroups.models import Attendance, GroupSession

if TYPE_CHECKING:
    from accounts.models import User

ZERO = Decimal(0)


class CertificateRefused(Exception):
    """The learner does not (yet) meet what the certificate needs; the message says what."""


@dataclass(frozen=True)
class Credit:
    """One line of a transcript: hours of one kind, for one thing done, on one day."""

    kind: str  # "live" or "home study"
    what: str
    on: dt.date
    hours: Decimal


@dataclass
class Transcript:
    """A learner's CE standing in one trimester (course), for one run (cohort)."""

    course: Course
    cohort: Cohort | None
    credit: CourseCredit | None
    lines: list[Credit] = field(default_factory=list)
    lessons_total: int = 0
    lessons_done: int = 0
    groups_required: int = 0
    groups_counted: int = 0
    post_test: PostTest | None = None
    test_result: PostTestResult | None = None
    evaluation_needed: bool = False
    evaluated: bool = False
    certificate: Certificate | None = None

    @property
    def live_hours(self) -> Decimal:
        return sum((c.hours for c in self.lines if c.kind == LIVE), ZERO)

    @property
    def home_study_earned(self) -> Decimal:
        return sum((c.hours for c in self.lines if c.kind == HOME), ZERO)

    @property
    def test_passed(self) -> bool:
        return bool(self.test_result and self.test_result.passed_at)

    @property
    def home_study_hours(self) -> Decimal:
        """Home-study hours that count: only once the post-test is passed."""
        return self.home_study_earned if self.test_passed else ZERO

    @property
    def completion_met(self) -> bool:
        return self.lessons_done >= self.lessons_total and (
            self.groups_counted >= self.groups_required
        )

    @property
    def missing(self) -> list[str]:
        """What still stands between the learner and the certificate, in plain words."""
        if self.credit is None:
            return ["This trimester does not offer CE credit."]
        todo = []
        if self.lessons_done < self.lessons_total:
            left = self.lessons_total - self.lessons_done
            todo.append(f"Finish every material of {left} more lesson{'s' if left != 1 else ''}.")
        if self.groups_counted < self.groups_required:
            left = self.groups_required - self.groups_counted
            how = (
                "attend live or watch the recording of"
                if self.credit.recordings_count
                else "attend live"
            )
            todo.append(f"{how.capitalize()} {left} more Friday group{'s' if left != 1 else ''}.")
        if self.post_test is None:
            todo.append("The post-test is not published yet.")
        elif not self.test_passed:
            todo.append(f"Pass the post-test ({self.post_test.pass_percent}% or more).")
        if self.evaluation_needed and not self.evaluated:
            todo.append("Fill in the course evaluation.")
        return todo

    @property
    def eligible(self) -> bool:
        return not self.missing

    @property
    def first_day(self) -> dt.date | None:
        return min((c.on for c in self.lines), default=None)

    @property
    def last_day(self) -> dt.date | None:
        return max((c.on for c in self.lines), default=None)


LIVE, HOME = "live", "home study"


def current_cohort(user: User, course: Course) -> Cohort | None:
    """The learner's most recent run of `course` that grants access."""
    enrolment = (
        Enrollment.objects.for_user(user)
        .granting_access()
        .filter(cohort__course=course)
        .select_related("cohort")
        .order_by("-cohort__starts_on", "-pk")
        .first()
    )
    return enrolment.cohort if enrolment else None


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def build_transcript(*, user: User, course: Course) -> Transcript:
    """Hours earned and what is missing, from the learner's progress, attendance, recordings
    watched, post-test result and evaluation. A fixed number of queries, whatever the size."""
    cohort = current_cohort(user, course)
    credit = CourseCredit.objects.filter(course=course).first()
    t = Transcript(course=course, cohort=cohort, credit=credit)
    lessons = list(
        Lesson.objects.filter(course=course).with_material_flags(
            "id", "title", "course_id", "order"
        )
    )
    hours_of = {h.lesson_id: h for h in LessonHours.objects.filter(lesson__course=course)}
    progress = {p.lesson_id: p for p in Progress.objects.filter(user=user, lesson__course=course)}
    for lesson in lessons:
        mine = progress.get(lesson.pk)
        if lesson.materials:
            t.lessons_total += 1
            t.lessons_done += bool(mine and mine.completed_at)
        hours = hours_of.get(lesson.pk)
        for material in MATERIALS:
            done_at = getattr(mine, f"{material}_done_at", None) if mine else None
            if done_at and hours and hours.of(material) > 0 and lesson.has_material(material):
                label = f"{lesson.title}: {material}"
                t.lines.append(Credit(HOME, label, _local_day(done_at), hours.of(material)))

    sessions = (
        list(GroupSession.objects.filter(cohort=cohort).select_related("ce_hours"))
        if cohort
        else []
    )
    attended = set(
        Attendance.objects.filter(user=user, session__in=sessions).values_list(
            "session_id", flat=True
        )
    )
    watched = dict(
        RecordingView.objects.filter(user=user, session__in=sessions).values_list(
            "session_id", "watched_at"
        )
    )
    for session in sessions:
        hours = getattr(session, "ce_hours", None)
        live = hours.hours if hours else DEFAULT_LIVE_HOURS
        if session.pk in attended:
            t.lines.append(
                Credit(LIVE, f"Friday group: {session.topic}", _local_day(session.starts_at), live)
            )
        elif session.pk in watched:
            what = f"Recording of the Friday group: {session.topic}"
            t.lines.append(Credit(HOME, what, _local_day(watched[session.pk]), live))
    t.lines.sort(key=lambda c: (c.on, c.kind, c.what))

    if credit:
        t.groups_required = credit.min_live_groups
        counted = attended | (set(watched) if credit.recordings_count else set())
        t.groups_counted = len(counted)
    t.post_test = PostTest.objects.filter(course=course).first()
    if t.post_test:
        t.test_result = PostTestResult.objects.filter(user=user, post_test=t.post_test).first()
    t.evaluation_needed = EvaluationQuestion.objects.filter(course=course).exists()
    t.evaluated = EvaluationResponse.objects.filter(user=user, course=course).exists()
    t.certificate = Certificate.objects.valid().filter(user=user, course=course).first()
    return t


def watchable_recordings(*, user: User, cohort: Cohort | None) -> list[GroupSession]:
    """Past sessions of the run with a recording that the learner neither attended nor has
    said they watched: what the transcript offers to mark as watched."""
    if cohort is None:
        return []
    return list(
        GroupSession.objects.filter(cohort=cohort, starts_at__lt=timezone.now())
        .exclude(recording_url="")
        .exclude(attendances__user=user)
        .exclude(ce_recording_views__user=user)
        .only("id", "topic", "starts_at", "recording_url")
    )


def mark_recording_watched(*, user: User, session: GroupSession) -> None:
    RecordingView.objects.get_or_create(user=user, session=session)


# The post-test --------------------------------------------------------------------------


def questions_in_random_order(post_test: PostTest) -> list[PostTestQuestion]:
    """Every question with its choices, both shuffled anew for each attempt."""
    questions = list(post_test.questions.prefetch_related("choices"))
    rng = random.SystemRandom()
    rng.shuffle(questions)
    for question in questions:
        choices = list(question.choices.all())
        rng.shuffle(choices)
        question.shuffled_choices = choices  # type: ignore[attr-defined]
    return questions


def score(post_test: PostTest, answers: dict[int, int]) -> int:
    """Percent of the test's questions answered with a correct choice (question id → choice id)."""
    questions = list(post_test.questions.prefetch_related("choices"))
    if not questions:
        return 0
    right = sum(
        1
        for q in questions
        if any(c.is_correct and c.pk == answers.get(q.pk) for c in q.choices.all())
    )
    return round(100 * right / len(questions))


@transaction.atomic
def record_attempt(*, user: User, post_test: PostTest, percent: int) -> PostTestResult:
    """Keep the best attempt and its date, and the date of the first pass."""
    result, _ = PostTestResult.objects.select_for_update().get_or_create(
        user=user, post_test=post_test, defaults={"best_percent": 0}
    )
    now = timezone.now()
    result.attempts += 1
    if percent > result.best_percent or result.attempts == 1:
        result.best_percent, result.best_at = percent, now
    if percent >= post_test.pass_percent and result.passed_at is None:
        result.passed_at = now
    result.save()
    return result


# The evaluation -------------------------------------------------------------------------


@transaction.atomic
def submit_evaluation(
    *, user: User, course: Course, cohort: Cohort | None, answers: dict[int, int | str]
) -> EvaluationResponse | None:
    """Store the learner's evaluation once; a second submission changes nothing (None)."""
    response, created = EvaluationResponse.objects.get_or_create(
        user=user, course=course, defaults={"cohort": cohort}
    )
    if not created:
        return None
    questions = EvaluationQuestion.objects.filter(course=course, pk__in=answers)
    EvaluationAnswer.objects.bulk_create(
        EvaluationAnswer(
            response=response,
            question=q,
            rating=answers[q.pk] if q.kind == q.Kind.SCALE and answers[q.pk] else None,
            text=str(answers[q.pk]) if q.kind == q.Kind.TEXT else "",
        )
        for q in questions
    )
    return response


# Certificates ---------------------------------------------------------------------------


def _snapshot(user: User, t: Transcript, *, name: str, credentials: str) -> dict:
    assert t.credit is not None
    return {
        "user": user,
        "course": t.course,
        "cohort": t.cohort,
        "name": name,
        "credentials": credentials,
        "program": "How Therapy Works",
        "trimester": f"Trimester {t.course.number}: {t.course.title}"
        + (f" ({t.cohort.name})" if t.cohort else ""),
        "live_hours": t.live_hours,
        "home_study_hours": t.home_study_hours,
        "started_on": t.first_day or timezone.localdate(),
        "completed_on": max(
            d
            for d in [
                t.last_day,
                _local_day(t.test_result.passed_at)
                if t.test_result and t.test_result.passed_at
                else None,
                timezone.localdate(),
            ]
            if d
        ),
        "approving_body": t.credit.approving_body,
        "provider_number": t.credit.provider_number,
        "sponsor_statement": t.credit.sponsor_statement,
    }


@transaction.atomic
def issue_certificate(*, user: User, course: Course, name: str, credentials: str) -> Certificate:
    """The learner's valid certificate for `course`, issued now if they meet every
    requirement, with the name and credentials they entered. The user row is locked so that
    two clicks make one certificate (the unique constraint on valid certificates backs it)."""
    from accounts.models import User as UserModel

    UserModel.objects.select_for_update().filter(pk=user.pk).first()
    existing = Certificate.objects.valid().filter(user=user, course=course).first()
    if existing:
        return existing
    t = build_transcript(user=user, course=course)
    if not t.eligible:
        raise CertificateRefused(" ".join(t.missing))
    return Certificate.objects.create(**_snapshot(user, t, name=name, credentials=credentials))


@transaction.atomic
def revoke_certificate(*, certificate: Certificate, reason: str, by: User, request=None) -> None:
    cert = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if cert.revoked_at:
        return
    cert.revoked_at = timezone.now()
    cert.revoked_reason = reason[:500]
    cert.save(update_fields=["revoked_at", "revoked_reason"])
    AuditEvent.record(
        action=AuditEvent.Action.CERTIFICATE_REVOKED,
        actor=by,
        obj=cert,
        detail=f"Revoked: {reason}",
        request=request,
    )


@transaction.atomic
def reissue_certificate(
    *,
    certificate: Certificate,
    reason: str,
    by: User,
    name: str = "",
    credentials: str = "",
    request=None,
) -> Certificate:
    """Revoke `certificate` and issue a new one with a new code, with the hours as they are
    now (hours set right) and the name and credentials staff give (a correction), else the
    old ones. Staff may reissue even if a requirement changed since: the original was earned."""
    revoke_certificate(certificate=certificate, reason=reason, by=by, request=request)
    old = Certificate.objects.get(pk=certificate.pk)
    t = build_transcript(user=old.user, course=old.course)
    if t.credit is None:
        raise CertificateRefused("This trimester no longer offers CE credit.")
    data = _snapshot(old.user, t, name=name or old.name, credentials=credentials or old.credentials)
    data["cohort"] = old.cohort or data["cohort"]
    data["started_on"] = min(old.started_on, data["started_on"])
    new = Certificate.objects.create(**data, replaces=old)
    AuditEvent.record(
        action=AuditEvent.Action.CERTIFICATE_REISSUED,
        actor=by,
        obj=new,
        detail=f"Reissued certificate #{old.pk}: {reason}",
        request=request,
    )
    return new

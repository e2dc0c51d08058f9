"""Staff reports per trimester run: evaluation results (never with names) and CE hours per
learner for the sponsor. Both CSV exports are recorded in the audit log."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from audit.models import AuditEvent
from ce import services
from ce.models import Certificate, CourseCredit, EvaluationAnswer, EvaluationQuestion
from courses.models import Cohort, Enrollment


def cohorts_with_ce() -> list[Cohort]:
    courses = CourseCredit.objects.values("course_id")
    return list(
        Cohort.objects.filter(course_id__in=courses)
        .select_related("course")
        .order_by("course__number", "-starts_on")
    )


def get_cohort(cohort_id: int) -> Cohort:
    cohort = Cohort.objects.select_related("course").filter(pk=cohort_id).first()
    if cohort is None:
        raise Http404
    return cohort


def evaluation_summary(cohort: Cohort) -> list[dict[str, Any]]:
    """Per question: for scales, the count of each rating and the mean; for text, the answers
    in random order (so that their order does not tell who wrote what)."""
    questions = list(EvaluationQuestion.objects.filter(course=cohort.course))
    answers = defaultdict(list)
    for a in EvaluationAnswer.objects.filter(response__cohort=cohort).only(
        "question_id", "rating", "text"
    ):
        answers[a.question_id].append(a)
    summary = []
    for q in questions:
        mine = answers[q.pk]
        ratings = [a.rating for a in mine if a.rating]
        texts = [a.text for a in mine if a.text]
        random.shuffle(texts)
        summary.append(
            {
                "question": q,
                "count": len(ratings) if q.kind == q.Kind.SCALE else len(texts),
                "mean": round(sum(ratings) / len(ratings), 2) if ratings else None,
                "spread": [ratings.count(n) for n in range(1, 6)],
                "texts": texts,
            }
        )
    return summary


def _csv_response(filename: str) -> tuple[HttpResponse, Any]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response, csv.writer(response)


def _safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def evaluations_csv(cohort: Cohort, *, request: HttpRequest) -> HttpResponse:
    """One row per response, in random order, numbered 1…n: no name, account or date."""
    questions = list(EvaluationQuestion.objects.filter(course=cohort.course))
    by_response: dict[int, dict[int, EvaluationAnswer]] = defaultdict(dict)
    for a in EvaluationAnswer.objects.filter(response__cohort=cohort):
        by_response[a.response_id][a.question_id] = a
    rows = list(by_response.values())
    random.shuffle(rows)
    response, writer = _csv_response(f"evaluations-{cohort.course.slug}-{cohort.slug}.csv")
    writer.writerow(["response", *(q.text for q in questions)])
    for n, answers in enumerate(rows, start=1):
        cells = []
        for q in questions:
            answer = answers.get(q.pk)
            cells.append("" if answer is None else _safe(answer.rating or answer.text))
        writer.writerow([n, *cells])
    AuditEvent.record(
        action=AuditEvent.Action.EXPORT,
        obj=cohort,
        detail=f"CE evaluations without names, {len(rows)} responses",
        request=request,
    )
    return response


HOURS_HEADER = [
    "name", "credentials", "email", "enrolment", "live hours", "home-study hours earned",
    "post-test passed", "home-study hours counted", "evaluation", "certificate", "issued",
    "certificate status",
]  # fmt: skip


def hours_csv(cohort: Cohort, *, request: HttpRequest) -> HttpResponse:
    """Hours per learner of the run, for the sponsor's attendance records."""
    enrolments = Enrollment.objects.filter(cohort=cohort).select_related("user").order_by("pk")
    certificates = {
        c.user_id: c for c in Certificate.objects.filter(course=cohort.course).order_by("issued_at")
    }
    response, writer = _csv_response(f"ce-hours-{cohort.course.slug}-{cohort.slug}.csv")
    writer.writerow(HOURS_HEADER)
    count = 0
    for e in enrolments:
        user = e.user
        t = services.build_transcript(user=user, course=cohort.course)
        cert = certificates.get(user.pk)
        passed = t.test_result.passed_at.date().isoformat() if t.test_passed else ""  # type: ignore[union-attr]
        writer.writerow(
            [
                _safe(user.display_name),
                _safe(user.credentials),
                _safe(user.email),
                e.status,
                t.live_hours,
                t.home_study_earned,
                passed,
                t.home_study_hours,
                "yes" if t.evaluated else "no",
                cert.code if cert else "",
                cert.issued_at.date().isoformat() if cert else "",
                ("valid" if cert.is_valid else "revoked") if cert else "",
            ]
        )
        count += 1
    AuditEvent.record(
        action=AuditEvent.Action.EXPORT,
        obj=cohort,
        detail=f"CE hours per learner, {count} rows",
        request=request,
    )
    return response

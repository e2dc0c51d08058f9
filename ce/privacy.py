"""A learner's CE records in their data export, and what deleting the account does to them.

Kept on erasure (the privacy page says so): issued certificates, for CE_RECORD_YEARS years, because
CE sponsors must keep certificate and attendance records that a licensing board may ask for;
the public verification page then shows only whether the certificate is valid. Evaluations stay,
without the account (they are read without names anyway). Erased: post-test results and the
recordings the learner said they watched.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import User

# How long an issued certificate is kept after its holder deleted their account: approving
# bodies ask sponsors to keep records of credit awarded for years (APA: at least five).
CE_RECORD_YEARS = 6

# "app_label.Model.field" (a foreign key to the user) → what deleting the account does to it;
# part of accounts.services.DELETION_PLAN (accounts/privacy.py describes this module's parts).
DELETION_PLAN: dict[str, str] = {
    "ce.Certificate.user": f"kept {CE_RECORD_YEARS} years: the sponsor's record; "
    "verification shows only validity",
    "ce.EvaluationResponse.user": "kept without the account (results are read without names)",
    "ce.PostTestResult.user": "erased",
    "ce.RecordingView.user": "erased",
}


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value else None


def page_context() -> dict[str, Any]:
    """What the privacy and delete-account pages say about CE records."""
    return {"ce_record_years": CE_RECORD_YEARS}


def export(user: User) -> dict[str, Any]:
    return {"continuing_education": _export(user)}


def _export(user: User) -> dict[str, Any]:
    from ce.models import (
        Certificate,
        EvaluationAnswer,
        EvaluationResponse,
        PostTestResult,
        RecordingView,
    )

    return {
        "certificates": [
            {
                "code": c.code,
                "name": c.name,
                "credentials": c.credentials,
                "trimester": c.trimester,
                "live_hours": str(c.live_hours),
                "home_study_hours": str(c.home_study_hours),
                "from": _iso(c.started_on),
                "to": _iso(c.completed_on),
                "issued_at": _iso(c.issued_at),
                "revoked_at": _iso(c.revoked_at),
                "revoked_reason": c.revoked_reason,
            }
            for c in Certificate.objects.filter(user=user).order_by("issued_at")
        ],
        "post_tests": [
            {
                "trimester": r.post_test.course.title,
                "best_percent": r.best_percent,
                "best_at": _iso(r.best_at),
                "passed_at": _iso(r.passed_at),
                "attempts": r.attempts,
            }
            for r in PostTestResult.objects.filter(user=user).select_related("post_test__course")
        ],
        "recordings_watched": [
            {
                "group": v.session.topic,
                "on": _iso(v.session.starts_at),
                "noted_at": _iso(v.watched_at),
            }
            for v in RecordingView.objects.filter(user=user).select_related("session")
        ],
        "evaluations": [
            {
                "trimester": e.course.title,
                "submitted_at": _iso(e.submitted_at),
                "answers": [
                    {"question": a.question.text, "rating": a.rating, "text": a.text}
                    for a in e.answers.all()
                ],
            }
            for e in EvaluationResponse.objects.filter(user=user)
            .select_related("course")
            .prefetch_related(
                Prefetch("answers", EvaluationAnswer.objects.select_related("question"))
            )
        ],
    }


@transaction.atomic
def erase(user: User, *, keep_posts: bool = False) -> None:
    from ce.models import Certificate, EvaluationResponse, PostTestResult, RecordingView

    PostTestResult.objects.filter(user=user).delete()
    RecordingView.objects.filter(user=user).delete()
    EvaluationResponse.objects.filter(user=user).update(user=None)
    Certificate.objects.filter(user=user, holder_erased_at__isnull=True).update(
        holder_erased_at=timezone.now()
    )


def purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete certificates of deleted accounts kept longer than CE_RECORD_YEARS."""
    from ce.models import Certificate

    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=round(365.25 * CE_RECORD_YEARS))
    old = Certificate.objects.filter(holder_erased_at__lt=cutoff)
    # A reissued certificate points to the one it replaced (SET_NULL): delete together.
    deleted, _ = old.delete()
    return deleted

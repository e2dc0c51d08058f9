"""Enrolments' part of the data export and account erasure (see accounts/privacy.py).

Payment records (enrolments, checkout holds, the offers they accepted) are kept after an
account is closed, for `accounts.services.PAYMENT_RECORD_YEARS`, then purged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import CLOSED_ACCOUNT_DOMAIN, FORMER_MEMBER, User
from accounts.privacy import iso
from courses import tasks
from courses.models import Enrollment, FinancialAidRequest, Offer, SeatHold, WaitlistEntry
from courses.services import release_hold, withdraw_offer
from outbox.services import queue_task

DELETION_PLAN = {
    "courses.Enrollment.user": "kept: payment record, access ended",
    "courses.SeatHold.user": "kept: payment record, an active hold is released",
    "courses.WaitlistEntry.user": "erased",
    "courses.FinancialAidRequest.user": "erased",
    "courses.Offer.accepted_by": "kept: anonymised (part of the payment record)",
}


def _theirs(user: User) -> Q:
    """Requests made while signed in, or before, with the account's address."""
    return Q(user=user) | Q(email__iexact=user.email)


def export(user: User) -> dict[str, Any]:
    return {
        "enrolments": [
            {
                "course": e.cohort.course.title,
                "trimester_run": e.cohort.name,
                "status": e.status,
                "how": e.get_source_display(),
                "amount_paid": e.amount_paid_cents / 100,
                "currency": e.currency,
                "stripe_payment": e.stripe_payment_intent,
                "enrolled_at": iso(e.created_at),
                "access_ended_at": iso(e.ended_at),
            }
            for e in Enrollment.objects.filter(user=user).select_related("cohort__course")
        ],
        "waitlist": [
            {
                "course": w.course.title,
                "trimester_run": w.cohort.name if w.cohort else None,
                "name": w.name,
                "email": w.email,
                "message": w.message,
                "status": w.status,
                "created_at": iso(w.created_at),
            }
            for w in WaitlistEntry.objects.filter(_theirs(user))
            .select_related("course", "cohort")
            .order_by("created_at")
        ],
        "financial_aid_requests": [
            {
                "course": a.course.title,
                "name": a.name,
                "email": a.email,
                "could_pay": a.can_pay,
                "message": a.message,
                "status": a.status,
                "created_at": iso(a.created_at),
            }
            for a in FinancialAidRequest.objects.filter(_theirs(user))
            .select_related("course")
            .order_by("created_at")
        ],
    }


def erase(user: User, *, keep_posts: bool) -> None:
    """Release what the person holds, anonymise their offers, forget their requests and end
    their access; each seat freed goes to the waitlist."""
    for hold_id in SeatHold.objects.filter(user=user, state=SeatHold.State.ACTIVE).values_list(
        "pk", flat=True
    ):
        release_hold(hold_id=hold_id)
    offers = Offer.objects.filter(Q(accepted_by=user) | Q(email__iexact=user.email))
    for offer_id in offers.filter(status=Offer.Status.PENDING).values_list("pk", flat=True):
        withdraw_offer(offer_id=offer_id)
    offers.update(name=FORMER_MEMBER, email=user.closed_address)
    WaitlistEntry.objects.filter(_theirs(user)).delete()
    FinancialAidRequest.objects.filter(_theirs(user)).delete()

    ending = Enrollment.objects.filter(user=user, status__in=Enrollment.ACCESS_STATUSES)
    cohort_ids = set(ending.values_list("cohort_id", flat=True))
    ending.update(status=Enrollment.Status.CANCELLED, ended_at=timezone.now())
    for cohort_id in cohort_ids:
        queue_task(tasks.offer_free_seats, cohort_id=cohort_id)


def purge_closed_accounts(users: QuerySet[User], *, before: dt.datetime) -> int:
    """Delete closed accounts' enrolments, checkout holds and the offers they accepted, made
    before `before`; returns how many enrolments went."""
    SeatHold.objects.filter(user__in=users, created_at__lt=before).delete()
    Offer.objects.filter(
        email__endswith=f"@{CLOSED_ACCOUNT_DOMAIN}", created_at__lt=before
    ).delete()
    deleted, _ = Enrollment.objects.filter(user__in=users, created_at__lt=before).delete()
    return deleted

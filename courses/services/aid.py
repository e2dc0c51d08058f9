"""Financial aid: a request, and the offer of a seat at a reduced price or free."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from courses.models import Cohort, Course, FinancialAidRequest, Offer, WaitlistEntry
from courses.services.seats import (
    EnrolmentError,
    SeatUnavailable,
    _free_seats,
    _lock_cohort,
    _lock_course,
    _offers_in_trimester,
    _pass_on,
)
from courses.services.waitlist import create_offer
from outbox.services import queue_email

logger = logging.getLogger(__name__)


@transaction.atomic
def request_aid(
    *, course: Course, name: str, email: str, can_pay: str, message: str, user: User | None
) -> FinancialAidRequest:
    aid = FinancialAidRequest.objects.create(
        course=course,
        name=name,
        email=email.strip().lower(),
        can_pay=can_pay,
        message=message,
        user=user if user and user.is_authenticated else None,
    )
    queue_email("aid_received", [aid.email], {"name": name, "course_title": course.title})
    return aid


@transaction.atomic
def grant_aid(*, aid_id: int, price_cents: int | None = None) -> Offer:
    """Staff grant a reduced price (or 0: a free place): a personal offer link goes out."""
    now = timezone.now()
    aid = FinancialAidRequest.objects.get(pk=aid_id)
    price = aid.granted_price_cents if price_cents is None else price_cents
    if price is None:
        raise EnrolmentError(f"Set a granted price on “{aid}” first (0 for a free place).")
    cohort_id = aid.cohort_id or (
        Cohort.objects.filter(course_id=aid.course_id, status=Cohort.Status.OPEN)
        .order_by("starts_on")
        .values_list("pk", flat=True)
        .first()
    )
    if cohort_id is None:
        raise EnrolmentError(f"Choose the run for “{aid}” first: none is open.")
    cohort = _lock_cohort(cohort_id)
    _lock_course(cohort.course_id)
    aid = FinancialAidRequest.objects.select_for_update().get(pk=aid_id)
    if aid.status == FinancialAidRequest.Status.GRANTED:
        raise EnrolmentError(f"“{aid}” is already granted.")
    # One live offer per person and trimester: this one replaces a waitlist offer they hold
    # (whose seat, if in this run, it takes over); they keep their place in line.
    held = list(
        _offers_in_trimester(cohort.course_id, aid.email)
        .filter(status__in=Offer.LIVE_STATUSES)
        .select_for_update()
    )
    if any(offer.status == Offer.Status.CHECKOUT for offer in held):
        raise EnrolmentError(f"{aid.email} is paying for a seat in {cohort.course.title} now.")
    for offer in held:
        _pass_on(offer)
        WaitlistEntry.objects.filter(offers=offer, status=WaitlistEntry.Status.OFFERED).update(
            status=WaitlistEntry.Status.WAITING
        )
    if _free_seats(cohort, now) <= 0:
        raise SeatUnavailable(f"{cohort} has no free seat. Raise its seat cap first.")
    aid.status = FinancialAidRequest.Status.GRANTED
    aid.granted_price_cents = price
    aid.cohort = cohort
    aid.save()
    return create_offer(
        cohort, name=aid.name, email=aid.email, price_cents=price, now=now, aid_request=aid
    )

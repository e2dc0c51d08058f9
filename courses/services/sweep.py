"""The sweeper: lapsed holds and offers, and checkouts whose webhook never came."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from courses.models import Cohort, Offer, SeatHold
from courses.services.reconcile import reconcile_hold
from courses.services.seats import Outcome, _lock_cohort
from courses.services.waitlist import expire_offer, offer_free_seats

logger = logging.getLogger(__name__)


def sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Settle holds whose checkout closed (asking Stripe), close lapsed offers, retry pending
    refunds, offer free seats. Idempotent. An item that fails (a lock timeout, Stripe down)
    is logged and counted as "failed", and the sweep carries on: the next one retries it."""
    from courses import tasks

    now = now or timezone.now()
    counts = {"holds": 0, "reconciled": 0, "offers": 0, "refunds": 0, "offered": 0, "failed": 0}
    for hold_id in SeatHold.objects.checkout_closed(now).values_list("pk", flat=True):
        try:
            result = reconcile_hold(hold_id=hold_id, now=now)
        except Exception:
            _sweep_failed(counts, "seat hold", hold_id)
            continue
        if result is not None:
            counts["holds" if result.outcome == Outcome.RELEASED else "reconciled"] += 1
    for offer_id, cohort_id in Offer.objects.lapsed(now).values_list("pk", "cohort_id"):
        try:
            with transaction.atomic():
                _lock_cohort(cohort_id)
                offer = Offer.objects.select_for_update().get(pk=offer_id)
                if offer.status == Offer.Status.PENDING and not offer.is_open(now):
                    expire_offer(offer)
                    counts["offers"] += 1
        except Exception:
            _sweep_failed(counts, "offer", offer_id)
    for hold_id in SeatHold.objects.filter(state=SeatHold.State.REFUND_DUE).values_list(
        "pk", flat=True
    ):
        tasks.refund_late_payment.delay(hold_id)
        counts["refunds"] += 1
    for cohort_id in Cohort.objects.open_for_enrolment(now).values_list("pk", flat=True):
        try:
            counts["offered"] += len(offer_free_seats(cohort_id=cohort_id, now=now))
        except Exception:
            _sweep_failed(counts, "run", cohort_id)
    return counts


def _sweep_failed(counts: dict[str, int], what: str, pk: int) -> None:
    logger.exception("Enrolment sweep: %s %s failed; the next sweep retries it", what, pk)
    counts["failed"] += 1

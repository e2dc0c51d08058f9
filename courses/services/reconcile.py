"""Reconciliation: what Stripe knows and the webhook did not tell us."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils import timezone

from courses import payments
from courses.models import SeatHold, StripeEvent
from courses.services.holds import release_hold
from courses.services.seats import SETTLED_HOLD_STATES, Outcome, Result
from courses.services.stripe_events import (
    _hold_id_for_session,
    process_event,
    record_malformed_event,
)

logger = logging.getLogger(__name__)

HANDLED_EVENTS = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
]


def _is_paid(session: dict[str, Any]) -> bool:
    return session.get("status") == "complete" and session.get("payment_status") in {
        "paid",
        "no_payment_required",
    }


def _apply_paid_session(session: dict[str, Any]) -> tuple[StripeEvent, bool]:
    """Fulfil a paid session found by asking Stripe, recorded as a "reconciliation" event."""
    event = {
        "id": f"reconcile-{session.get('id')}",
        "type": "checkout.session.completed",
        "livemode": bool(session.get("livemode")),
        "data": {"object": session},
    }
    return process_event(
        event=payments.checked_event(event), source=StripeEvent.Source.RECONCILIATION
    )


def reconcile_hold(*, hold_id: int, now: dt.datetime | None = None) -> Result | None:
    """Settle a hold whose checkout has closed, after asking Stripe how it ended: a session
    paid without a webhook is fulfilled (or refunded, if the seat is gone); otherwise the
    seat is released. None while there is nothing to do yet. Raises PaymentError when Stripe
    cannot be asked (the hold then waits for the next sweep; lapsed, it holds no seat)."""
    now = now or timezone.now()
    hold = SeatHold.objects.filter(pk=hold_id, state=SeatHold.State.ACTIVE).first()
    if hold is None:
        return None
    lapsed = not hold.is_holding(now)
    if hold.stripe_session_id and payments.is_enabled():
        session = payments.retrieve_checkout_session(hold.stripe_session_id)
        if session.get("status") == "open":
            if not lapsed:
                return None  # Stripe has not closed it yet (clocks differ)
            # Closed first, so that it cannot be paid once the seat has gone.
            session = payments.expire_checkout_session(
                hold.stripe_session_id
            ) or payments.retrieve_checkout_session(hold.stripe_session_id)
        if _is_paid(session):
            record, _ = _apply_paid_session(session)
            return Result(record.outcome, record.detail, record.enrollment)
        if session.get("status") == "open" and not lapsed:
            return None
    elif not lapsed:
        return None
    if release_hold(hold_id=hold.pk, state=SeatHold.State.EXPIRED, now=now):
        return Result(Outcome.RELEASED)
    return None


# Recorded, but nothing to report: the site had already done it another way.
NOTHING_DONE = {Outcome.ALREADY_DONE, Outcome.IGNORED}


def _describe(record: StripeEvent) -> str:
    detail = f" ({record.detail})" if record.detail else ""
    return f"{record.type} {record.object_id}: {record.get_outcome_display()}{detail}"


def reconcile_stripe(*, since: dt.datetime) -> tuple[list[str], int]:
    """Apply what happened at Stripe since `since` that the site missed (the endpoint was
    down, its secret rotated, a deploy gap): Stripe's events, through the webhook's own code,
    then any paid Checkout Session whose seat hold is still unsettled. Idempotent.

    Returns a line per change it made (every event applied is also recorded, with source
    "reconciliation") and the number of items that failed (logged; run it again).
    """
    lines: list[str] = []
    failed = 0
    # Stripe lists newest first; apply in the order things happened.
    events = list(payments.list_events(since=since, types=HANDLED_EVENTS))
    events.reverse()
    events.sort(key=lambda event: event.get("created") or 0)
    for raw in events:
        try:
            event = payments.checked_event(raw)
            record, is_new = process_event(event=event, source=StripeEvent.Source.RECONCILIATION)
        except payments.MalformedEvent as exc:
            record_malformed_event(event_id=exc.event_id, kind=exc.type, reason=exc.reason)
            lines.append(f"{exc.event_id}: malformed ({exc.reason})")
            continue
        except Exception:  # one bad item must not stop the rest
            logger.exception("Reconciliation could not apply Stripe event %s", raw.get("id"))
            failed += 1
            continue
        if is_new and record.outcome not in NOTHING_DONE:
            lines.append(_describe(record))
    for session in payments.list_checkout_sessions(since=since):
        if not _is_paid(session) or not isinstance(session.get("id"), str):
            continue
        hold_id = _hold_id_for_session(session)
        if (
            hold_id is None
            or SeatHold.objects.filter(pk=hold_id, state__in=SETTLED_HOLD_STATES).exists()
        ):
            continue
        try:
            record, is_new = _apply_paid_session(session)
        except Exception:
            logger.exception("Reconciliation could not apply seat hold %s", hold_id)
            failed += 1
            continue
        if is_new and record.outcome not in NOTHING_DONE:
            lines.append(_describe(record))
    return lines, failed

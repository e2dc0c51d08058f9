"""Enrolment use cases: seats, checkout, fulfilment, refunds, the waitlist, offers and aid,
in modules named for what they hold (see `courses.services.seats` for the rules they all keep:
lock order, bounded lock waits, no network call under a lock, idempotent fulfilment).

Callers use `from courses import services; services.reserve_seat(...)`: every use case is
re-exported here. The steps the modules share — `create_offer`, `expire_offer` and
`mark_offer_accepted` (waitlist), `close_hold` (holds) — are not: they run inside a use case,
under the locks it holds.
"""

from courses.services.aid import grant_aid, request_aid
from courses.services.checkout import fulfil_from_success_page, start_checkout
from courses.services.holds import release_hold, reserve_seat
from courses.services.reconcile import (
    HANDLED_EVENTS,
    NOTHING_DONE,
    reconcile_hold,
    reconcile_stripe,
)
from courses.services.seats import (
    CHECKOUT_GRACE,
    SETTLED_HOLD_STATES,
    STRIPE_MAX_SESSION,
    STRIPE_MIN_SESSION,
    EnrolmentBusy,
    EnrolmentError,
    Outcome,
    Result,
    SeatUnavailable,
    hold_duration,
    money,
    offer_duration,
    site_link,
)
from courses.services.staff import enrol_by_staff, refund_enrollment
from courses.services.stripe_events import (
    end_access,
    fulfil_checkout,
    handle_session_closed,
    process_event,
    record_charge_refund,
    record_dispute,
    record_malformed_event,
    refund_late_payment,
)
from courses.services.sweep import sweep
from courses.services.waitlist import (
    accept_free_offer,
    join_waitlist,
    leave_waitlist,
    offer_free_seats,
    offer_seat_by_hand,
    withdraw_offer,
)

__all__ = [
    "CHECKOUT_GRACE",
    "HANDLED_EVENTS",
    "NOTHING_DONE",
    "SETTLED_HOLD_STATES",
    "STRIPE_MAX_SESSION",
    "STRIPE_MIN_SESSION",
    "EnrolmentBusy",
    "EnrolmentError",
    "Outcome",
    "Result",
    "SeatUnavailable",
    "accept_free_offer",
    "end_access",
    "enrol_by_staff",
    "fulfil_checkout",
    "fulfil_from_success_page",
    "grant_aid",
    "handle_session_closed",
    "hold_duration",
    "join_waitlist",
    "leave_waitlist",
    "money",
    "offer_duration",
    "offer_free_seats",
    "offer_seat_by_hand",
    "process_event",
    "reconcile_hold",
    "reconcile_stripe",
    "record_charge_refund",
    "record_dispute",
    "record_malformed_event",
    "refund_enrollment",
    "refund_late_payment",
    "release_hold",
    "request_aid",
    "reserve_seat",
    "site_link",
    "start_checkout",
    "sweep",
    "withdraw_offer",
]

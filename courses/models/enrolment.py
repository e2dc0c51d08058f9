"""Who is in a run (Enrollment), the seats held while people pay (SeatHold), and what Stripe
told us (StripeEvent, Payment).

A seat is *taken* by an enrolment that grants access and *held* by a live SeatHold (checkout
in progress) or a pending Offer (a personal link sent to someone on the waitlist). Holds and
offers stop counting the moment they lapse, even before the sweeper marks them. Every change
that takes a seat goes through courses/services, which locks the cohort row first
(select_for_update) and counts under that lock (`CohortQuerySet.with_seat_counts`): a cap
over several rows cannot be a CHECK constraint, so the row lock serialises it, and the unique
constraints stop the rest (one enrolment and one live hold per person and cohort, one row
per Stripe session and event).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import User


class EnrollmentQuerySet(models.QuerySet["Enrollment"]):
    def granting_access(self) -> EnrollmentQuerySet:
        """THE access rule: enrolments whose status lets their learner open the course's
        lessons (also after the run has ended). Every other access check is built on it."""
        return self.filter(status__in=Enrollment.ACCESS_STATUSES)

    def for_user(self, user: User | object) -> EnrollmentQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)


class Enrollment(models.Model):
    """A learner in a cohort. Access to the course's lessons outlasts the cohort."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPED = "comped", "Complimentary"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    class Source(models.TextChoices):
        STRIPE = "stripe", "Paid online (Stripe)"
        STAFF = "staff", "Enrolled by staff"
        OFFER = "offer", "Waitlist or aid offer"

    ACCESS_STATUSES = (Status.ACTIVE, Status.COMPED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    cohort = models.ForeignKey("Cohort", on_delete=models.PROTECT, related_name="enrollments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STAFF)
    amount_paid_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    stripe_payment_intent = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="Stripe payment for this seat."
    )
    dispute_status = models.CharField(
        max_length=20, blank=True, help_text="Set when the payer opens a dispute with their bank."
    )
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When access was taken away.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "cohort"], name="enrollment_one_per_user_cohort"
            )
        ]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.cohort}"

    @property
    def grants_access(self) -> bool:
        return self.status in self.ACCESS_STATUSES


class SeatHoldQuerySet(models.QuerySet["SeatHold"]):
    def holding(self, now=None) -> SeatHoldQuerySet:
        now = now or timezone.now()
        return self.filter(state=SeatHold.State.ACTIVE, expires_at__gt=now)

    def lapsed(self, now=None) -> SeatHoldQuerySet:
        now = now or timezone.now()
        return self.filter(state=SeatHold.State.ACTIVE, expires_at__lte=now)

    def checkout_closed(self, now=None) -> SeatHoldQuerySet:
        """Active holds whose Stripe checkout has closed (by our clock) or that lapsed: the
        sweeper asks Stripe how each ended before the seat goes."""
        now = now or timezone.now()
        return self.filter(state=SeatHold.State.ACTIVE).filter(
            models.Q(expires_at__lte=now) | models.Q(checkout_expires_at__lte=now)
        )


class SeatHold(models.Model):
    """A seat reserved while its holder pays at Stripe Checkout."""

    class State(models.TextChoices):
        ACTIVE = "active", "Holding a seat"
        CONVERTED = "converted", "Became an enrolment"
        RELEASED = "released", "Released"
        EXPIRED = "expired", "Expired"
        REFUND_DUE = "refund_due", "Paid too late: refund pending"
        REFUNDED = "refunded", "Paid, no seat: refunded"
        # Terminal states that need a person: staff are emailed when a hold reaches one.
        CANCELLED = "cancelled", "Completed too late, nothing paid: cancelled"
        UNREFUNDED = "unrefunded", "Paid, no seat, refund refused: staff must refund"

    cohort = models.ForeignKey("Cohort", on_delete=models.PROTECT, related_name="holds")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seat_holds"
    )
    offer = models.ForeignKey(
        "Offer", on_delete=models.SET_NULL, null=True, blank=True, related_name="holds"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    expires_at = models.DateTimeField()
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    stripe_session_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    checkout_url = models.URLField(max_length=1000, blank=True)
    checkout_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When Stripe closes the checkout; the hold outlasts it by a few minutes.",
    )
    stripe_payment_intent = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SeatHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "user"],
                condition=models.Q(state="active"),
                name="seathold_one_active_per_user_cohort",
            )
        ]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self) -> str:
        return f"Seat hold #{self.pk} in {self.cohort}"

    def is_holding(self, now=None) -> bool:
        return self.state == self.State.ACTIVE and self.expires_at > (now or timezone.now())

    def checkout_open(self, now=None) -> bool:
        """Whether its Stripe Checkout Session can still be paid (by our clock)."""
        return self.checkout_expires_at is None or self.checkout_expires_at > (
            now or timezone.now()
        )


class StripeEvent(models.Model):
    """One Stripe webhook event: stored once by its id, with what we did about it."""

    class Outcome(models.TextChoices):
        PROCESSING = "processing", "Processing"
        ENROLLED = "enrolled", "Enrolled"
        ALREADY_DONE = "already_done", "Already done"
        WAITING = "waiting", "Waiting for payment"
        RELEASED = "released", "Seat released"
        REFUNDED_LATE = "refunded_late", "Paid too late: refunded"
        ACCESS_ENDED = "access_ended", "Access ended"
        REFUND_EARLY = "refund_early", "Refund before fulfilment: remembered"
        PARTIAL_REFUND = "partial_refund", "Partial refund: access kept"
        DISPUTE = "dispute", "Dispute recorded"
        IGNORED = "ignored", "Ignored"
        UNMATCHED = "unmatched", "No matching seat or enrolment"
        CANCELLED = "cancelled", "Completed too late, nothing paid: cancelled"
        MALFORMED = "malformed", "Malformed event: refused"

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        RECONCILIATION = "reconciliation", "Reconciliation (asked Stripe)"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=255, blank=True)
    payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    livemode = models.BooleanField(default=False)
    stripe_created = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PROCESSING)
    detail = models.CharField(max_length=500, blank=True)
    source = models.CharField(
        max_length=20,
        choices=Source.choices,
        default=Source.WEBHOOK,
        help_text="Reconciliation: applied after asking Stripe, because the webhook never came.",
    )
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "Stripe webhook event"

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Payment(models.Model):
    """One Stripe payment (by its payment intent) and what Stripe said about it.

    Every handler of an event about a payment locks this row first
    (`courses.services.seats._lock_payment`), so a refund or a lost dispute and the checkout
    that paid cannot interleave: whichever comes second sees what the first recorded. It is
    created by the first event to mention the payment, which may well be the refund.
    """

    payment_intent = models.CharField(max_length=255, unique=True)
    hold = models.ForeignKey(
        SeatHold, on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    refunded = models.BooleanField(default=False, help_text="Refunded in full at Stripe.")
    dispute_status = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Payment {self.payment_intent}"

    @property
    def taken_back(self) -> bool:
        """Refunded in full or lost in a dispute: it can pay for no seat."""
        return self.refunded or self.dispute_status == "lost"

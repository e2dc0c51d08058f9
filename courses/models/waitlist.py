"""The waitlist, financial aid requests, and the offers of a seat made to either."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from courses.models.prices import format_price

if TYPE_CHECKING:
    from accounts.models import User


def new_offer_token() -> str:
    return secrets.token_urlsafe(32)


def new_leave_token() -> str:
    return secrets.token_urlsafe(32)


class WaitlistEntry(models.Model):
    """A person waiting for a seat in a full cohort, or for a trimester's next run."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offer sent"
        LAPSED = "lapsed", "Offer lapsed"
        ENROLLED = "enrolled", "Enrolled"
        REMOVED = "removed", "Removed"

    course = models.ForeignKey("Course", on_delete=models.CASCADE, related_name="waitlist")
    cohort = models.ForeignKey(
        "Cohort",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waitlist",
        help_text="Empty: waiting for the trimester's next run.",
    )
    name = models.CharField(max_length=120)
    email = models.EmailField()
    message = models.TextField(max_length=2000, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    position = models.PositiveIntegerField(
        default=0, help_text="Lower goes first. Edit to reorder."
    )
    # The secret in the person's own link to leave the list (they may have no account).
    leave_token = models.CharField(
        max_length=64, unique=True, default=new_leave_token, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    ON_THE_LIST = (Status.WAITING, Status.OFFERED)

    class Meta:
        ordering = ["position", "created_at"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "email"],
                condition=models.Q(cohort__isnull=False),
                name="waitlist_one_per_email_cohort",
            ),
            models.UniqueConstraint(
                fields=["course", "email"],
                condition=models.Q(cohort__isnull=True),
                name="waitlist_one_per_email_next_run",
            ),
        ]
        indexes = [models.Index(fields=["course", "status", "position"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> for {self.cohort or self.course}"

    def get_leave_url(self) -> str:
        return reverse("courses:waitlist_leave", kwargs={"token": self.leave_token})

    @property
    def is_on_the_list(self) -> bool:
        return self.status in self.ON_THE_LIST


class FinancialAidRequest(models.Model):
    """“What if I can't afford to join?” — staff answer with a reduced price or a free place."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        GRANTED = "granted", "Granted (offer sent)"
        DECLINED = "declined", "Declined"

    course = models.ForeignKey("Course", on_delete=models.CASCADE, related_name="aid_requests")
    cohort = models.ForeignKey(
        "Cohort",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="aid_requests",
        help_text="The run to offer a seat in. Set before granting.",
    )
    name = models.CharField(max_length=120)
    email = models.EmailField()
    can_pay = models.CharField(
        "what you could pay", max_length=120, blank=True, help_text="Optional, in your words."
    )
    message = models.TextField("your situation", max_length=2000)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    granted_price_cents = models.PositiveIntegerField(
        null=True, blank=True, help_text="Price to offer, in cents; 0 is a free place."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "financial aid request"

    def __str__(self) -> str:
        return f"Aid request from {self.name} for {self.course}"


class OfferQuerySet(models.QuerySet["Offer"]):
    def holding(self, now=None) -> OfferQuerySet:
        now = now or timezone.now()
        return self.filter(status=Offer.Status.PENDING, expires_at__gt=now)

    def lapsed(self, now=None) -> OfferQuerySet:
        now = now or timezone.now()
        return self.filter(status=Offer.Status.PENDING, expires_at__lte=now)


class Offer(models.Model):
    """A personal, single-use link that holds a seat for its recipient for a while."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the person"
        CHECKOUT = "checkout", "Paying at checkout"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    cohort = models.ForeignKey("Cohort", on_delete=models.PROTECT, related_name="offers")
    waitlist_entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="offers"
    )
    aid_request = models.ForeignKey(
        FinancialAidRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offers",
    )
    name = models.CharField(max_length=120)
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=new_offer_token, editable=False)
    price_cents = models.PositiveIntegerField(help_text="0 is a free place.")
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OfferQuerySet.as_manager()

    # Still the person's to take up or being paid for: a person holds at most one such offer
    # per trimester (courses.services).
    LIVE_STATUSES = (Status.PENDING, Status.CHECKOUT)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"Offer to {self.name} for {self.cohort}"

    def get_absolute_url(self) -> str:
        return reverse("courses:offer", kwargs={"token": self.token})

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0

    @property
    def price_display(self) -> str:
        return format_price(self.price_cents, self.currency)

    def is_open(self, now=None) -> bool:
        return self.status == self.Status.PENDING and self.expires_at > (now or timezone.now())

    def is_for(self, user: User | object) -> bool:
        email = getattr(user, "email", "") or ""
        return email.strip().lower() == self.email.strip().lower()

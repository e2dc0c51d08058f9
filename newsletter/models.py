"""TIFT, the program's biweekly newsletter: readers, issues, and one delivery row per pair.

A reader (Subscriber) needs no account. Signing up creates a pending reader; the signed link
in the confirmation email confirms them (double opt-in). Only confirmed readers receive issues.
The email provider's bounce and complaint reports (newsletter.subscriptions) stop them too.

Sending an issue snapshots the confirmed audience into Delivery rows (unique per issue and
reader); workers claim rows atomically and mark each one sent right after the SMTP server
accepted it, so a killed worker can leave at most the message it was sending unrecorded
(newsletter.sending).
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_prose_editor.fields import ProseEditorField

from lib import uploads

ISSUE_BODY_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Underline": True,
    "Strike": True,
    "Heading": {"levels": [2, 3]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "HardBreak": True,
    "Link": {"enableTarget": False},
}


def new_subscriber_token() -> str:
    return secrets.token_urlsafe(24)


class SubscriberQuerySet(models.QuerySet["Subscriber"]):
    def confirmed(self) -> SubscriberQuerySet:
        return self.filter(status=Subscriber.Status.CONFIRMED)


class Subscriber(models.Model):
    """A reader of TIFT, identified by email address (stored lower-case)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"

    class Source(models.TextChoices):
        SIGNUP = "signup", "Signup form"
        PROFILE = "profile", "Learner profile"
        IMPORT = "import", "CSV import"
        ADMIN = "admin", "Added by staff"

    class Feedback(models.TextChoices):
        """What the email provider last reported about the address (anymail's event types)."""

        BOUNCED = "bounced", "Bounced"
        REJECTED = "rejected", "Rejected by the provider"
        COMPLAINED = "complained", "Marked as spam"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed at the provider"

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SIGNUP)
    imported = models.BooleanField(
        default=False, help_text="Added by a CSV import rather than by the reader themselves."
    )
    token = models.CharField(
        max_length=64,
        unique=True,
        default=new_subscriber_token,
        editable=False,
        help_text="Secret part of this reader's unsubscribe links.",
    )
    signup_round = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Goes up each time a reader who had left (unsubscribed, bounced) signs up "
        "again; a confirmation link names its round, so a link from before confirms nothing.",
    )
    feedback = models.CharField(
        "provider report",
        max_length=16,
        choices=Feedback.choices,
        blank=True,
        editable=False,
        help_text="The email provider's last bounce or complaint report about this address.",
    )
    feedback_at = models.DateTimeField("provider report at", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def unsubscribe_url(self) -> str:
        return settings.SITE_URL + reverse("newsletter:unsubscribe", args=[self.token])

    @property
    def one_click_url(self) -> str:
        return settings.SITE_URL + reverse("newsletter:one_click", args=[self.token])


class IssueQuerySet(models.QuerySet["Issue"]):
    def in_archive(self) -> IssueQuerySet:
        """Issues anyone may read: sent, and not kept out of the archive by staff."""
        return self.filter(status=Issue.Status.SENT, in_archive=True)

    def due(self, now: dt.datetime | None = None) -> IssueQuerySet:
        return self.filter(status=Issue.Status.SCHEDULED, scheduled_for__lte=now or timezone.now())


class Issue(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    body = ProseEditorField(extensions=ISSUE_BODY_EXTENSIONS, sanitize=True)
    in_archive = models.BooleanField(
        "show in the public archive",
        default=True,
        help_text="Untick to keep this issue off the public archive and feed once it is sent.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    scheduled_for = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the issue goes out. Defaults to two weeks after the last issue.",
    )
    send_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    snapshot_done_at = models.DateTimeField(null=True, blank=True, editable=False)
    fanned_out_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    recipients_total = models.PositiveIntegerField(default=0, editable=False)
    sent_count = models.PositiveIntegerField(default=0, editable=False)
    failed_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        indexes = [models.Index(fields=["status", "scheduled_for"])]

    def __str__(self) -> str:
        return f"TIFT #{self.number}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("newsletter:issue", args=[self.number])

    @property
    def published_at(self) -> dt.datetime | None:
        return self.sent_at or self.scheduled_for

    @classmethod
    def next_number(cls) -> int:
        last = cls.objects.aggregate(n=models.Max("number"))["n"]
        return (last or 0) + 1

    @classmethod
    def default_send_time(cls, now: dt.datetime | None = None) -> dt.datetime:
        """Two weeks after the last issue, moved to the configured weekday and hour in the
        program's time zone; never in the past."""
        now = now or timezone.now()
        last = (
            cls.objects.exclude(status=cls.Status.DRAFT)
            .exclude(sent_at__isnull=True, scheduled_for__isnull=True)
            .aggregate(last_sent=models.Max("sent_at"), last_planned=models.Max("scheduled_for"))
        )
        candidates = [value for value in last.values() if value]
        start = max(candidates) + dt.timedelta(days=14) if candidates else now
        return next_send_slot(start, earliest=now)


def next_send_slot(start: dt.datetime, *, earliest: dt.datetime) -> dt.datetime:
    """The first configured weekday-and-hour slot at or after the week day of `start`."""
    zone = zoneinfo.ZoneInfo(settings.PROGRAM_TIME_ZONE)
    local = start.astimezone(zone)
    weekday = settings.NEWSLETTER_SEND_WEEKDAY
    day = local.date() + dt.timedelta(days=(weekday - local.weekday()) % 7)
    slot = dt.datetime.combine(day, dt.time(settings.NEWSLETTER_SEND_HOUR), tzinfo=zone)
    while slot < earliest:
        slot += dt.timedelta(days=7)
    return slot


class Delivery(models.Model):
    """One issue to one reader. The unique pair is what makes a send exactly-once."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        BOUNCED = "bounced", "Bounced"
        SKIPPED = "skipped", "Skipped (no longer subscribed)"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    claim = models.CharField(max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["issue", "subscriber"], name="one_delivery_per_reader")
        ]
        indexes = [
            models.Index(fields=["issue", "status"]),
            models.Index(fields=["status", "claimed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id} → {self.subscriber_id}: {self.status}"


class Infographic(models.Model):
    """The free infographic, the welcome gift of confirmed readers. The newest active one is
    offered, by a signed link that expires (newsletter.subscriptions.infographic_url), in the
    welcome email and on the confirmed page; the file has no public URL. Staff upload a PDF or
    an image (checked by content; SVG is refused)."""

    title = models.CharField(max_length=200)
    file = models.FileField(
        upload_to="newsletter/infographics/",
        validators=[uploads.document],
        help_text="A PDF, PNG, JPEG or WebP file (not SVG), at most 25 MB.",
    )
    active = models.BooleanField(default=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def current(cls) -> Infographic | None:
        return cls.objects.filter(active=True).exclude(file="").first()

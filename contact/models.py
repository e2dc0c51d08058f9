"""Messages sent through the contact form: personal data, kept `RETENTION_DAYS` and listed
for staff in the admin. Their text appears only there: never in emails, logs or URLs."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class ContactMessageQuerySet(models.QuerySet["ContactMessage"]):
    def past_retention(self, now: dt.datetime) -> ContactMessageQuerySet:
        """Messages older than the retention period (the privacy page states it)."""
        return self.filter(created_at__lt=now - dt.timedelta(days=settings.CONTACT_RETENTION_DAYS))


class ContactMessage(models.Model):
    class Topic(models.TextChoices):
        PROGRAM = "program", "The program and enrolment"
        WAITLIST = "waitlist", "Join the waitlist"
        COACHING = "coaching", "Coaching and mentoring"
        ACCOUNT = "account", "My account or a payment"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed without answer"

    name = models.CharField("your name", max_length=120)
    email = models.EmailField("your email")
    topic = models.CharField(max_length=20, choices=Topic.choices, default=Topic.PROGRAM)
    message = models.TextField("your message", max_length=5000)
    # Set when the sender was signed in: the message is then part of their data export and is
    # erased with their account (contact/privacy.py).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_messages",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    staff_note = models.TextField(
        blank=True, help_text="For staff only: what was done, who answered."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ContactMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        # No name or text: the admin's history and delete pages show this.
        return f"Message {self.pk} ({self.get_topic_display()})"

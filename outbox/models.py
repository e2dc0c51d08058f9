"""The outbox: each email the site must send, and each background job a change must cause,
recorded in the database in the same transaction as that change.

A row stays pending until its email was accepted by the mail server (or its job ran), so a
broker outage, a killed worker or a mail server that is down delays a message and never
loses it: the re-driver (`services.deliver_due`, beat, every minute) sends what is due.
Failures are retried with a capped backoff for `RETRY_FOR`, then the row is marked failed
and listed in the admin, where staff can send it again.

Rows hold what the Celery arguments held before: a template or task name, addresses and a
JSON context of ids, names and links — never the text of a question, an answer or a post.
Once sent, a row keeps who, what and when, not its content (a sign-in link, a code).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from celery import current_app
from django.db import models
from django.utils import timezone

from lib import email

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

# Mail servers and providers can be down for a day or two; Stripe retries webhooks for
# three days for the same reason.
RETRY_FOR = dt.timedelta(hours=72)
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=1)
# How long sent and failed rows are kept (for "did it go out?" and for "send again").
KEEP_DONE = dt.timedelta(days=30)
KEEP_FAILED = dt.timedelta(days=90)
# Templates whose mere sending says something private (that a learner asked a question).
PRIVATE_PREFIXES = ("qa_",)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failure: 1, 2, 4 … minutes, at most an hour."""
    doublings = min(max(attempts - 1, 0), 10)  # 2**10 minutes is past the cap already
    wait: dt.timedelta = FIRST_RETRY * 2**doublings
    return min(wait, LONGEST_WAIT)


class MessageQuerySet(models.QuerySet["Message"]):
    def due(self, now: dt.datetime) -> MessageQuerySet:
        return self.filter(status=Message.Status.PENDING, next_attempt_at__lte=now)

    def visible_to(self, user: User | AnonymousUser) -> MessageQuerySet:
        """Q&A notices tell who asked a question: only those who may read questions see them."""
        if user.has_perm("qa.view_question"):
            return self
        query = models.Q()
        for prefix in PRIVATE_PREFIXES:
            query |= models.Q(name__startswith=prefix)
        return self.exclude(query)


class Message(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        RENDERED = "rendered", "Account email"  # allauth renders its own
        TASK = "task", "Background job"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(
        "what", max_length=200, help_text="The email's template, or the job's Celery task."
    )
    to = models.JSONField(default=list, blank=True)
    # The template's context, the rendered email, or the task's keyword arguments.
    payload = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    retry_until = models.DateTimeField()
    send_by = models.DateTimeField(
        null=True, blank=True, help_text="Not sent after this time (a reminder, a code)."
    )
    last_error = models.CharField(
        max_length=100, blank=True, help_text="The error's type and SMTP code, never its text."
    )
    done_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="outbox_pending_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name} #{self.pk}"

    @classmethod
    def new(
        cls, *, kind: str, name: str, send_by: dt.datetime | None = None, **fields: Any
    ) -> Message:
        """An unsaved message, due now, retried until RETRY_FOR from now."""
        now = timezone.now()
        return cls(
            kind=kind,
            name=name,
            created_at=now,
            next_attempt_at=now,
            retry_until=now + RETRY_FOR,
            send_by=send_by,
            **fields,
        )

    @property
    def recipients(self) -> str:
        return ", ".join(self.to)

    def run(self) -> None:
        """Send the email, or run the job, in this process. Raises what it raised."""
        if self.kind == self.Kind.EMAIL:
            email.send_now(self.name, self.to, self.payload, self.headers)
        elif self.kind == self.Kind.RENDERED:
            email.build_message(to=self.to, headers=self.headers, **self.payload).send()
        else:
            current_app.tasks[self.name](**self.payload)

    def record_done(self, now: dt.datetime) -> None:
        self.status = self.Status.DONE
        self.attempts += 1
        self.done_at = now
        self.last_error = ""
        self.payload, self.headers = {}, {}
        self.save()

    def record_failure(self, exc: BaseException, now: dt.datetime) -> None:
        """A mail server's definite no ends it at once; anything else is tried again later,
        until `retry_until`."""
        self.attempts += 1
        self.last_error = email.describe_failure(exc)[:100]
        if email.is_permanent(exc) or now >= self.retry_until:
            self.status = self.Status.FAILED
        else:
            self.next_attempt_at = now + backoff(self.attempts)
        self.save()

    def record_too_late(self) -> None:
        self.status = self.Status.FAILED
        self.last_error = "Too late: not sent in time"
        self.save()

    def reset(self, now: dt.datetime) -> None:
        """Pending again, with a fresh retry window (the admin's "Send again")."""
        self.status = self.Status.PENDING
        self.attempts = 0
        self.last_error = ""
        self.next_attempt_at = now
        self.retry_until = now + RETRY_FOR
        self.send_by = None
        self.save()

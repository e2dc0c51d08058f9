"""The audit log: who did something sensitive, to what, when and from where.

Rows are written by the code path that performs the action (the admin views for private
questions, enrolments, exports and permissions; the Stripe webhook for refunds made at
Stripe) and are never changed or deleted from the site. Only superusers can read them.
A row never holds private text: it names the object by type and number, and `detail` says
what changed in words a superuser can check (a status, a count, a group name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from lib import ratelimit

if TYPE_CHECKING:
    from accounts.models import User


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        QUESTION_VIEWED = "question.viewed", "Read a private question"
        QUESTION_ANSWERED = "question.answered", "Sent an answer to a private question"
        ENROLMENT_CREATED = "enrolment.created", "Enrolled someone by hand"
        ENROLMENT_CANCELLED = "enrolment.cancelled", "Cancelled an enrolment"
        ENROLMENT_REFUNDED = "enrolment.refunded", "Refunded an enrolment"
        AID_GRANTED = "aid.granted", "Granted financial aid (sent an offer)"
        EXPORT = "export", "Exported data"
        PERMISSIONS_CHANGED = "permissions.changed", "Changed permissions"
        CERTIFICATE_REVOKED = "certificate.revoked", "Revoked a CE certificate"
        CERTIFICATE_REISSUED = "certificate.reissued", "Reissued a CE certificate"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty for the system (e.g. a refund made at Stripe).",
    )
    # The actor's email when it happened: the row stays readable after the account is gone.
    actor_label = models.CharField("who", max_length=254, blank=True)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField("object", max_length=200, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label or 'system'}: {self.action}"

    @classmethod
    def record(
        cls,
        *,
        action: str,
        actor: User | None = None,
        obj: models.Model | None = None,
        detail: str = "",
        request: HttpRequest | None = None,
    ) -> AuditEvent:
        if actor is None and request is not None and request.user.is_authenticated:
            actor = request.user
        label = ""
        if obj is not None:
            label = f"{obj._meta.verbose_name} #{obj.pk}".capitalize()
        return cls.objects.create(
            action=action,
            actor=actor,
            actor_label=getattr(actor, "email", "") or "",
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_label=label,
            detail=detail[:500],
            ip=(ratelimit.client_ip(request) or None) if request is not None else None,
        )

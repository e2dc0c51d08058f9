"""Email: template triplets rendered in one place, sent by a Celery task.

A message called `name` is three templates: `emails/<name>.subject.txt`, `emails/<name>.txt`
and `emails/<name>.html`. Call `send_email.delay_on_commit(...)` from views and services;
the task renders and sends in the worker, and retries transient failures with backoff.

Notifications must never carry private text (a question, an answer, a post): pass ids and
links in the context, not content.
"""

import logging
import smtplib
import socket

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# Errors worth another try later: the server or the network was briefly unavailable.
TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    socket.timeout,
    TimeoutError,
)


def is_transient(exc: BaseException) -> bool:
    """True for failures that may succeed later (4xx SMTP replies, dropped connections)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, TRANSIENT_ERRORS)


def render_email(name: str, context: dict) -> tuple[str, str, str]:
    """Render the subject, plain text and HTML of the message `name`."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}.subject.txt", context).split())
    text = render_to_string(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    return subject, text, html


def build_message(
    *,
    subject: str,
    text: str,
    html: str = "",
    to: list[str],
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
    connection=None,
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers=headers or {},
        connection=connection,
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def send_now(
    name: str, to: list[str], context: dict, headers: dict[str, str] | None = None
) -> None:
    """Render and send at once, in this process. Tasks call this; views should not."""
    subject, text, html = render_email(name, context)
    build_message(subject=subject, text=text, html=html, to=to, headers=headers).send()


@shared_task(bind=True, max_retries=6, acks_late=True)
def send_email(self, name: str, to: list[str], context: dict, headers: dict | None = None) -> None:
    """Send the template triplet `name`. `context` must be JSON: ids, names and URLs."""
    try:
        send_now(name, to, context, headers)
    except Exception as exc:
        if not is_transient(exc):
            raise
        logger.warning("Email %s: transient failure (%s), retrying", name, type(exc).__name__)
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc


@shared_task(bind=True, max_retries=6, acks_late=True)
def send_message(
    self,
    *,
    subject: str,
    text: str,
    to: list[str],
    html: str = "",
    from_email: str | None = None,
    headers: dict | None = None,
) -> None:
    """Send an already-rendered message (allauth renders its own)."""
    try:
        build_message(
            subject=subject, text=text, html=html, to=to, from_email=from_email, headers=headers
        ).send()
    except Exception as exc:
        if not is_transient(exc):
            raise
        logger.warning("Email: transient failure (%s), retrying", type(exc).__name__)
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc


def open_connection():
    """An SMTP (or configured backend) connection to reuse across many messages."""
    return get_connection()

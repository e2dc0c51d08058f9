"""Email: template triplets rendered in one place, and how to tell a failure worth retrying.

A message called `name` is three templates: `emails/<name>.subject.txt`, `emails/<name>.txt`
and `emails/<name>.html`. Views and services do not send: they record the message with
`outbox.services.queue_email(...)` in their own transaction, and a worker sends it with
`send_now` once that transaction committed (the outbox retries failures for three days).

Notifications must never carry private text (a question, an answer, a post): pass ids and
links in the context, not content.
"""

import re
import smtplib
import socket
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils.html import escape, linebreaks, urlize

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


def is_permanent(exc: BaseException) -> bool:
    """True when the mail server said a definite no (a 5xx reply): trying again cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def describe_failure(exc: BaseException) -> str:
    """The error's class and SMTP code, e.g. "SMTPRecipientsRefused 550". Never its message:
    a server's reply may quote the address or the text it refused."""
    code: int | None = None
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code = max(code for code, _ in exc.recipients.values())
    elif isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
    name = type(exc).__name__
    return f"{name} {code}" if code is not None else name


def render_email(name: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Render the subject, plain text and HTML of the message `name`, with the footer."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}.subject.txt", context).split())
    text = render_to_string(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    return subject, *with_footer(text, html, context)


BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def with_footer(text: str, html: str, context: dict[str, Any] | None = None) -> tuple[str, str]:
    """`text` and `html` with the footer every email carries (`emails/_footer.*`): a link to
    the email settings page and, when the context has an `off_url` (an optional email), the
    one-click link that turns it off. An empty `html` stays empty (see html_document)."""
    context = {"site_url": settings.SITE_URL, **(context or {})}
    text = text.rstrip("\n") + "\n" + render_to_string("emails/_footer.txt", context)
    if html.strip():
        footer = render_to_string("emails/_footer.html", context)
        ends = list(BODY_END.finditer(html))
        at = ends[-1].start() if ends else len(html)
        html = html[:at] + footer + html[at:]
    return text, html


HTML_START = re.compile(r"<html\b[^>]*>", re.IGNORECASE)


def html_document(html: str, text: str, subject: str) -> str:
    """A whole HTML document with a <head>, a charset and a <title> (the subject), as mail
    clients and the W3C checker expect: `html` as it is when it has a head, given one when
    it lacks it, and the plain text (escaped, links made clickable) when it is empty."""
    head = f'<head><meta charset="utf-8"><title>{escape(subject)}</title></head>'
    if not html.strip():
        body = urlize(linebreaks(text), autoescape=True)
        return f'<!doctype html>\n<html lang="en">{head}\n<body>\n{body}\n</body>\n</html>\n'
    if re.search(r"<head\b", html, re.IGNORECASE):
        return html
    start = HTML_START.search(html)
    if start is None:
        return f'<!doctype html>\n<html lang="en">{head}\n<body>\n{html}\n</body>\n</html>\n'
    return html[: start.end()] + head + html[start.end() :]


def build_message(
    *,
    subject: str,
    text: str,
    html: str = "",
    to: list[str],
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
    connection: BaseEmailBackend | None = None,
) -> EmailMultiAlternatives:
    """Every message has a plain-text and an HTML part, and replies go to EMAIL_REPLY_TO
    unless `headers` name another Reply-To."""
    headers = dict(headers or {})
    reply_to = []
    if settings.EMAIL_REPLY_TO and not any(key.lower() == "reply-to" for key in headers):
        reply_to = [settings.EMAIL_REPLY_TO]
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers=headers,
        reply_to=reply_to,
        connection=connection,
    )
    message.attach_alternative(html_document(html, text, subject), "text/html")
    return message


def send_now(
    name: str, to: list[str], context: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    """Render and send at once, in this process. The outbox calls this; views should not."""
    subject, text, html = render_email(name, context)
    build_message(subject=subject, text=text, html=html, to=to, headers=headers).send()


def open_connection() -> BaseEmailBackend:
    """An SMTP (or configured backend) connection to reuse across many messages."""
    return get_connection()

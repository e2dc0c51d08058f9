"""Demo content for TIFT: three sent issues in the archive (one kept out of it), one scheduled,
a handful of readers in every status, and a small generated infographic PDF."""

import datetime as dt

from django.core.files.base import ContentFile
from django.core.management.base import OutputWrapper
from django.utils import timezone

from newsletter.models import Infographic, Issue, Subscriber

ISSUES = [
    (
        1,
        "Why avoidance feels like relief",
        "<p>Every pattern we treat started as a solution. Avoiding a feeling brings relief "
        "<em>now</em>, and relief is a powerful teacher.</p><h2>In the room</h2><ul>"
        "<li>Notice the moment the client changes the subject.</li>"
        "<li>Name it gently: “Something shifted just then.”</li></ul>",
        True,
    ),
    (
        2,
        "One pattern covering another",
        "<p>Sometimes the problem a client brings is the cover for a feeling underneath. "
        "Anger can cover shame; busyness can cover grief.</p><blockquote>Ask what the "
        "pattern protects against.</blockquote>",
        True,
    ),
    (
        3,
        "Housekeeping: the spring trimester",
        "<p>Enrolment for the spring run opens next month. This note is for current "
        "readers only.</p>",
        False,
    ),
]
READERS = [
    ("learner@demo.test", "Dana", Subscriber.Status.CONFIRMED),
    ("reader.one@demo.test", "Riley", Subscriber.Status.CONFIRMED),
    ("reader.two@demo.test", "Morgan", Subscriber.Status.CONFIRMED),
    ("reader.three@demo.test", "", Subscriber.Status.CONFIRMED),
    ("waiting@demo.test", "Sky", Subscriber.Status.PENDING),
    ("gone@demo.test", "", Subscriber.Status.UNSUBSCRIBED),
    ("bounced@demo.test", "", Subscriber.Status.BOUNCED),
]


def tiny_pdf(title: str) -> bytes:
    """A one-page PDF with a line of text, valid enough for any viewer."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def seed(stdout: OutputWrapper) -> None:
    now = timezone.now()
    if not Infographic.objects.exists():
        infographic = Infographic(title="The Affect Avoidance Model on one page")
        infographic.file.save(
            "affect-avoidance-model.pdf", ContentFile(tiny_pdf(infographic.title)), save=False
        )
        infographic.save()
    for email, name, status in READERS:
        Subscriber.objects.get_or_create(
            email=email,
            defaults={
                "name": name,
                "status": status,
                "confirmed_at": now if status == Subscriber.Status.CONFIRMED else None,
            },
        )
    confirmed = Subscriber.objects.confirmed().count()
    for number, title, body, in_archive in ISSUES:
        sent_at = now - dt.timedelta(days=14 * (len(ISSUES) - number + 1))
        Issue.objects.get_or_create(
            number=number,
            defaults={
                "title": title,
                "body": body,
                "in_archive": in_archive,
                "status": Issue.Status.SENT,
                "scheduled_for": sent_at,
                "send_started_at": sent_at,
                "snapshot_done_at": sent_at,
                "sent_at": sent_at,
                "recipients_total": confirmed,
                "sent_count": confirmed,
            },
        )
    if not Issue.objects.filter(number=len(ISSUES) + 1).exists():
        Issue.objects.create(
            number=len(ISSUES) + 1,
            title="What to do when the session goes quiet",
            body="<p>Silence is information. Here are three ways to listen to it.</p>",
            status=Issue.Status.SCHEDULED,
            scheduled_for=Issue.default_send_time(),
        )
    stdout.write(
        f"Newsletter: {Issue.objects.count()} issues, {Subscriber.objects.count()} readers"
    )

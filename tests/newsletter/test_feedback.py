"""The email provider's reports: bounces and complaints posted to anymail's tracking webhook
(Postmark's, as config/test_settings.py mounts it, with the basic-auth secret) suppress the
address for TIFT and show in the admin; a complaint unsubscribes at once."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from newsletter import sending
from newsletter.models import Delivery, Issue, Subscriber

pytestmark = pytest.mark.django_db

WEBHOOK = "/anymail/postmark/tracking/"
SECRET = "anymail-test:webhook-secret"  # config/test_settings.py
ROOT = Path(__file__).resolve().parents[2]


def postmark(record_type: str, kind: str, email: str) -> dict:
    """A report shaped as Postmark posts it (its documented bounce and spam webhooks)."""
    return {
        "RecordType": record_type,
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1,
        "Name": kind,
        "Tag": "",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "hello@howtherapyworks.example",
        "BouncedAt": "2027-01-05T16:33:54.9070259Z",
        "DumpAvailable": False,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "TIFT #7",
    }


def report(client, payload: dict, secret: str = SECRET):
    auth = base64.b64encode(secret.encode()).decode()
    return client.post(
        WEBHOOK,
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


@pytest.mark.parametrize(
    ("record_type", "kind", "feedback"),
    [
        ("Bounce", "HardBounce", "bounced"),
        ("Bounce", "BadEmailAddress", "rejected"),
    ],
)
def test_a_bounce_report_suppresses_the_reader_for_the_newsletter(
    client, make_reader, record_type, kind, feedback
):
    reader = make_reader("gone@example.com")
    other = make_reader("other@example.com")

    response = report(client, postmark(record_type, kind, "Gone@Example.com"))

    assert response.status_code == 200
    reader.refresh_from_db()
    assert (reader.status, reader.feedback) == ("bounced", feedback)
    assert reader.feedback_at is not None
    assert Subscriber.objects.get(pk=other.pk).status == "confirmed"
    assert list(Subscriber.objects.confirmed()) == [other]


def test_a_spam_complaint_unsubscribes_the_reader_at_once(client, make_reader, make_issue):
    reader = make_reader("annoyed@example.com")
    make_reader("happy@example.com")
    issue = make_issue(7, status=Issue.Status.SENDING)

    response = report(client, postmark("SpamComplaint", "SpamComplaint", reader.email))

    assert response.status_code == 200
    reader.refresh_from_db()
    assert (reader.status, reader.feedback) == ("unsubscribed", "complained")
    assert reader.unsubscribed_at is not None
    sending.snapshot_audience(issue_id=issue.pk)
    assert not Delivery.objects.filter(subscriber=reader).exists()


def test_a_bounce_after_an_unsubscribe_leaves_the_reader_unsubscribed(client, make_reader):
    reader = make_reader("left@example.com", status="unsubscribed", unsubscribed_at=timezone.now())

    report(client, postmark("Bounce", "HardBounce", reader.email))

    reader.refresh_from_db()
    assert (reader.status, reader.feedback) == ("unsubscribed", "bounced")


@pytest.mark.parametrize("event", ["deferred", "delivered"])
def test_other_reports_change_nothing(client, make_reader, event):
    reader = make_reader("fine@example.com")
    payload = (
        postmark("Bounce", "Transient", reader.email)  # a delay
        if event == "deferred"
        else {"RecordType": "Delivery", "Recipient": reader.email, "MessageID": "x"}
    )

    assert report(client, payload).status_code == 200
    reader.refresh_from_db()
    assert (reader.status, reader.feedback) == ("confirmed", "")


def test_a_report_about_an_unknown_address_is_accepted_and_changes_nothing(client, make_reader):
    reader = make_reader("known@example.com")

    response = report(client, postmark("SpamComplaint", "SpamComplaint", "x@example.com"))

    assert response.status_code == 200
    assert Subscriber.objects.get(pk=reader.pk).status == "confirmed"
    assert Subscriber.objects.count() == 1


@pytest.mark.parametrize("secret", ["anymail-test:wrong", "", None])
def test_a_report_without_the_secret_is_refused_and_changes_nothing(client, make_reader, secret):
    reader = make_reader("target@example.com")
    payload = postmark("SpamComplaint", "SpamComplaint", reader.email)

    if secret is None:
        response = client.post(WEBHOOK, json.dumps(payload), content_type="application/json")
    else:
        response = report(client, payload, secret=secret)

    assert response.status_code == 400
    assert Subscriber.objects.get(pk=reader.pk).status == "confirmed"


def test_staff_find_reported_readers_with_the_admin_filter(client, client_for, staff, make_reader):
    from tests.security.world import pass_mfa

    make_reader("spam@example.com")
    make_reader("bounce@example.com")
    make_reader("quiet@example.com")
    report(client, postmark("SpamComplaint", "SpamComplaint", "spam@example.com"))
    report(client, postmark("Bounce", "HardBounce", "bounce@example.com"))
    admin = client_for(staff)
    pass_mfa(admin, staff)

    changelist = reverse("admin:newsletter_subscriber_changelist")
    complained = admin.get(changelist, {"feedback__exact": "complained"}).content.decode()
    everyone = admin.get(changelist).content.decode()

    assert "spam@example.com" in complained
    assert "bounce@example.com" not in complained and "quiet@example.com" not in complained
    assert 'href="?feedback__exact=complained"' in everyone  # the filter in the sidebar
    assert "Marked as spam" in everyone and "Provider report" in everyone


def test_the_webhook_is_not_mounted_without_a_secret():
    """anymail's webhooks take anyone's posts when no secret is set: then there is none."""
    code = (
        "import django; django.setup()\n"
        "from django.urls import resolve, Resolver404\n"
        "try:\n"
        f"    resolve('{WEBHOOK}'); print('mounted')\n"
        "except Resolver404:\n"
        "    print('none')\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ANYMAIL_")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "EMAIL_URL": "anymail://postmark",
    }
    env.pop("SECRET_KEY", None)
    without = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    with_secret = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "ANYMAIL_WEBHOOK_SECRET": "u:p"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (without.stdout.strip(), with_secret.stdout.strip()) == ("none", "mounted"), (
        without.stderr + with_secret.stderr
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        # Not a report at all: refused, with a 400 rather than a server error.
        ("not json", 400),
        ("null", 400),
        ("[]", 400),
        ('"a string"', 400),
        # Shaped like a report but saying nothing usable: taken, and nothing changes.
        ("{}", 200),
        ('{"RecordType": 5}', 200),
        ('{"RecordType": "Bounce"}', 200),
        ('{"RecordType": "Bounce", "Type": "HardBounce", "Email": 5}', 200),
    ],
)
def test_a_report_the_provider_would_never_send_changes_nothing_and_is_no_server_error(
    client, make_reader, body, status
):
    reader = make_reader("dana@example.com")
    auth = base64.b64encode(SECRET.encode()).decode()
    response = client.post(
        WEBHOOK, body, content_type="application/json", HTTP_AUTHORIZATION=f"Basic {auth}"
    )
    assert response.status_code == status
    reader.refresh_from_db()
    assert (reader.status, reader.feedback) == ("confirmed", "")

"""Staff admin: write, preview, test-send and schedule issues; live progress; readers with
CSV import and export; the infographic upload."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from newsletter import demo
from newsletter.models import Delivery, Infographic, Issue, Subscriber

pytestmark = pytest.mark.django_db


def test_new_issue_form_suggests_the_next_number_and_the_default_slot(
    client_for, staff, make_issue
):
    make_issue(4, status="sent", sent_at=timezone.now() - dt.timedelta(days=2))

    response = client_for(staff).get(reverse("admin:newsletter_issue_add"))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["number"] == 5
    assert form.initial["scheduled_for"] == Issue.default_send_time()
    assert 'name="body"' in response.content.decode()


@pytest.mark.parametrize("persona", ["staff", "instructor"])
def test_staff_and_instructor_write_an_issue(client_for, request, persona):
    user = request.getfixturevalue(persona)
    response = client_for(user).post(
        reverse("admin:newsletter_issue_add"),
        {
            "number": 1,
            "title": "First",
            "body": "<p>Hello <script>x()</script></p>",
            "in_archive": "on",
            "scheduled_for_0": "2030-01-01",
            "scheduled_for_1": "09:00:00",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    issue = Issue.objects.get()
    assert (issue.title, issue.body, issue.status) == ("First", "<p>Hello </p>", "draft")


def test_issue_page_offers_preview_test_and_schedule(client_for, staff, make_issue):
    issue = make_issue(1)

    page = client_for(staff).get(reverse("admin:newsletter_issue_change", args=[issue.pk]))

    text = page.content.decode()
    assert reverse("admin:newsletter_issue_preview", args=[issue.pk]) in text
    assert "Send a test to staff@example.com" in text
    assert "Schedule" in text


def test_preview_renders_the_email(client_for, staff, make_issue):
    issue = make_issue(1, title="Preview me")

    html = client_for(staff).get(reverse("admin:newsletter_issue_preview", args=[issue.pk]))
    text = client_for(staff).get(reverse("admin:newsletter_issue_text", args=[issue.pk]))

    assert "Preview me" in html.content.decode() and "Body of issue 1" in html.content.decode()
    assert text.content.decode().startswith("Subject: TIFT #1: Preview me")


def test_send_test_goes_to_the_staff_member_only(
    client_for, staff, make_issue, make_reader, mailoutbox, django_capture_on_commit_callbacks
):
    make_reader("reader@example.com")
    issue = make_issue(1)

    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(reverse("admin:newsletter_issue_test", args=[issue.pk]))

    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["staff@example.com"], "[Test] TIFT #1: Issue 1")
    ]
    assert Delivery.objects.count() == 0


def test_schedule_and_unschedule(client_for, staff, make_issue):
    issue = make_issue(1)
    url = reverse("admin:newsletter_issue_schedule", args=[issue.pk])
    c = client_for(staff)
    expected = Issue.default_send_time()

    c.post(url, {"action": "schedule"})
    issue.refresh_from_db()
    assert issue.status == "scheduled"
    assert issue.scheduled_for == expected

    c.post(url, {"action": "unschedule"})
    issue.refresh_from_db()
    assert issue.status == "draft"


def test_a_get_on_the_action_urls_changes_nothing(client_for, staff, make_issue, mailoutbox):
    issue = make_issue(1)
    c = client_for(staff)

    c.get(reverse("admin:newsletter_issue_schedule", args=[issue.pk]))
    c.get(reverse("admin:newsletter_issue_test", args=[issue.pk]))

    assert Issue.objects.get().status == "draft"
    assert mailoutbox == []


def test_progress_endpoint_reports_counts(client_for, staff, make_issue, make_reader):
    issue = make_issue(1, status="sending")
    readers = [make_reader(f"r{n}@example.com") for n in range(4)]
    for reader, status in zip(readers, ["sent", "sent", "failed", "queued"], strict=True):
        Delivery.objects.create(issue=issue, subscriber=reader, status=status)

    response = client_for(staff).get(reverse("admin:newsletter_issue_progress", args=[issue.pk]))

    data = json.loads(response.content)
    assert data == {
        "status": "sending",
        "total": 4,
        "done": 3,
        "sent": 2,
        "failed": 1,
        "skipped": 0,
        "queued": 1,
    }
    assert "no-store" in response["Cache-Control"]


def test_sending_issue_page_has_the_live_progress_panel(client_for, staff, make_issue):
    issue = make_issue(1, status="sending")

    page = client_for(staff).get(reverse("admin:newsletter_issue_change", args=[issue.pk]))

    text = page.content.decode()
    assert 'data-tift-progress="' in text and "js/newsletter_admin.js" in text


def test_learner_cannot_reach_the_admin_views(client_for, learner, make_issue):
    issue = make_issue(1)

    for name in ("preview", "progress", "test", "schedule"):
        response = client_for(learner).post(
            reverse(f"admin:newsletter_issue_{name}", args=[issue.pk])
        )
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
    assert Issue.objects.get().status == "draft"


def test_instructor_does_not_see_the_reader_list(client_for, instructor, make_reader):
    make_reader("private@example.com")

    response = client_for(instructor).get(reverse("admin:newsletter_subscriber_changelist"))

    assert response.status_code == 403
    assert (
        client_for(instructor).get(reverse("admin:newsletter_subscriber_export")).status_code == 403
    )


@pytest.mark.parametrize("count", [3, 40])
def test_staff_reader_list_with_search_and_filter(
    client_for, staff, make_reader, django_assert_max_num_queries, count
):
    for n in range(count):
        make_reader(f"r{n}@example.com", status="pending" if n % 2 else "confirmed")
    c = client_for(staff)

    with django_assert_max_num_queries(12):
        response = c.get(
            reverse("admin:newsletter_subscriber_changelist") + "?status__exact=pending"
        )

    assert response.status_code == 200
    assert "r1@example.com" in response.content.decode()
    assert "r0@example.com" not in response.content.decode()
    searched = c.get(reverse("admin:newsletter_subscriber_changelist") + "?q=r2%40")
    assert "r2@example.com" in searched.content.decode()


def test_export_csv_respects_the_filter(client_for, staff, make_reader):
    make_reader("yes@example.com", name="Yas")
    make_reader("no@example.com", status="unsubscribed")

    response = client_for(staff).get(
        reverse("admin:newsletter_subscriber_export") + "?status__exact=confirmed"
    )

    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert body.splitlines()[0] == "email,name,status,source,imported,created_at,confirmed_at"
    assert "yes@example.com,Yas,confirmed" in body
    assert "no@example.com" not in body


def test_export_with_an_unknown_filter_goes_back_to_the_list(client_for, staff, make_reader):
    make_reader("yes@example.com")

    response = client_for(staff).get(reverse("admin:newsletter_subscriber_export") + "?page=2")

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:newsletter_subscriber_changelist")


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("readers.csv", text.encode(), content_type="text/csv")


def test_import_without_the_tick_adds_pending_imported_readers_and_sends_nothing(
    client_for, staff, make_reader, mailoutbox, django_capture_on_commit_callbacks
):
    make_reader("left@example.com", status="unsubscribed")
    csv_text = "email,name\nNew@Example.com,Nia\nleft@example.com,\nnot-an-email,\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            reverse("admin:newsletter_subscriber_import"), {"file": upload(csv_text)}
        )

    assert response.status_code == 302
    new = Subscriber.objects.get(email="new@example.com")
    assert (new.status, new.imported, new.source, new.name) == ("pending", True, "import", "Nia")
    assert Subscriber.objects.get(email="left@example.com").status == "unsubscribed"
    assert mailoutbox == []


def test_import_with_the_tick_adds_confirmed_readers_but_never_reconfirms_known_ones(
    client_for, staff, make_reader
):
    make_reader("bounced@example.com", status="bounced")

    client_for(staff).post(
        reverse("admin:newsletter_subscriber_import"),
        {"file": upload("a@example.com\nbounced@example.com\n"), "opted_in_elsewhere": "on"},
    )

    assert Subscriber.objects.get(email="a@example.com").status == "confirmed"
    assert Subscriber.objects.get(email="bounced@example.com").status == "bounced"


def test_import_rejects_a_file_that_is_not_utf8(client_for, staff):
    response = client_for(staff).post(
        reverse("admin:newsletter_subscriber_import"),
        {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad")},
    )

    assert response.status_code == 200
    assert "UTF-8" in response.content.decode()


def test_send_confirmation_action_writes_to_pending_readers_only(
    client_for, staff, make_reader, mailoutbox, django_capture_on_commit_callbacks
):
    pending = make_reader("p@example.com", status="pending", imported=True)
    confirmed = make_reader("c@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(
            reverse("admin:newsletter_subscriber_changelist"),
            {"action": "send_confirmation", "_selected_action": [pending.pk, confirmed.pk]},
        )

    assert [m.to for m in mailoutbox] == [["p@example.com"]]
    assert Subscriber.objects.get(pk=pending.pk).status == "pending"


def test_infographic_upload_accepts_a_pdf_and_refuses_svg(client_for, staff):
    c = client_for(staff)
    svg = SimpleUploadedFile("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>")
    refused = c.post(
        reverse("admin:newsletter_infographic_add"), {"title": "Bad", "file": svg, "active": "on"}
    )
    assert refused.status_code == 200
    assert not Infographic.objects.exists()

    pdf = SimpleUploadedFile("model.pdf", demo.tiny_pdf("Model"))
    c.post(
        reverse("admin:newsletter_infographic_add"), {"title": "Good", "file": pdf, "active": "on"}
    )

    assert Infographic.current().title == "Good"

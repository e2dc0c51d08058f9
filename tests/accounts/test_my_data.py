"""A learner downloads all their data and deletes their account (issue 10)."""

import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from bookmarks.models import Bookmark
from courses.models import Enrollment, FinancialAidRequest, WaitlistEntry
from forum import services as forum_services
from forum.models import Category, ForumProfile, Post, Report, Subscription, Topic
from lessons.models import Note, Progress
from newsletter.models import Subscriber
from qa.models import Answer, LibraryEntry, Question, Reply
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
SECRET_QUESTION = "My client Quentin-Private-991 keeps cancelling"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def category(db):
    return Category.objects.create(name="Practice questions", slug="practice", order=1)


@pytest.fixture
def learner_data(learner, other_learner, cohort, course, category):
    """The learner's footprint across every app, plus another member's reply in their topic."""
    learner.enrollments.update(amount_paid_cents=120000, stripe_payment_intent="pi_123")
    lesson = factories.make_lesson(course, title="Psychopathology", slug="psychopathology")
    Progress.objects.create(user=learner, lesson=lesson, chapter_done_at=timezone.now())
    question = Question.objects.create(
        asker=learner, title="Cancelling clients", text=SECRET_QUESTION
    )
    Answer.objects.create(question=question, text="<p>Sent answer.</p>", sent_at=timezone.now())
    Reply.objects.create(question=question, author=learner, text="A follow-up of mine.")
    draft_q = Question.objects.create(asker=learner, title="Draft", text="Another question")
    Answer.objects.create(question=draft_q, text="<p>Unsent draft words.</p>")
    own_topic = forum_services.create_topic(
        category=category,
        author=learner,
        title="My own topic",
        body="Only I wrote here.",
        fmt="plain",
    )
    shared_topic = forum_services.create_topic(
        category=category,
        author=learner,
        title="Client name in title",
        body="Opening.",
        fmt="plain",
    )
    factories.enrol(other_learner, factories.make_cohort(course))
    reply = forum_services.create_reply(
        topic=shared_topic, author=other_learner, body="A reply by someone else.", fmt="plain"
    )
    forum_services.create_reply(
        topic=shared_topic, author=learner, body="Learner-reply-text-77", fmt="plain"
    )
    Report.objects.create(post=reply, reporter=learner, reason="other", details="why")
    Subscriber.objects.create(email=learner.email, name="Lee", status="confirmed")
    WaitlistEntry.objects.create(course=course, name="Lee", email=learner.email, message="Hi")
    FinancialAidRequest.objects.create(course=course, name="Lee", email=learner.email, message="M")
    return {"question": question, "own_topic": own_topic, "shared_topic": shared_topic}


# Export -------------------------------------------------------------------------------------


def test_profile_links_to_download_and_delete(client_for, learner):
    page = client_for(learner).get(reverse("accounts:profile")).content.decode()

    assert reverse("accounts:export") in page
    assert reverse("accounts:delete") in page


def test_visitor_is_sent_to_sign_in_for_export_and_delete(client):
    for name in ["accounts:export", "accounts:delete"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_export_is_a_json_download_of_everything(client_for, learner, learner_data):
    response = client_for(learner).get(reverse("accounts:export"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["profile"]["email"] == "learner@example.com"
    assert data["profile"]["display_name"] == "Lee Learner"
    assert data["enrolments"][0]["amount_paid"] == 1200
    assert data["enrolments"][0]["stripe_payment"] == "pi_123"
    assert data["lesson_progress"][0]["lesson"] == "Psychopathology"
    questions = {q["title"]: q for q in data["questions"]}
    assert questions["Cancelling clients"]["text"] == SECRET_QUESTION
    assert questions["Cancelling clients"]["answer"]["text_html"] == "<p>Sent answer.</p>"
    assert questions["Cancelling clients"]["follow_ups"][0]["text"] == "A follow-up of mine."
    bodies = [p["body"] for p in data["forum"]["posts"]]
    assert "Learner-reply-text-77" in bodies
    assert "A reply by someone else." not in bodies
    assert "My own topic" in data["forum"]["following"]
    assert data["forum"]["reports_filed"][0]["details"] == "why"
    assert data["newsletter"][0]["status"] == "confirmed"
    assert data["waitlist"][0]["message"] == "Hi"
    assert data["financial_aid_requests"][0]["message"] == "M"


def test_export_lists_the_emails_sent_to_them_without_their_content(client_for, learner):
    from outbox.models import Message

    for to, link in [("Learner@example.com", "/forum/post/7/"), ("other@example.com", "/x/")]:
        Message.new(
            kind=Message.Kind.EMAIL, name="forum_reply", to=[to], payload={"post_url": link}
        ).save()

    response = client_for(learner).get(reverse("accounts:export"))

    (record,) = response.json()["emails"]
    assert (record["email"], record["status"], record["sent_at"]) == (
        "forum_reply",
        "pending",
        None,
    )
    assert "/forum/post/7/" not in response.content.decode()


def test_export_has_what_the_email_provider_reported_about_the_address(client_for, learner):
    Subscriber.objects.create(
        email=learner.email,
        status="unsubscribed",
        feedback="complained",
        feedback_at=timezone.now(),
    )

    data = json.loads(client_for(learner).get(reverse("accounts:export")).content)

    assert data["newsletter"][0]["provider_report"] == "complained"
    assert data["newsletter"][0]["provider_report_at"]


def test_export_leaves_out_unsent_drafts_and_secrets(client_for, learner, learner_data):
    text = client_for(learner).get(reverse("accounts:export")).content.decode()

    assert "Unsent draft words" not in text
    assert learner.feed_token not in text
    assert learner.password not in text


def test_export_holds_only_the_signed_in_learners_data(client_for, other_learner, learner_data):
    text = client_for(other_learner).get(reverse("accounts:export")).content.decode()

    assert SECRET_QUESTION not in text
    assert "learner@example.com" not in text
    assert "Learner-reply-text-77" not in text


def test_export_query_count_does_not_grow_with_the_data(
    client_for, learner, learner_data, category, course
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(learner)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(reverse("accounts:export")).status_code == 200
        return len(queries)

    before = count()
    for n in range(3):
        question = Question.objects.create(asker=learner, title=f"More {n}", text="More text")
        Answer.objects.create(question=question, text="<p>A.</p>", sent_at=timezone.now())
        Reply.objects.create(question=question, author=learner, text="Follow-up.")
        forum_services.create_topic(
            category=category, author=learner, title=f"Topic {n}", body="Body.", fmt="plain"
        )
        lesson = factories.make_lesson(course)
        Progress.objects.create(user=learner, lesson=lesson)
        Note.objects.create(user=learner, lesson=lesson, text=f"Note {n}")
        Bookmark.objects.create(user=learner, lesson=lesson)

    assert count() == before
    # 4 of them read the CE records (ce/privacy.py, issue 25), 1 the contact messages, 2 the
    # lesson notes and the saved-for-later items, 1 the email settings (issue 24).
    assert before <= 26


# Delete: the confirmation step -------------------------------------------------------------


def test_delete_page_states_what_is_kept_and_for_how_long(client_for, learner):
    page = client_for(learner).get(reverse("accounts:delete")).content.decode()

    assert "Payment records" in page
    assert f"{services.PAYMENT_RECORD_YEARS} years" in page
    assert 'type="password"' in page
    assert "Former member" in page


def test_wrong_password_deletes_nothing_and_says_so(client_for, learner, learner_data):
    response = client_for(learner).post(
        reverse("accounts:delete"), {"forum_posts": "keep", "password": "wrong"}
    )

    assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    learner.refresh_from_db()
    assert learner.is_active
    assert Question.objects.filter(asker=learner).count() == 2


def test_missing_choice_is_an_error_next_to_the_field(client_for, learner):
    response = client_for(learner).post(reverse("accounts:delete"), {"password": PASSWORD})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    learner.refresh_from_db()
    assert learner.is_active


def test_password_guessing_is_rate_limited(client_for, learner):
    c = client_for(learner)
    for _ in range(5):
        c.post(reverse("accounts:delete"), {"forum_posts": "keep", "password": "guess"})
    response = c.post(reverse("accounts:delete"), {"forum_posts": "keep", "password": PASSWORD})

    assert "Too many attempts" in response.content.decode()
    learner.refresh_from_db()
    assert learner.is_active


@pytest.mark.parametrize("persona", ["staff", "instructor"])
def test_staff_accounts_cannot_delete_themselves_here(request, client_for, persona):
    user = request.getfixturevalue(persona)
    response = client_for(user).post(
        reverse("accounts:delete"), {"forum_posts": "keep", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "closed by an administrator" in response.content.decode()
    user.refresh_from_db()
    assert user.is_active


# Delete: what happens ----------------------------------------------------------------------


def delete(client_for, learner, choice="keep"):
    c = client_for(learner)
    response = c.post(reverse("accounts:delete"), {"forum_posts": choice, "password": PASSWORD})
    return c, response


def test_deleting_signs_out_and_the_account_can_never_sign_in(client_for, learner, learner_data):
    c, response = delete(client_for, learner)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:deleted")
    assert c.get(reverse("accounts:profile")).status_code == 302
    assert not Client().login(email="learner@example.com", password=PASSWORD)
    learner.refresh_from_db()
    assert not learner.is_active
    assert not learner.has_usable_password()
    assert learner.email.endswith("@deleted.invalid")
    assert (learner.display_name, learner.credentials, learner.bio) == ("Former member", "", "")
    assert not EmailAddress.objects.filter(user=learner).exists()


def test_emails_waiting_for_the_deleted_account_are_forgotten_and_only_the_goodbye_goes(
    client_for, learner, learner_data, mailoutbox, django_capture_on_commit_callbacks
):
    from outbox.models import Message

    for status in (Message.Status.PENDING, Message.Status.DONE, Message.Status.FAILED):
        Message.new(
            kind=Message.Kind.EMAIL, name="forum_reply", to=["Learner@Example.com"], status=status
        ).save()
    elsewhere = Message.new(kind=Message.Kind.EMAIL, name="forum_reply", to=["other@example.com"])
    elsewhere.save()

    with django_capture_on_commit_callbacks(execute=True):
        delete(client_for, learner)

    assert [m.to for m in mailoutbox] == [["learner@example.com"]]
    assert "deleted" in mailoutbox[0].subject.lower()
    to_them = Message.objects.filter(to__icontains="learner@example.com")
    assert [(m.name, m.status) for m in to_them] == [("account_deleted", "done")]
    assert Message.objects.filter(pk=elsewhere.pk).exists()


def test_other_sessions_of_the_deleted_account_end(client_for, learner, learner_data):
    elsewhere = client_for(learner)
    delete(client_for, learner)

    response = elsewhere.get(reverse("accounts:profile"))

    assert response.status_code == 302


def test_private_questions_answers_and_follow_ups_are_erased(client_for, learner, learner_data):
    entry = LibraryEntry.objects.create(title="De-identified", question="Q", answer="<p>A</p>")
    Question.objects.filter(pk=learner_data["question"].pk).update(library_entry=entry)

    delete(client_for, learner)

    assert not Question.objects.filter(text__contains="Quentin").exists()
    assert not Answer.objects.exists()
    assert not Reply.objects.exists()
    assert LibraryEntry.objects.filter(pk=entry.pk).exists()


def test_payment_records_are_kept_without_access(client_for, learner, learner_data, cohort):
    delete(client_for, learner)

    enrolment = Enrollment.objects.get(cohort=cohort, user=learner)
    assert enrolment.amount_paid_cents == 120000
    assert enrolment.stripe_payment_intent == "pi_123"
    assert enrolment.status == Enrollment.Status.CANCELLED
    assert enrolment.ended_at is not None


def test_payment_records_of_closed_accounts_go_after_the_keeping_time(
    client_for, learner, learner_data, other_learner, cohort, course
):
    from accounts import tasks
    from config.celery import app
    from courses.models import SeatHold, StripeEvent

    delete(client_for, learner)
    kept = Enrollment.objects.get(user=learner)
    old = factories.enrol(learner, factories.make_cohort(course), status="cancelled")
    old_hold = SeatHold.objects.create(
        cohort=old.cohort,
        user=learner,
        amount_cents=100,
        expires_at=timezone.now(),
        state="released",
    )
    event = StripeEvent.objects.create(event_id="evt_old", type="charge.refunded", enrollment=old)
    years_ago = timezone.now() - dt.timedelta(days=365 * services.PAYMENT_RECORD_YEARS + 5)
    Enrollment.objects.filter(pk=old.pk).update(created_at=years_ago)
    SeatHold.objects.filter(pk=old_hold.pk).update(created_at=years_ago)
    # An open account's old enrolment is its own history: never purged.
    others = Enrollment.objects.filter(user=other_learner)
    others.update(created_at=years_ago)

    assert tasks.purge_expired_payment_records.delay().get() == 1

    assert list(Enrollment.objects.filter(user=learner)) == [kept]
    assert not SeatHold.objects.filter(pk=old_hold.pk).exists()
    event.refresh_from_db()
    assert event.enrollment is None  # the webhook log stays, without the link
    assert others.count() == 2
    beat = app.conf.beat_schedule["accounts-purge-expired-payment-records"]
    assert beat["task"] == "accounts.tasks.purge_expired_payment_records"


def test_everything_else_personal_is_erased(client_for, learner, learner_data):
    delete(client_for, learner)

    assert not Progress.objects.filter(user=learner).exists()
    assert not Subscription.objects.filter(user=learner).exists()
    assert not ForumProfile.objects.filter(user=learner).exists()
    assert not Report.objects.filter(reporter=learner).exists()
    assert not Subscriber.objects.filter(email="learner@example.com").exists()
    assert not WaitlistEntry.objects.filter(email="learner@example.com").exists()
    assert not FinancialAidRequest.objects.filter(email="learner@example.com").exists()


def test_kept_forum_posts_show_as_former_member(client_for, learner, other_learner, learner_data):
    delete(client_for, learner, "keep")

    topic = learner_data["shared_topic"]
    page = client_for(other_learner).get(reverse("forum:topic", args=[topic.pk])).content.decode()
    assert "Learner-reply-text-77" in page
    assert "Former member" in page
    assert "Lee Learner" not in page


def test_erased_forum_posts_lose_their_text_and_others_replies_stay(
    client_for, learner, other_learner, learner_data
):
    delete(client_for, learner, "erase")

    assert not Topic.objects.filter(pk=learner_data["own_topic"].pk).exists()
    topic = Topic.objects.get(pk=learner_data["shared_topic"].pk)
    assert topic.title == "A topic by a former member"
    assert not Post.objects.filter(author=learner).exclude(body="").exists()
    page = client_for(other_learner).get(reverse("forum:topic", args=[topic.pk])).content.decode()
    assert "Learner-reply-text-77" not in page
    assert "Client name in title" not in page
    assert "A reply by someone else." in page


def test_confirmation_email_goes_to_the_old_address_without_private_text(
    client_for, learner, learner_data, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        delete(client_for, learner)

    sent = [m for m in mail.outbox if m.to == ["learner@example.com"]]
    assert len(sent) == 1
    assert "deleted" in sent[0].subject
    body = sent[0].body + sent[0].alternatives[0][0]
    assert f"{services.PAYMENT_RECORD_YEARS} years" in body
    assert "Quentin" not in body
    assert "Learner-reply-text-77" not in body


def test_deleting_frees_the_seat_for_the_waitlist(client_for, learner, learner_data, cohort):
    before = cohort.seats_free
    delete(client_for, learner)

    cohort.refresh_from_db()
    assert cohort.seats_free == before + 1


def test_the_email_address_can_sign_up_again(client_for, learner, learner_data):
    delete(client_for, learner)

    again = factories.make_user("learner@example.com")

    assert again.pk != learner.pk


def test_every_model_pointing_to_a_user_has_a_deletion_rule():
    """A new model with a foreign key to the user must say what deleting an account does."""
    missing = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                field.is_relation
                and field.concrete
                and (field.many_to_one or field.one_to_one)
                and field.related_model is not None
                and field.related_model._meta.label == settings.AUTH_USER_MODEL
            ):
                key = f"{model._meta.label}.{field.name}"
                if key not in services.DELETION_PLAN:
                    missing.append(key)
    assert missing == []


# Staff delete an account for a learner who asked by email ----------------------------------


@pytest.fixture
def superuser_client(db):
    from tests.security.world import pass_mfa

    admin_user = factories.make_user("root@example.com", is_staff=True, is_superuser=True)
    c = Client()
    c.force_login(admin_user)
    pass_mfa(c, admin_user)
    return c


def test_superuser_deletes_a_learner_after_a_confirmation_page(
    superuser_client, learner, learner_data, staff
):
    changelist = reverse("admin:accounts_user_changelist")
    selection = {"action": "delete_accounts", "_selected_action": [learner.pk, staff.pk]}

    confirm = superuser_client.post(changelist, selection)

    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "learner@example.com" in page
    assert "1 selected account is left alone" in page
    learner.refresh_from_db()
    assert learner.is_active

    done = superuser_client.post(
        changelist, {**selection, "confirmed": "1", "forum_posts": "erase"}, follow=True
    )

    assert "Deleted 1 account(s)" in done.content.decode()
    learner.refresh_from_db()
    staff.refresh_from_db()
    assert not learner.is_active
    assert staff.is_active
    assert not Question.objects.filter(asker=learner).exists()
    assert not Post.objects.filter(author=learner).exclude(body="").exists()


def test_staff_without_the_delete_permission_do_not_get_the_action(client_for, staff, learner):
    from tests.security.world import pass_mfa

    c = client_for(staff)
    pass_mfa(c, staff)
    page = c.get(reverse("admin:accounts_user_changelist")).content.decode()

    assert "delete_accounts" not in page
    c.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_accounts", "_selected_action": [learner.pk], "confirmed": "1"},
    )
    learner.refresh_from_db()
    assert learner.is_active


def test_export_holds_the_email_settings(client_for, learner):
    from accounts.models import EmailSettings

    c = client_for(learner)
    assert c.get(reverse("accounts:export")).json()["email_settings"] == dict.fromkeys(
        EmailSettings.KINDS, True
    )
    EmailSettings.objects.create(user=learner, group_reminders=False)
    settings = c.get(reverse("accounts:export")).json()["email_settings"]
    assert settings["group_reminders"] is False
    assert settings["answer_notices"] is True

"""The audit log: reading and answering private questions in the admin, enrolment changes,
refunds, exports and permission changes are recorded; only superusers can read the log, and
nobody can change or delete it."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts import roles
from audit.models import AuditEvent
from courses.models import Enrollment
from tests import factories
from tests.qa.conftest import CANARY, make_question

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


def only_event(**filters) -> AuditEvent:
    [event] = AuditEvent.objects.filter(**filters)
    return event


def admin_action(client, app_model: str, name: str, ids: list[int]):
    return client.post(
        reverse(f"admin:{app_model}_changelist"),
        {"action": name, "_selected_action": ids},
        follow=True,
    )


@pytest.fixture
def superuser(db):
    return factories.make_user("root@example.com", is_staff=True, is_superuser=True)


# What is recorded ----------------------------------------------------------------------------


def test_reading_a_private_question_in_the_admin_is_recorded(client_for, instructor, learner):
    question = make_question(learner, title=f"About {CANARY}", text=f"My client {CANARY}")
    client = client_for(instructor)

    client.get(reverse("admin:qa_question_change", args=[question.pk]), REMOTE_ADDR="10.1.2.3")

    event = only_event(action=Action.QUESTION_VIEWED)
    assert (event.actor, event.actor_label) == (instructor, instructor.email)
    assert (event.object_type, event.object_id) == ("qa.question", str(question.pk))
    assert event.ip == "10.1.2.3"
    # The log names the question by number: its private text never enters the log.
    row = " ".join(str(v) for v in AuditEvent.objects.values_list().get())
    assert CANARY not in row


@pytest.mark.postgres  # where the address is an `inet`, which refuses anything else
def test_behind_a_proxy_a_forwarded_hop_that_is_not_an_address_records_the_proxys(
    client_for, instructor, learner, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    question = make_question(learner)
    url = reverse("admin:qa_question_change", args=[question.pk])

    response = client_for(instructor).get(
        url, HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="10.0.0.2"
    )

    assert response.status_code == 200
    assert only_event(action=Action.QUESTION_VIEWED).ip == "10.0.0.2"


def test_the_queue_alone_records_no_reading(client_for, instructor, learner):
    make_question(learner)
    client_for(instructor).get(reverse("admin:qa_question_changelist"))
    assert not AuditEvent.objects.exists()


def test_sending_an_answer_is_recorded(
    client_for, instructor, learner, django_capture_on_commit_callbacks
):
    from tests.qa.test_admin_queue import answer_form

    question = make_question(learner)
    url = reverse("admin:qa_question_change", args=[question.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client_for(instructor).post(url, answer_form(question, text="<p>Try this.</p>", send=True))

    event = only_event(action=Action.QUESTION_ANSWERED)
    assert (event.actor, event.object_id) == (instructor, str(question.pk))


def test_enrolling_someone_by_hand_is_recorded(
    client_for, staff, outsider, cohort, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(
            reverse("admin:courses_enrollment_add"),
            {"user": outsider.pk, "cohort": cohort.pk, "status": "comped", "amount_paid_cents": 0},
        )
    enrollment = Enrollment.objects.get(user=outsider)
    event = only_event(action=Action.ENROLMENT_CREATED)
    assert (event.actor, event.object_id) == (staff, str(enrollment.pk))
    assert "comped" in event.detail


def test_cancelling_an_enrolment_is_recorded(client_for, staff, learner):
    enrollment = Enrollment.objects.get(user=learner)
    admin_action(client_for(staff), "courses_enrollment", "cancel_enrolments", [enrollment.pk])
    event = only_event(action=Action.ENROLMENT_CANCELLED)
    assert (event.actor, event.object_id, event.detail) == (
        staff,
        str(enrollment.pk),
        "active → cancelled",
    )


def test_a_refund_is_recorded(client_for, staff, learner, fake_stripe):
    enrollment = Enrollment.objects.get(user=learner)
    Enrollment.objects.filter(pk=enrollment.pk).update(stripe_payment_intent="pi_paid")
    admin_action(client_for(staff), "courses_enrollment", "refund_enrolments", [enrollment.pk])
    event = only_event(action=Action.ENROLMENT_REFUNDED)
    assert (event.actor, event.object_id) == (staff, str(enrollment.pk))


def test_a_refused_refund_records_nothing(client_for, staff, learner):
    enrollment = Enrollment.objects.get(user=learner)  # no payment to refund
    admin_action(client_for(staff), "courses_enrollment", "refund_enrolments", [enrollment.pk])
    assert not AuditEvent.objects.filter(action=Action.ENROLMENT_REFUNDED).exists()


def test_exporting_enrolments_is_recorded(client_for, staff, learner):
    enrollment = Enrollment.objects.get(user=learner)
    admin_action(client_for(staff), "courses_enrollment", "export_csv", [enrollment.pk])
    event = only_event(action=Action.EXPORT)
    assert (event.actor, event.detail) == (staff, "1 enrolments as CSV")


def test_exporting_newsletter_readers_is_recorded(client_for, staff):
    from newsletter.models import Subscriber

    Subscriber.objects.create(email="a@example.com", status="confirmed")
    Subscriber.objects.create(email="b@example.com", status="confirmed")
    response = client_for(staff).get(reverse("admin:newsletter_subscriber_export"))
    b"".join(response.streaming_content)
    event = only_event(action=Action.EXPORT)
    assert (event.actor, event.detail) == (staff, "2 newsletter readers as CSV")


def test_giving_someone_a_staff_role_is_recorded(client_for, superuser, outsider):
    url = reverse("admin:accounts_user_change", args=[outsider.pk])
    client = client_for(superuser)
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "is_active": "on",
            "is_staff": "on",
            "groups": [Group.objects.get(name=roles.STAFF).pk],
            "user_permissions": [],
            "date_joined_0": outsider.date_joined.date().isoformat(),
            "date_joined_1": outsider.date_joined.time().strftime("%H:%M:%S"),
        }
    )
    data = {k: v for k, v in data.items() if k not in {"last_login", "date_joined"}}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    event = only_event(action=Action.PERMISSIONS_CHANGED)
    assert (event.actor, event.object_type, event.object_id) == (
        superuser,
        "accounts.user",
        str(outsider.pk),
    )
    assert event.detail == "is_staff: False → True; groups: +Staff"


def test_saving_a_profile_without_permission_changes_records_nothing(client_for, superuser):
    person = factories.make_user("p@example.com", display_name="Pat")
    url = reverse("admin:accounts_user_change", args=[person.pk])
    client = client_for(superuser)
    client.post(
        url,
        {
            "email": person.email,
            "display_name": "Pat Changed",
            "time_zone": person.time_zone,
            "is_active": "on",
        },
    )
    person.refresh_from_db()
    assert person.display_name == "Pat Changed"
    assert not AuditEvent.objects.exists()


def test_changing_a_roles_permissions_is_recorded(client_for, superuser):
    group = Group.objects.get(name=roles.STAFF)
    perm = Permission.objects.get(codename="view_question")  # staff may not read questions
    kept = list(group.permissions.values_list("pk", flat=True))
    response = client_for(superuser).post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": group.name, "permissions": [*kept, perm.pk]},
    )
    assert response.status_code == 302
    event = only_event(action=Action.PERMISSIONS_CHANGED)
    assert event.object_type == "auth.group"
    assert event.detail == "permissions: +Questions & answers | question | Can view question"


# Who can read it -----------------------------------------------------------------------------


def test_superusers_read_the_log(client_for, superuser, staff):
    AuditEvent.record(action=Action.EXPORT, actor=staff, detail="3 enrolments as CSV")
    client = client_for(superuser)
    response = client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 200
    assert "3 enrolments as CSV" in response.content.decode()
    assert "Audit log" in client.get(reverse("admin:index")).content.decode()


@pytest.mark.parametrize("persona", ["staff", "instructor"])
def test_staff_cannot_read_the_log(request, client_for, persona):
    user = request.getfixturevalue(persona)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="audit"))
    event = AuditEvent.record(action=Action.EXPORT, actor=user, detail="x")
    client = client_for(user)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_change", args=[event.pk])).status_code in (
        403,
        302,
    )
    assert "Audit log" not in client.get(reverse("admin:index")).content.decode()


def test_nobody_changes_or_deletes_the_log(client_for, superuser, staff):
    event = AuditEvent.record(action=Action.EXPORT, actor=staff, detail="1 enrolments as CSV")
    client = client_for(superuser)
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'type="submit"' not in page.content.decode().split('id="content-main"')[1]
    client.post(change, {"detail": "nothing happened"})
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    event.refresh_from_db()
    assert event.detail == "1 enrolments as CSV"


def test_a_refund_made_at_stripe_is_recorded_as_the_systems(learner):
    from courses import services

    enrollment = Enrollment.objects.get(user=learner)
    Enrollment.objects.filter(pk=enrollment.pk).update(stripe_payment_intent="pi_dash")
    charge = {"payment_intent": "pi_dash", "amount": 5000, "amount_refunded": 5000}

    services.record_charge_refund(charge=charge)
    services.record_charge_refund(charge=charge)  # Stripe retries: recorded once

    event = only_event(action=Action.ENROLMENT_REFUNDED)
    assert (event.actor, event.actor_label, event.object_id) == (None, "", str(enrollment.pk))
    assert event.detail == "refunded at Stripe (charge.refunded)"


def test_a_refund_from_the_admin_is_not_recorded_twice_when_stripe_confirms_it(
    client_for, staff, learner, fake_stripe
):
    from courses import services

    enrollment = Enrollment.objects.get(user=learner)
    Enrollment.objects.filter(pk=enrollment.pk).update(stripe_payment_intent="pi_paid")
    admin_action(client_for(staff), "courses_enrollment", "refund_enrolments", [enrollment.pk])
    services.record_charge_refund(
        charge={"payment_intent": "pi_paid", "amount": 5000, "refunded": True}
    )
    assert only_event(action=Action.ENROLMENT_REFUNDED).actor == staff


def test_a_lost_dispute_ending_access_is_recorded(learner):
    from courses import services

    enrollment = Enrollment.objects.get(user=learner)
    Enrollment.objects.filter(pk=enrollment.pk).update(stripe_payment_intent="pi_disputed")
    dispute = {"payment_intent": "pi_disputed", "status": "lost"}

    services.record_dispute(dispute=dispute, closed=True)

    event = only_event(action=Action.ENROLMENT_CANCELLED)
    assert (event.actor, event.object_id, event.detail) == (
        None,
        str(enrollment.pk),
        "dispute lost at Stripe",
    )


def test_granting_financial_aid_is_recorded(client_for, staff, course, cohort):
    from courses.models import FinancialAidRequest, Offer

    aid = FinancialAidRequest.objects.create(
        course=course, name="Ada Aid", email="ada@example.com", message=f"private {CANARY}"
    )
    admin_action(client_for(staff), "courses_financialaidrequest", "grant_free_place", [aid.pk])

    offer = Offer.objects.get()
    event = only_event(action=Action.AID_GRANTED)
    assert (event.actor, event.object_type, event.object_id) == (
        staff,
        "courses.financialaidrequest",
        str(aid.pk),
    )
    assert event.detail.startswith(f"offer #{offer.pk} at ")
    assert CANARY not in event.detail

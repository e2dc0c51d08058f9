"""Certificates: the PDF's text, the public verification page, revocation and reissue, access,
the staff reports and what account deletion keeps."""

import csv
import io

import pytest
from pypdf import PdfReader

from accounts import services as account_services
from audit.models import AuditEvent
from ce.models import Certificate, EvaluationResponse
from tests.ce.conftest import STATEMENT, all_done

pytestmark = pytest.mark.django_db


@pytest.fixture
def certified(ce, learner, client_for):
    """The learner with everything done and their certificate issued."""
    client = client_for(learner)
    all_done(client, learner, ce)
    entered = {"name": "  Łukasz   Żółć-Дарья ", "credentials": "LMHC, PhD"}
    response = client.post(f"/ce/{ce.credit.course.slug}/certificate/", entered)
    certificate = Certificate.objects.get(user=learner)
    assert response["Location"] == certificate.get_absolute_url()
    return certificate


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_carries_name_credentials_hours_dates_statement_and_verify_url(
    certified, learner, client_for
):
    response = client_for(learner).get(certified.get_absolute_url())

    assert response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    assert "Łukasz Żółć-Дарья, LMHC, PhD" in text
    assert "How Therapy Works" in text
    assert "Trimester 1: How Therapy Works (Spring 2027)" in text
    assert "Live (interactive) hours: 1.25" in text
    assert "Home-study hours: 4.25" in text  # 2 lessons × 1.5 + a recording of 1.25
    assert "Total: 5.5" in text
    assert STATEMENT in text
    assert "Provider number APA-123" in text
    assert f"http://testserver/verify/{certified.code}/" in text
    assert f"{certified.completed_on:%B %-d, %Y}" in text


def test_the_code_is_long_and_random(certified):
    assert len(certified.code) >= 32
    assert certified.code not in (str(certified.pk), certified.user.email)


def test_two_requests_make_one_certificate(certified, ce, learner, client_for):
    client_for(learner).post(f"/ce/{ce.credit.course.slug}/certificate/", {"name": "Other"})

    assert Certificate.objects.filter(user=learner).count() == 1
    assert certified.name == "Łukasz Żółć-Дарья"  # as entered, spaces tidied, not the profile's


def test_the_verification_page_shows_only_name_program_hours_date_and_validity(
    certified, learner, client
):
    page = client.get(certified.get_verify_url()).content.decode()

    assert "Valid" in page
    for shown in ["Łukasz Żółć-Дарья", "Trimester 1: How Therapy Works", "1.25 live"]:
        assert shown in page
    assert "4.25 home study" in page
    assert f"{certified.completed_on:%B %-d, %Y}" in page
    for hidden in [learner.email, "LMHC", STATEMENT, "APA-123", "Question", "Group 1"]:
        assert hidden not in page


def test_an_unknown_code_is_a_404_that_says_so(client, certified):
    response = client.get(f"/verify/{'x' * 32}/")

    assert response.status_code == 404
    assert "No certificate has this code." in response.content.decode()


def test_another_learner_gets_404_for_the_certificate_and_the_transcript(
    certified, ce, other_learner, outsider, client_for
):
    for person in (other_learner, outsider):
        client = client_for(person)
        assert client.get(certified.get_absolute_url()).status_code == 404
        assert client.get(f"/ce/{ce.credit.course.slug}/").status_code == 404
        assert client.get(f"/ce/{ce.credit.course.slug}/post-test/").status_code == 404


def test_a_visitor_is_sent_to_sign_in(certified, client):
    response = client.get(certified.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_name_is_required_and_an_error_shows_next_to_it(ce, learner, client_for):
    client = client_for(learner)
    all_done(client, learner, ce)

    response = client.post(f"/ce/{ce.credit.course.slug}/certificate/", {"name": "  "})

    assert response.status_code == 200
    assert 'id="id_name_error"' in response.content.decode()
    assert not Certificate.objects.exists()


def revoke(client, certificate, action: str, reason: str = "Name misspelt"):
    return client.post(
        f"/admin/ce/certificate/{certificate.pk}/revoke/", {"action": action, "reason": reason}
    )


def test_staff_revoke_with_a_reason_and_the_verification_page_says_revoked(
    certified, staff, client_for, client
):
    response = revoke(client_for(staff), certified, "revoke", "Attendance entered in error")

    assert response.status_code == 302
    certified.refresh_from_db()
    assert certified.revoked_reason == "Attendance entered in error"
    page = client.get(certified.get_verify_url()).content.decode()
    assert "Revoked" in page and "Valid<" not in page
    event = AuditEvent.objects.get(action=AuditEvent.Action.CERTIFICATE_REVOKED)
    assert event.actor == staff
    assert event.object_id == str(certified.pk)
    assert "Attendance entered in error" in event.detail


def test_staff_reissue_with_a_new_code_and_a_corrected_name(
    certified, learner, staff, client_for, client
):
    client_for(staff).post(
        f"/admin/ce/certificate/{certified.pk}/revoke/",
        {"action": "reissue", "reason": "Name misspelt", "name": "Lukasz Zolc"},
    )

    new = Certificate.objects.valid().get(user=learner)
    assert new.code != certified.code
    assert (new.name, new.credentials) == ("Lukasz Zolc", "LMHC, PhD")
    assert new.replaces_id == certified.pk
    assert "Revoked" in client.get(certified.get_verify_url()).content.decode()
    assert "Lukasz Zolc" in client.get(new.get_verify_url()).content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CERTIFICATE_REISSUED).count() == 1


def test_revoking_needs_a_reason(certified, staff, client_for):
    response = revoke(client_for(staff), certified, "revoke", "")

    assert response.status_code == 200
    certified.refresh_from_db()
    assert certified.is_valid


def test_a_learner_cannot_revoke(certified, learner, client_for):
    revoke(client_for(learner), certified, "revoke")

    certified.refresh_from_db()
    assert certified.is_valid


def test_the_evaluation_export_has_no_names(certified, ce, learner, staff, client_for):
    response = client_for(staff).get(
        f"/admin/ce/coursecredit/reports/{ce.sessions[0].cohort_id}/evaluations.csv"
    )

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["response", "Overall quality", "What would you change?"], ["1", "4", ""]]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1


def test_the_hours_export_lists_each_learner_of_the_run(certified, ce, learner, staff, client_for):
    cohort_id = ce.sessions[0].cohort_id
    response = client_for(staff).get(f"/admin/ce/coursecredit/reports/{cohort_id}/hours.csv")

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert rows[0]["email"] == learner.email
    assert rows[0]["live hours"] == "1.25"
    assert rows[0]["home-study hours counted"] == "4.25"
    assert rows[0]["certificate"] == certified.code


def test_learners_cannot_reach_the_reports(ce, learner, client_for):
    response = client_for(learner).get(
        f"/admin/ce/coursecredit/reports/{ce.sessions[0].cohort_id}/hours.csv"
    )

    assert response.status_code == 302


def test_the_data_export_holds_the_ce_records(certified, learner, client_for):
    data = client_for(learner).get("/profile/my-data.json").json()

    ce_data = data["continuing_education"]
    assert ce_data["certificates"][0]["code"] == certified.code
    assert ce_data["post_tests"][0]["best_percent"] == 100
    assert ce_data["evaluations"][0]["answers"][0]["rating"] == 4
    assert len(ce_data["recordings_watched"]) == 1


def test_deleting_the_account_keeps_the_certificate_and_verification_shows_only_validity(
    certified, learner, client
):
    account_services.delete_account(user=learner, keep_forum_posts=False)

    certified.refresh_from_db()
    assert certified.holder_erased_at is not None
    page = client.get(certified.get_verify_url()).content.decode()
    assert "Valid" in page
    for hidden in ["Łukasz", "Trimester 1", "1.25", "home study"]:
        assert hidden not in page
    assert not learner.ce_test_results.exists()
    assert not learner.ce_recording_views.exists()
    assert learner.ce_evaluations.count() == 0
    assert EvaluationResponse.objects.filter(user=None).count() == 1  # kept, without the account


def test_staff_see_evaluation_results_per_run_without_names(
    certified, ce, learner, staff, client_for
):
    cohort_id = ce.sessions[0].cohort_id
    page = client_for(staff).get(f"/admin/ce/coursecredit/reports/{cohort_id}/evaluations/")

    body = page.content.decode()
    assert page.status_code == 200
    assert "Overall quality" in body and "mean 4.0" in body
    for name in (learner.email, "Łukasz", learner.display_name):
        assert name not in body


def test_certificates_of_deleted_accounts_go_after_the_keeping_time(certified, learner):
    import datetime as dt

    import time_machine

    from ce import privacy

    account_services.delete_account(user=learner, keep_forum_posts=False)
    later = dt.timedelta(days=round(365.25 * privacy.CE_RECORD_YEARS))
    with time_machine.travel(certified.issued_at + later - dt.timedelta(days=2)):
        assert privacy.purge_expired() == 0
    with time_machine.travel(certified.issued_at + later + dt.timedelta(days=2)):
        assert privacy.purge_expired() == 1
    assert not Certificate.objects.exists()


def test_an_open_accounts_certificates_are_never_purged(certified):
    import datetime as dt

    from django.utils import timezone

    from ce import privacy

    assert privacy.purge_expired(now=timezone.now() + dt.timedelta(days=365 * 50)) == 0

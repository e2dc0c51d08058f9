"""The admin index's "Needs attention" panel (issue 23, point 5): questions waiting (count,
the oldest's wait, overdue in red), seats and waitlist per open run, offers about to lapse,
today's Friday group and newsletter issues being sent — each linked to its filtered list,
each shown only to those who may view it, in a constant number of queries."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Offer, WaitlistEntry
from newsletter.models import Issue
from tests import factories
from tests.qa.conftest import CANARY, make_question
from zoomgroups.models import GroupSession, program_tz

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


def panel(client) -> str:
    page = client.get(INDEX).content.decode()
    assert 'id="needs-attention"' in page
    return page.split('id="needs-attention"')[1].split("</ul>")[0]


def add_offer(cohort, hours: float, n: int = 0) -> Offer:
    return Offer.objects.create(
        cohort=cohort,
        name=f"Person {n}",
        email=f"person{n}@example.com",
        price_cents=0,
        expires_at=timezone.now() + dt.timedelta(hours=hours),
    )


@pytest.fixture
def busy(learner, cohort, settings):
    settings.QA_ANSWER_TARGET_DAYS = 7
    now = timezone.now()
    make_question(learner, title=f"Old {CANARY}", created_at=now - dt.timedelta(days=10))
    make_question(learner, created_at=now - dt.timedelta(days=1))
    WaitlistEntry.objects.create(
        course=cohort.course, cohort=cohort, name="W", email="w@example.com"
    )
    add_offer(cohort, hours=3, n=1)
    add_offer(cohort, hours=72, n=2)
    today = timezone.now().astimezone(program_tz()).date()
    GroupSession.objects.create(
        cohort=cohort,
        slot=1,
        starts_at=dt.datetime.combine(today, dt.time(17), tzinfo=program_tz()),
        topic="Shame and the body",
        join_url="https://zoom.us/j/1234567890",
    )
    Issue.objects.create(
        number=7, title="TIFT 7", body="<p>Hi</p>", status=Issue.Status.SENDING,
        recipients_total=100, sent_count=40,
    )  # fmt: skip
    return cohort


def test_the_instructor_sees_what_needs_attention_with_links_to_filtered_lists(
    client_for, instructor, busy
):
    shown = panel(client_for(instructor))

    questions = reverse("admin:qa_question_changelist")
    assert f'href="{questions}?status__exact=waiting"><strong>2</strong> questions waiting' in shown
    assert "the oldest for 1\xa0week, 3\xa0days" in shown
    assert f'class="qa-badge qa-badge-overdue" href="{questions}?overdue=yes">1 overdue' in shown
    assert CANARY not in shown  # counts, never titles

    enrolments = reverse("admin:courses_enrollment_changelist")
    assert f'href="{enrolments}?run={busy.pk}">{busy}</a>' in shown
    assert f"1 of {busy.seat_cap} seats taken, 2 held" in shown  # two pending offers hold seats
    waitlist = reverse("admin:courses_waitlistentry_changelist")
    assert f'{waitlist}?course__id__exact={busy.course_id}">1 on the waitlist' in shown

    offers = reverse("admin:courses_offer_changelist")
    assert f'href="{offers}?status__exact=pending">1 offer about to lapse' in shown

    today = timezone.now().astimezone(program_tz()).date()
    sessions = reverse("admin:zoomgroups_groupsession_changelist")
    assert f"{sessions}?starts_at__day={today.day}&amp;starts_at__month={today.month}" in shown
    assert "Shame and the body" in shown

    issues = reverse("admin:newsletter_issue_changelist")
    assert f'href="{issues}?status__exact=sending">1 newsletter issue being sent' in shown
    assert "#7, 40 of 100 sent" in shown


def test_the_filtered_lists_answer(client_for, instructor, busy):
    client = client_for(instructor)
    for href in [
        "/admin/qa/question/?status__exact=waiting",
        "/admin/qa/question/?overdue=yes",
        f"/admin/courses/enrollment/?run={busy.pk}",
        f"/admin/courses/waitlistentry/?course__id__exact={busy.course_id}",
        "/admin/courses/offer/?status__exact=pending",
        "/admin/newsletter/issue/?status__exact=sending",
    ]:
        response = client.get(href)
        assert response.status_code == 200, href
        assert "?e=1" not in response.get("Location", ""), href  # not an invalid filter


def test_staff_without_the_qa_permission_see_no_questions(client_for, staff, busy):
    shown = panel(client_for(staff))
    assert "question" not in shown
    assert "seats taken" in shown


def test_a_session_without_the_second_factor_sees_no_panel(instructor, busy):
    client = Client()
    client.force_login(instructor)
    response = client.get(INDEX, follow=True)
    assert "needs-attention" not in response.content.decode()


def test_the_panel_queries_do_not_grow(client_for, instructor, busy, django_assert_max_num_queries):
    client = client_for(instructor)
    client.get(INDEX)
    with django_assert_max_num_queries(40) as first:
        client.get(INDEX)
    for n in range(5):
        run = factories.make_cohort(busy.course, name=f"Open {n}", slug=f"open-{n}")
        add_offer(run, hours=1, n=10 + n)
        make_question(factories.make_user(), created_at=timezone.now() - dt.timedelta(days=n))
    with django_assert_max_num_queries(len(first)):
        client.get(INDEX)

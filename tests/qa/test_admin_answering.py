"""Answering comfortably in the admin (issue 23, point 3): beside the editor the question,
the learner's earlier questions and library entries that may answer it; distinct draft and
send buttons; the original question beside its library rewrite; staff land in the admin."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from qa.models import LibraryEntry
from tests.conftest import skip_or_fail
from tests.qa.conftest import CANARY, answer_question, make_entry, make_question
from tests.security.test_mfa import code_for, sign_in_with_password, with_app

pytestmark = pytest.mark.django_db


def change_url(question):
    return reverse("admin:qa_question_change", args=[question.pk])


def test_the_answer_page_lists_the_learners_earlier_questions_titles_and_dates_only(
    client_for, instructor, learner, other_learner
):
    now = timezone.now()
    first = make_question(
        learner, title="How do I begin with grief?", text=f"Private {CANARY}",
        created_at=now - dt.timedelta(days=30),
    )  # fmt: skip
    make_question(
        other_learner, title="Someone else's question", created_at=now - dt.timedelta(days=9)
    )
    later = make_question(
        learner, title="Asked after this one", created_at=now + dt.timedelta(days=1)
    )
    question = make_question(learner, title="Shame in the second session", created_at=now)

    page = client_for(instructor).get(change_url(question)).content.decode()

    earlier = page.split('id="qa-earlier-questions"')[1].split("</ul>")[0]
    assert "How do I begin with grief?" in earlier
    # The date as the instructor reads it: in their own time zone (in New York it is still
    # the day before while the UTC day begins).
    asked = (now - dt.timedelta(days=30)).astimezone(instructor.tzinfo)
    assert asked.strftime("%-d %b %Y") in earlier
    assert change_url(first) in earlier
    assert CANARY not in earlier  # titles and dates, not the text
    assert "Someone else" not in earlier
    assert later.title not in earlier


def test_a_first_question_says_so(client_for, instructor, learner):
    question = make_question(learner, title="My first question")
    page = client_for(instructor).get(change_url(question)).content.decode()
    assert "None: this is their first question." in page


def test_library_entries_sharing_words_with_the_title_are_suggested(
    client_for, instructor, learner, is_postgres
):
    if not is_postgres:
        skip_or_fail("REQUIRE_POSTGRES", "full-text search is PostgreSQL's")
    match = make_entry(title="Grief that hides behind anger")
    make_entry(title="Formulating the first session")
    draft = make_entry(title="Grief, a draft not yet published", published=False)
    question = make_question(learner, title="Working with grief in a couple")

    page = client_for(instructor).get(change_url(question)).content.decode()

    matches = page.split('id="qa-library-matches"')[1].split("</ul>")[0]
    assert match.get_absolute_url() in matches
    assert "Formulating" not in matches
    assert draft.title not in matches


def test_draft_and_send_are_distinct_buttons(client_for, instructor, learner):
    question = make_question(learner)
    page = client_for(instructor).get(change_url(question)).content.decode()
    assert 'value="Send the answer to the learner" name="_send_answer"' in page
    assert 'value="Save as draft (not sent)" name="_continue"' in page
    # The editor sits in the wide column, beside the question.
    assert page.index('class="qa-answer-context"') < page.index('class="qa-answer-main"')


def test_the_answer_page_queries_do_not_grow_with_the_learners_history(
    client_for, instructor, learner, django_assert_max_num_queries
):
    question = make_question(learner)
    client = client_for(instructor)
    client.get(change_url(question))
    with django_assert_max_num_queries(30) as few:
        client.get(change_url(question))
    for n in range(15):
        answer_question(
            make_question(learner, created_at=timezone.now() - dt.timedelta(days=n + 1))
        )
        make_entry(title=f"Question {n} rewritten")
    with django_assert_max_num_queries(len(few)):
        client.get(change_url(question))


def test_the_library_rewrite_shows_the_original_question_to_the_instructor_only(
    client_for, instructor, staff, learner
):
    question = make_question(
        learner, title="Original title", text=f"My client {CANARY} said", consent_to_publish=True
    )
    answer_question(question)
    client = client_for(instructor)
    response = client.post(reverse("admin:qa_question_start_library_entry", args=[question.pk]))
    entry_url = response["Location"]

    page = client.get(entry_url).content.decode()
    start = page.index("field-original_question")
    row = page[start : page.index('class="form-row', start)]
    assert CANARY in row and "Original title" in row
    assert 'name="question"' in row  # the rewrite sits beside it, on the same row
    assert AuditEvent.objects.filter(action=AuditEvent.Action.QUESTION_VIEWED).exists()

    question.refresh_from_db()
    LibraryEntry.objects.filter(pk=question.library_entry_id).update(
        status=LibraryEntry.Status.PUBLISHED, deidentified_confirmed=True
    )
    staff_page = client_for(staff).get(entry_url).content.decode()
    assert CANARY not in staff_page
    assert "original question" not in staff_page


@pytest.mark.parametrize("who", ["instructor", "staff"])
def test_staff_land_in_the_admin_after_signing_in_with_their_code(client, request, who):
    user = request.getfixturevalue(who)
    secret = with_app(user)
    step = sign_in_with_password(client, user.email)
    assert step["Location"] == reverse("mfa_authenticate")  # the second factor first

    done = client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})

    assert done["Location"] == reverse("admin:index")
    assert "Program administration" in client.get(done["Location"]).content.decode()


def test_a_learner_still_lands_on_the_dashboard(client, learner):
    response = sign_in_with_password(client, learner.email)
    assert response["Location"] == reverse("courses:dashboard")

"""A canary string in a question never leaves the asker's and the instructor's pages: not in
emails, logs, the library, the digest or another learner's pages."""

import logging

import pytest
from django.core.cache import cache
from django.urls import reverse

from qa.models import LibraryEntry, Question
from qa.tasks import send_question_digest
from tests.qa.conftest import CANARY

pytestmark = pytest.mark.django_db


def test_the_canary_stays_private_through_the_whole_journey(
    client_for,
    learner,
    other_learner,
    instructor,
    staff,
    course,
    mailoutbox,
    caplog,
    django_capture_on_commit_callbacks,
):
    cache.clear()
    caplog.set_level(logging.DEBUG)
    asker, teacher = client_for(learner), client_for(instructor)

    with django_capture_on_commit_callbacks(execute=True):
        asker.post(
            reverse("qa:ask"),
            {
                "title": f"Title {CANARY}",
                "text": f"Text {CANARY} with details",
                "course": course.pk,
                "consent_to_publish": "on",
            },
        )
    question = Question.objects.get()
    change = reverse("admin:qa_question_change", args=[question.pk])
    with django_capture_on_commit_callbacks(execute=True):
        teacher.post(
            change,
            {
                "answer-TOTAL_FORMS": "1",
                "answer-INITIAL_FORMS": "0",
                "answer-MIN_NUM_FORMS": "0",
                "answer-MAX_NUM_FORMS": "1",
                "answer-0-text": "<p>The answer.</p>",
                "answer-0-video_url": "",
                "answer-0-question": str(question.pk),
                "_send_answer": "1",
            },
        )
    with django_capture_on_commit_callbacks(execute=True):
        asker.post(question.get_absolute_url(), {"text": f"Follow-up {CANARY}"})
        teacher.post(question.get_absolute_url(), {"text": "Instructor follow-up."})
        send_question_digest()
        teacher.post(reverse("admin:qa_question_start_library_entry", args=[question.pk]))
    entry = LibraryEntry.objects.get()
    teacher.post(
        reverse("admin:qa_libraryentry_change", args=[entry.pk]),
        {
            "title": "A rewritten title",
            "question": "A rewritten question.",
            "answer": entry.answer,
            "video_url": "",
            "status": "published",
            "deidentified_confirmed": "on",
        },
    )
    entry.refresh_from_db()
    assert entry.is_published

    # The journey really happened and produced mail (answer, reply, digest).
    assert len(mailoutbox) == 3
    for message in mailoutbox:
        everything = message.subject + message.body + "".join(a[0] for a in message.alternatives)
        assert CANARY not in everything
    assert caplog.records, "something was logged"
    assert CANARY not in caplog.text

    other = client_for(other_learner)
    pages = [
        other.get(reverse("qa:library")),
        other.get(reverse("qa:library") + "?q=details"),
        other.get(reverse("qa:library_entry", args=[entry.pk])),
        other.get(reverse("qa:my_questions")),
        other.get(reverse("courses:dashboard")),
        other.get(question.get_absolute_url()),
        client_for(staff).get(reverse("admin:qa_libraryentry_change", args=[entry.pk])),
        client_for(staff).get(reverse("admin:qa_libraryentry_changelist")),
    ]
    assert pages[2].status_code == 200
    assert other.get(reverse("qa:library") + f"?q={CANARY}").context["page"].paginator.count == 0
    assert pages[5].status_code == 404
    for response in pages:
        assert CANARY not in response.content.decode()
    # The asker still sees their own words.
    assert CANARY in asker.get(question.get_absolute_url()).content.decode()

"""The Q&A Video Library: publishing rules in the admin, and the learners' pages."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from qa import services
from qa.models import LibraryEntry, Question
from tests.qa.conftest import (
    CANARY,
    answer_question,
    make_entry,
    make_lesson,
    make_question,
    make_topic,
    shown_entries,
    snippet_of,
)

pytestmark = pytest.mark.django_db

LIBRARY = reverse("qa:library")


@pytest.fixture
def consented(learner, lesson):
    question = make_question(
        learner, title=f"Q {CANARY}", text=f"Text {CANARY}", lesson=lesson, consent_to_publish=True
    )
    answer_question(
        question, text="<p>The instructor's own answer.</p>", video_url="https://vimeo.com/76979871"
    )
    return question


def start_url(question):
    return reverse("admin:qa_question_start_library_entry", args=[question.pk])


# The record --------------------------------------------------------------------------------


def test_a_library_entry_has_no_column_pointing_to_a_person_or_a_question():
    targets = {
        f.related_model._meta.label
        for f in LibraryEntry._meta.get_fields()
        if f.is_relation and f.concrete
    }

    assert targets == {"qa.Topic", "lessons.Lesson"}


def test_instructor_starts_an_entry_from_a_consented_answered_question(
    client_for, instructor, consented, lesson
):
    response = client_for(instructor).post(start_url(consented))

    entry = LibraryEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:qa_libraryentry_change", args=[entry.pk])
    assert entry.status == LibraryEntry.Status.DRAFT
    assert entry.answer == "<p>The instructor's own answer.</p>"
    assert entry.video_url == "https://vimeo.com/76979871"
    assert list(entry.lessons.all()) == [lesson]
    assert entry.consent_given_at is not None
    # The learner's words are not copied: the instructor rewrites the question.
    assert (entry.title, entry.question) == ("", "")
    consented.refresh_from_db()
    assert consented.library_entry == entry


def test_starting_twice_returns_the_same_draft(instructor, consented):
    first = services.start_library_entry(question_id=consented.pk, by=instructor)
    second = services.start_library_entry(question_id=consented.pk, by=instructor)

    assert first == second
    assert LibraryEntry.objects.count() == 1


def test_no_entry_without_consent(client_for, instructor, learner):
    question = make_question(learner, consent_to_publish=False)
    answer_question(question)

    with pytest.raises(ValidationError):
        services.start_library_entry(question_id=question.pk, by=instructor)
    response = client_for(instructor).post(start_url(question), follow=True)

    assert "did not consent" in response.content.decode()
    assert LibraryEntry.objects.count() == 0


def test_no_entry_before_the_question_is_answered(instructor, learner):
    question = make_question(learner, consent_to_publish=True)

    with pytest.raises(ValidationError):
        services.start_library_entry(question_id=question.pk, by=instructor)


def test_staff_cannot_start_an_entry(client_for, staff, consented):
    response = client_for(staff).post(start_url(consented))

    assert response.status_code == 404  # they may not read the question at all
    assert LibraryEntry.objects.count() == 0


def entry_form(entry, **overrides):
    data = {
        "title": "Rewritten title",
        "question": "A rewritten, de-identified question.",
        "answer": entry.answer,
        "video_url": entry.video_url,
        "status": "published",
        "deidentified_confirmed": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_publishing_in_the_admin_needs_the_confirmation(client_for, instructor, consented):
    entry = services.start_library_entry(question_id=consented.pk, by=instructor)
    url = reverse("admin:qa_libraryentry_change", args=[entry.pk])
    c = client_for(instructor)

    refused = c.post(url, entry_form(entry, deidentified_confirmed=None))
    entry.refresh_from_db()
    assert refused.status_code == 200
    assert "Confirm that the entry is de-identified" in refused.content.decode()
    assert entry.status == LibraryEntry.Status.DRAFT

    accepted = c.post(url, entry_form(entry))
    entry.refresh_from_db()
    assert accepted.status_code == 302
    assert entry.is_published and entry.published_at is not None


def test_publishing_without_consent_is_refused_everywhere(client_for, instructor):
    entry = make_entry(published=False, consent_given_at=None)

    with pytest.raises(ValidationError, match="did not consent"):
        services.publish_library_entry(entry_id=entry.pk)
    entry.status = LibraryEntry.Status.PUBLISHED
    with pytest.raises(ValidationError, match="did not consent"):
        entry.full_clean()
    response = client_for(instructor).post(
        reverse("admin:qa_libraryentry_change", args=[entry.pk]), entry_form(entry)
    )
    assert response.status_code == 200
    with pytest.raises(IntegrityError), transaction.atomic():
        LibraryEntry.objects.filter(pk=entry.pk).update(status="published")
    entry.refresh_from_db()
    assert entry.status == LibraryEntry.Status.DRAFT


def test_publishing_without_confirmation_is_refused_by_the_service_and_the_action(
    client_for, instructor
):
    entry = make_entry(published=False, deidentified_confirmed=False)

    with pytest.raises(ValidationError, match="Confirm"):
        services.publish_library_entry(entry_id=entry.pk)
    response = client_for(instructor).post(
        reverse("admin:qa_libraryentry_changelist"),
        {"action": "publish_entries", "_selected_action": [entry.pk]},
        follow=True,
    )
    assert "was not published" in response.content.decode()
    entry.refresh_from_db()
    assert not entry.is_published


def test_publish_action_publishes_a_ready_entry(client_for, instructor):
    entry = make_entry(published=False)

    client_for(instructor).post(
        reverse("admin:qa_libraryentry_changelist"),
        {"action": "publish_entries", "_selected_action": [entry.pk]},
    )

    entry.refresh_from_db()
    assert entry.is_published


def test_editing_the_entry_never_touches_the_question(client_for, instructor, consented):
    entry = services.start_library_entry(question_id=consented.pk, by=instructor)
    before = Question.objects.values().get(pk=consented.pk)
    answer_before = consented.answer.text

    client_for(instructor).post(
        reverse("admin:qa_libraryentry_change", args=[entry.pk]),
        entry_form(entry, answer="<p>Rewritten answer</p>"),
    )

    entry.refresh_from_db()
    consented.refresh_from_db()
    assert entry.answer == "<p>Rewritten answer</p>"
    assert Question.objects.values().get(pk=consented.pk) == before
    assert consented.answer.text == answer_before


def test_entries_are_not_added_from_scratch(client_for, instructor):
    assert client_for(instructor).get(reverse("admin:qa_libraryentry_add")).status_code == 403


def test_staff_see_only_published_entries_in_the_admin(client_for, staff):
    published = make_entry(title="Published one")
    make_entry(title="Draft with details", published=False)

    response = client_for(staff).get(reverse("admin:qa_libraryentry_changelist"))

    assert list(response.context["cl"].result_list) == [published]
    assert "Draft with details" not in response.content.decode()


# The learners' pages -----------------------------------------------------------------------


def test_visitor_is_sent_to_sign_in(client):
    entry = make_entry()
    for url in [LIBRARY, reverse("qa:library_entry", args=[entry.pk])]:
        assert client.get(url)["Location"].startswith(reverse("account_login"))


def test_signed_in_non_member_gets_the_locked_page_at_every_library_address(client_for, outsider):
    entry = make_entry()
    c = client_for(outsider)

    for url in [LIBRARY, reverse("qa:library_entry", args=[entry.pk]), "/library/999999/"]:
        response = c.get(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert "The Q&amp;A Video Library is for enrolled learners" in page
        assert "It opens when you enrol in any trimester" in page
        assert entry.question not in page and entry.title not in page


def test_member_reads_a_published_entry_with_its_video(client_for, learner, lesson):
    topic = make_topic("Shame & guilt")
    entry = make_entry(
        title="How to tell shame from guilt",
        video_url="https://vimeo.com/76979871",
        answer="<p>Listen for <em>I did</em>.</p><script>x()</script>",
        topics=[topic],
        lessons=[lesson],
    )

    page = client_for(learner).get(reverse("qa:library_entry", args=[entry.pk])).content.decode()

    assert "How to tell shame from guilt" in page
    assert "https://player.vimeo.com/video/76979871?dnt=1" in page
    assert "<em>I did</em>" in page and "<script>x()" not in page
    assert "Shame &amp; guilt" in page
    assert lesson.get_absolute_url() in page


def test_drafts_are_404_for_learners_but_previewable_by_the_instructor(
    client_for, learner, instructor
):
    draft = make_entry(published=False)
    url = reverse("qa:library_entry", args=[draft.pk])

    assert client_for(learner).get(url).status_code == 404
    assert client_for(learner).get(LIBRARY).context["page"].paginator.count == 0
    assert client_for(instructor).get(url).status_code == 200


def test_library_browses_by_topic_and_lesson(client_for, learner, course):
    shame, silence = make_topic("Shame"), make_topic("Silence")
    lesson_a, lesson_b = (
        make_lesson(course, title="Lesson A"),
        make_lesson(course, title="Lesson B"),
    )
    e1 = make_entry(title="Entry one", topics=[shame], lessons=[lesson_a])
    e2 = make_entry(title="Entry two", topics=[silence], lessons=[lesson_b])
    c = client_for(learner)

    everything = c.get(LIBRARY)
    assert set(shown_entries(everything)) == {e1, e2}
    assert "Lesson A" in everything.content.decode()
    assert shown_entries(c.get(LIBRARY + "?topic=shame")) == [e1]
    assert shown_entries(c.get(f"{LIBRARY}?lesson={lesson_b.pk}")) == [e2]


def test_library_sidebar_follows_new_entries_and_the_selection(client_for, learner, course):
    """A new entry and a new selection show in the sidebar at once."""
    shame = make_topic("Shame")
    lesson_a = make_lesson(course, title="Lesson A")
    make_entry(title="Entry one", topics=[shame], lessons=[lesson_a])
    c = client_for(learner)
    topic_link = f'href="{LIBRARY}?topic=shame"'

    first = c.get(LIBRARY).content.decode()
    assert f'{topic_link}>Shame</a> <span class="muted small">1</span>' in first

    make_entry(title="Entry two", topics=[shame], lessons=[lesson_a])
    again = c.get(LIBRARY).content.decode()
    assert f'{topic_link}>Shame</a> <span class="muted small">2</span>' in again
    assert f'{topic_link} aria-current="true">Shame</a>' not in again

    selected = c.get(LIBRARY + "?topic=shame").content.decode()
    assert f'{topic_link} aria-current="true">Shame</a>' in selected


@pytest.mark.parametrize(
    "query",
    ["?topic=nope", "?lesson=999999", "?lesson=abc", "?page=zzz", "?q=" + "x" * 500],
)
def test_bad_library_queries_never_error(client_for, learner, query):
    make_entry()

    assert client_for(learner).get(LIBRARY + query).status_code in (200, 404)


def test_a_nul_in_a_library_query_is_refused(client_for, learner):
    make_entry()

    assert client_for(learner).get(LIBRARY + "?topic=%00").status_code == 400  # lib/wellformed.py


def test_search_finds_and_highlights_matches(client_for, learner):
    make_entry(title="Silence in the room", question="What about long silences in therapy?")
    make_entry(title="Something else", question="Unrelated <b>topic</b>.")

    response = client_for(learner).get(LIBRARY + "?q=silence")

    assert [e.title for e in shown_entries(response)] == ["Silence in the room"]
    assert "<mark>" in snippet_of(response)


def test_search_snippets_are_escaped(client_for, learner):
    make_entry(title="Tagged", question="Watch <script>alert(1)</script> the tagged words")

    page = client_for(learner).get(LIBRARY + "?q=tagged").content.decode()

    assert "<script>alert(1)" not in page
    snippet = page.split('class="qa-snippet">')[1].split("</p>")[0]
    assert "<mark>tagged</mark>" in snippet.lower()
    assert "<script" not in snippet  # escaped: shown as text, never as markup


@pytest.mark.postgres
def test_postgres_search_uses_full_text_with_stemming(client_for, learner):
    make_entry(title="Crying clients", question="When clients cry at the end of a session.")
    make_entry(title="Other", question="Nothing to see.")

    response = client_for(learner).get(LIBRARY + "?q=cries")

    assert [e.title for e in shown_entries(response)] == ["Crying clients"]
    assert "<mark>" in snippet_of(response)


def test_library_is_paginated(client_for, learner):
    for n in range(12):
        make_entry(title=f"Entry {n:02d}")

    response = client_for(learner).get(LIBRARY + "?page=2")

    assert response.context["page"].number == 2
    assert len(shown_entries(response)) == 2
    assert "Page 2 of 2" in response.content.decode()


@pytest.mark.parametrize("count", [2, 25])
def test_library_queries_do_not_grow(
    client_for, learner, course, count, django_assert_max_num_queries
):
    topics = [make_topic(f"Topic {n}") for n in range(3)]
    lessons = [make_lesson(course) for _ in range(3)]
    for n in range(count):
        make_entry(topics=topics[: n % 3 + 1], lessons=lessons[: n % 3 + 1])
    c = client_for(learner)
    with django_assert_max_num_queries(10):
        assert c.get(LIBRARY).status_code == 200
    with django_assert_max_num_queries(10):
        assert c.get(LIBRARY + "?q=answer").status_code == 200


@pytest.mark.parametrize("count", [1, 10])
def test_library_entry_queries_do_not_grow(
    client_for, learner, course, count, django_assert_max_num_queries
):
    entry = make_entry(
        topics=[make_topic(f"T{n}") for n in range(count)],
        lessons=[make_lesson(course) for _ in range(count)],
    )
    c = client_for(learner)
    with django_assert_max_num_queries(8):
        assert c.get(reverse("qa:library_entry", args=[entry.pk])).status_code == 200


# Pieces for other pages --------------------------------------------------------------------


def render(template: str, user, **context) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template(template).render(Context({"request": request, "user": user, **context}))


def test_lesson_page_piece_links_published_entries_for_members(learner, outsider, lesson):
    entry = make_entry(title="About this lesson", lessons=[lesson])
    make_entry(title="Draft about it", lessons=[lesson], published=False)
    make_entry(title="Another lesson's")
    template = '{% include "qa/_lesson_library_links.html" %}'

    html = render(template, learner, lesson=lesson)

    assert "About this lesson" in html
    assert reverse("qa:library_entry", args=[entry.pk]) in html
    assert "Draft about it" not in html and "Another lesson" not in html
    assert render(template, outsider, lesson=lesson).strip() == ""
    assert list(LibraryEntry.objects.published().for_lesson(lesson)) == [entry]


def test_dashboard_piece_lists_the_learners_own_recent_answers(learner, other_learner):
    mine = make_question(learner, title="My answered one")
    answer_question(mine)
    make_question(learner, title="My waiting one")
    answer_question(make_question(other_learner, title=f"Theirs {CANARY}"))

    html = render('{% include "qa/_recent_answers.html" %}', learner)

    assert "My answered one" in html
    assert "My waiting one" not in html and CANARY not in html

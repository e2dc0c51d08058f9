"""Private notes per lesson (issue 24, point 4): saved as the learner types (htmx) or with the
button, listed on the course page, in the data export, erased with the account, and seen by
nobody else: not staff, not the admin, not the logs, not a URL."""

import json
import logging

import pytest
from django.contrib import admin
from django.test import override_settings
from django.urls import reverse

from accounts import services as account_services
from lessons.models import NOTE_MAX_LENGTH, Note
from lib import drafts
from tests import factories

pytestmark = pytest.mark.django_db

SECRET = "Client K. disclosed the affair in session four"


@pytest.fixture
def lesson(course):
    return factories.make_lesson(
        course, title="Role of emotion", slug="role-of-emotion", chapter="<p>Text.</p>"
    )


def note_url(lesson) -> str:
    return reverse("lessons:note", kwargs={"course_slug": lesson.course.slug, "slug": lesson.slug})


def test_typing_saves_the_note_and_answers_with_the_saved_status(client_for, learner, lesson):
    response = client_for(learner).post(note_url(lesson), {"text": SECRET}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Saved at" in response.content.decode()
    assert SECRET not in response.content.decode()  # the status, not the text back
    assert Note.objects.get(user=learner, lesson=lesson).text == SECRET


def test_saving_again_keeps_one_note_with_the_new_text(client_for, learner, lesson):
    c = client_for(learner)
    c.post(note_url(lesson), {"text": "first"}, HTTP_HX_REQUEST="true")
    c.post(note_url(lesson), {"text": "second"}, HTTP_HX_REQUEST="true")
    assert list(Note.objects.filter(user=learner).values_list("text", flat=True)) == ["second"]


def test_the_button_saves_without_javascript_and_returns_to_the_notes(client_for, learner, lesson):
    response = client_for(learner).post(note_url(lesson), {"text": SECRET})
    assert response.status_code == 302
    assert response["Location"] == f"{lesson.get_absolute_url()}#notes"
    assert response.cookies[drafts.SAVED_COOKIE].value == "1"  # the browser forgets its copy
    assert Note.objects.get(user=learner, lesson=lesson).text == SECRET


def test_emptying_the_note_deletes_it(client_for, learner, lesson):
    Note.objects.create(user=learner, lesson=lesson, text=SECRET)
    response = client_for(learner).post(note_url(lesson), {"text": "  "}, HTTP_HX_REQUEST="true")
    assert "your notes are empty" in response.content.decode()
    assert not Note.objects.exists()


def test_the_lesson_page_shows_the_learners_own_note_in_its_form(client_for, learner, lesson):
    Note.objects.create(user=learner, lesson=lesson, text=SECRET)
    response = client_for(learner).get(lesson.get_absolute_url())
    html = response.content.decode()
    assert 'id="notes"' in html
    assert SECRET in html
    assert 'data-hx-post="' + note_url(lesson) + '"' in html
    notes = html[html.index('id="notes"') :]
    assert " hx-" not in notes.split("</section>")[0]  # the valid data-hx-* spelling only
    assert "vendor/htmx.min.js" in html
    assert response["Cache-Control"].startswith("max-age=0")  # never_cache: no-store included
    assert "no-store" in response["Cache-Control"]


def test_a_note_too_long_is_refused_with_a_message_next_to_the_field(client_for, learner, lesson):
    text = "x" * (NOTE_MAX_LENGTH + 1)
    c = client_for(learner)
    response = c.post(note_url(lesson), {"text": text})
    assert response.status_code == 400
    html = response.content.decode()
    assert f"at most {NOTE_MAX_LENGTH:,}".replace(",", "") in html.replace(",", "")
    assert 'class="error" id="id_text_error"' in html
    htmx = c.post(note_url(lesson), {"text": text}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200
    assert "Not saved" in htmx.content.decode()
    assert not Note.objects.exists()


@pytest.mark.parametrize("persona", ["other_learner", "outsider", "staff", "instructor"])
def test_nobody_else_sees_the_note_on_the_lesson_or_course_page(
    request, client_for, learner, lesson, persona
):
    Note.objects.create(user=learner, lesson=lesson, text=SECRET)
    c = client_for(request.getfixturevalue(persona))
    for url in [lesson.get_absolute_url(), lesson.course.get_absolute_url(), note_url(lesson)]:
        response = c.get(url)
        assert SECRET not in response.content.decode(), (persona, url)


def test_staff_previewing_as_a_learner_get_no_note_form(client_for, staff, lesson):
    response = client_for(staff).get(lesson.get_absolute_url() + "?preview=learner")
    assert 'id="notes"' not in response.content.decode()


def test_a_lesson_the_person_may_not_open_answers_404(client_for, outsider, other_learner, lesson):
    for user in (outsider, other_learner):
        response = client_for(user).post(note_url(lesson), {"text": SECRET})
        assert response.status_code == 404
    assert not Note.objects.exists()


def test_a_visitor_is_sent_to_sign_in(client, lesson):
    response = client.post(note_url(lesson), {"text": SECRET})
    assert response.status_code == 302
    assert SECRET not in response["Location"]
    assert not Note.objects.exists()


def test_notes_are_not_in_the_admin():
    assert Note not in admin.site._registry


def test_the_course_page_lists_the_learners_notes(client_for, learner, course, lesson):
    other = factories.make_lesson(course, title="Development", slug="development", order=9)
    Note.objects.create(user=learner, lesson=lesson, text=SECRET)
    response = client_for(learner).get(course.get_absolute_url())
    html = response.content.decode()
    assert "Your notes" in html
    assert SECRET in html
    assert f"{lesson.get_absolute_url()}#notes" in html
    assert f"{other.get_absolute_url()}#notes" not in html
    assert "no-store" in response["Cache-Control"]


def test_the_note_never_reaches_the_logs(client_for, learner, lesson, caplog):
    """Every logger at DEBUG, also django.request (which does not propagate to the root):
    the refused note's 400 is logged with its path, never its text."""
    c = client_for(learner)
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, "django.request"):
            c.post(note_url(lesson), {"text": SECRET}, HTTP_HX_REQUEST="true")
            c.post(note_url(lesson), {"text": SECRET + "x" * NOTE_MAX_LENGTH})  # refused: 400
            c.get(lesson.get_absolute_url())
            c.get(lesson.course.get_absolute_url())
    finally:
        request_logger.removeHandler(caplog.handler)
    assert any("Bad Request" in r.getMessage() for r in caplog.records)  # the 400 was logged
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    assert SECRET not in caplog.text


def test_a_note_sent_in_the_url_is_ignored(client_for, learner, lesson):
    client_for(learner).get(note_url(lesson), {"text": SECRET})
    assert not Note.objects.exists()


def test_notes_are_in_the_data_export_and_erased_with_the_account(client_for, learner, lesson):
    Note.objects.create(user=learner, lesson=lesson, text=SECRET)
    export = account_services.export_user_data(user=learner)
    assert export["lesson_notes"][0]["text"] == SECRET
    assert export["lesson_notes"][0]["lesson"] == "Role of emotion"
    assert SECRET in json.dumps(export)

    account_services.delete_account(user=learner, keep_forum_posts=False)
    assert not Note.objects.exists()


@override_settings(DEBUG=False)
def test_the_note_page_without_javascript_shows_the_form(client_for, learner, lesson):
    Note.objects.create(user=learner, lesson=lesson, text=SECRET)
    response = client_for(learner).get(note_url(lesson))
    assert response.status_code == 200
    assert SECRET in response.content.decode()
    assert "no-store" in response["Cache-Control"]

"""Unsent drafts (issue 21, point 3; lib/drafts.py, static/js/drafts.js): the forms where people
write at length name where their draft is kept, by account and place and never by any text, and
a successful save, and only that, tells the browser to forget the draft."""

import re

import pytest
from django.urls import reverse

from forum.models import Category, Post
from lib import drafts
from tests.forum.conftest import make_topic
from tests.qa.conftest import CANARY, make_question
from tests.qa.test_admin_queue import answer_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(db):
    return Category.objects.create(name="Practice questions", slug="practice", order=1)


def draft_keys(response) -> list[str]:
    return re.findall(r'data-draft-key="([^"]*)"', response.content.decode())


def confirms_saved(response) -> bool:
    cookie = response.cookies.get(drafts.SAVED_COOKIE)
    return cookie is not None and cookie.value == "1" and cookie["max-age"] == 60


# Where drafts are kept -----------------------------------------------------------------------


def test_the_forum_composers_keep_drafts_by_account_and_place(client_for, learner, category):
    topic = make_topic(category, learner, title=CANARY)
    opening = topic.posts.get()
    client = client_for(learner)
    me = f"u{learner.pk}"

    assert draft_keys(client.get(topic.get_absolute_url())) == [f"{me}:forum-reply:{topic.pk}"]
    assert draft_keys(client.get(reverse("forum:reply", args=[topic.pk]))) == [
        f"{me}:forum-reply:{topic.pk}"
    ]
    assert draft_keys(client.get(reverse("forum:new_topic", args=[category.slug]))) == [
        f"{me}:forum-topic:{category.pk}"
    ]
    assert draft_keys(client.get(reverse("forum:edit", args=[opening.pk]))) == [
        f"{me}:forum-edit:{opening.pk}"
    ]
    # A quote prefills the composer: its draft is kept apart from the topic's reply.
    assert draft_keys(client.get(reverse("forum:quote", args=[opening.pk]))) == [
        f"{me}:forum-quote:{opening.pk}"
    ]


def test_the_question_forms_keep_drafts_by_account_and_place(client_for, learner):
    question = make_question(learner, title=CANARY, text=CANARY)
    client = client_for(learner)

    assert draft_keys(client.get(reverse("qa:ask"))) == [f"u{learner.pk}:qa-ask"]
    assert draft_keys(client.get(question.get_absolute_url())) == [
        f"u{learner.pk}:qa-reply:{question.pk}"
    ]


def test_the_instructors_answer_in_the_admin_keeps_a_draft(client_for, instructor, learner):
    question = make_question(learner, title=CANARY, text=CANARY)
    response = client_for(instructor).get(reverse("admin:qa_question_change", args=[question.pk]))

    page = response.content.decode()
    # (The inline's hidden template for another answer has it too; drafts.js skips it.)
    assert set(draft_keys(response)) == {f"u{instructor.pk}:qa-answer:{question.pk}"}
    assert re.search(r'<textarea name="answer-0-text"[^>]*data-draft-key=', page)
    # Before the rich-text editor's modules, whose start it listens for.
    assert page.index("js/drafts.js") < page.index("django_prose_editor/")


def test_every_page_loads_the_script_that_forgets_drafts(client):
    # Saves are confirmed, and people sign out, on any page: site.js forgets drafts there.
    page = client.get(reverse("home")).content.decode()
    assert 'src="/static/js/site.js"' in page
    assert "js/drafts.js" not in page  # no long-text form here


def test_pages_with_a_long_text_form_load_the_drafts_script(client_for, learner):
    question = make_question(learner)
    client = client_for(learner)

    for url in (reverse("qa:ask"), question.get_absolute_url()):
        assert 'src="/static/js/drafts.js"' in client.get(url).content.decode(), url


# When the browser forgets them ---------------------------------------------------------------


def test_a_posted_topic_reply_and_edit_confirm_the_save(client_for, learner, category):
    client = client_for(learner)
    form = {"title": "Naming avoidance", "body": "How do you name it?", "format": "plain"}
    new_topic = client.post(reverse("forum:new_topic", args=[category.slug]), form)
    post = Post.objects.get()
    reply = client.post(
        reverse("forum:reply", args=[post.topic_id]), {"body": "Me too.", "format": "plain"}
    )
    edit = client.post(reverse("forum:edit", args=[post.pk]), {**form, "body": "Edited."})

    assert [r.status_code for r in (new_topic, reply, edit)] == [302, 302, 302]
    assert all(confirms_saved(r) for r in (new_topic, reply, edit))
    # The browser's script reads the flag; it says nothing but "saved".
    assert new_topic.cookies[drafts.SAVED_COOKIE]["httponly"] == ""


def test_a_sent_question_and_follow_up_confirm_the_save(client_for, learner):
    client = client_for(learner)
    asked = client.post(
        reverse("qa:ask"), {"title": "Shame in session", "text": "How do I stay with it?"}
    )
    question = learner.questions.get()
    follow_up = client.post(question.get_absolute_url(), {"text": "And with guilt?"})

    assert (asked.status_code, follow_up.status_code) == (302, 302)
    assert confirms_saved(asked)
    assert confirms_saved(follow_up)


@pytest.mark.parametrize("send", [False, True], ids=["save-as-draft", "send"])
def test_a_saved_answer_in_the_admin_confirms_the_save(send, client_for, instructor, learner):
    question = make_question(learner)
    response = client_for(instructor).post(
        reverse("admin:qa_question_change", args=[question.pk]),
        answer_form(question, text="<p>Stay with it.</p>", send=send),
    )
    assert response.status_code == 302
    assert question.answer.text == "<p>Stay with it.</p>"
    assert confirms_saved(response)


def test_a_form_sent_back_with_errors_keeps_the_draft(client_for, learner, instructor, category):
    topic = make_topic(category, learner)
    question = make_question(learner)
    client = client_for(learner)
    empty_reply = client.post(reverse("forum:reply", args=[topic.pk]), {"body": "", "format": ""})
    empty_question = client.post(reverse("qa:ask"), {"title": "", "text": ""})
    bad_answer = client_for(instructor).post(
        reverse("admin:qa_question_change", args=[question.pk]),
        answer_form(question, text="<p>See this.</p>", video="not a link"),
    )

    assert [r.status_code for r in (empty_reply, empty_question, bad_answer)] == [200, 200, 200]
    assert not any(drafts.SAVED_COOKIE in r.cookies for r in (empty_reply, empty_question))
    assert drafts.SAVED_COOKIE not in bad_answer.cookies

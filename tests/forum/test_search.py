"""Search within the forum, restricted to what the searcher may see. Full text (with
highlighted snippets) on PostgreSQL; a simple contains-match on SQLite."""

import pytest
from django.db import connection
from django.urls import reverse

from forum import services
from forum.models import Post
from tests.forum.conftest import make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(category, circle, learner, circle_member, second_learner, staff):
    open_topic = make_topic(
        category, learner, title="Working with shame", body="Shame hides under anger."
    )
    services.create_reply(
        topic=open_topic, author=second_learner, body="Anger as a cover for shame.", fmt="plain"
    )
    make_topic(circle, circle_member, title="Circle: shame case", body="Circle shame details")
    hidden = services.create_reply(
        topic=open_topic, author=second_learner, body="Hidden shame remark", fmt="plain"
    )
    services.hide_post(post=hidden, by=staff)
    deleted = services.create_reply(
        topic=open_topic, author=learner, body="Deleted shame remark", fmt="plain"
    )
    services.delete_post(post=deleted)
    return open_topic


def results(client, q):
    response = client.get(reverse("forum:search"), {"q": q})
    assert response.status_code == 200
    return response


def test_search_finds_visible_posts_only(client_for, learner, corpus):
    response = results(client_for(learner), "shame")
    page = response.content.decode()
    bodies = {r["post"].body for r in response.context["results"]}
    assert bodies == {"Shame hides under anger.", "Anger as a cover for shame."}
    assert "Circle" not in page
    assert "Hidden shame" not in page
    assert "Working with shame" in page


def test_circle_member_finds_circle_posts(client_for, circle_member, corpus):
    bodies = {
        r["post"].body for r in results(client_for(circle_member), "shame").context["results"]
    }
    assert "Circle shame details" in bodies


def test_staff_find_hidden_posts_too(client_for, staff, corpus):
    bodies = {r["post"].body for r in results(client_for(staff), "shame").context["results"]}
    assert "Hidden shame remark" in bodies
    assert "Deleted shame remark" not in bodies


def test_search_finds_a_topic_by_its_title(client_for, learner, category):
    make_topic(category, learner, title="Grief after a miscarriage", body="How to begin?")
    titles = {
        r["post"].topic.title for r in results(client_for(learner), "grief").context["results"]
    }
    assert titles == {"Grief after a miscarriage"}


def test_snippets_are_escaped_and_highlighted(client_for, learner, category):
    make_topic(category, learner, title="t", body="<b>bold</b> avoidance <script>alert(1)</script>")
    page = results(client_for(learner), "avoidance").content.decode()
    assert "<mark>avoidance</mark>" in page
    snippet = page[page.index('<p class="small forum-snippet">') :]
    snippet = snippet[: snippet.index("</p>")]
    # The snippet shows tags as text (escaped): never as markup.
    assert "<script" not in snippet
    assert "<b>" not in snippet


def test_empty_search_shows_just_the_form(client_for, learner, corpus):
    response = results(client_for(learner), "")
    assert response.context["results"] == []
    assert "Nothing matches" not in response.content.decode()


def test_search_with_no_match_says_so(client_for, learner, corpus):
    assert "Nothing matches" in results(client_for(learner), "zebra").content.decode()


@pytest.mark.postgres
def test_postgres_full_text_search_stems_ranks_and_highlights(
    client_for, learner, category, corpus
):
    assert connection.vendor == "postgresql"
    make_topic(category, learner, title="Avoiding feelings", body="Clients avoided the feeling.")
    response = results(client_for(learner), "avoid")
    bodies = [r["post"].body for r in response.context["results"]]
    assert "Clients avoided the feeling." in bodies  # stemming: avoid ~ avoided
    page = response.content.decode()
    assert "<mark>avoided</mark>" in page
    # Title matches rank above body-only matches.
    ranked = [
        r["post"].topic.title for r in results(client_for(learner), "shame").context["results"]
    ]
    assert ranked[0] == "Working with shame"
    # websearch syntax never errors.
    assert results(client_for(learner), '"shame -anger" OR (').status_code == 200


@pytest.mark.postgres
def test_postgres_search_uses_the_stored_vector_index(learner, category):
    make_topic(category, learner, title="Indexed", body="Vectors everywhere")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'forum_post_search_gin'")
        assert "gin (search_vector)" in cursor.fetchone()[0]


def test_a_too_long_search_says_so_next_to_the_field(client_for, learner, corpus):
    response = results(client_for(learner), "shame " * 50)

    page = response.content.decode()
    assert response.context["results"] == []
    assert 'id="id_q_error"' in page
    assert "at most 200 characters" in page


# A search follows every change at once: nothing about it is cached (issue 22).


def shown_bodies(client, q) -> set[str]:
    return {r["post"].body for r in results(client, q).context["results"]}


def test_a_search_follows_new_edited_hidden_and_deleted_posts(
    client_for, learner, second_learner, staff, corpus
):
    c = client_for(learner)
    assert len(shown_bodies(c, "shame")) == 2

    new = services.create_reply(
        topic=corpus, author=second_learner, body="New thoughts on shame.", fmt="plain"
    )
    assert "New thoughts on shame." in shown_bodies(c, "shame")

    services.edit_post(post=new, body="Edited thoughts on shame.", fmt="plain")
    page = results(c, "shame").content.decode()
    assert "Edited thoughts" in page and "New thoughts" not in page

    services.hide_post(post=new, by=staff)
    assert "Edited thoughts on shame." not in shown_bodies(c, "shame")
    services.restore_post(post=new)
    assert "Edited thoughts on shame." in shown_bodies(c, "shame")

    services.delete_post(post=new)
    assert len(shown_bodies(c, "shame")) == 2


def test_a_topic_hidden_by_the_admin_action_leaves_the_search_at_once(
    client_for, learner, staff, corpus
):
    c = client_for(learner)
    assert shown_bodies(c, "shame")
    admin = client_for(staff)
    admin.post(
        reverse("admin:forum_topic_changelist"),
        {"action": "hide", "_selected_action": [corpus.pk]},
    )
    assert shown_bodies(c, "shame") == set()


def test_a_search_never_shows_a_post_that_is_no_longer_visible(client_for, learner, corpus):
    """Even a change that reached the database by hand (an UPDATE, no signal, no service)."""
    c = client_for(learner)
    assert "Anger as a cover for shame." in shown_bodies(c, "shame")
    Post.objects.filter(body="Anger as a cover for shame.").update(is_hidden=True)
    assert shown_bodies(c, "shame") == {"Shame hides under anger."}
    assert "Anger as a cover" not in results(c, "shame").content.decode()


def test_members_of_a_circle_and_others_see_their_own_results(
    client_for, learner, circle_member, corpus
):
    assert "Circle shame details" not in shown_bodies(client_for(learner), "shame")
    assert "Circle shame details" in shown_bodies(client_for(circle_member), "shame")
    assert "Circle shame details" not in shown_bodies(client_for(learner), "shame")

"""Starting topics, replying, quoting, editing and deleting — and what a member cannot do."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from forum.models import Category, ForumProfile, Post, Subscription, Topic
from tests.forum.conftest import make_topic

pytestmark = pytest.mark.django_db


def test_learner_starts_a_topic_and_follows_it(client_for, learner, category):
    response = client_for(learner).post(
        reverse("forum:new_topic", args=[category.slug]),
        {"title": "Naming avoidance gently", "body": "How do you *name* it?", "format": "markdown"},
    )

    topic = Topic.objects.get()
    assert response.status_code == 302
    assert response["Location"] == topic.get_absolute_url()
    assert (topic.title, topic.author, topic.category) == (
        "Naming avoidance gently",
        learner,
        category,
    )
    post = topic.posts.get()
    assert "<em>name</em>" in post.html
    assert Subscription.objects.filter(user=learner, topic=topic).exists()
    page = client_for(learner).get(topic.get_absolute_url()).content.decode()
    assert "Naming avoidance gently" in page
    assert "<em>name</em>" in page


def test_learner_replies_and_lands_on_their_reply(client_for, learner, second_learner, topic):
    response = client_for(second_learner).post(
        reverse("forum:reply", args=[topic.pk]), {"body": "Me too.", "format": "plain"}
    )

    reply = Post.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == reverse("forum:post", args=[reply.pk])
    topic.refresh_from_db()
    assert (topic.post_count, topic.last_post_id, topic.last_poster) == (
        2,
        reply.pk,
        second_learner,
    )
    assert Subscription.objects.filter(user=second_learner, topic=topic).exists()


def test_plain_text_keeps_line_breaks_and_links(client_for, learner, topic):
    client_for(learner).post(
        reverse("forum:reply", args=[topic.pk]),
        {"body": "one *two*\nthree https://example.org", "format": "plain"},
    )
    html = Post.objects.latest("id").html
    assert "*two*" in html
    assert "<br>" in html
    assert 'href="https://example.org"' in html


def test_quote_prefills_the_composer_with_a_markdown_quote(
    client_for, learner, second_learner, topic
):
    response = client_for(second_learner).get(reverse("forum:quote", args=[topic.first_post_id]))

    body = response.context["form"].initial["body"]
    assert body.startswith("> **Lee Learner, LMHC** wrote:")
    assert "> Opening post text." in body
    assert response.context["form"].initial["format"] == "markdown"


def test_quoting_a_deleted_post_is_404(client_for, learner, second_learner, topic):
    Post.objects.filter(pk=topic.first_post_id).update(is_deleted=True, body="")
    assert (
        client_for(second_learner)
        .get(reverse("forum:quote", args=[topic.first_post_id]))
        .status_code
        == 404
    )


def test_author_edits_their_post_and_it_shows_edited(client_for, learner, topic):
    c = client_for(learner)
    response = c.post(
        reverse("forum:edit", args=[topic.first_post_id]),
        {"title": "A better title", "body": "Better words.", "format": "markdown"},
    )

    assert response.status_code == 302
    post = Post.objects.get(pk=topic.first_post_id)
    assert post.body == "Better words."
    assert post.edited_at is not None
    topic.refresh_from_db()
    assert topic.title == "A better title"
    page = c.get(topic.get_absolute_url()).content.decode()
    assert "edited" in page
    assert "Better words." in page


def test_editing_a_reply_does_not_touch_the_title(client_for, learner, second_learner, topic):
    c = client_for(second_learner)
    c.post(reverse("forum:reply", args=[topic.pk]), {"body": "Reply.", "format": "plain"})
    reply = Post.objects.latest("id")
    c.post(
        reverse("forum:edit", args=[reply.pk]),
        {"title": "Hijacked title", "body": "Reply, edited.", "format": "plain"},
    )
    topic.refresh_from_db()
    assert topic.title == "A question about avoidance"
    assert Post.objects.get(pk=reply.pk).body == "Reply, edited."


def test_author_deletes_their_post_and_a_placeholder_remains(client_for, learner, topic):
    c = client_for(learner)
    assert c.get(reverse("forum:delete", args=[topic.first_post_id])).status_code == 200
    response = c.post(reverse("forum:delete", args=[topic.first_post_id]))

    assert response.status_code == 302
    post = Post.objects.get(pk=topic.first_post_id)
    assert (post.is_deleted, post.body, post.html) == (True, "", "")
    page = c.get(topic.get_absolute_url()).content.decode()
    assert "This post was deleted" in page
    assert "Opening post text." not in page


def test_a_member_cannot_edit_or_delete_another_members_post(
    client_for, learner, second_learner, topic
):
    c = client_for(second_learner)
    url_edit = reverse("forum:edit", args=[topic.first_post_id])
    url_delete = reverse("forum:delete", args=[topic.first_post_id])

    assert c.get(url_edit).status_code == 404
    assert c.post(url_edit, {"body": "Vandal", "format": "plain"}).status_code == 404
    assert c.get(url_delete).status_code == 404
    assert c.post(url_delete).status_code == 404
    post = Post.objects.get(pk=topic.first_post_id)
    assert (post.body, post.is_deleted) == ("Opening post text.", False)


def test_staff_cannot_edit_a_learners_post_from_the_site_either(client_for, staff, topic):
    response = client_for(staff).post(
        reverse("forum:edit", args=[topic.first_post_id]), {"body": "x", "format": "plain"}
    )
    assert response.status_code == 404


def test_extra_form_fields_cannot_pin_lock_hide_reassign_or_move(
    client_for, learner, second_learner, category, circle
):
    tampering = {
        "is_pinned": "on",
        "is_locked": "on",
        "is_hidden": "on",
        "author": second_learner.pk,
        "author_id": second_learner.pk,
        "category": circle.pk,
        "category_id": circle.pk,
        "topic": "999",
        "html": "<script>alert(1)</script>",
        "edited_at": "2020-01-01",
        "post_count": 99,
    }
    c = client_for(learner)
    c.post(
        reverse("forum:new_topic", args=[category.slug]),
        {"title": "Plain topic", "body": "Body", "format": "markdown", **tampering},
    )
    topic = Topic.objects.get()
    assert (topic.is_pinned, topic.is_locked, topic.is_hidden) == (False, False, False)
    assert (topic.author, topic.category, topic.post_count) == (learner, category, 1)

    c.post(
        reverse("forum:reply", args=[topic.pk]), {"body": "Reply", "format": "plain", **tampering}
    )
    c.post(
        reverse("forum:edit", args=[topic.first_post_id]),
        {"title": "Plain topic", "body": "Edited", "format": "plain", **tampering},
    )
    topic.refresh_from_db()
    assert (topic.is_pinned, topic.is_locked, topic.is_hidden, topic.category) == (
        False,
        False,
        False,
        category,
    )
    assert set(Post.objects.values_list("author_id", flat=True)) == {learner.pk}
    assert not Post.objects.filter(html__contains="script").exists()
    assert not Post.objects.filter(is_hidden=True).exists()


def test_member_cannot_start_a_topic_in_a_circle_they_are_not_in(client_for, learner, circle):
    response = client_for(learner).post(
        reverse("forum:new_topic", args=[circle.slug]),
        {"title": "Sneaking in", "body": "Body", "format": "markdown"},
    )
    assert response.status_code == 404
    assert not Topic.objects.exists()


def test_locked_topic_takes_no_replies_from_members(client_for, learner, second_learner, topic):
    Topic.objects.filter(pk=topic.pk).update(is_locked=True)
    response = client_for(second_learner).post(
        reverse("forum:reply", args=[topic.pk]), {"body": "Still here?", "format": "plain"}
    )
    assert response.status_code == 200
    assert "locked" in response.content.decode()
    assert Post.objects.count() == 1


def test_staff_may_reply_to_a_locked_topic(client_for, staff, topic):
    Topic.objects.filter(pk=topic.pk).update(is_locked=True)
    client_for(staff).post(
        reverse("forum:reply", args=[topic.pk]), {"body": "Closing note.", "format": "plain"}
    )
    assert Post.objects.count() == 2


def test_suspended_member_reads_but_cannot_post(client_for, learner, second_learner, topic):
    c = client_for(second_learner)
    c.get(reverse("forum:index"))
    ForumProfile.objects.filter(user=second_learner).update(posting_suspended=True)

    page = c.get(topic.get_absolute_url())
    assert page.status_code == 200
    assert "posting in the forum is paused" in page.content.decode()
    response = c.post(
        reverse("forum:reply", args=[topic.pk]), {"body": "Let me in", "format": "plain"}
    )
    assert response.status_code == 200
    assert "posting in the forum is paused" in response.content.decode()
    response = c.post(
        reverse("forum:new_topic", args=[topic.category.slug]),
        {"title": "New", "body": "Let me in", "format": "plain"},
    )
    assert "posting in the forum is paused" in response.content.decode()
    assert Post.objects.count() == 1


def test_identifier_check_reshows_the_form_and_keeps_the_text(client_for, learner, category):
    c = client_for(learner)
    data = {
        "title": "About Mrs. Alvarez",
        "body": "She called from 617-555-0134.",
        "format": "plain",
    }
    response = c.post(reverse("forum:new_topic", args=[category.slug]), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "This may identify a client" in page
    assert "a name with a title" in page
    assert "a phone number" in page
    assert "Post anyway" in page
    assert 'value="About Mrs. Alvarez"' in page
    assert "She called from 617-555-0134." in page
    assert not Topic.objects.exists()

    response = c.post(
        reverse("forum:new_topic", args=[category.slug]), {**data, "post_anyway": "on"}
    )
    assert response.status_code == 302
    assert Topic.objects.count() == 1


def test_identifier_check_applies_to_replies_and_edits(client_for, learner, topic):
    c = client_for(learner)
    response = c.post(
        reverse("forum:reply", args=[topic.pk]), {"body": "born March 3, 1941", "format": "plain"}
    )
    assert "an exact date" in response.content.decode()
    response = c.post(
        reverse("forum:edit", args=[topic.first_post_id]),
        {"title": "t", "body": "write to pat@example.org", "format": "plain"},
    )
    assert "an email address" in response.content.decode()
    assert Post.objects.get(pk=topic.first_post_id).body == "Opening post text."


def test_composer_shows_the_confidentiality_reminder(client_for, learner, category, topic):
    c = client_for(learner)
    for url in [reverse("forum:new_topic", args=[category.slug]), topic.get_absolute_url()]:
        assert "Protect your clients." in c.get(url).content.decode()


def test_posting_too_fast_is_limited_with_a_clear_message_and_the_text_kept(
    client_for, learner, topic, settings
):
    settings.FORUM_POST_RATE_LIMIT = 2
    c = client_for(learner)
    url = reverse("forum:reply", args=[topic.pk])
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as t:
        for i in range(2):
            assert c.post(url, {"body": f"Quick {i}", "format": "plain"}).status_code == 302
        response = c.post(url, {"body": "One too many", "format": "plain"})

        assert response.status_code == 429
        page = response.content.decode()
        assert "You are posting very quickly" in page
        assert "One too many" in page
        assert Post.objects.count() == 3
        t.shift(dt.timedelta(seconds=settings.FORUM_POST_RATE_PERIOD))
        assert c.post(url, {"body": "Later", "format": "plain"}).status_code == 302


def test_topic_list_shows_pinned_topics_first(client_for, learner, category):
    make_topic(category, learner, title="Older pinned")
    make_topic(category, learner, title="Newer plain")
    Topic.objects.filter(title="Older pinned").update(is_pinned=True)
    page = client_for(learner).get(reverse("forum:category", args=[category.slug])).content.decode()
    assert page.index("Older pinned") < page.index("Newer plain")
    assert "Pinned" in page


def test_follow_and_unfollow(client_for, second_learner, topic):
    c = client_for(second_learner)
    subscribe = reverse("forum:subscribe", args=[topic.pk])
    unsubscribe = reverse("forum:unsubscribe", args=[topic.pk])

    def button() -> str:
        page = c.get(topic.get_absolute_url()).content.decode()
        assert (subscribe in page) != (unsubscribe in page)
        return "Unfollow" if unsubscribe in page else "Follow"

    assert button() == "Follow"
    c.post(subscribe)
    assert Subscription.objects.filter(user=second_learner, topic=topic).exists()
    assert button() == "Unfollow"
    c.post(unsubscribe)
    assert not Subscription.objects.filter(user=second_learner, topic=topic).exists()
    assert button() == "Follow"


def test_follow_needs_post(client_for, second_learner, topic):
    assert (
        client_for(second_learner).get(reverse("forum:subscribe", args=[topic.pk])).status_code
        == 405
    )


def test_empty_states(client_for, learner, category):
    c = client_for(learner)
    assert (
        "No topics here yet"
        in c.get(reverse("forum:category", args=[category.slug])).content.decode()
    )
    Category.objects.all().delete()
    assert "No categories yet" in c.get(reverse("forum:index")).content.decode()

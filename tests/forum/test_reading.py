"""Unread marks, "mark all read", pagination and links to a post."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum import services
from forum.models import Post, Topic
from tests.forum.conftest import add_posts, make_topic

pytestmark = pytest.mark.django_db


def topic_row(client, category, topic):
    page = client.get(reverse("forum:category", args=[category.slug]))
    return next(t for t in page.context["page"].object_list if t.id == topic.pk)


def test_a_topic_is_new_until_opened_and_unread_again_after_a_reply(
    client_for, learner, second_learner, category, topic
):
    c = client_for(second_learner)
    row = topic_row(c, category, topic)
    assert (row.is_unread, row.read_up_to) == (True, 0)
    assert "New</span>" in c.get(reverse("forum:category", args=[category.slug])).content.decode()

    c.get(topic.get_absolute_url())
    assert topic_row(c, category, topic).is_unread is False

    services.create_reply(topic=topic, author=learner, body="A reply", fmt="plain")
    row = topic_row(c, category, topic)
    assert row.is_unread is True
    page = c.get(reverse("forum:category", args=[category.slug])).content.decode()
    assert "New replies" in page
    assert reverse("forum:first_unread", args=[topic.pk]) in page


def test_new_posts_since_the_last_visit_are_marked_on_the_topic_page(
    client_for, learner, second_learner, topic
):
    c = client_for(second_learner)
    c.get(topic.get_absolute_url())
    services.create_reply(topic=topic, author=learner, body="Fresh", fmt="plain")
    response = c.get(topic.get_absolute_url())
    reply = topic.posts.latest("id")
    assert response.context["new_ids"] == {reply.pk}
    assert 'class="forum-post is-new"' in response.content.decode()
    # Seen now.
    assert c.get(topic.get_absolute_url()).context["new_ids"] == set()


def test_first_unread_jumps_to_the_first_new_post(client_for, learner, second_learner, topic):
    c = client_for(second_learner)
    c.get(topic.get_absolute_url())
    reply = services.create_reply(topic=topic, author=learner, body="Fresh", fmt="plain")
    services.create_reply(topic=topic, author=learner, body="Fresher", fmt="plain")
    response = c.get(reverse("forum:first_unread", args=[topic.pk]))
    assert response["Location"] == reverse("forum:post", args=[reply.pk])


def test_mark_all_read_clears_unread_in_lists_and_category_counts(
    client_for, learner, second_learner, category, topic
):
    make_topic(category, learner, title="Another")
    c = client_for(second_learner)
    index = c.get(reverse("forum:index"))
    assert index.context["categories"][0].unread_count == 2
    assert "2 unread" in index.content.decode()

    response = c.post(reverse("forum:mark_all_read"))
    assert response.status_code == 302
    assert c.get(reverse("forum:index")).context["categories"][0].unread_count == 0
    assert topic_row(c, category, topic).is_unread is False

    services.create_reply(topic=topic, author=learner, body="After", fmt="plain")
    assert c.get(reverse("forum:index")).context["categories"][0].unread_count == 1


def test_unread_counts_ignore_circles_the_member_cannot_see(
    client_for, learner, category, circle, circle_topic
):
    categories = client_for(learner).get(reverse("forum:index")).context["categories"]
    assert [(c.slug, c.unread_count) for c in categories] == [("practice", 0)]


def test_topic_pages_hold_twenty_posts(client_for, learner, topic):
    add_posts(topic, learner, 44)
    c = client_for(learner)
    first = c.get(topic.get_absolute_url())
    assert len(first.context["posts"]) == 20
    assert first.context["page"].paginator.num_pages == 3
    third = c.get(topic.get_absolute_url() + "?page=3")
    assert len(third.context["posts"]) == 5
    assert "Page 3 of 3" in third.content.decode()


def test_a_link_to_a_post_lands_on_its_page_at_its_anchor(client_for, learner, topic):
    add_posts(topic, learner, 44)
    ids = list(topic.posts.order_by("id").values_list("id", flat=True))
    c = client_for(learner)
    assert c.get(reverse("forum:post", args=[ids[0]]))["Location"] == (
        f"{topic.get_absolute_url()}#post-{ids[0]}"
    )
    assert c.get(reverse("forum:post", args=[ids[20]]))["Location"] == (
        f"{topic.get_absolute_url()}?page=2#post-{ids[20]}"
    )
    assert c.get(reverse("forum:post", args=[ids[44]]))["Location"] == (
        f"{topic.get_absolute_url()}?page=3#post-{ids[44]}"
    )
    page = c.get(f"{topic.get_absolute_url()}?page=3").content.decode()
    assert f'id="post-{ids[44]}"' in page


def test_post_links_count_only_posts_the_reader_can_see(client_for, learner, staff, topic):
    add_posts(topic, learner, 25)
    ids = list(topic.posts.order_by("id").values_list("id", flat=True))
    for post_id in ids[1:11]:
        services.hide_post(post=Post.objects.get(pk=post_id), by=staff)
    target = ids[22]  # 23rd post overall, 13th that members see
    member = client_for(learner).get(reverse("forum:post", args=[target]))
    assert member["Location"] == f"{topic.get_absolute_url()}#post-{target}"
    staff_view = client_for(staff).get(reverse("forum:post", args=[target]))
    assert staff_view["Location"] == f"{topic.get_absolute_url()}?page=2#post-{target}"


def test_topic_lists_are_paginated(client_for, learner, category):
    for i in range(30):
        Topic.objects.create(category=category, author=learner, title=f"T{i}")
    c = client_for(learner)
    first = c.get(reverse("forum:category", args=[category.slug]))
    assert len(first.context["page"].object_list) == 25
    assert (
        len(
            c.get(reverse("forum:category", args=[category.slug]) + "?page=2")
            .context["page"]
            .object_list
        )
        == 5
    )


def test_members_topic_pages_follow_the_topics_counter_and_staff_count_hidden_posts(
    client_for, learner, staff, topic
):
    add_posts(topic, learner, 40)  # 41 posts with the opening one: 3 pages
    ids = list(topic.posts.order_by("id").values_list("id", flat=True))
    c = client_for(learner)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(topic.get_absolute_url()).context["page"].paginator.num_pages == 3
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]

    services.hide_post(post=Post.objects.get(pk=ids[-1]), by=staff)  # 40 visible: 2 pages
    last = c.get(topic.get_absolute_url() + "?page=last")
    assert last.context["page"].number == 2
    assert [p.id for p in last.context["posts"]][-1] == ids[-2]
    assert client_for(staff).get(topic.get_absolute_url()).context["page"].paginator.num_pages == 3

    services.create_reply(topic=topic, author=learner, body="One more", fmt="plain")
    assert "One more" in c.get(topic.get_absolute_url() + "?page=3").content.decode()

"""A post's article is cached by what it shows (forum/views/topics.py, lib/fragments.py: one
`get_many` for a page's articles), so that every reader after the first gets it without
rendering: an edit, a deletion, hiding, or a new name or
handle shows at once; the reader's own parts (their actions, the "New" mark) are never
shared; a private circle's posts never enter the cache."""

from unittest import mock

import pytest
from django.core.cache import caches

from forum import services
from forum.models import ForumProfile, Post
from tests.forum.conftest import make_topic

pytestmark = pytest.mark.django_db


def opening(topic) -> Post:
    return topic.posts.order_by("id").first()


def test_an_edit_deletion_or_hiding_shows_at_once(
    client_for, learner, second_learner, staff, category
):
    topic = make_topic(category, learner, body="First words.")
    reader = client_for(second_learner)
    assert "First words." in reader.get(topic.get_absolute_url()).content.decode()

    services.edit_post(post=opening(topic), body="Second thoughts.", fmt=Post.Format.PLAIN)
    page = reader.get(topic.get_absolute_url()).content.decode()
    assert "Second thoughts." in page and "First words." not in page
    assert "edited</span>" in page

    reply = services.create_reply(
        topic=topic, author=second_learner, body="A reply to hide.", fmt="plain"
    )
    assert "A reply to hide." in client_for(learner).get(topic.get_absolute_url()).content.decode()
    services.hide_post(post=reply, by=staff)
    assert (
        "A reply to hide." not in client_for(learner).get(topic.get_absolute_url()).content.decode()
    )
    staff_page = client_for(staff).get(topic.get_absolute_url()).content.decode()
    assert "A reply to hide." in staff_page
    assert "Hidden by staff — members do not see this" in staff_page

    services.delete_post(post=opening(topic))
    page = reader.get(topic.get_absolute_url()).content.decode()
    assert "Second thoughts." not in page
    assert "This post was deleted." in page


def test_a_new_name_or_handle_shows_at_once(client_for, learner, second_learner, category):
    topic = make_topic(category, learner, body="Words.")
    reader = client_for(second_learner)
    assert "Lee Learner" in reader.get(topic.get_absolute_url()).content.decode()
    learner.display_name = "Lee Renamed"
    learner.save(update_fields=["display_name"])
    ForumProfile.objects.update_or_create(user=learner, defaults={"handle": "lee-renamed"})
    page = reader.get(topic.get_absolute_url()).content.decode()
    assert "Lee Renamed" in page and "@lee-renamed" in page
    assert "Lee Learner" not in page


def test_each_reader_gets_their_own_actions_and_new_marks(
    client_for, learner, second_learner, category
):
    topic = make_topic(category, learner, body="Words.")
    author_page = client_for(learner).get(topic.get_absolute_url()).content.decode()
    assert ">Edit</a>" in author_page and ">Report</a>" not in author_page
    other = client_for(second_learner)
    first_visit = other.get(topic.get_absolute_url()).content.decode()
    assert ">Report</a>" in first_visit and ">Edit</a>" not in first_visit
    assert ">New</span>" in first_visit
    assert ">New</span>" not in other.get(topic.get_absolute_url()).content.decode()


def cached_values(client, url) -> list[str]:
    """What the page's request stored in the cache."""
    stored: list[str] = []
    cache = caches["default"]
    real_set, real_set_many = cache.set, cache.set_many

    def recording_set(key, value, *args, **kwargs):
        stored.append(str(value))
        return real_set(key, value, *args, **kwargs)

    def recording_set_many(data, *args, **kwargs):
        stored.extend(str(value) for value in data.values())
        return real_set_many(data, *args, **kwargs)

    with (
        mock.patch.object(cache, "set", recording_set),
        mock.patch.object(cache, "set_many", recording_set_many),
    ):
        assert client.get(url).status_code == 200
    return stored


def cache_reads(client, url) -> list[str]:
    """The cache methods the page's request read with: "get" or "get_many"."""
    cache = caches["default"]
    reads: list[str] = []
    with (
        mock.patch.object(cache, "get", side_effect=cache.get) as get,
        mock.patch.object(cache, "get_many", side_effect=cache.get_many) as get_many,
    ):
        assert client.get(url).status_code == 200
    reads += ["get"] * get.call_count + ["get_many"] * get_many.call_count
    return reads


def test_a_topic_pages_articles_are_read_from_the_cache_at_once(
    client_for, learner, second_learner, category
):
    topic = make_topic(category, learner, body="Post 0.")
    for n in range(1, 5):
        services.create_reply(topic=topic, author=learner, body=f"Post {n}.", fmt="plain")
    url = topic.get_absolute_url()
    client_for(learner).get(url)  # the author's visit fills the cache
    reader = client_for(second_learner)
    assert cache_reads(reader, url).count("get_many") == 1
    assert cached_values(reader, url) == []  # every article came from the cache
    page = reader.get(url).content.decode()
    assert all(f"Post {n}." in page for n in range(5))
    # The reader's own parts, not the author's whose visit filled the cache.
    assert page.count(">Report</a>") == 5 and ">Edit</a>" not in page


def test_a_cached_article_is_rendered_again_after_an_edit(
    client_for, learner, second_learner, category
):
    topic = make_topic(category, learner, body="Before.")
    url = topic.get_absolute_url()
    reader = client_for(second_learner)
    reader.get(url)
    services.edit_post(post=opening(topic), body="After.", fmt=Post.Format.PLAIN)
    stored = set(cached_values(reader, url))  # (a backend's set_many may call its set)
    assert len(stored) == 1 and "After." in stored.pop()
    assert "Before." not in reader.get(url).content.decode()


def test_a_private_circles_posts_never_enter_the_cache(client_for, circle, circle_member):
    topic = make_topic(circle, circle_member, title="Circle case", body="A private case note.")
    reader = client_for(circle_member)
    stored = cached_values(reader, topic.get_absolute_url())
    assert not any("private case note" in value for value in stored)
    assert "A private case note." in reader.get(topic.get_absolute_url()).content.decode()


def test_an_open_categorys_post_is_cached(client_for, learner, second_learner, category):
    """The control for the test above: the same check finds an open category's post."""
    topic = make_topic(category, learner, body="An open question.")
    stored = cached_values(client_for(second_learner), topic.get_absolute_url())
    assert any("An open question." in value for value in stored)


def test_a_topic_rows_new_reply_title_and_state_show_at_once(
    client_for, learner, second_learner, staff, category
):
    """A category's topic rows are cached the same way: by what they show."""
    topic = make_topic(category, learner, title="First title", body="Words.")
    url = category.get_absolute_url()
    reader = client_for(second_learner)
    page = reader.get(url).content.decode()
    assert "First title" in page and "0 replies" in page and ">New</span>" in page

    services.create_reply(topic=topic, author=second_learner, body="A reply.", fmt="plain")
    page = reader.get(url).content.decode()
    assert "1 reply" in page and "Last: Sam Second" in page
    author_page = client_for(learner).get(url).content.decode()
    assert ">New replies</a>" in author_page  # the author's own mark, not the reader's

    services.edit_post(post=opening(topic), body="Words.", fmt="plain", title="Second title")
    topic.refresh_from_db()
    topic.is_pinned = True
    topic.save(update_fields=["is_pinned"])
    page = reader.get(url).content.decode()
    assert "Second title" in page and "First title" not in page
    assert '<span class="badge">Pinned</span>' in page
    assert "forum-topic-new" not in page  # the reader has read everything since


def test_a_private_circles_topic_rows_never_enter_the_cache(client_for, circle, circle_member):
    make_topic(circle, circle_member, title="A private case title", body="Words.")
    reader = client_for(circle_member)
    stored = cached_values(reader, circle.get_absolute_url())
    assert not any("private case title" in value for value in stored)
    assert "A private case title" in reader.get(circle.get_absolute_url()).content.decode()


def test_an_open_categorys_topic_rows_are_cached(client_for, learner, second_learner, category):
    make_topic(category, learner, title="An open title", body="Words.")
    stored = cached_values(client_for(second_learner), category.get_absolute_url())
    assert any("An open title" in value for value in stored)

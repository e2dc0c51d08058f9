"""Mentions that work: the composer's suggestions come from a JSON endpoint that offers only
members who may read the topic or circle (and is rate-limited), a handle nobody has is
pointed out next to the field instead of being dropped, and mention emails have their own
switch."""

import pytest
from django.urls import reverse

from accounts.models import EmailSettings
from forum import services
from forum.models import ForumProfile, Post
from forum.views.mentions import RATE
from tests import factories
from tests.forum.conftest import make_topic

pytestmark = pytest.mark.django_db


def handles(response) -> list[str]:
    assert response.status_code == 200
    return [m["handle"] for m in response.json()["members"]]


def topic_url(topic, q=""):
    return reverse("forum:mentions_topic", args=[topic.pk]) + f"?q={q}"


@pytest.fixture
def profiles(learner, second_learner, circle_member, refunded, outsider, staff):
    """Everyone with a forum handle: `sam-second` and `cira-circle` among them."""
    return {
        u.email: services.get_profile(u).handle
        for u in (learner, second_learner, circle_member, refunded, outsider, staff)
    }


def test_open_topic_offers_members_who_may_read_it(client_for, learner, topic, profiles):
    found = handles(client_for(learner).get(topic_url(topic)))

    assert profiles["second@example.com"] in found
    assert profiles["circle@example.com"] in found
    assert profiles["staff@example.com"] in found
    # Not the writer, nor a refunded learner, nor someone who was never enrolled.
    assert profiles["learner@example.com"] not in found
    assert profiles["refunded@example.com"] not in found
    assert profiles["outsider@example.com"] not in found


def test_circle_topic_offers_only_its_members_and_staff(
    client_for, circle_member, circle_topic, profiles
):
    found = handles(client_for(circle_member).get(topic_url(circle_topic)))

    assert set(found) == {profiles["staff@example.com"]}


def test_a_member_of_the_circle_is_offered_there(
    client_for, circle, circle_member, second_learner, circle_topic, profiles
):
    circle.memberships.create(user=second_learner)

    found = handles(client_for(circle_member).get(topic_url(circle_topic, "sam")))

    assert found == [profiles["second@example.com"]]


def test_new_topic_in_a_circle_offers_only_its_readers(client_for, circle, circle_member, profiles):
    url = reverse("forum:mentions_category", args=[circle.slug])

    assert handles(client_for(circle_member).get(url)) == [profiles["staff@example.com"]]


def test_suggestions_match_the_start_of_a_handle_or_a_name(client_for, learner, topic, profiles):
    c = client_for(learner)

    assert handles(c.get(topic_url(topic, "SAM"))) == [profiles["second@example.com"]]
    assert handles(c.get(topic_url(topic, "zzz"))) == []
    response = c.get(topic_url(topic, "sam")).json()
    assert response["members"][0]["name"] == "Sam Second, LPC"
    assert "@" not in str(response)  # names and handles, never an email address


@pytest.mark.parametrize("q", ["a b", "<script>", "x" * 41, "@sam", "sam%"])
def test_odd_input_is_an_empty_list_not_an_error(client_for, learner, topic, q):
    assert handles(client_for(learner).get(topic_url(topic, q))) == []


def test_outsiders_get_the_forums_locked_page_and_non_members_of_a_circle_404(
    client, client_for, outsider, learner, topic, circle_topic, circle
):
    """As every forum address: the forum is locked to people who aren't members (403, with
    nothing of the topic), and a circle does not exist for those outside it."""
    for response in [client.get(topic_url(topic)), client_for(outsider).get(topic_url(topic))]:
        assert response.status_code == 403
        assert "handle" not in response.content.decode()
    assert client_for(learner).get(topic_url(circle_topic)).status_code == 404
    url = reverse("forum:mentions_category", args=[circle.slug])
    assert client_for(learner).get(url).status_code == 404


def test_suggestions_are_rate_limited(client_for, learner, topic):
    c = client_for(learner)
    for _ in range(RATE[0]):
        c.get(topic_url(topic, "s"))

    response = c.get(topic_url(topic, "s"))

    assert response.status_code == 429
    assert "error" in response.json()


def test_suggestions_are_never_cached(client_for, learner, topic):
    assert "no-store" in client_for(learner).get(topic_url(topic))["Cache-Control"]


@pytest.mark.parametrize("extra", [1, 12])
def test_suggestion_queries_do_not_grow_with_members(
    client_for, learner, cohort, topic, extra, django_assert_max_num_queries
):
    for n in range(extra):
        user = factories.make_user(f"m{n}@example.com", display_name=f"Member {n}")
        factories.enrol(user, cohort)
        services.get_profile(user)
    c = client_for(learner)
    c.get(topic_url(topic))  # the session and the forum profile are warm

    with django_assert_max_num_queries(8):
        assert len(handles(c.get(topic_url(topic, "m")))) == min(extra, 8)


# Unknown handles -------------------------------------------------------------------------


def test_a_reply_mentioning_a_handle_nobody_has_is_pointed_out_and_kept(
    client_for, learner, second_learner, topic
):
    handle = services.get_profile(second_learner).handle
    body = f"Thanks @{handle} and @nobody-here, see you Friday."

    response = client_for(learner).post(
        reverse("forum:reply", args=[topic.pk]), {"body": body, "format": "plain"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "No member has the handle @nobody-here" in page
    assert f"@{handle}," not in page.split("No member has the handle", 1)[1].split("</p>", 1)[0]
    assert 'id="id_body_error"' in page
    assert "nobody-here, see you Friday" in page  # nothing typed is lost
    assert topic.posts.count() == 1


def test_a_new_topic_mentioning_a_handle_nobody_has_is_not_posted(client_for, learner, category):
    response = client_for(learner).post(
        reverse("forum:new_topic", args=[category.slug]),
        {"title": "Hello", "body": "Ask @ghost about it", "format": "plain"},
    )

    assert "No member has the handle @ghost" in response.content.decode()
    assert not category.topics.exists()


def test_known_handles_in_any_case_and_at_signs_inside_words_post_fine(
    client_for, learner, second_learner, topic
):
    handle = services.get_profile(second_learner).handle
    body = f"Ask @{handle.upper()} about it (or me@home)."

    response = client_for(learner).post(
        reverse("forum:reply", args=[topic.pk]), {"body": body, "format": "plain"}
    )

    assert response.status_code == 302
    assert topic.posts.count() == 2


def test_the_composer_carries_the_suggestions_address(client_for, learner, topic, category):
    c = client_for(learner)
    page = c.get(topic.get_absolute_url()).content.decode()
    assert f'data-mentions-url="{reverse("forum:mentions_topic", args=[topic.pk])}"' in page
    assert "js/mentions" in page
    page = c.get(reverse("forum:new_topic", args=[category.slug])).content.decode()
    assert f'data-mentions-url="{reverse("forum:mentions_category", args=[category.slug])}"' in page


# The mention email's own switch --------------------------------------------------------------


def test_no_mention_email_when_mentions_are_turned_off(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    handle = services.get_profile(second_learner).handle
    ForumProfile.objects.filter(user=learner).update(email_mode="off")
    EmailSettings.turn_off(user_id=second_learner.pk, kind="forum_mentions")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(learner).post(
            reverse("forum:reply", args=[topic.pk]), {"body": f"@{handle} hi", "format": "plain"}
        )

    assert topic.posts.filter(format=Post.Format.PLAIN).exists()
    assert mailoutbox == []


def test_the_mention_email_turns_mentions_off_in_one_click(
    client_for, learner, second_learner, category, mailoutbox, django_capture_on_commit_callbacks
):
    from django.test import Client

    handle = services.get_profile(second_learner).handle
    with django_capture_on_commit_callbacks(execute=True):
        make_topic(category, learner, body=f"Hello @{handle}")
    (message,) = mailoutbox
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url in message.body

    Client(enforce_csrf_checks=True).post("/" + url.split("://", 1)[1].split("/", 1)[1])

    assert not EmailSettings.wants(kind="forum_mentions", user_id=second_learner.pk)
    assert ForumProfile.objects.get(user=second_learner).email_mode == "immediate"


def test_an_at_sign_in_code_or_in_what_the_sanitizer_drops_is_no_mention(
    client_for, learner, category
):
    """Only what the post shows as a mention must name a member: not `@decorators` in code, an
    address in a link, or CSS the sanitizer removes."""
    from forum.models import Topic
    from tests.forum.conftest import make_topic

    topic = make_topic(category, learner)
    c = client_for(learner)
    for body in [
        "Use `@property` here.",
        "```\n@dataclass\n```",
        "<style>@import 'x.css';</style> Plain words.",
        "[mail](mailto:someone@example.com)",
    ]:
        response = c.post(
            reverse("forum:reply", args=[topic.pk]),
            {"body": body, "format": "markdown", "post_anyway": "on"},
        )
        assert response.status_code == 302, body
    response = c.post(
        reverse("forum:reply", args=[topic.pk]),
        {"body": "Hello @nobody-here", "format": "markdown"},
    )
    assert response.status_code == 200
    assert "No member has the handle @nobody-here" in response.content.decode()
    assert Topic.objects.get(pk=topic.pk).post_count == 5

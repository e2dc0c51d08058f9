"""Emails: followers hear who replied where (never what), right away or in a daily digest,
mentioned members are told, and every email unsubscribes in one click."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from forum import notifications, services, tasks
from forum.models import ForumProfile, Subscription
from tests import factories
from tests.forum.conftest import make_topic

pytestmark = pytest.mark.django_db

SECRET = "The client's grandmother said something unforgettable."


def reply(client, topic, body=SECRET, capture=None):
    with capture(execute=True):
        return client.post(
            reverse("forum:reply", args=[topic.pk]), {"body": body, "format": "plain"}
        )


def test_follower_gets_an_email_that_says_who_replied_where_but_not_what(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    reply(client_for(second_learner), topic, capture=django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [learner.email]
    assert "Sam Second, LPC replied in “A question about avoidance”" in message.subject
    html = message.alternatives[0][0]
    for part in (message.body, html, message.subject):
        assert SECRET not in part
        assert "grandmother" not in part
    post_id = topic.posts.latest("id").pk
    assert f"/forum/post/{post_id}/" in message.body


def test_reply_email_carries_one_click_unsubscribe_headers(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    reply(client_for(second_learner), topic, capture=django_capture_on_commit_callbacks)

    headers = mailoutbox[0].extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    path = url.split("testserver")[-1].replace("http://127.0.0.1:8000", "")
    # A mail client posts without cookies or CSRF token.
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert ForumProfile.objects.get(user=learner).email_mode == "off"


def test_unfollow_link_in_the_email_asks_then_unfollows_the_one_topic(
    client,
    client_for,
    learner,
    second_learner,
    topic,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    reply(client_for(second_learner), topic, capture=django_capture_on_commit_callbacks)
    link = next(
        line for line in mailoutbox[0].body.splitlines() if line.startswith("Stop following")
    )
    path = "/forum/" + link.split("/forum/", 1)[1]

    assert client.get(path).status_code == 200
    assert Subscription.objects.filter(user=learner, topic=topic).exists()
    page = client.post(path).content.decode()
    assert "You no longer follow that topic" in page
    assert "A question about avoidance" not in page
    assert not Subscription.objects.filter(user=learner, topic=topic).exists()
    assert ForumProfile.objects.get(user=learner).email_mode == "immediate"


def test_a_forged_unsubscribe_token_is_404(client, learner):
    token = notifications.unsubscribe_token(learner.pk)
    assert (
        client.post(reverse("forum:email_unsubscribe", args=[token[:-2] + "xx"])).status_code == 404
    )


def test_author_is_not_emailed_about_their_own_reply(
    client_for, learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    reply(client_for(learner), topic, capture=django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_members_who_chose_off_or_daily_get_no_immediate_email(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    for mode in ("off", "daily"):
        ForumProfile.objects.filter(user=learner).update(email_mode=mode)
        reply(client_for(second_learner), topic, capture=django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_refunded_follower_gets_no_email(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    learner.enrollments.update(status="refunded")
    reply(client_for(second_learner), topic, capture=django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_follower_removed_from_a_circle_gets_no_email_about_it(
    client_for,
    circle,
    circle_member,
    circle_topic,
    cohort,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    other = factories.make_user("other-circle@example.com")
    factories.enrol(other, cohort)
    circle.memberships.create(user=other)
    reply(client_for(other), circle_topic, capture=django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [[circle_member.email]]
    mailoutbox.clear()

    circle.memberships.filter(user=circle_member).delete()
    reply(client_for(other), circle_topic, body="Again", capture=django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_notification_task_is_idempotent(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    reply(client_for(second_learner), topic, capture=django_capture_on_commit_callbacks)
    post_id = topic.posts.latest("id").pk
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.notify_subscribers(post_id) == 0
    assert len(mailoutbox) == 1


def test_mentioned_member_is_told_without_the_text(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    handle = services.get_profile(second_learner).handle
    ForumProfile.objects.filter(user=learner).update(email_mode="off")
    reply(
        client_for(learner),
        topic,
        body=f"What do you think, @{handle}? {SECRET}",
        capture=django_capture_on_commit_callbacks,
    )

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [second_learner.email]
    assert "mentioned you" in message.subject
    assert SECRET not in message.body
    assert SECRET not in message.alternatives[0][0]
    assert "List-Unsubscribe" in message.extra_headers
    assert f'<span class="mention">@{handle}</span>' in topic.posts.latest("id").html


def test_a_mentioned_follower_gets_one_email_not_two(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    handle = services.get_profile(learner).handle  # learner started the topic: a follower
    reply(
        client_for(second_learner),
        topic,
        body=f"@{handle} what do you think?",
        capture=django_capture_on_commit_callbacks,
    )

    assert [m.to for m in mailoutbox] == [[learner.email]]
    assert "replied in" in mailoutbox[0].subject


def test_a_mentioned_follower_on_the_daily_digest_is_told_of_the_mention_now(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    ForumProfile.objects.filter(user=learner).update(email_mode="daily")
    handle = services.get_profile(learner).handle
    reply(
        client_for(second_learner),
        topic,
        body=f"@{handle} what do you think?",
        capture=django_capture_on_commit_callbacks,
    )

    assert [m.to for m in mailoutbox] == [[learner.email]]
    assert "mentioned you" in mailoutbox[0].subject


def test_mentioning_someone_who_cannot_see_the_circle_sends_nothing(
    client_for, learner, circle_member, circle_topic, mailoutbox, django_capture_on_commit_callbacks
):
    handle = services.get_profile(learner).handle
    reply(
        client_for(circle_member),
        circle_topic,
        body=f"@{handle} look",
        capture=django_capture_on_commit_callbacks,
    )
    assert mailoutbox == []


def test_mentioning_a_non_member_sends_nothing(
    client_for, learner, outsider, topic, mailoutbox, django_capture_on_commit_callbacks
):
    handle = services.get_profile(outsider).handle
    ForumProfile.objects.filter(user=learner).update(email_mode="off")
    reply(
        client_for(learner), topic, body=f"@{handle} hi", capture=django_capture_on_commit_callbacks
    )
    assert mailoutbox == []


def test_open_category_mention_names_the_poster_and_the_topic(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    handle = services.get_profile(second_learner).handle
    ForumProfile.objects.filter(user=learner).update(email_mode="off")
    reply(
        client_for(learner),
        topic,
        body=f"@{handle} {SECRET}",
        capture=django_capture_on_commit_callbacks,
    )

    (message,) = mailoutbox
    assert message.subject.startswith(
        "Lee Learner, LMHC mentioned you in “A question about avoidance”"
    )
    assert "mentioned you in the topic “A question about avoidance”" in message.body
    assert "“A question about avoidance”" in message.alternatives[0][0]


# Private circles: their emails say "one of your private circles", with the link only --------

CIRCLE_SECRETS = ["Circle only: a hard case", "Peer circle A", "circle-a", "Olga Other", SECRET]


@pytest.fixture
def circle_poster(circle, cohort):
    user = factories.make_user("olga@example.com", display_name="Olga Other")
    factories.enrol(user, cohort)
    circle.memberships.create(user=user)
    return user


def assert_says_nothing_of_the_circle(message, post_id: int) -> None:
    html = message.alternatives[0][0]
    for part in (message.subject, message.body, html):
        for secret in CIRCLE_SECRETS:
            assert secret not in part, (secret, part)
    assert f"/forum/post/{post_id}/" in message.body
    assert f"/forum/post/{post_id}/" in html


def test_circle_reply_email_carries_no_title_circle_name_poster_or_text(
    client_for,
    circle_member,
    circle_poster,
    circle_topic,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    reply(client_for(circle_poster), circle_topic, capture=django_capture_on_commit_callbacks)

    (message,) = mailoutbox
    assert message.to == [circle_member.email]
    assert message.subject == "New reply in one of your private circles · Learner Exchange Forum"
    assert "one of your private circles" in message.body
    assert_says_nothing_of_the_circle(message, circle_topic.posts.latest("id").pk)


def test_circle_mention_email_carries_no_title_circle_name_poster_or_text(
    client_for,
    circle,
    cohort,
    circle_member,
    circle_poster,
    circle_topic,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    mentioned = factories.make_user("mona@example.com", display_name="Mona Mentioned")
    factories.enrol(mentioned, cohort)
    circle.memberships.create(user=mentioned)
    ForumProfile.objects.filter(user=circle_member).update(email_mode="off")
    handle = services.get_profile(mentioned).handle
    reply(
        client_for(circle_poster),
        circle_topic,
        body=f"@{handle} {SECRET}",
        capture=django_capture_on_commit_callbacks,
    )

    (message,) = mailoutbox
    assert message.to == [mentioned.email]
    assert (
        message.subject
        == "You were mentioned in one of your private circles · Learner Exchange Forum"
    )
    assert_says_nothing_of_the_circle(message, circle_topic.posts.latest("id").pk)


def test_circle_topics_in_the_digest_carry_no_title_circle_name_poster_or_text(
    client_for,
    learner,
    second_learner,
    topic,
    circle_member,
    circle_poster,
    circle_topic,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    services.follow_topic(user=circle_member, topic=topic)
    ForumProfile.objects.filter(user=circle_member).update(email_mode="daily")
    reply(client_for(circle_poster), circle_topic, capture=django_capture_on_commit_callbacks)
    reply(
        client_for(second_learner), topic, body="Open", capture=django_capture_on_commit_callbacks
    )
    mailoutbox.clear()  # the open topic's author was told right away

    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.send_digest(user_id=circle_member.pk)

    (message,) = mailoutbox
    assert "2 topics" in message.subject
    assert "A topic in one of your private circles: 1 new reply\n" in message.body
    assert_says_nothing_of_the_circle(message, circle_topic.posts.latest("id").pk)
    # The open topic in the same digest is listed as before.
    assert "“A question about avoidance”: 1 new reply by Sam Second, LPC" in message.body
    assert "“A question about avoidance”" in message.alternatives[0][0]


# Daily digest ------------------------------------------------------------------------------


def test_daily_digest_lists_topics_with_new_replies_and_no_text(
    client_for,
    learner,
    second_learner,
    category,
    topic,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    ForumProfile.objects.filter(user=learner).update(email_mode="daily")
    other_topic = make_topic(category, learner, title="Second topic")
    c = client_for(second_learner)
    reply(c, topic, capture=django_capture_on_commit_callbacks)
    reply(c, topic, body="More", capture=django_capture_on_commit_callbacks)
    reply(c, other_topic, capture=django_capture_on_commit_callbacks)
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_daily_digests() == 1
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [learner.email]
    assert "2 topics" in message.subject
    assert "A question about avoidance" in message.body
    assert "2 new replies by Sam Second, LPC" in message.body
    assert "Second topic" in message.body
    assert SECRET not in message.body
    assert SECRET not in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Nothing new: no second digest.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_daily_digests()
    assert len(mailoutbox) == 1


def test_digest_skips_what_the_member_already_read(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    ForumProfile.objects.filter(user=learner).update(email_mode="daily")
    reply(client_for(second_learner), topic, capture=django_capture_on_commit_callbacks)
    client_for(learner).get(topic.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_daily_digests()
    assert mailoutbox == []


def test_digest_never_mentions_a_circle_topic_to_someone_who_left_the_circle(
    client_for,
    circle,
    circle_member,
    circle_topic,
    cohort,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    ForumProfile.objects.filter(user=circle_member).update(email_mode="daily")
    other = factories.make_user("circle2@example.com")
    factories.enrol(other, cohort)
    circle.memberships.create(user=other)
    reply(client_for(other), circle_topic, capture=django_capture_on_commit_callbacks)
    circle.memberships.filter(user=circle_member).delete()

    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_daily_digests()
    assert mailoutbox == []


def test_digest_is_not_sent_to_a_refunded_learner(
    client_for, learner, second_learner, topic, mailoutbox, django_capture_on_commit_callbacks
):
    ForumProfile.objects.filter(user=learner).update(email_mode="daily")
    reply(client_for(second_learner), topic, capture=django_capture_on_commit_callbacks)
    learner.enrollments.update(status="refunded")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_daily_digests()
    assert mailoutbox == []


def test_digest_leaves_out_hidden_replies(
    client_for,
    learner,
    second_learner,
    staff,
    topic,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    ForumProfile.objects.filter(user=learner).update(email_mode="daily")
    reply(client_for(second_learner), topic, capture=django_capture_on_commit_callbacks)
    services.hide_post(post=topic.posts.latest("id"), by=staff)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_daily_digests()
    assert mailoutbox == []


def test_daily_digest_is_scheduled_in_beat():
    from config.celery import app

    entries = [e["task"] for e in app.conf.beat_schedule.values()]
    assert "forum.tasks.send_daily_digests" in entries


def test_settings_page_changes_the_email_choice(client_for, learner, topic):
    c = client_for(learner)
    page = c.get(reverse("forum:settings")).content.decode()
    assert "A question about avoidance" in page
    response = c.post(reverse("forum:settings"), {"email_mode": "daily"})
    assert response.status_code == 302
    assert ForumProfile.objects.get(user=learner).email_mode == "daily"
    assert c.post(reverse("forum:settings"), {"email_mode": "weekly"}).status_code == 200


def test_unused_unsubscribe_token_for_a_deleted_topic_still_answers(client, learner, topic):
    token = notifications.unsubscribe_token(learner.pk, topic_id=987654)
    assert client.post(reverse("forum:email_unsubscribe", args=[token])).status_code == 200


def test_read_state_timestamps_use_now(learner, topic):
    state = learner.forum_read_states.get(topic=topic)
    assert timezone.now() - state.last_read_at < dt.timedelta(minutes=1)

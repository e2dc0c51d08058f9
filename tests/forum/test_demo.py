"""The forum's demo content: idempotent, and it shows every state worth looking at."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from forum.models import Post, ReadState, Report, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    return User.objects.get(email="learner@demo.test")


def test_seed_demo_twice_adds_nothing(settings, seeded):
    counts = (Topic.objects.count(), Post.objects.count(), Report.objects.count())

    call_command("seed_demo", stdout=io.StringIO())

    assert counts == (Topic.objects.count(), Post.objects.count(), Report.objects.count())


def test_demo_has_a_long_topic_a_hidden_reply_and_an_open_report(client_for, seeded):
    long_topic = Topic.objects.get(title="Reading group: one lesson a week")
    hidden = Post.objects.get(is_hidden=True)
    c = client_for(seeded)

    last = c.get(long_topic.get_absolute_url() + "?page=last")
    assert last.context["page"].number == 3
    assert hidden.topic == long_topic
    assert Report.objects.filter(post=hidden, status="hidden").exists()
    assert Report.objects.filter(status="open").count() == 1
    page_1 = c.get(long_topic.get_absolute_url()).content.decode()
    assert "Quick plug" not in page_1


def test_demo_posters_have_read_their_own_posts(seeded):
    for post in Post.objects.select_related("topic"):
        state = ReadState.objects.get(user=post.author, topic=post.topic)
        assert state.last_read_post_id >= post.pk


def test_staff_see_the_demo_report_queue(client_for, seeded):
    staff = User.objects.get(email="staff@demo.test")

    response = client_for(staff).get(reverse("admin:forum_report_changelist"))
    assert response.status_code == 200, response.get("Location")
    html = response.content.decode()

    assert "It may identify a client" in html
    assert "It is spam or off topic" in html

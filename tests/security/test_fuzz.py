"""Property-based tests: random and malformed data, posted to every URL of the site (and as a
query string to every GET), by each persona. Whatever arrives: never a server error, and
never a change to another person's data.

Each example visits every site URL once (GET with a random query string, then POST with a
random form), so a small number of examples covers every URL; FUZZ_EXAMPLES=50 for a long run.
URLs point at the victim's objects (ids from tests/security/world.py); secret tokens in a URL
are replaced by random text, because a token is a credential the attacker does not have.
Rate limits count in the cache, which is cleared before every request.
"""

import os
import re
from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.models import Enrollment, FinancialAidRequest, Offer, SeatHold, WaitlistEntry
from forum.models import CircleMembership, ForumProfile, Post, ReadState, Subscription, Topic
from lessons.models import Progress
from newsletter.models import Subscriber
from qa.models import Answer, Question, Reply
from tests.security.test_access_matrix import all_routes, url_for
from tests.security.world import World, client_as
from tests.security.xss import VECTORS
from zoomgroups.models import RSVP, Attendance

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every field name the site's forms use, so random data reaches validation, not just the
# "missing field" branch; plus arbitrary names.
FIELD_NAMES = [
    "title", "text", "body", "format", "post_anyway", "send_anyway", "display_name",
    "credentials", "time_zone", "bio", "email", "name", "message", "can_pay", "reason",
    "details", "q", "response", "email_mode", "forum_posts", "password", "course", "lesson",
    "consent_to_publish", "page", "kind", "material", "done", "next", "cohort", "topic",
    "action", "remember", "password1", "password2", "login", "code", "key", "subscribe",
    "unsubscribe", "csrfmiddlewaretoken", "preview", "sort", "status",
]  # fmt: skip
SPECIAL = [
    "", " ", "on", "true", "false", "-1", "0", "1", "2", "999999999999999999999999", "1e309",
    "NaN", "null", "../../etc/passwd", "markdown", "plain", "keep", "erase", "attending",
    "declined", "immediate", "daily", "off", "other", "identifying", "UTC", "Mars/Olympus",
    "chapter", "video", "podcast", "audio", "captions", "%00", "\x00", "a\x00b", "\ufeff",
    "\u202e", "x" * 25000, "learner@example.com", "not an email", "@", "a@b", "😀" * 50,
    "2026-02-30", "learner", "../", "'; DROP TABLE accounts_user; --",
]  # fmt: skip

values = st.one_of(
    st.sampled_from(SPECIAL),
    st.sampled_from(VECTORS),
    st.text(max_size=200),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
form_data = st.dictionaries(
    keys=st.one_of(st.sampled_from(FIELD_NAMES), st.text(min_size=1, max_size=12)),
    values=st.one_of(values, st.lists(values, max_size=3)),
    max_size=8,
)
tokens = st.one_of(st.sampled_from(["x", "0", "a" * 300, "..", "%2e%2e"]), st.text(min_size=1))


def snapshot(user, *, with_questions: bool = True, with_moderation: bool = True) -> dict:
    """Everything of `user`'s that someone else must not be able to change. The instructor
    answers questions and staff moderate posts: `with_questions` / `with_moderation` False
    leave those out for them."""
    user.refresh_from_db()
    email = user.email
    rows = {
        "user": (
            user.email, user.display_name, user.credentials, user.bio, user.time_zone,
            user.password, user.is_active, user.is_staff, user.feed_token,
        ),
        "emails": list(EmailAddress.objects.filter(user=user).values_list("email", "verified")),
        "enrolments": list(Enrollment.objects.filter(user=user).values_list("cohort", "status")),
        "holds": list(SeatHold.objects.filter(user=user).values_list("cohort", "state")),
        "progress": list(Progress.objects.filter(user=user).values()),
        "topics": list(
            Topic.objects.filter(author=user).values_list(
                "title", "category", "is_pinned", "is_locked", "is_hidden"
            )
        ),
        "posts": list(
            Post.objects.filter(author=user).values_list(
                "body", "html", "format", "is_deleted", "edited_at"
            )
        ),
        "following": list(Subscription.objects.filter(user=user).values_list("topic")),
        "read": list(ReadState.objects.filter(user=user).values_list("topic", "last_read_post_id")),
        "forum_profile": list(ForumProfile.objects.filter(user=user).values()),
        "circles": list(CircleMembership.objects.filter(user=user).values_list("category")),
        "rsvps": list(RSVP.objects.filter(user=user).values_list("session", "response")),
        "attended": list(Attendance.objects.filter(user=user).values_list("session")),
        "newsletter": list(Subscriber.objects.filter(email=email).values_list("status", "name")),
        "waitlist": list(
            WaitlistEntry.objects.filter(Q(user=user) | Q(email=email)).values_list(
                "name", "message", "status"
            )
        ),
        "aid": list(
            FinancialAidRequest.objects.filter(Q(user=user) | Q(email=email)).values_list(
                "message", "status"
            )
        ),
        "offers": list(Offer.objects.filter(email=email).values_list("status", "accepted_by")),
    }  # fmt: skip
    if with_moderation:
        rows["hidden"] = list(Post.objects.filter(author=user).values_list("is_hidden"))
    if with_questions:
        questions = Question.objects.filter(asker=user)
        rows["questions"] = list(questions.values())
        rows["replies"] = list(Reply.objects.filter(question__in=questions).values())
        rows["answers"] = list(Answer.objects.filter(question__in=questions).values())
    return rows


def secrets_of(w: World) -> list[str]:
    return [
        w.feed_token, w.offer.token, w.subscriber.token, w.confirm_token,
        w.forum_unsubscribe_token, w.waitlist_entry.leave_token,
    ]  # fmt: skip


def fuzzed_url(route: str, w: World, token: str) -> str:
    url = url_for(route, w)
    for secret in secrets_of(w):
        url = url.replace(secret, quote(token, safe=""))
    return url


def site_routes() -> list[str]:
    return [r for r in all_routes() if not r.startswith("admin/")]


def check(response, method: str, url: str) -> None:
    assert response.status_code < 500, (method, url, response.status_code)


# The victim of each persona's attempts: the learner, or for the learner another learner.
VICTIM = {
    "visitor": "learner",
    "learner": "other_learner",
    "other_learner": "learner",
    "outsider": "learner",
    "instructor": "learner",
    "staff": "learner",
}


@pytest.mark.parametrize("persona", list(VICTIM))
def test_random_input_to_every_site_url(request, world, persona):
    victim = request.getfixturevalue(VICTIM[persona])
    # The instructor answers questions; staff (and the instructor) hide and restore posts.
    allowed = {
        "with_questions": persona != "instructor",
        "with_moderation": persona not in ("instructor", "staff"),
    }
    before = snapshot(victim, **allowed)
    routes = site_routes()

    def fuzz(route: str):
        @FUZZ
        @given(token=tokens, query=form_data, post=form_data)
        def attempt(token, query, post):
            # A fresh sign-in each time: a POST to the sign-out URL must not turn the rest of
            # the run into a visitor's.
            client = client_as(request, persona)
            url = fuzzed_url(route, world, token)
            cache.clear()
            check(client.get(url, query), "GET", url)
            cache.clear()
            check(client.post(url, post), "POST", url)
            assert snapshot(victim, **allowed) == before, (persona, url, post)

        return attempt

    for route in routes:
        fuzz(route)()


@pytest.mark.parametrize("persona", ["visitor", "learner", "other_learner", "outsider"])
def test_random_input_to_the_admin_changes_nothing(request, world, persona):
    """Non-staff never get past the admin's door, whatever they send."""
    victim = request.getfixturevalue(VICTIM[persona])
    before = snapshot(victim)
    routes = [r for r in all_routes() if r.startswith("admin/")]

    @FUZZ
    @given(route=st.sampled_from(routes), post=form_data)
    def attempt(route, post):
        client = client_as(request, persona)  # admin/logout/ signs out: start afresh
        url = url_for(route, world)
        cache.clear()
        response = client.post(url, post)
        check(response, "POST", url)
        assert response.status_code in (302, 403, 404, 405), (url, response.status_code)
        assert snapshot(victim) == before

    for _ in range(10):
        attempt()


@pytest.mark.parametrize("persona", ["instructor", "staff"])
def test_random_filters_and_searches_in_admin_lists(request, world, persona):
    """Admin change lists take filters, sorting and search from the query string."""
    client = client_as(request, persona)
    lists = [r for r in all_routes() if re.fullmatch(r"admin/\w+/\w+/", r)]
    assert len(lists) >= 20

    admin_query = st.dictionaries(
        keys=st.one_of(
            st.sampled_from(["q", "o", "p", "e", "all", "status", "status__exact"]),
            st.text(min_size=1, max_size=20),
        ),
        values=values,
        max_size=4,
    )

    def fuzz(route: str):
        @FUZZ
        @given(query=admin_query)
        def attempt(query):
            check(client.get("/" + route, query), "GET", route)

        return attempt

    for route in lists:
        fuzz(route)()


def test_the_stripe_webhook_refuses_random_bodies(client, world):
    @FUZZ
    @given(
        body=st.one_of(st.binary(max_size=500), st.sampled_from([b"{}", b"[]", b"null"])),
        signature=st.one_of(st.none(), st.text(max_size=100)),
    )
    def attempt(body, signature):
        headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
        response = client.post("/stripe/webhook/", body, content_type="application/json", **headers)
        assert response.status_code in (400, 404), response.status_code

    attempt()

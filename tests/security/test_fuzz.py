"""Property-based tests: random and malformed data, posted to every URL of the site (and as a
query string to every GET), by each persona. Whatever arrives: never a server error, and
never a change to another person's data.

Each example visits every site URL once (GET with a random query string, then POST with a
random form), so a small number of examples covers every URL; FUZZ_EXAMPLES=50 for a long run.
URLs point at the victim's objects (ids from tests/security/world.py); secret tokens in a URL
are replaced by random text, because a token is a credential the attacker does not have.
Rate limits count in the cache, which is cleared before every request.

The walks at the end are not drawn at random, because each kind of malformed value must reach
every URL pattern: NUL, bytes that are not UTF-8, over-long text, integers beyond bigint and
text beyond ASCII, in each path parameter, in the query string and in the form, and odd bytes
in headers, as every persona, on PostgreSQL.
"""

import os
import re
from urllib.parse import quote, urlencode

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.urls import resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce.models import Certificate, EvaluationResponse, PostTestResult, RecordingView
from courses.models import Enrollment, FinancialAidRequest, Offer, SeatHold, WaitlistEntry
from forum.models import CircleMembership, ForumProfile, Post, ReadState, Subscription, Topic
from lessons.models import Progress
from newsletter.models import Subscriber
from qa.models import Answer, Question, Reply
from tests.security.test_access_matrix import all_routes, expected, outcome, url_for
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
        "ce_certificates": list(
            Certificate.objects.filter(user=user).values_list("code", "name", "revoked_at")
        ),
        "ce_results": list(PostTestResult.objects.filter(user=user).values()),
        "ce_evaluations": list(EvaluationResponse.objects.filter(user=user).values_list("pk")),
        "ce_recordings": list(RecordingView.objects.filter(user=user).values_list("session")),
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
        w.infographic_token, w.forum_unsubscribe_token, w.waitlist_entry.leave_token,
        w.certificate_code,
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


ZOOM_BODIES = [
    b"{}",
    b"[]",
    b'{"event": "endpoint.url_validation", "payload": {"plainToken": 5}}',
    b'{"event": "recording.completed", "event_ts": 1e400, "payload": {"object": {"id": {}}}}',
    b'{"event": "meeting.participant_joined", "payload": {"object": {"participant": 3}}}',
    b'{"event": "meeting.ended", "payload": []}',
]


def test_the_zoom_webhook_refuses_random_bodies_and_signatures(client, world):
    """Issue 26: whatever arrives, /zoom/webhook/ answers 200, 400 or 401, never 500; only a
    correctly signed, recent event may be 200."""
    import time

    from django.test import override_settings

    from tests.fakezoom import WEBHOOK_SECRET, sign

    @FUZZ
    @given(
        body=st.one_of(st.binary(max_size=300), st.sampled_from(ZOOM_BODIES)),
        timestamp=st.one_of(
            st.none(), st.text(max_size=20), st.integers().map(str), st.just("now")
        ),
        signature=st.one_of(st.none(), st.text(max_size=80), st.just("sign")),
    )
    def attempt(body, timestamp, signature):
        headers = {}
        if timestamp == "now":
            timestamp = str(int(time.time()))
        if timestamp is not None:
            headers["HTTP_X_ZM_REQUEST_TIMESTAMP"] = timestamp
        if signature == "sign":
            signature = sign(body, timestamp or "", WEBHOOK_SECRET)
        if signature is not None:
            headers["HTTP_X_ZM_SIGNATURE"] = signature
        response = client.post("/zoom/webhook/", body, content_type="application/json", **headers)
        assert response.status_code in (200, 400, 401), response.status_code
        if response.status_code == 200:
            assert signature == sign(body, timestamp or "", WEBHOOK_SECRET)

    with override_settings(ZOOM_WEBHOOK_SECRET_TOKEN=WEBHOOK_SECRET):
        attempt()


# Malformed values in every URL, query string and form ------------------------------------
#
# Values no page is written for, as they arrive on the wire (percent-encoded). REFUSED ones,
# NUL and bytes that are not UTF-8, are answered 400 by the request guard (lib/wellformed.py)
# wherever they are; ODD ones reach the views: a 10,000-digit number (beyond what int() takes,
# and longer than any column), an integer beyond bigint, text beyond ASCII. PostgreSQL, which
# refuses NUL in text, is what these tests are about: they are marked postgres.

REFUSED = ["a%00b", "%C3%28"]
ODD = ["9" * 10_000, str(2**64), quote("é😀\u202e")]
URLENCODED = "application/x-www-form-urlencoded"

# Each refused in a different place and spelling: percent-encoded or raw (WSGI hands raw bytes
# over as Latin-1 text), in a name or a value, in an urlencoded or a multipart form.
REFUSED_QUERIES = [
    {"query": "q=a%00b&page=1"},
    {"query": "%C3%28=1"},
    {"QUERY_STRING": "q=\xff"},
]
REFUSED_FORMS = [
    {"data": b"text=a%00b&title=x", "content_type": URLENCODED},
    {"data": b"text=\xc3\x28&%FF=1", "content_type": URLENCODED},
    {"data": {"text": "a\x00b"}},  # the test client's default: multipart
]
# Every field name the forms use with an odd value, each value in turn, plus odd names; in a
# query string, the names pages and admin lists read from it.
ODD_FORM = {name: ODD[n % len(ODD)] for n, name in enumerate(FIELD_NAMES)} | {
    odd[:100]: "1" for odd in ODD
}
QUERY_NAMES = [
    "q", "page", "p", "o", "e", "all", "sort", "status", "kind", "next", "format",
    "_to_field", "_popup", "_changelist_filters",
]  # fmt: skip
ODD_QUERY = {name: ODD[n % len(ODD)] for n, name in enumerate(QUERY_NAMES)} | {ODD[2]: "1"}
# Walked last: after them the persona is signed out or the world's feed token is stale.
LAST = ["profile/feeds/reset/", "accounts/logout/", "admin/logout/"]

PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^()]*\)")


def parameters(route: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in PARAMETER.finditer(route)]


def with_parameter(route: str, w: World, name: str | None = None, value: str = "") -> str:
    """The URL of `route` pointing at the learner's objects in `w`, with the parameter `name`
    (if any) set to `value`, which goes into the URL as it is (already percent-encoded)."""
    kwargs = resolve(url_for(route, w).split("?")[0]).kwargs  # the path (search has a query)

    def fill(match: re.Match) -> str:
        key = match.group(1) or match.group(2)
        return value if key == name else str(kwargs.get(key, "1"))

    return "/" + PARAMETER.sub(fill, route).replace("^", "").replace("$", "")


def send(client, method: str, url: str, query: str = "", **kwargs):
    return getattr(client, method)(url + ("?" + query if query else ""), **kwargs)


def server_errors(client, requests) -> list[tuple]:
    """(method, URL, what went wrong) for each of `requests` — (method, URL, arguments of
    `send`) — that gave a server error. Each runs in a savepoint, so that one failed query does
    not fail every query after it; the test client raises what the view raised."""
    failed = []
    for method, url, kwargs in requests:
        cache.clear()
        try:
            with transaction.atomic():
                status = send(client, method, url, **kwargs).status_code
        except Exception as error:
            failed.append((method, url[:100], f"{type(error).__name__}: {error}"[:200]))
            continue
        if status >= 500:
            failed.append((method, url[:100], status))
    return failed


def not_refused(client, requests) -> list[tuple]:
    return [
        (method, url[:100], kwargs, status)
        for method, url, kwargs in requests
        if (status := send(client, method, url, **kwargs).status_code) != 400
    ]


def walk(persona: str) -> list[str]:
    """Every URL pattern, those in LAST last. In the admin, anyone who is not staff is sent to
    sign in before anything of the request is read (the access matrix checks it for every
    persona): there the visitor walks for the learners and the outsider."""
    return sorted(
        (
            route
            for route in all_routes()
            if persona in ("visitor", "instructor", "staff") or not route.startswith("admin/")
        ),
        key=lambda route: route in LAST,
    )


@pytest.mark.postgres
@pytest.mark.parametrize("persona", list(VICTIM))
def test_malformed_path_parameters_never_give_a_server_error(request, world, persona):
    """Every parameter of every URL pattern (see walk), in turn, set to each malformed value: a
    GET, and a POST outside the admin (whose views read the URL the same way for both)."""
    requests = [
        (method, with_parameter(route, world, name, value), {})
        for route in walk(persona)
        for name in parameters(route)
        for value in REFUSED + ODD
        for method in (["get"] if route.startswith("admin/") else ["get", "post"])
    ]
    client = client_as(request, persona)

    failed = server_errors(client, requests)
    assert failed == [], "\n".join(map(str, failed))
    # The real tokens still open their pages.
    for route in all_routes():
        if "<token:" in route or "<signed:" in route:
            got = outcome(client.get(url_for(route, world)))
            assert got in expected(route, persona), (route, got)


@pytest.mark.postgres
@pytest.mark.parametrize("persona", list(VICTIM))
def test_malformed_query_strings_and_forms_never_give_a_server_error(request, world, persona):
    """Every URL pattern (see walk) gets odd values in its query string and form, and is
    refused (400) for NUL or bytes that are not UTF-8 there, in each place and spelling in turn."""
    client = client_as(request, persona)
    urls = [with_parameter(route, world) for route in walk(persona)]
    refused = [
        sent
        for n, url in enumerate(urls)
        for sent in [
            ("get", url, REFUSED_QUERIES[n % len(REFUSED_QUERIES)]),
            ("post", url, REFUSED_FORMS[n % len(REFUSED_FORMS)]),
        ]
    ]
    odd = [
        sent
        for url in urls
        for sent in [
            ("get", url, {"query": urlencode(ODD_QUERY)}),
            ("post", url, {"data": urlencode(ODD_FORM), "content_type": URLENCODED}),
        ]
    ]

    wrong = not_refused(client, refused)
    assert wrong == [], "\n".join(map(str, wrong))
    failed = server_errors(client, odd)
    assert failed == [], "\n".join(map(str, failed))


# Headers: each with odd bytes, to the pages that read it (media read Range and If-*; sign-in
# and waitlist count by client address; the admin's question page logs it; a form over HTTPS
# checks Origin and Referer), behind a proxy so that X-Forwarded-For is read.
HEADERS = [
    {"HTTP_HOST": "testserver\x00"},
    {"HTTP_HOST": "\xff\xfe" * 50},
    {"HTTP_HOST": "testserver:" + "9" * 100},
    {"HTTP_COOKIE": 'sessionid="abcdefgh\\000"; csrftoken="\\000"; messages="\\000"'},
    {"HTTP_COOKIE": "sessionid=" + "9" * 10_000},
    {"HTTP_COOKIE": "\xff=\xff; sessionid=\xc3\x28abcdefgh"},
    {"HTTP_REFERER": "https://[\x00/"},
    {"HTTP_REFERER": "\xff" * 100},
    {"HTTP_ORIGIN": "http://[::1"},
    {"HTTP_ACCEPT_LANGUAGE": "\xff" * 100 + ";q=" + "9" * 5000},
    {"HTTP_X_FORWARDED_FOR": "junk, \x00"},
    {"HTTP_X_FORWARDED_FOR": "fe80::1%\x00"},
    {"HTTP_X_FORWARDED_FOR": "9" * 10_000},
    {"HTTP_RANGE": "bytes=" + "9" * 5000 + "-"},
    {"HTTP_RANGE": "bytes=-" + "9" * 5000},
    {"HTTP_RANGE": "bytes=\x00-\xff"},
    {"HTTP_IF_NONE_MATCH": "\xff\x00" + "9" * 10_000, "HTTP_IF_RANGE": "\x00"},
    {"HTTP_IF_MODIFIED_SINCE": "Sun, 06 Nov 99999 08:49:37 GMT"},
    {"HTTP_USER_AGENT": "\x00\xff" * 100, "HTTP_HX_REQUEST": "\x00"},
    {"CONTENT_TYPE": "multipart/form-data; boundary=\x00"},
    {"CONTENT_TYPE": "application/x-www-form-urlencoded; charset=\xff"},
    {"CONTENT_LENGTH": "9" * 30, "CONTENT_TYPE": URLENCODED},
]
# Read by the CSRF check (for HTTPS, Referer), which the test client skips unless asked.
CSRF_HEADERS = ("HTTP_ORIGIN", "HTTP_REFERER")


def header_requests(w: World) -> list[tuple[str, str, dict]]:
    media = f"/courses/{w.course.slug}/lessons/{w.lesson.slug}/media/audio"
    return [
        ("get", "/", {}),
        ("get", f"/podcast/{w.feed_token}/episodes/{w.lesson.pk}/audio", {}),
        ("get", media, {}),
        ("get", f"/podcast/{w.feed_token}/feed.xml", {}),
        ("get", f"/groups/feed/{w.feed_token}.ics", {}),
        ("get", f"/admin/qa/question/{w.question.pk}/change/", {}),
        ("post", "/accounts/login/", {"data": {"login": "learner@example.com", "password": "x"}}),
        ("post", f"/waitlist/{w.course.slug}/", {"data": {"name": "N", "email": "n@example.com"}}),
        ("post", "/forum/settings/", {"data": {"email_mode": "off"}}),
    ]


@pytest.mark.postgres
@pytest.mark.parametrize("persona", list(VICTIM))
def test_odd_bytes_in_headers_never_give_a_server_error(request, world, persona, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client, checking = client_as(request, persona), client_as(request, persona)
    checking.handler.enforce_csrf_checks = True
    failed = []
    for headers in HEADERS:
        csrf = any(name in headers for name in CSRF_HEADERS)
        requests = [
            (method, url, kwargs | headers | ({"secure": True} if csrf else {}))
            for method, url, kwargs in header_requests(world)
        ]
        failed += server_errors(checking if csrf else client, requests)

    assert failed == [], "\n".join(map(str, failed))

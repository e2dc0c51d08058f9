"""Every URL pattern of the site × every persona, compared with the design's access table
(DESIGN.md, "Who may see what"). Walks the URL resolver: a new URL pattern without an entry
in ACCESS fails `test_every_url_pattern_has_an_entry`.

Outcomes of a GET by each persona:
  OK     200, the page
  LOGIN  a redirect to the sign-in page (the visitor on a members' page)
  GONE   404: a private object someone may not see answers 404, never 403 (DESIGN.md)
  MOVED  another redirect (to a canonical or next page)
  POST   405: the URL takes only POST
  DENIED 403 (allauth pages that refuse a signed-in or unauthorised person)
  LOCKED 403 with the locked page: a lesson, the library or the forum, which exist but are
         locked to this person, say why and what to do (courses/locks.py, issue 24)
"""

import re

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.world import World, client_as

pytestmark = pytest.mark.django_db

PERSONAS = ["visitor", "learner", "other_learner", "outsider", "instructor", "staff"]
OK, LOGIN, GONE, MOVED, POST, DENIED = "OK", "LOGIN", "GONE", "MOVED", "POST", "DENIED"
LOCKED = "LOCKED"


def walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def all_routes() -> list[str]:
    return list(dict.fromkeys(walk(get_resolver().url_patterns)))


def outcome(response) -> str:
    code = response.status_code
    if code == 200:
        return OK
    if code in (301, 302, 303, 307, 308):
        login = reverse("account_login")
        location = response["Location"]
        return LOGIN if location.startswith(login) or "/admin/login/" in location else MOVED
    if code == 403 and any(t.name == "courses/locked.html" for t in response.templates):
        return LOCKED
    return {404: GONE, 405: POST, 403: DENIED}.get(code, str(code))


def url_for(route: str, w: World) -> str:
    """A concrete URL of `route`, pointing at the learner's objects in `w`."""
    lesson = f"courses/{w.course.slug}/lessons/{w.lesson.slug}/"
    concrete = {
        "courses/<slug:slug>/": f"courses/{w.course.slug}/",
        "enrol/<int:cohort_id>/": f"enrol/{w.cohort.pk}/",
        "enrol/<int:cohort_id>/success/": f"enrol/{w.cohort.pk}/success/",
        "enrol/<int:cohort_id>/cancelled/": f"enrol/{w.cohort.pk}/cancelled/",
        "enrol/<int:cohort_id>/enrolled/": f"enrol/{w.cohort.pk}/enrolled/",
        "waitlist/<slug:course_slug>/": f"waitlist/{w.course.slug}/",
        "waitlist/<slug:course_slug>/thanks/": f"waitlist/{w.course.slug}/thanks/",
        "waitlist/<slug:course_slug>/<slug:cohort_slug>/": (
            f"waitlist/{w.course.slug}/{w.cohort.slug}/"
        ),
        "financial-aid/<slug:course_slug>/": f"financial-aid/{w.course.slug}/",
        "financial-aid/<slug:course_slug>/thanks/": f"financial-aid/{w.course.slug}/thanks/",
        "offer/<token:token>/": f"offer/{w.offer.token}/",
        "leave-waitlist/<token:token>/": f"leave-waitlist/{w.waitlist_entry.leave_token}/",
        "courses/<slug:course_slug>/lessons/<slug:slug>/": lesson,
        "courses/<slug:course_slug>/lessons/<slug:slug>/progress/": lesson + "progress/",
        "courses/<slug:course_slug>/lessons/<slug:slug>/notes/": lesson + "notes/",
        "courses/<slug:course_slug>/lessons/<slug:slug>/position/": lesson + "position/",
        "saved/<slug:kind>/<int:pk>/": f"saved/lesson/{w.lesson.pk}/",
        "courses/<slug:course_slug>/lessons/<slug:slug>/media/<str:kind>": lesson + "media/audio",
        "podcast/<token:token>/feed.xml": f"podcast/{w.feed_token}/feed.xml",
        "podcast/<token:token>/episodes/<int:pk>/audio": (
            f"podcast/{w.feed_token}/episodes/{w.lesson.pk}/audio"
        ),
        "groups/<int:pk>/": f"groups/{w.session.pk}/",
        "groups/<int:pk>/rsvp/": f"groups/{w.session.pk}/rsvp/",
        "groups/<int:pk>/join/": f"groups/{w.session.pk}/join/",
        "groups/<int:pk>/calendar.ics": f"groups/{w.session.pk}/calendar.ics",
        "groups/feed/<token:token>.ics": f"groups/feed/{w.feed_token}.ics",
        "questions/<int:pk>/": f"questions/{w.question.pk}/",
        "library/<int:pk>/": f"library/{w.entry.pk}/",
        "forum/unsubscribe/<signed:token>/": f"forum/unsubscribe/{w.forum_unsubscribe_token}/",
        "forum/c/<slug:slug>/": f"forum/c/{w.category.slug}/",
        "forum/c/<slug:slug>/new/": f"forum/c/{w.category.slug}/new/",
        "forum/c/<slug:slug>/mentions/": f"forum/c/{w.category.slug}/mentions/",
        "profile/emails/off/<signed:token>/": f"profile/emails/off/{w.email_off_token}/",
        "newsletter/<int:number>/": f"newsletter/{w.issue.number}/",
        "newsletter/confirm/<signed:token>/": f"newsletter/confirm/{w.confirm_token}/",
        "newsletter/infographic/<signed:token>/": (
            f"newsletter/infographic/{w.infographic_token}/"
        ),
        "newsletter/unsubscribe/<token:token>/": f"newsletter/unsubscribe/{w.subscriber.token}/",
        "newsletter/unsubscribe/<token:token>/one-click/": (
            f"newsletter/unsubscribe/{w.subscriber.token}/one-click/"
        ),
        "ce/<slug:course_slug>/": f"ce/{w.course.slug}/",
        "ce/<slug:course_slug>/post-test/": f"ce/{w.course.slug}/post-test/",
        "ce/<slug:course_slug>/evaluation/": f"ce/{w.course.slug}/evaluation/",
        "ce/<slug:course_slug>/certificate/": f"ce/{w.course.slug}/certificate/",
        "ce/<slug:course_slug>/recordings/<int:pk>/watched/": (
            f"ce/{w.course.slug}/recordings/{w.session.pk}/watched/"
        ),
        "certificates/<token:code>.pdf": f"certificates/{w.certificate_code}.pdf",
        "verify/<token:code>/": f"verify/{w.certificate_code}/",
        "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": "accounts/confirm-email/not-a-key/",
        "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": (
            "accounts/password/reset/key/1-not-a-key/"
        ),
        "admin/(?P<url>.*)$": "admin/no-such-page/",
        # Words of the learner's question and of the circle's topic: their text must not
        # reach anyone else's results (the checks of every page below).
        "search/": "search/?q=quixote+or+circle+or+psychopathology",
        (
            "admin/^(?P<app_label>auth|accounts|courses|lessons|zoomgroups|qa|forum"
            "|newsletter|sites|account|mfa)/$"
        ): "admin/courses/",
    }
    if route in concrete:
        return "/" + concrete[route]
    for placeholder, value in [
        ("forum/t/<int:pk>/", f"forum/t/{w.topic.pk}/"),
        ("forum/post/<int:pk>/", f"forum/post/{w.post.pk}/"),
    ]:
        if route.startswith(placeholder):
            return "/" + route.replace(placeholder, value)
    if route.startswith("admin/"):
        return "/" + re.sub(r"<[^>]+>", "1", route)
    assert "<" not in route and "(" not in route, f"No concrete URL for {route}"
    return "/" + route


def row(visitor, learner, other_learner, outsider, instructor, staff) -> dict[str, str]:
    return dict(
        zip(PERSONAS, [visitor, learner, other_learner, outsider, instructor, staff], strict=True)
    )


EVERYONE = row(OK, OK, OK, OK, OK, OK)
SIGNED_IN = row(LOGIN, OK, OK, OK, OK, OK)
# The forum is for members (learners with access, and staff): anyone else gets the locked page,
# the same at every forum address.
FORUM = row(LOCKED, OK, OK, LOCKED, OK, OK)
FORUM_POST_ONLY = row(LOCKED, POST, POST, LOCKED, POST, POST)
# The learner's own course (lessons, Friday groups): not another course's learner, not outsiders.
OWN_COURSE = row(GONE, OK, GONE, GONE, OK, OK)
# A lesson's page: the others get the locked page (its title is on the public course page).
LESSON = row(LOCKED, OK, LOCKED, LOCKED, OK, OK)
# A secret-token URL (feeds, unsubscribe links): the token is the credential, for anyone.
TOKEN = EVERYONE
SIGNED_IN_POST_ONLY = row(LOGIN, POST, POST, POST, POST, POST)
SIGNED_OUT_ONLY = row(OK, MOVED, MOVED, MOVED, MOVED, MOVED)
ALLAUTH_FLOW = row(LOGIN, MOVED, MOVED, MOVED, MOVED, MOVED)

# Site URLs (route → who gets what), reviewed against DESIGN.md "Who may see what".
ACCESS: dict[str, dict[str, str]] = {
    "": EVERYONE,
    "healthz": EVERYONE,
    "privacy/": EVERYONE,
    "contact/": EVERYONE,
    "contact/thanks/": EVERYONE,
    "coaching/": EVERYONE,
    # The site search: anyone signed in; what it finds follows the rows below (test at the end).
    "search/": SIGNED_IN,
    # allauth: sign-in pages for visitors, account pages for the signed-in.
    "accounts/login/": SIGNED_OUT_ONLY,
    "accounts/logout/": row(MOVED, OK, OK, OK, OK, OK),
    "accounts/inactive/": EVERYONE,
    "accounts/signup/": SIGNED_OUT_ONLY,
    "accounts/reauthenticate/": SIGNED_IN,
    "accounts/email/": SIGNED_IN,
    "accounts/confirm-email/": EVERYONE,
    "accounts/password/change/": SIGNED_IN,
    "accounts/password/set/": ALLAUTH_FLOW,
    "accounts/password/reset/": EVERYONE,
    "accounts/login/code/confirm/": ALLAUTH_FLOW,
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": EVERYONE,
    "accounts/password/reset/key/done/": EVERYONE,
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": EVERYONE,
    "accounts/password/reset/done/": EVERYONE,
    "accounts/2fa/": SIGNED_IN,
    "accounts/2fa/authenticate/": ALLAUTH_FLOW,
    "accounts/2fa/reauthenticate/": ALLAUTH_FLOW,
    "accounts/2fa/totp/activate/": ALLAUTH_FLOW,
    # Without an authenticator there is nothing to deactivate or show: 404.
    "accounts/2fa/totp/deactivate/": row(LOGIN, GONE, GONE, GONE, GONE, GONE),
    "accounts/2fa/recovery-codes/": row(LOGIN, GONE, GONE, GONE, GONE, GONE),
    "accounts/2fa/recovery-codes/generate/": ALLAUTH_FLOW,
    "accounts/2fa/recovery-codes/download/": row(LOGIN, GONE, GONE, GONE, GONE, GONE),
    # Profile and one's own data.
    "profile/": SIGNED_IN,
    "profile/feeds/reset/": SIGNED_IN_POST_ONLY,
    # Every email and its switch; an email's one-click "off" link (no sign-in: the token).
    "profile/emails/": SIGNED_IN,
    "profile/emails/off/<signed:token>/": TOKEN,
    "profile/my-data.json": SIGNED_IN,
    "profile/delete/": SIGNED_IN,
    "profile/deleted/": EVERYONE,
    # An emailed code before the first authenticator app of an account with staff powers;
    # everyone else goes straight to the app's setup.
    "profile/two-factor/confirm-email/": row(LOGIN, MOVED, MOVED, MOVED, OK, OK),
    # Courses and enrolment: program pages are public; results of a checkout are the payer's.
    "dashboard/": SIGNED_IN,
    "courses/<slug:slug>/": EVERYONE,
    "enrol/<int:cohort_id>/": EVERYONE,
    "enrol/<int:cohort_id>/success/": row(LOGIN, GONE, GONE, GONE, GONE, GONE),
    # A page with a button: only its POST releases the held seat (issue 20).
    "enrol/<int:cohort_id>/cancelled/": SIGNED_IN,
    "enrol/<int:cohort_id>/enrolled/": row(LOGIN, OK, GONE, GONE, GONE, GONE),
    "waitlist/<slug:course_slug>/": EVERYONE,
    "waitlist/<slug:course_slug>/thanks/": EVERYONE,
    "waitlist/<slug:course_slug>/<slug:cohort_slug>/": EVERYONE,
    "financial-aid/<slug:course_slug>/": EVERYONE,
    "financial-aid/<slug:course_slug>/thanks/": EVERYONE,
    # A personal offer: its link for a visitor (who signs in to accept); other accounts 404.
    "offer/<token:token>/": row(OK, OK, GONE, GONE, GONE, GONE),
    # The person's own link from waitlist and offer emails: a page that asks, for anyone.
    "leave-waitlist/<token:token>/": TOKEN,
    "stripe/webhook/": row(POST, POST, POST, POST, POST, POST),
    # Zoom's signed events (issue 26); without ZOOM_WEBHOOK_SECRET_TOKEN a POST is 404.
    "zoom/webhook/": row(POST, POST, POST, POST, POST, POST),
    # Lessons: the course's learners and staff; everyone else 404.
    # The old lesson search leads to the site search (its lessons section).
    "lessons/search/": row(LOGIN, MOVED, MOVED, MOVED, MOVED, MOVED),
    "courses/<slug:course_slug>/lessons/<slug:slug>/": LESSON,
    "courses/<slug:course_slug>/lessons/<slug:slug>/progress/": SIGNED_IN_POST_ONLY,
    # A learner's own notes on a lesson they may open (staff have their own, never others').
    "courses/<slug:course_slug>/lessons/<slug:slug>/notes/": row(LOGIN, OK, GONE, GONE, OK, OK),
    "courses/<slug:course_slug>/lessons/<slug:slug>/position/": SIGNED_IN_POST_ONLY,
    "saved/<slug:kind>/<int:pk>/": SIGNED_IN_POST_ONLY,
    "courses/<slug:course_slug>/lessons/<slug:slug>/media/<str:kind>": OWN_COURSE,
    "podcast/<token:token>/feed.xml": TOKEN,
    "podcast/<token:token>/episodes/<int:pk>/audio": TOKEN,
    # Friday groups: their own cohort's.
    "groups/": SIGNED_IN,
    "groups/<int:pk>/": row(LOGIN, OK, GONE, GONE, OK, OK),
    "groups/<int:pk>/rsvp/": SIGNED_IN_POST_ONLY,
    # Before the join window the button leads back to the session page.
    "groups/<int:pk>/join/": row(LOGIN, MOVED, GONE, GONE, MOVED, MOVED),
    "groups/<int:pk>/calendar.ics": row(LOGIN, OK, GONE, GONE, OK, OK),
    "groups/feed/<token:token>.ics": TOKEN,
    # Q&A: the asker, the instructor (Q&A permission); staff without it get 404.
    "questions/": SIGNED_IN,
    "questions/ask/": SIGNED_IN,
    "questions/<int:pk>/": row(LOGIN, OK, GONE, GONE, OK, GONE),
    "library/": row(LOGIN, OK, OK, LOCKED, OK, OK),
    "library/<int:pk>/": row(LOGIN, OK, OK, LOCKED, OK, OK),
    # Forum: members only.
    "forum/": FORUM,
    "forum/search/": FORUM,
    "forum/settings/": FORUM,
    "forum/mark-all-read/": FORUM_POST_ONLY,
    "forum/unsubscribe/<signed:token>/": TOKEN,
    "forum/c/<slug:slug>/": FORUM,
    "forum/c/<slug:slug>/new/": FORUM,
    # @mention suggestions: members who may read the category or topic (JSON).
    "forum/c/<slug:slug>/mentions/": FORUM,
    "forum/t/<int:pk>/mentions/": FORUM,
    "forum/t/<int:pk>/": FORUM,
    "forum/t/<int:pk>/reply/": FORUM,
    "forum/t/<int:pk>/unread/": row(LOCKED, MOVED, MOVED, LOCKED, MOVED, MOVED),
    "forum/t/<int:pk>/follow/": FORUM_POST_ONLY,
    "forum/t/<int:pk>/unfollow/": FORUM_POST_ONLY,
    "forum/post/<int:pk>/": row(LOCKED, MOVED, MOVED, LOCKED, MOVED, MOVED),
    # Only the author edits or deletes (staff moderate in the admin).
    "forum/post/<int:pk>/edit/": row(LOCKED, OK, GONE, LOCKED, GONE, GONE),
    "forum/post/<int:pk>/delete/": row(LOCKED, OK, GONE, LOCKED, GONE, GONE),
    "forum/post/<int:pk>/quote/": FORUM,
    "forum/post/<int:pk>/report/": FORUM,
    # Staff moderation from the topic page (POST; 404 for anyone without the permission).
    "forum/post/<int:pk>/hide/": FORUM_POST_ONLY,
    "forum/post/<int:pk>/restore/": FORUM_POST_ONLY,
    # Newsletter: public; the infographic only by its signed link (the welcome gift).
    "newsletter/": EVERYONE,
    "newsletter/<int:number>/": EVERYONE,
    "newsletter/feed/": EVERYONE,
    "newsletter/signup/": EVERYONE,
    "newsletter/signup/check-your-email/": EVERYONE,
    "newsletter/confirm/<signed:token>/": TOKEN,
    "newsletter/thanks/": EVERYONE,
    "newsletter/infographic/<signed:token>/": TOKEN,
    "newsletter/unsubscribe/<token:token>/": TOKEN,
    "newsletter/unsubscribe/<token:token>/one-click/": row(
        MOVED, MOVED, MOVED, MOVED, MOVED, MOVED
    ),
    "newsletter/profile/": SIGNED_IN_POST_ONLY,
    # Continuing education (issue 25): one's own transcript, post-test, evaluation and
    # certificate, in courses one has access to; the verification page by its code, for anyone.
    "ce/": SIGNED_IN,
    "ce/<slug:course_slug>/": row(LOGIN, OK, GONE, GONE, OK, OK),
    "ce/<slug:course_slug>/post-test/": row(LOGIN, OK, GONE, GONE, OK, OK),
    "ce/<slug:course_slug>/evaluation/": row(LOGIN, OK, GONE, GONE, OK, OK),
    "ce/<slug:course_slug>/certificate/": SIGNED_IN_POST_ONLY,
    "ce/<slug:course_slug>/recordings/<int:pk>/watched/": SIGNED_IN_POST_ONLY,
    # The holder's PDF; staff with the certificate permission (a second factor) for records.
    "certificates/<token:code>.pdf": row(LOGIN, OK, GONE, GONE, OK, OK),
    "verify/<token:code>/": TOKEN,
    # The email provider's bounce and complaint reports: POST with its basic-auth secret.
    "anymail/postmark/tracking/": row(POST, POST, POST, POST, POST, POST),
}

# The admin: every view is wrapped by the admin site (staff only), so one rule covers its
# routes, including those a new ModelAdmin adds. Non-staff are sent to sign in; staff never
# are, and get a page, a redirect inside the admin, a 404 or a 403 (model permissions).
ADMIN_SPECIAL = {
    "admin/login/": row(LOGIN, DENIED, DENIED, DENIED, MOVED, MOVED),
    "admin/logout/": row(MOVED, MOVED, MOVED, MOVED, POST, POST),
}
STAFF_IN_ADMIN = {OK, MOVED, GONE, DENIED}


def expected(route: str, persona: str) -> set[str]:
    if route in ADMIN_SPECIAL:
        return {ADMIN_SPECIAL[route][persona]}
    if route.startswith("admin/"):
        return STAFF_IN_ADMIN if persona in ("instructor", "staff") else {LOGIN}
    return {ACCESS[route][persona]} if route in ACCESS else {"an entry in ACCESS"}


def test_every_url_pattern_has_an_entry():
    missing = [r for r in all_routes() if not r.startswith("admin/") and r not in ACCESS]
    stale = [r for r in ACCESS if r not in all_routes()]

    assert missing == [], "Add these URLs to ACCESS (and to DESIGN.md if they are new)"
    assert stale == [], "These URLs no longer exist"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_answers_each_persona_as_the_access_table_says(request, world, persona):
    client = client_as(request, persona)
    wrong = []
    for route in all_routes():
        cache.clear()
        url = url_for(route, world)
        response = client.get(url)
        got = outcome(response)
        if got not in expected(route, persona):
            wrong.append((route, url, got))
        content = b"".join(response.streaming_content) if response.streaming else response.content
        body = content.decode(errors="replace")
        if persona not in ("learner", "instructor"):
            assert world.question.text not in body, (url, "private question leaked")
        if persona not in ("instructor", "staff"):
            assert world.circle_topic_title not in body, (url, "private circle leaked")
        if persona not in ("instructor", "staff"):
            assert world.session.join_url not in body, (url, "Zoom join link in a page")

    assert wrong == []


def test_staff_without_the_qa_permission_never_open_a_question_in_the_admin(request, world):
    client = client_as(request, "staff")
    for route in all_routes():
        if route.startswith("admin/qa/question/"):
            response = client.get(url_for(route, world).replace("/1/", f"/{world.question.pk}/"))
            assert (
                response.status_code != 200 or world.question.text not in response.content.decode()
            )


def test_a_free_preview_lesson_is_open_to_everyone(request, world):
    lesson = world.preview_lesson
    url = reverse("lessons:lesson", args=[lesson.course.slug, lesson.slug])
    for persona in PERSONAS:
        assert client_as(request, persona).get(url).status_code == 200, persona


# The site search finds what the pages above show, and nothing else (issue 24): the words of
# each private thing in `world`, and who finds it (the link to it among the results).
# Questions: only one's own, also for the instructor, who reads others' in the admin only.
SEARCH_FINDS = {
    "question": row(None, True, False, False, False, False),
    "lesson": row(None, True, False, False, True, True),
    "entry": row(None, True, True, False, True, True),
    "circle": row(None, False, False, False, True, True),
    "hidden": row(None, False, False, False, True, True),
}


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "visitor"])
def test_the_site_search_finds_only_what_the_person_may_open(request, world, persona):
    from forum import services as forum_services
    from forum.models import Post

    hidden = forum_services.create_reply(
        topic=world.topic, author=world.post.author, body="Zebra-hidden-4410", fmt="plain"
    )
    forum_services.hide_post(post=hidden, by=request.getfixturevalue("staff"))
    circle_post = Post.objects.get(topic__title=world.circle_topic_title)
    things = {
        "question": ("quixote", world.question.get_absolute_url()),
        "lesson": ("psychopathology", world.lesson.get_absolute_url()),
        "entry": ("de-identified", world.entry.get_absolute_url()),
        "circle": ("circle", circle_post.get_absolute_url()),
        "hidden": ("zebra", hidden.get_absolute_url()),
    }
    client = client_as(request, persona)
    found = {}
    for name, (words, url) in things.items():
        response = client.get(reverse("search"), {"q": words})
        assert response.status_code == 200
        found[name] = f'href="{url}"' in response.content.decode()

    assert found == {name: finds[persona] for name, finds in SEARCH_FINDS.items()}

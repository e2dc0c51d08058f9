"""The XSS corpus (tests/security/xss.py) through every field that accepts text, submitted
through the real forms by the persona who may use them, then read back on every page (and
email) that shows it: the output never holds markup that could run script.

Each value starts with a marker (`Zq7Q` for vector 7) so that each test also proves the value
really reached the page — a page that silently dropped it would prove nothing.
"""

from collections.abc import Callable, Iterable
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from forum.models import Post, Topic
from qa.models import Question
from tests.security.world import World, client_as
from tests.security.xss import VECTORS, dangerous_markup

pytestmark = pytest.mark.django_db

Page = tuple[Client, str]


def marker(n: int) -> str:
    return f"Zq{n}Q"


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


class Sink:
    """Submit each vector, then scan what comes back; collect every problem."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str, list[str]]] = []
        self.unseen: list[str] = []

    def scan(self, where: str, html: str, vector: str) -> bool:
        found = dangerous_markup(html)
        if found:
            self.problems.append((vector, where, found))
        return True

    def run(
        self,
        submit: Callable[[int, str], object],
        pages: Callable[[int], Iterable[Page]],
        *,
        vectors: list[str] = VECTORS,
    ) -> None:
        for n, vector in enumerate(vectors):
            cache.clear()  # rate limits: each submission is the first in its window
            mail.outbox.clear()
            value = f"{marker(n)} {vector}"
            response = submit(n, value)
            seen = False
            if response is not None and getattr(response, "status_code", 0) == 200:
                html = body_of(response)
                self.scan("the form's own answer", html, vector)
                seen |= marker(n) in html
            for client, url in pages(n):
                page = client.get(url, follow=True)
                assert page.status_code == 200, (url, page.status_code)
                html = body_of(page)
                self.scan(url, html, vector)
                seen |= marker(n) in html
            for message in mail.outbox:
                for content, mimetype in getattr(message, "alternatives", []):
                    if mimetype == "text/html":
                        self.scan(f"email {message.subject}", content, vector)
                seen |= marker(n) in message.body
            if not seen:
                self.unseen.append(vector)

    def assert_clean(self) -> None:
        assert self.problems == []
        assert self.unseen == [], "These values never came back: the test proves nothing"


def test_the_corpus_has_at_least_fifty_vectors_and_the_scanner_catches_them():
    assert len(set(VECTORS)) >= 50
    raw_page_hits = sum(bool(dangerous_markup(v)) for v in VECTORS)
    # Most vectors are dangerous as raw HTML (the rest are Markdown, URLs or broken markup
    # that only a bad renderer would turn into a problem).
    assert raw_page_hits >= 45


def test_the_scanner_passes_a_normal_page(client):
    assert dangerous_markup(body_of(client.get(reverse("home")))) == []


@pytest.fixture
def member_named_import(other_learner):
    """A member with the handle `import`: the vector `<style>@import …` posted as plain text
    shows `@import`, a mention, which the forum refuses unless a member has that handle."""
    from forum.models import ForumProfile

    ForumProfile.objects.update_or_create(user=other_learner, defaults={"handle": "import"})


@pytest.fixture
def sink() -> Sink:
    return Sink()


def test_profile_fields(request, world: World, learner, sink):
    me = client_as(request, "learner")
    reader = client_as(request, "other_learner")
    instructor = client_as(request, "instructor")
    staff = client_as(request, "staff")

    def submit(n: int, value: str):
        data = {
            "display_name": value[:80],
            "credentials": value[:80],
            "time_zone": "UTC",
            "bio": value,
        }
        return me.post(reverse("accounts:profile"), data)

    def pages(n: int):
        yield me, reverse("accounts:profile")
        yield reader, reverse("forum:topic", args=[world.topic.pk])
        yield reader, reverse("forum:category", args=[world.category.slug])
        yield instructor, reverse("qa:question", args=[world.question.pk])
        yield staff, reverse("admin:accounts_user_changelist")

    sink.run(submit, pages)
    sink.assert_clean()


def test_questions_title_and_text(request, world: World, sink):
    me = client_as(request, "learner")
    instructor = client_as(request, "instructor")

    def submit(n: int, value: str):
        data = {"title": value[:200], "text": value, "send_anyway": "on"}
        return me.post(reverse("qa:ask"), data)

    def pages(n: int):
        question = Question.objects.latest("id")
        assert question.title.startswith(marker(n))
        yield me, reverse("qa:my_questions")
        yield me, reverse("qa:question", args=[question.pk])
        yield me, reverse("search") + f"?q={marker(n)}"
        yield instructor, reverse("qa:question", args=[question.pk])
        yield instructor, reverse("admin:qa_question_changelist")
        yield instructor, reverse("admin:qa_question_change", args=[question.pk])

    sink.run(submit, pages)
    sink.assert_clean()


def test_question_follow_ups(request, world: World, sink):
    me = client_as(request, "learner")
    instructor = client_as(request, "instructor")
    url = reverse("qa:question", args=[world.question.pk])

    def submit(n: int, value: str):
        return me.post(url, {"text": value, "send_anyway": "on"})

    def pages(n: int):
        yield me, url
        yield instructor, url

    sink.run(submit, pages)
    sink.assert_clean()


@pytest.mark.usefixtures("member_named_import")
def test_forum_topics(request, world: World, sink):
    me = client_as(request, "learner")
    reader = client_as(request, "other_learner")

    def submit(n: int, value: str):
        data = {
            "title": value[:200],
            "body": value,
            "format": "markdown" if n % 2 == 0 else "plain",
            "post_anyway": "on",
        }
        return me.post(reverse("forum:new_topic", args=[world.category.slug]), data)

    def pages(n: int):
        topic = Topic.objects.latest("id")
        assert topic.title.startswith(marker(n))
        yield reader, reverse("forum:topic", args=[topic.pk])
        yield reader, reverse("forum:category", args=[world.category.slug])
        yield reader, reverse("forum:index")
        yield reader, reverse("forum:search") + f"?q={marker(n)}"
        yield reader, reverse("search") + f"?q={marker(n)}"
        yield me, reverse("forum:edit", args=[topic.first_post_id])

    sink.run(submit, pages)
    sink.assert_clean()


@pytest.mark.usefixtures("member_named_import")
def test_forum_replies_quotes_and_reports(request, world: World, sink):
    me = client_as(request, "learner")
    reader = client_as(request, "other_learner")
    staff = client_as(request, "staff")

    def submit(n: int, value: str):
        data = {
            "body": value,
            "format": "markdown" if n % 2 == 0 else "plain",
            "post_anyway": "on",
        }
        response = me.post(reverse("forum:reply", args=[world.topic.pk]), data)
        post = Post.objects.latest("id")
        reader.post(
            reverse("forum:report", args=[post.pk]), {"reason": "other", "details": value[:1000]}
        )
        return response

    def pages(n: int):
        post = Post.objects.latest("id")
        assert post.body.startswith(marker(n))
        yield reader, reverse("forum:post", args=[post.pk])
        yield reader, reverse("forum:quote", args=[post.pk])
        yield me, reverse("forum:edit", args=[post.pk])
        yield staff, reverse("admin:forum_report_changelist")
        yield staff, reverse("admin:forum_post_change", args=[post.pk])

    sink.run(submit, pages)
    sink.assert_clean()


def test_newsletter_signup_name(request, world: World, sink, django_capture_on_commit_callbacks):
    visitor = Client()
    staff = client_as(request, "staff")

    def submit(n: int, value: str):
        with django_capture_on_commit_callbacks(execute=True):
            return visitor.post(
                reverse("newsletter:signup"),
                {"email": f"reader{n}@example.com", "name": value[:120]},
            )

    def pages(n: int):
        yield staff, reverse("admin:newsletter_subscriber_changelist")

    sink.run(submit, pages)
    sink.assert_clean()


def test_waitlist_and_financial_aid(
    request, world: World, sink, django_capture_on_commit_callbacks
):
    visitor = Client()
    staff = client_as(request, "staff")
    slug = world.course.slug

    def submit(n: int, value: str):
        with django_capture_on_commit_callbacks(execute=True):
            visitor.post(
                reverse("courses:waitlist", args=[slug]),
                {"name": value[:120], "email": f"wait{n}@example.com", "message": value},
            )
            return visitor.post(
                reverse("courses:aid_request", args=[slug]),
                {
                    "name": value[:120],
                    "email": f"aid{n}@example.com",
                    "can_pay": value[:120],
                    "message": value,
                },
            )

    def pages(n: int):
        yield staff, reverse("admin:courses_waitlistentry_changelist")
        yield staff, reverse("admin:courses_financialaidrequest_changelist")

    sink.run(submit, pages)
    sink.assert_clean()


def test_search_boxes_reflect_the_query_safely(request, world: World, sink):
    me = client_as(request, "learner")

    def pages(n: int):
        query = f"{marker(n)} {VECTORS[n]}"[:200]
        for name in ["qa:library", "forum:search"]:
            yield me, reverse(name) + "?" + urlencode({"q": query})
        yield me, reverse("search") + "?" + urlencode({"q": query, "kind": "lessons"})

    sink.run(lambda n, value: None, pages)
    sink.assert_clean()


def test_signup_form_echoes_values_safely(sink):
    visitor = Client()

    def submit(n: int, value: str):
        return visitor.post(
            reverse("account_signup"),
            {
                "email": f"new{n}@example.com",
                "password1": "correct horse battery",
                "password2": "does not match",
                "display_name": value[:80],
                "credentials": value[:80],
                "time_zone": "UTC",
            },
        )

    sink.run(submit, lambda n: [])
    sink.assert_clean()


def test_site_search_queries_are_shown_back_inert(request, world: World):
    """The query is shown back in the field, the title and the messages of the search page."""
    me = client_as(request, "learner")
    problems = []
    for n, vector in enumerate(VECTORS):
        response = me.get(reverse("search"), {"q": f"{marker(n)} {vector}"})
        assert response.status_code == 200
        body = body_of(response)
        assert marker(n) in body
        if found := dangerous_markup(body):
            problems.append((vector, found))
    assert problems == []

"""One of everything a URL can point to, owned by the `learner` persona (tests/conftest.py),
for the access matrix, the XSS corpus and the fuzz tests of tests/security/."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.notifications import off_token
from ce.models import (
    Certificate,
    CourseCredit,
    EvaluationQuestion,
    PostTest,
    PostTestChoice,
    PostTestQuestion,
)
from courses import services as course_services
from courses.models import Offer, WaitlistEntry
from forum import notifications as forum_notifications
from forum import services as forum_services
from forum.models import Category, Post, Topic
from lessons.models import Lesson
from newsletter import subscriptions as newsletter_subscriptions
from newsletter.demo import tiny_pdf
from newsletter.models import Infographic, Issue, Subscriber
from qa.models import Answer, LibraryEntry, Question
from tests import factories
from zoomgroups.models import GroupSession


@dataclass
class World:
    course: object
    cohort: object
    lesson: Lesson
    preview_lesson: Lesson
    question: Question
    entry: LibraryEntry
    category: Category
    circle: Category
    topic: Topic
    post: Post
    session: GroupSession
    issue: Issue
    subscriber: Subscriber
    confirm_token: str
    infographic_token: str
    offer: Offer
    waitlist_entry: WaitlistEntry
    forum_unsubscribe_token: str
    email_off_token: str
    feed_token: str
    circle_topic_title: str
    certificate_code: str


def next_friday(days_ahead: int = 7) -> dt.datetime:
    start = timezone.now() + dt.timedelta(days=days_ahead)
    while start.weekday() != 4:
        start += dt.timedelta(days=1)
    return start.replace(hour=17, minute=0, second=0, microsecond=0)


@pytest.fixture
def world(course, cohort, learner, other_learner, instructor, staff, outsider) -> World:
    lesson = factories.make_lesson(course, title="Psychopathology", slug="psychopathology")
    lesson.podcast_file.save("episode.mp3", ContentFile(b"ID3" + b"\0" * 2048), save=True)
    preview = factories.make_lesson(course, title="Free preview", slug="free", free_preview=True)
    question = Question.objects.create(
        asker=learner, title="Private title", text="Quixote-private-question-5521"
    )
    Answer.objects.create(question=question, text="<p>Answer.</p>", sent_at=timezone.now())
    entry = LibraryEntry.objects.create(
        title="Entry",
        question="De-identified question",
        answer="<p>Answer</p>",
        consent_given_at=timezone.now(),
        deidentified_confirmed=True,
        status=LibraryEntry.Status.PUBLISHED,
    )
    category = Category.objects.create(name="Practice", slug="practice", order=1)
    circle = Category.objects.create(name="Circle", slug="circle", order=2, is_private=True)
    topic = forum_services.create_topic(
        category=category, author=learner, title="A topic", body="Opening post.", fmt="plain"
    )
    forum_services.create_topic(
        category=circle, author=staff, title="Circle-only-case-8812", body="Circle.", fmt="plain"
    )
    session = GroupSession.objects.create(
        cohort=cohort,
        slot=1,
        starts_at=next_friday(),
        topic="Formulation",
        join_url="https://zoom.example/j/123",
    )
    issue = Issue.objects.create(
        number=1,
        title="TIFT one",
        body="<p>Body</p>",
        status=Issue.Status.SENT,
        sent_at=timezone.now(),
    )
    subscriber = Subscriber.objects.create(email="reader@example.com", name="Reader")
    infographic = Infographic.objects.create(
        title="Infographic", file=ContentFile(tiny_pdf("Infographic"), name="infographic.pdf")
    )
    offer = Offer.objects.create(
        cohort=cohort,
        name="Lee",
        email=learner.email,
        price_cents=0,
        expires_at=timezone.now() + dt.timedelta(days=2),
    )
    certificate = make_ce(course, cohort, learner)
    course_services.join_waitlist(
        course=course, cohort=None, name="Lee", email=learner.email, user=learner
    )
    return World(
        course=course,
        cohort=cohort,
        lesson=lesson,
        preview_lesson=preview,
        question=question,
        entry=entry,
        category=category,
        circle=circle,
        topic=topic,
        post=topic.posts.get(),
        session=session,
        issue=issue,
        subscriber=subscriber,
        confirm_token=newsletter_subscriptions.confirmation_token(subscriber),
        infographic_token=newsletter_subscriptions.infographic_url(infographic).rsplit("/", 2)[1],
        offer=offer,
        waitlist_entry=WaitlistEntry.objects.get(email=learner.email),
        forum_unsubscribe_token=forum_notifications.unsubscribe_token(learner.pk, topic.pk),
        email_off_token=off_token(user_id=learner.pk, kind="group_reminders"),
        feed_token=learner.feed_token,
        circle_topic_title="Circle-only-case-8812",
        certificate_code=certificate.code,
    )


def make_ce(course, cohort, learner) -> Certificate:
    """CE credit for the course (issue 25): a post-test, an evaluation and the learner's
    certificate."""
    CourseCredit.objects.create(
        course=course, approving_body="APA", sponsor_statement="Approved.", min_live_groups=1
    )
    post_test = PostTest.objects.create(course=course)
    question = PostTestQuestion.objects.create(post_test=post_test, text="Which?")
    PostTestChoice.objects.create(question=question, text="This", is_correct=True)
    PostTestChoice.objects.create(question=question, text="That")
    EvaluationQuestion.objects.create(course=course, text="Overall")
    today = timezone.localdate()
    return Certificate.objects.create(
        user=learner,
        course=course,
        cohort=cohort,
        name=learner.display_name,
        program="How Therapy Works",
        trimester=course.title,
        live_hours=1,
        home_study_hours=2,
        started_on=today,
        completed_on=today,
        approving_body="APA",
        sponsor_statement="Approved.",
    )


def client_as(request, persona: str) -> Client:
    """A test client signed in as the persona fixture named `persona` ("visitor": anonymous)."""
    if persona == "visitor":
        return Client()
    user = request.getfixturevalue(persona)
    client = request.getfixturevalue("client_for")(user)
    if user.is_staff:
        pass_mfa(client, user)
    return client


def pass_mfa(client: Client, user) -> None:
    """Staff reach the admin only in a session that passed two-factor authentication
    (accounts/mfa.py); these tests are about who may see what, so their sessions have."""
    from allauth.account.internal.flows.login import record_authentication

    fake = RequestFactory().get("/")
    fake.session = client.session
    record_authentication(fake, user, "mfa", type="totp")
    fake.session.save()

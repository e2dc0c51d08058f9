"""Demo forum content for `manage.py seed_demo` (idempotent). Runs after the courses demo.

Besides a few short conversations there is one long topic (three pages of replies, to show
pagination and links that land on the right page), one reply hidden by staff, and one open
report in the moderation queue (admin → Learner Exchange Forum → Reports).
"""

import datetime as dt

from allauth.account.models import EmailAddress
from django.core.management.base import OutputWrapper
from django.utils import timezone

from accounts.models import User
from courses.models import Cohort, Enrollment
from forum import rendering, services
from forum.models import (
    Category,
    CircleMembership,
    ForumProfile,
    Post,
    Report,
    Subscription,
    Topic,
)

CATEGORIES = [
    # slug, name, description, private
    (
        "introductions",
        "Introductions",
        "Say hello: where you practise, what brought you to the program.",
        False,
    ),
    (
        "trimester-1",
        "Trimester 1: How Therapy Works",
        "The Affect Avoidance Model, lesson by lesson.",
        False,
    ),
    (
        "practice-questions",
        "Practice questions",
        "Bring a clinical question — de-identified — and think it through with peers.",
        False,
    ),
    (
        "peer-circle-a",
        "Peer consultation circle A",
        "A small private circle for regular peer consultation.",
        True,
    ),
]

LONG_TOPIC = ("trimester-1", "Reading group: one lesson a week")
LONG_REPLIES = [
    "This week I re-read the chapter and listened to the podcast on my commute.",
    "The video framed it well for me: the avoided feeling comes first, the pattern after.",
    "I tried naming the shift out loud in two sessions. Both clients slowed down.",
    "Question for the group: how do you keep the model in mind without sounding scripted?",
    "Writing one line after each session about what was avoided has helped me.",
    "Bringing this to Friday's group — curious how others would frame it.",
]
LONG_REPLY_COUNT = 44  # with the opening post: three pages of 20
PLUG = (
    "Quick plug: my weekend workshop on emotion-focused techniques has a few seats left. "
    "Message me for a discount code!"
)
PLUG_AT = 7  # a reply by Tomás that staff have hidden

# Two more learners in the demo learner's run, in other time zones (the Friday groups page
# then shows their local time with the program's beside it).
EXTRA_LEARNERS = [
    ("maya@demo.test", "demo-maya", "Maya Chen", "LMFT", "Europe/London"),
    ("tomas@demo.test", "demo-tomas", "Tomás Ortega", "LPC", "Australia/Sydney"),
]

TOPICS = [
    # category slug, title, [(author email, body), ...]
    (
        "introductions",
        "Hello from a community clinic in Ohio",
        [
            (
                "learner@demo.test",
                "Hi everyone! I work in a community mental-health clinic, mostly with adults. "
                "I joined because I want a **clearer map** of what actually helps clients change.",
            ),
            (
                "maya@demo.test",
                "Welcome, @dana-reyes! I'm a family therapist in private practice. "
                "Looking forward to the Friday groups.",
            ),
            (
                "tomas@demo.test",
                "Welcome both. I'm a counsellor in a college counselling centre — lots of "
                "anxiety and avoidance, so this model speaks to me.",
            ),
        ],
    ),
    (
        "trimester-1",
        "How one pattern covers another — an example from the lesson",
        [
            (
                "maya@demo.test",
                "The lesson on *how one pattern covers another* clicked for me. Is the idea that "
                "the visible pattern protects against a feeling the client avoids even more?",
            ),
            (
                "instructor@demo.test",
                "> **Maya Chen, LMFT** wrote:\n>\n> Is the idea that the visible pattern protects "
                "against a feeling the client avoids even more?\n\nYes — that is the heart of it. "
                "Watch what happens when the outer pattern eases: the covered feeling tends "
                "to surface, and that is where the work is.",
            ),
        ],
    ),
    (
        "practice-questions",
        "When a client keeps changing the subject",
        [
            (
                "tomas@demo.test",
                "A client in their twenties keeps switching topics whenever we get near their "
                "father. How do you name the avoidance without it feeling like an accusation?",
            ),
            (
                "learner@demo.test",
                "I've had luck with curiosity rather than confrontation:\n\n"
                "- notice the shift out loud, gently\n- ask what happened just before\n"
                "- leave room for *not knowing*",
            ),
        ],
    ),
    (
        "peer-circle-a",
        "Circle A: our meeting rhythm",
        [
            (
                "learner@demo.test",
                "Shall we each bring one de-identified case every other week? "
                "Reminder: no names, places or dates.",
            ),
        ],
    ),
]


def _learner(email: str, password: str, name: str, credentials: str, time_zone: str) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"display_name": name, "credentials": credentials, "time_zone": time_zone},
    )
    if created:
        user.set_password(password)
        user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    cohort = Cohort.objects.filter(enrollments__user__email="learner@demo.test").first()
    cohort = cohort or Cohort.objects.order_by("starts_on").first()
    if cohort is not None:
        Enrollment.objects.get_or_create(user=user, cohort=cohort)
    return user


def seed(stdout: OutputWrapper) -> None:
    for email, password, name, credentials, time_zone in EXTRA_LEARNERS:
        _learner(email, password, name, credentials, time_zone)
    users = {u.email: u for u in User.objects.filter(email__endswith="@demo.test")}
    for user in users.values():
        services.get_profile(user)

    categories = {}
    for order, (slug, name, description, private) in enumerate(CATEGORIES):
        categories[slug], _ = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "order": order,
                "is_private": private,
            },
        )
    circle = categories["peer-circle-a"]
    for email in ("learner@demo.test", "maya@demo.test"):
        if email in users:
            CircleMembership.objects.get_or_create(category=circle, user=users[email])

    start = timezone.now() - dt.timedelta(days=6)
    handles = list(ForumProfile.objects.values_list("handle", flat=True))
    created_topics = 0
    for n, (slug, title, posts) in enumerate(TOPICS):
        author = users.get(posts[0][0])
        if author is None or Topic.objects.filter(category__slug=slug, title=title).exists():
            continue
        when = start + dt.timedelta(days=n)
        topic = Topic.objects.create(
            category=categories[slug], title=title, author=author, created_at=when
        )
        for i, (email, body) in enumerate(posts):
            poster = users.get(email, author)
            post = Post.objects.create(
                topic=topic,
                author=poster,
                body=body,
                html=rendering.render_body(body, Post.Format.MARKDOWN, handles=handles),
                created_at=when + dt.timedelta(hours=3 * i),
            )
            Subscription.objects.get_or_create(user=poster, topic=topic)
            services.mark_topic_read(user=poster, topic=topic, post_id=post.pk)  # not "new" to them
        services.refresh_topic_stats(topic)
        for post in topic.posts.all():
            post.topic = topic
            services.index_post_for_search(post)
        Subscription.objects.filter(topic=topic).update(notified_up_to=topic.last_post_id)
        created_topics += 1
    if _seed_long_topic(categories, users):
        created_topics += 1
    _seed_moderation(users)
    stdout.write(f"Forum: {len(categories)} categories, {created_topics} new topics.")


def _seed_long_topic(categories: dict[str, Category], users: dict[str, User]) -> bool:
    slug, title = LONG_TOPIC
    maya, tomas, dana = (
        users.get(e) for e in ("maya@demo.test", "tomas@demo.test", "learner@demo.test")
    )
    if maya is None or tomas is None or dana is None:
        return False
    if Topic.objects.filter(category__slug=slug, title=title).exists():
        return False
    voices = [maya, tomas, dana]
    when = timezone.now() - dt.timedelta(days=20)
    topic = Topic.objects.create(
        category=categories[slug], title=title, author=voices[0], created_at=when
    )
    for i in range(LONG_REPLY_COUNT + 1):
        poster = voices[i % 3]
        if i == 0:
            body = (
                "Shall we take one lesson a week and post what stood out? I'll start with "
                "*Psychopathology*."
            )
        elif i == PLUG_AT:
            body = PLUG
        else:
            body = f"Week {i // 3 + 1}. {LONG_REPLIES[i % len(LONG_REPLIES)]}"
        post = Post.objects.create(
            topic=topic,
            author=poster,
            body=body,
            html=rendering.render_body(body, Post.Format.MARKDOWN),
            created_at=when + dt.timedelta(hours=9 * i),
        )
        Subscription.objects.get_or_create(user=poster, topic=topic)
        services.mark_topic_read(user=poster, topic=topic, post_id=post.pk)
    services.refresh_topic_stats(topic)
    for post in topic.posts.all():
        post.topic = topic
        services.index_post_for_search(post)
    Subscription.objects.filter(topic=topic).update(notified_up_to=topic.last_post_id)
    return True


def _seed_moderation(users: dict[str, User]) -> None:
    """One reply hidden by staff (its report closed) and one report still open."""
    staff, maya, learner = (
        users.get(e) for e in ("staff@demo.test", "maya@demo.test", "learner@demo.test")
    )
    if staff is None or maya is None or learner is None or Report.objects.exists():
        return
    long_topic = Topic.objects.filter(title=LONG_TOPIC[1]).first()
    questions = Topic.objects.filter(title="When a client keeps changing the subject").first()
    if long_topic is None or questions is None:
        return
    to_hide = long_topic.posts.filter(body=PLUG).first()
    if to_hide is None:
        return
    Report.objects.create(
        post=to_hide,
        reporter=maya,
        reason=Report.Reason.OFF_TOPIC,
        details="Looks like an advert for a workshop.",
    )
    services.hide_post(post=to_hide, by=staff)
    opening = questions.posts.order_by("id").first()
    if opening is None:
        return
    Report.objects.create(
        post=opening,
        reporter=learner,
        reason=Report.Reason.IDENTIFYING,
        details="The detail about the father might be too specific — could you check?",
    )

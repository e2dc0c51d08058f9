"""Demo forum content for `manage.py seed_demo` (idempotent). Runs after the courses demo."""

import datetime as dt

from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User
from courses.models import Cohort, Enrollment
from forum import rendering, services
from forum.models import Category, CircleMembership, ForumProfile, Post, Subscription, Topic

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

EXTRA_LEARNERS = [
    ("maya@demo.test", "demo-maya", "Maya Chen", "LMFT"),
    ("tomas@demo.test", "demo-tomas", "Tomás Ortega", "LPC"),
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


def _learner(email: str, password: str, name: str, credentials: str) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"display_name": name, "credentials": credentials}
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


def seed(stdout) -> None:
    for email, password, name, credentials in EXTRA_LEARNERS:
        _learner(email, password, name, credentials)
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
            Post.objects.create(
                topic=topic,
                author=poster,
                body=body,
                html=rendering.render_body(body, Post.Format.MARKDOWN, handles=handles),
                created_at=when + dt.timedelta(hours=3 * i),
            )
            Subscription.objects.get_or_create(user=poster, topic=topic)
        services.refresh_topic_stats(topic)
        for post in topic.posts.all():
            post.topic = topic
            services.index_post_for_search(post)
        Subscription.objects.filter(topic=topic).update(notified_up_to=topic.last_post_id)
        created_topics += 1
    stdout.write(f"Forum: {len(categories)} categories, {created_topics} new topics.")

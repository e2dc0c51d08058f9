"""What people write: private questions and answers, the library, the forum, the newsletter."""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Iterator

from django.db import connection
from django.db.models import Count, OuterRef, Subquery

from bench.loaddata.names import DOMAIN, FORUM_CATEGORIES, LIBRARY_TOPICS, LONG_TOPIC_TITLE, THEMES
from bench.loaddata.program import Load
from bench.loaddata.writing import batched, create, insert
from forum import rendering
from forum.models import Category, CircleMembership, Post, ReadState, Report, Topic
from newsletter.models import Issue, Subscriber
from qa.models import LIBRARY_SEARCH_VECTOR, QUESTION_SEARCH_VECTOR, Answer, LibraryEntry, Question
from qa.models import Topic as LibraryTopic

# Q&A: private questions and answers, and the de-identified library --------------------------


def make_questions(load: Load) -> None:
    """Three in four questions are answered; of the waiting ones, one in eight has a draft
    answer the instructor started."""
    n = load.sizes["questions"]
    lessons = [lesson for course in load.courses for lesson in load.lessons[course.pk]]
    learners = load.learner_ids

    def questions() -> Iterator[Question]:
        for i in range(n):
            lesson = lessons[i % len(lessons)]
            asked = load.now - dt.timedelta(hours=(n - i) * 2)
            answered = i % 4 != 3
            yield Question(
                asker_id=learners[i % len(learners)],
                title=f"How do I work with {THEMES[i % len(THEMES)]} here?"[:200],
                text=load.paragraph(4),
                course_id=lesson.course_id,
                lesson=lesson,
                consent_to_publish=i % 3 == 0,
                status=Question.Status.ANSWERED if answered else Question.Status.WAITING,
                created_at=asked,
                waiting_since=asked,
                answered_at=asked + dt.timedelta(days=2) if answered else None,
            )

    for batch in batched(questions()):
        Question.objects.bulk_create(batch)
        Answer.objects.bulk_create(
            Answer(
                question=q,
                author=load.instructor,
                text=f"<p>{load.paragraph(4)}</p><p>{load.paragraph(3)}</p>",
                sent_at=q.answered_at,
                created_at=q.answered_at or load.now,
            )
            for q in batch
            if q.answered_at or q.pk % 8 == 0
        )
    if connection.vendor == "postgresql":  # what Question.save() writes
        Question.objects.update(search_vector=QUESTION_SEARCH_VECTOR)


def make_library(load: Load) -> None:
    n = load.sizes["library_entries"]
    topics = [
        LibraryTopic(name=name, slug=f"topic-{i}", order=i) for i, name in enumerate(LIBRARY_TOPICS)
    ]
    LibraryTopic.objects.bulk_create(topics)
    lessons = [lesson for course in load.courses for lesson in load.lessons[course.pk]]
    topic_link = LibraryEntry.topics.through
    lesson_link = LibraryEntry.lessons.through

    def entries() -> Iterator[LibraryEntry]:
        for i in range(n):
            published = load.now - dt.timedelta(hours=(n - i) * 3)
            answer = f"<p>{load.paragraph(5)}</p><p>{load.paragraph(4)}</p>"
            theme = THEMES[i % len(THEMES)]
            reaction = load.rng.choice(["avoids", "withdraws", "argues", "goes quiet"])
            yield LibraryEntry(
                title=f"Working with {theme} when the client {reaction}",
                question=load.paragraph(3),
                answer=answer,
                answer_plain=answer.replace("<p>", " ").replace("</p>", " ").strip(),
                video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ" if i % 2 else "",
                consent_given_at=published - dt.timedelta(days=5),
                deidentified_confirmed=True,
                status=LibraryEntry.Status.PUBLISHED,
                published_at=published,
                created_at=published - dt.timedelta(days=1),
            )

    for batch in batched(entries()):
        LibraryEntry.objects.bulk_create(batch)
        topic_link.objects.bulk_create(
            topic_link(libraryentry_id=e.pk, topic_id=topics[(e.pk + k) % len(topics)].pk)
            for e in batch
            for k in range(1 + e.pk % 2)
        )
        lesson_link.objects.bulk_create(
            lesson_link(libraryentry_id=e.pk, lesson_id=lessons[e.pk % len(lessons)].pk)
            for e in batch
        )
    if connection.vendor == "postgresql":  # what LibraryEntry.save() writes
        LibraryEntry.objects.update(search_vector=LIBRARY_SEARCH_VECTOR)


# Forum ----------------------------------------------------------------------------------------


def make_forum(load: Load) -> None:
    categories = [
        Category(name=name, slug=slug, is_private=private, order=i, description=name)
        for i, (name, slug, private) in enumerate(FORUM_CATEGORIES)
    ]
    Category.objects.bulk_create(categories)
    circle = categories[-1]
    CircleMembership.objects.bulk_create(
        CircleMembership(category=circle, user_id=user_id) for user_id in load.learner_ids[1:200:3]
    )
    # A pool of bodies, rendered once each as posting renders them: the HTML is stored.
    bodies = []
    for i in range(500):
        text = "\n\n".join(load.paragraph(load.rng.randint(1, 3)) for _ in range(1 + i % 3))
        if i % 7 == 0:
            text = f"> {load.paragraph(1)}\n\n{text}"
        bodies.append((text, rendering.render_body(text, Post.Format.MARKDOWN)))
    vectors = search_vectors([text for text, _ in bodies])

    n_topics, n_posts = load.sizes["topics"], load.sizes["posts"]
    long_posts = load.sizes["long_topic_posts"]
    rest = n_posts - long_posts

    def posts_in(k: int) -> int:
        if k == 0:
            return long_posts
        return rest // (n_topics - 1) + (1 if k - 1 < rest % (n_topics - 1) else 0)

    start = load.now - dt.timedelta(days=900)
    learners = load.learner_ids

    def created(k: int) -> dt.datetime:
        return start + dt.timedelta(minutes=k * 600)

    def topics() -> Iterator[Topic]:
        for k in range(n_topics):
            category = categories[0] if k == 0 else categories[k % len(categories)]
            title = LONG_TOPIC_TITLE if k == 0 else f"{load.paragraph(1)[:120].rstrip('.?')}?"
            yield Topic(
                category=category,
                title=title,
                author_id=learners[k % len(learners)],
                created_at=created(k),
                is_pinned=k in (0, 1),
            )

    topic_ids = array("q")
    for batch in batched(topics()):
        Topic.objects.bulk_create(batch)
        topic_ids.extend(t.pk for t in batch)

    def posts() -> Iterator[Post]:
        for k, topic_id in enumerate(topic_ids):
            for j in range(posts_in(k)):
                pick = load.rng.randrange(len(bodies))
                body, html = bodies[pick]
                yield Post(
                    topic_id=topic_id,
                    author_id=learners[load.rng.randrange(len(learners))],
                    body=body,
                    html=html,
                    search_vector=vectors[pick],
                    created_at=created(k) + dt.timedelta(minutes=j * 5 + 1),
                    is_hidden=j > 0 and j % 250 == 0,
                )

    insert(Post, posts())
    forum_stats()
    make_reports(load, topic_ids)
    bench_learner = learners[0]
    read = topic_ids[: max(1, len(topic_ids) // 2)]
    for ids in batched(read):
        ReadState.objects.bulk_create(
            ReadState(user_id=bench_learner, topic_id=pk, last_read_post_id=first)
            for pk, first in Topic.objects.filter(pk__in=ids).values_list("pk", "first_post_id")
        )


def make_reports(load: Load, topic_ids: array) -> None:
    """One opening post in twenty reported; a third of the reports still open."""
    reasons = list(Report.Reason)
    statuses = [Report.Status.OPEN, Report.Status.DISMISSED, Report.Status.HIDDEN]
    learners = load.learner_ids
    for ids in batched(topic_ids[1::20]):
        firsts = Topic.objects.filter(pk__in=ids).values_list("pk", "first_post_id")
        Report.objects.bulk_create(
            Report(
                post_id=first,
                reporter_id=learners[(pk * 7) % len(learners)],
                reason=reasons[pk % len(reasons)],
                details=load.paragraph(1) if pk % 2 else "",
                status=statuses[pk % 3],
                created_at=load.now - dt.timedelta(hours=pk % 3000),
                resolved_at=load.now if pk % 3 else None,
            )
            for pk, first in firsts
        )


def search_vectors(texts: list[str]) -> list[str | None]:
    """What `index_post_for_search` stores for a reply with each body, computed once per body
    rather than once per post (PostgreSQL; nothing elsewhere)."""
    if connection.vendor != "postgresql":
        return [None] * len(texts)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setweight(to_tsvector('english', t), 'B')::text FROM unnest(%s::text[]) "
            "WITH ORDINALITY AS u(t, n) ORDER BY n",
            [texts],
        )
        return [row[0] for row in cursor.fetchall()]


def forum_stats() -> None:
    """The counters `forum.services.refresh_topic_stats` keeps, for every topic in one
    UPDATE (nothing per topic held in memory), and the search vectors `index_post_for_search`
    writes for opening posts (PostgreSQL)."""
    posts = Post.objects.filter(topic=OuterRef("pk")).order_by()
    visible = posts.filter(is_hidden=False)
    last = visible.order_by("-pk")
    Topic.objects.update(
        post_count=Subquery(visible.values("topic").annotate(n=Count("pk")).values("n")),
        first_post_id=Subquery(posts.order_by("pk").values("pk")[:1]),
        last_post_id=Subquery(last.values("pk")[:1]),
        last_post_at=Subquery(last.values("created_at")[:1]),
        last_poster_id=Subquery(last.values("author_id")[:1]),
    )
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # Opening posts also carry the topic's title, as `index_post_for_search` writes.
        cursor.execute(
            """
            UPDATE forum_post p SET search_vector =
                setweight(to_tsvector('english', t.title), 'A') || p.search_vector
            FROM forum_topic t WHERE p.id = t.first_post_id
            """
        )


# Newsletter -----------------------------------------------------------------------------------


def make_newsletter(load: Load) -> None:
    """Readers (17 in 20 confirmed), 29 sent issues, one being sent now, one scheduled and
    one draft."""
    n = load.sizes["subscribers"]
    statuses = [Subscriber.Status.CONFIRMED] * 17 + [
        Subscriber.Status.PENDING,
        Subscriber.Status.UNSUBSCRIBED,
        Subscriber.Status.BOUNCED,
    ]

    def readers() -> Iterator[Subscriber]:
        for i in range(1, n + 1):
            created = load.now - dt.timedelta(minutes=i * 5)
            status = statuses[i % len(statuses)]
            yield Subscriber(
                email=f"reader{i:06d}@{DOMAIN}",
                status=status,
                token=load.token(),
                created_at=created,
                confirmed_at=created if status != Subscriber.Status.PENDING else None,
            )

    insert(Subscriber, readers())
    confirmed = n * 17 // 20

    def issues() -> Iterator[Issue]:
        for k in range(1, 33):
            status = {30: Issue.Status.SENDING, 31: Issue.Status.SCHEDULED}.get(
                k, Issue.Status.SENT
            )
            if k == 32:
                status = Issue.Status.DRAFT
            when = load.now - dt.timedelta(days=14 * (30 - k))
            yield Issue(
                number=k,
                title=f"TIFT {k}: {THEMES[k % len(THEMES)]}",
                body=f"<p>{load.paragraph(6)}</p>",
                status=status,
                scheduled_for=when - dt.timedelta(hours=1)
                if status != Issue.Status.DRAFT
                else None,
                send_started_at=when - dt.timedelta(hours=1) if k <= 30 else None,
                sent_at=when if status == Issue.Status.SENT else None,
                recipients_total=confirmed if k <= 30 else 0,
                sent_count=confirmed if k < 30 else (confirmed * 2 // 5 if k == 30 else 0),
            )

    create(Issue, issues())

"""`manage.py seed_load --scale N`: synthetic data at the size a successful program reaches,
for the page benchmark (bench/run.py) and for looking at query plans.

At scale 1: 3 courses, 60 lessons, 30 cohorts, 5,000 learners, 100,000 progress rows,
20,000 questions, 5,000 library entries, 2,000 forum topics with 200,000 posts (one topic
with 5,000), 100,000 newsletter readers. Every count but the curriculum (three trimesters of
20 lessons) scales with N; a fraction such as 0.01 makes a small set for tests.

The data is deterministic: the same scale and seed give the same rows in the same order
(dates are relative to the day it runs, so that one run of each trimester is open now). It is
written with bulk inserts in batches, so memory stays flat whatever the scale. Nobody can sign
in with a password: every account has an unusable one (the benchmark signs its learner in
with a session, see bench/discover.py). Secrets (feed and unsubscribe tokens) are random.

Every account has an address at @load.example; `--reset` empties the program's tables only
when every account there is one of these, so it cannot wipe a real database.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import secrets
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar, cast

from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from accounts import roles
from accounts.models import User
from courses.models import Cohort, Course, Enrollment, FaqItem, Testimonial
from forum import rendering
from forum.models import Category, CircleMembership, ForumProfile, Post, ReadState, Topic
from lessons.demo import LESSONS
from lessons.models import Lesson, Progress
from newsletter.models import Issue, Subscriber
from qa.models import LIBRARY_SEARCH_VECTOR, Answer, LibraryEntry, Question
from qa.models import Topic as LibraryTopic
from zoomgroups.models import GroupSession

DOMAIN = "load.example"
BENCH_LEARNER_EMAIL = f"learner00001@{DOMAIN}"
INSTRUCTOR_EMAIL = f"instructor@{DOMAIN}"
STAFF_EMAIL = f"staff@{DOMAIN}"
# The long topic of the issue: the first topic, in the first category.
LONG_TOPIC_TITLE = "Weekly check-in: what moved in your sessions this week?"
UNUSABLE_PASSWORD = "!seed-load"  # noqa: S105 - starts with "!": Django never accepts a password for it
BATCH = 2000

AT_SCALE_1 = {
    "lessons_per_course": 20,
    "cohorts_per_course": 10,
    "learners": 5_000,
    "progress": 100_000,
    "questions": 20_000,
    "library_entries": 5_000,
    "topics": 2_000,
    "posts": 200_000,
    "long_topic_posts": 5_000,
    "subscribers": 100_000,
}

COURSES = [
    (1, "how-therapy-works", "How Therapy Works", "The Affect Avoidance Model."),
    (2, "what-therapists-do", "What Therapists Do", "Practical session management."),
    (3, "treatable-problems", "Treatable Problems & Practical Approaches", "A catalog."),
]
FIRST_NAMES = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Leo",
    "Maya",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
    "Zoe",
]
CREDENTIALS = ["LMHC", "LCSW", "PhD", "PsyD", "LPC", "LMFT", "MSW", ""]
THEMES = [
    "shame",
    "guilt",
    "grief",
    "anxiety",
    "avoidance",
    "transference",
    "formulation",
    "trauma",
    "dissociation",
    "compulsions",
    "automatic thoughts",
    "the inner child",
    "anger",
    "self-criticism",
    "the first session",
    "endings",
]
SENTENCES = [
    "My client keeps circling back to {t} whenever we get close to the feeling itself.",
    "I noticed {t} showing up in the room before either of us named it.",
    "The chapter's point about {t} changed how I open the second half of a session.",
    "How do you stay with {t} without pushing the client faster than they can go?",
    "We spent most of the hour on {t}, and the avoided affect finally came through.",
    "Supervision helped me see my own part in the {t} pattern.",
    "In the Friday group the instructor described {t} as a cover for an older feeling.",
    "I tried the formulation template on a case dominated by {t}; it fit surprisingly well.",
    "Does anyone have a reading suggestion on {t} in couples work?",
    "The podcast episode gave me words for {t} that my clients actually use.",
    "When {t} rises I slow down, reflect, and ask what it protects against.",
    "I am still unsure how to tell {t} apart from an entrenched maladaptive pattern.",
]
FORUM_CATEGORIES = [
    ("Introductions", "introductions", False),
    ("Lessons and chapters", "lessons-and-chapters", False),
    ("Cases (de-identified)", "cases", False),
    ("Friday groups", "friday-groups", False),
    ("Resources and readings", "resources", False),
    ("Practice and business", "practice", False),
    ("Peer consultation circle", "peer-circle", True),
]
LIBRARY_TOPICS = [
    "Shame & guilt",
    "Grief",
    "Anxiety",
    "Avoidance",
    "Transference",
    "Formulation",
    "Trauma",
    "Compulsions",
    "Emotion",
    "First sessions",
    "Endings",
    "Self-criticism",
]

T = TypeVar("T")


def batched(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert(model: type[models.Model], objects: Iterable[models.Model]) -> None:
    """Insert many rows. On PostgreSQL with COPY (several times faster than INSERT for the
    large tables; the objects get no primary key), elsewhere with `bulk_create` in batches."""
    if connection.vendor != "postgresql":
        for batch in batched(objects):
            model._default_manager.bulk_create(batch)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # A concrete field always has a column (the stubs allow None for non-concrete ones).
    columns = ", ".join(connection.ops.quote_name(cast(str, f.column)) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objects:
            copy.write_row(
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
            )


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Command(BaseCommand):
    help = "Build deterministic synthetic data at scale (see the module docstring)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="1 = the issue's sizes.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--reset", action="store_true", help="Empty the program's tables first.")
        group.add_argument(
            "--if-empty", action="store_true", help="Do nothing if there are courses already."
        )

    def handle(self, *args, scale: float, seed: int, reset: bool, if_empty: bool, **options):
        if scale <= 0:
            raise CommandError("--scale must be above 0.")
        started = time.monotonic()
        if if_empty and Course.objects.exists():
            self.stdout.write("seed_load: the database has data already; nothing to do.")
            return
        if reset:
            self.reset()
        elif Course.objects.exists() or User.objects.exists():
            raise CommandError(
                "The database has data already: use --reset (load data only) or --if-empty."
            )
        self.rng = random.Random(seed)
        self.now = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
        self.sizes = {key: max(1, round(value * scale)) for key, value in AT_SCALE_1.items()}
        self.sizes["lessons_per_course"] = AT_SCALE_1["lessons_per_course"]
        for key in ("topics", "long_topic_posts"):
            self.sizes[key] = max(2, self.sizes[key])
        self.sizes["posts"] = max(self.sizes["posts"], self.sizes["long_topic_posts"] + 2)
        with transaction.atomic():
            self.step("program", self.make_program)
            self.step("learners", self.make_learners)
            self.step("progress", self.make_progress)
            self.step("questions", self.make_questions)
            self.step("library", self.make_library)
            self.step("forum", self.make_forum)
            self.step("newsletter", self.make_newsletter)
        if connection.vendor == "postgresql":
            # VACUUM sets the visibility map, so that index-only scans need no heap visits;
            # it cannot run inside a transaction (a test), where statistics have to do.
            sql = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            self.step("vacuum", lambda: connection.cursor().execute(sql))
        self.stdout.write(self.counts())
        self.stdout.write(
            f"seed_load: done in {time.monotonic() - started:.1f} s, peak RSS {peak_rss_mb()} MB"
        )

    def step(self, name: str, work) -> None:
        started = time.monotonic()
        work()
        self.stdout.write(
            f"  {name:<11} {time.monotonic() - started:6.1f} s  (peak RSS {peak_rss_mb()} MB)"
        )

    # Reset -------------------------------------------------------------------------------

    def reset(self) -> None:
        others = User.objects.exclude(email__endswith=f"@{DOMAIN}")
        if others.exists():
            raise CommandError(
                f"--reset refused: this database has accounts outside @{DOMAIN}. "
                "Use a database of its own for load data."
            )
        tables = [
            model._meta.db_table
            for label in ("newsletter", "forum", "qa", "zoomgroups", "lessons", "courses")
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
        ]
        tables += [
            EmailAddress._meta.db_table,
            "django_session",
            "django_admin_log",
            User._meta.db_table,
            User.groups.through._meta.db_table,
            User.user_permissions.through._meta.db_table,
        ]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                names = ", ".join(connection.ops.quote_name(t) for t in tables)
                # Inside a transaction that inserted rows (a test), deferred foreign-key checks
                # must run before TRUNCATE may.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                self.delete_in_dependency_order()
        self.stdout.write("seed_load: load data removed.")

    def delete_in_dependency_order(self) -> None:
        """Without TRUNCATE ... CASCADE (SQLite): delete model by model, retrying the ones
        another table still protects until every table is empty."""
        pending = [
            model
            for label in ("newsletter", "forum", "qa", "zoomgroups", "lessons", "courses")
            for model in apps.get_app_config(label).get_models()
        ] + [User]
        for _ in range(len(pending)):
            blocked = []
            for model in pending:
                try:
                    model._default_manager.all().delete()
                except models.ProtectedError:
                    blocked.append(model)
            pending = blocked
            if not pending:
                return
        raise CommandError(f"Could not empty: {pending}")

    # Program: courses, lessons, cohorts, Friday groups, FAQ, staff ------------------------

    def paragraph(self, n: int) -> str:
        return " ".join(
            self.rng.choice(SENTENCES).format(t=self.rng.choice(THEMES)) for _ in range(n)
        )

    def make_program(self) -> None:
        self.instructor = User.objects.create(
            email=INSTRUCTOR_EMAIL,
            password=UNUSABLE_PASSWORD,
            display_name="Dr. Load Instructor",
            credentials="PhD",
            bio="Author of the program's textbook; answers every question personally.",
            is_staff=True,
            date_joined=self.now - dt.timedelta(days=2000),
        )
        self.instructor.groups.add(Group.objects.get(name=roles.INSTRUCTOR))
        staff = User.objects.create(
            email=STAFF_EMAIL, password=UNUSABLE_PASSWORD, display_name="Load Staff", is_staff=True
        )
        staff.groups.add(Group.objects.get(name=roles.STAFF))
        FaqItem.objects.bulk_create(
            FaqItem(question=f"Question {i}?", answer=f"<p>{self.paragraph(3)}</p>", order=i)
            for i in range(8)
        )
        Testimonial.objects.bulk_create(
            Testimonial(quote=self.paragraph(2), name=f"Learner {i}", role="LMHC", order=i)
            for i in range(4)
        )
        self.courses = []
        self.lessons: dict[int, list[Lesson]] = {}
        per_course = self.sizes["lessons_per_course"]
        for number, slug, title, subtitle in COURSES:
            course = Course.objects.create(
                number=number,
                slug=slug,
                title=title,
                subtitle=subtitle,
                description=f"<p>{self.paragraph(4)}</p>",
                order=number,
            )
            self.courses.append(course)
            names = LESSONS[number]
            lessons = []
            for order in range(1, per_course + 1):
                name = names[(order - 1) % len(names)]
                if order > len(names):
                    name = f"{name}, part {(order - 1) // len(names) + 1}"
                lesson = Lesson(
                    course=course,
                    order=order,
                    title=name,
                    slug=f"lesson-{order}",
                    summary=self.paragraph(2)[:590],
                    chapter=self.chapter(),
                    video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                    podcast_url=f"https://media.{DOMAIN}/podcast/{number}-{order}.mp3",
                    podcast_bytes=30_000_000,
                    podcast_duration=dt.timedelta(minutes=40 + order),
                    podcast_transcript=self.paragraph(30),
                    free_preview=order == 1,
                )
                lesson.save()  # derived fields and the search vector, as the admin saves it
                lessons.append(lesson)
            self.lessons[course.pk] = lessons
        self.cohorts = []
        per_course_cohorts = self.sizes["cohorts_per_course"]
        today = self.now.date()
        for course in self.courses:
            for k in range(per_course_cohorts):
                # The last run of each trimester is the current one, open for enrolment.
                ago = (per_course_cohorts - 1 - k) * 120
                starts = today - dt.timedelta(days=ago + 10)
                current = k == per_course_cohorts - 1
                self.cohorts.append(
                    Cohort(
                        course=course,
                        name=f"Run {k + 1}",
                        slug=f"run-{k + 1}",
                        starts_on=starts,
                        ends_on=starts + dt.timedelta(days=100),
                        enrolment_opens_at=self.now - dt.timedelta(days=ago + 40),
                        enrolment_closes_at=self.now + dt.timedelta(days=30 - ago),
                        seat_cap=250,
                        price_cents=120000,
                        status=Cohort.Status.OPEN if current else Cohort.Status.CLOSED,
                    )
                )
        Cohort.objects.bulk_create(self.cohorts)
        sessions = []
        for cohort in self.cohorts:
            first = dt.datetime.combine(cohort.starts_on, dt.time(17), tzinfo=dt.UTC)
            first += dt.timedelta(days=(4 - first.weekday()) % 7)
            sessions += [
                GroupSession(
                    cohort=cohort,
                    slot=slot,
                    starts_at=first + dt.timedelta(days=7 * (slot - 1)),
                    topic=f"Friday group {slot}: {THEMES[slot % len(THEMES)]}",
                    join_url="https://zoom.us/j/1234567890",
                )
                for slot in range(1, 11)
            ]
        GroupSession.objects.bulk_create(sessions, batch_size=BATCH)

    def chapter(self) -> str:
        """A chapter of about 15,000 characters: headings and paragraphs."""
        parts = []
        for section in range(1, 7):
            parts.append(f"<h2>Section {section}: {self.rng.choice(THEMES).capitalize()}</h2>")
            parts += [f"<p>{self.paragraph(5)}</p>" for _ in range(5)]
        return "".join(parts)

    # Learners and their enrolments ----------------------------------------------------------

    def make_learners(self) -> None:
        n = self.sizes["learners"]
        joined = self.now - dt.timedelta(days=1500)

        def users() -> Iterator[User]:
            for i in range(1, n + 1):
                name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {chr(65 + i % 26)}."
                yield User(
                    email=f"learner{i:05d}@{DOMAIN}",
                    password=UNUSABLE_PASSWORD,
                    display_name=name,
                    credentials=CREDENTIALS[i % len(CREDENTIALS)],
                    feed_token=secrets.token_urlsafe(24),
                    date_joined=joined + dt.timedelta(minutes=i * 7),
                )

        self.learner_ids: list[int] = []
        for batch in batched(users()):
            User.objects.bulk_create(batch)
            EmailAddress.objects.bulk_create(
                EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in batch
            )
            ForumProfile.objects.bulk_create(
                ForumProfile(user=u, handle=u.email.split("@")[0]) for u in batch
            )
            self.learner_ids += [u.pk for u in batch]
        # Learner i is in cohort i (round robin); the benchmark's learner is in one run of
        # every trimester. One in twenty enrolments was refunded (progress from before stays).
        self.course_of_learner: dict[int, list[int]] = {}
        enrollments = []
        for i, user_id in enumerate(self.learner_ids):
            cohorts = [self.cohorts[i % len(self.cohorts)]]
            if i == 0:
                per = self.sizes["cohorts_per_course"]
                cohorts = [self.cohorts[c * per + per - 1] for c in range(len(self.courses))]
            refunded = i % 20 == 19
            for cohort in cohorts:
                enrollments.append(
                    Enrollment(
                        user_id=user_id,
                        cohort=cohort,
                        status=Enrollment.Status.REFUNDED if refunded else Enrollment.Status.ACTIVE,
                        amount_paid_cents=120000,
                        created_at=self.now - dt.timedelta(days=self.rng.randrange(1, 1200)),
                    )
                )
            self.course_of_learner[user_id] = [c.course_id for c in cohorts]
        Enrollment.objects.bulk_create(enrollments, batch_size=BATCH)

    def make_progress(self) -> None:
        target = self.sizes["progress"]

        def rows() -> Iterator[Progress]:
            made = 0
            for index, user_id in enumerate(self.learner_ids):
                for course_id in self.course_of_learner.get(user_id, []):
                    for lesson in self.lessons[course_id]:
                        if made == target:
                            return
                        made += 1
                        seen = self.now - dt.timedelta(hours=(index * 7 + lesson.order * 13) % 2000)
                        done = (index + lesson.order) % 4  # 0 to 3 materials used
                        stamps = [seen if k < done else None for k in range(3)]
                        yield Progress(
                            user_id=user_id,
                            lesson=lesson,
                            chapter_done_at=stamps[0],
                            video_done_at=stamps[1],
                            podcast_done_at=stamps[2],
                            completed_at=seen if done == 3 else None,
                            last_seen_at=seen,
                        )

        insert(Progress, rows())

    # Q&A: private questions and answers, and the de-identified library --------------------

    def make_questions(self) -> None:
        n = self.sizes["questions"]
        lessons = [lesson for course in self.courses for lesson in self.lessons[course.pk]]

        def questions() -> Iterator[Question]:
            for i in range(n):
                user_id = self.learner_ids[i % len(self.learner_ids)]
                lesson = lessons[i % len(lessons)]
                asked = self.now - dt.timedelta(hours=(n - i) * 2)
                answered = i % 4 != 3
                yield Question(
                    asker_id=user_id,
                    title=f"How do I work with {THEMES[i % len(THEMES)]} here?"[:200],
                    text=self.paragraph(4),
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
                    author=self.instructor,
                    text=f"<p>{self.paragraph(4)}</p><p>{self.paragraph(3)}</p>",
                    sent_at=q.answered_at,
                    created_at=q.answered_at,
                )
                for q in batch
                if q.answered_at
            )

    def make_library(self) -> None:
        n = self.sizes["library_entries"]
        topics = [
            LibraryTopic(name=name, slug=f"topic-{i}", order=i)
            for i, name in enumerate(LIBRARY_TOPICS)
        ]
        LibraryTopic.objects.bulk_create(topics)
        lessons = [lesson for course in self.courses for lesson in self.lessons[course.pk]]
        topic_link = LibraryEntry.topics.through
        lesson_link = LibraryEntry.lessons.through

        def entries() -> Iterator[LibraryEntry]:
            for i in range(n):
                published = self.now - dt.timedelta(hours=(n - i) * 3)
                answer = f"<p>{self.paragraph(5)}</p><p>{self.paragraph(4)}</p>"
                theme = THEMES[i % len(THEMES)]
                reaction = self.rng.choice(["avoids", "withdraws", "argues", "goes quiet"])
                yield LibraryEntry(
                    title=f"Working with {theme} when the client {reaction}",
                    question=self.paragraph(3),
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

    # Forum ----------------------------------------------------------------------------------

    def make_forum(self) -> None:
        categories = [
            Category(name=name, slug=slug, is_private=private, order=i, description=name)
            for i, (name, slug, private) in enumerate(FORUM_CATEGORIES)
        ]
        Category.objects.bulk_create(categories)
        circle = categories[-1]
        CircleMembership.objects.bulk_create(
            CircleMembership(category=circle, user_id=user_id)
            for user_id in self.learner_ids[1:200:3]
        )
        # A pool of bodies, rendered once each as posting renders them: the HTML is stored.
        bodies = []
        for i in range(500):
            text = "\n\n".join(self.paragraph(self.rng.randint(1, 3)) for _ in range(1 + i % 3))
            if i % 7 == 0:
                text = f"> {self.paragraph(1)}\n\n{text}"
            bodies.append((text, rendering.render_body(text, Post.Format.MARKDOWN)))
        vectors = self.search_vectors([text for text, _ in bodies])

        n_topics, n_posts = self.sizes["topics"], self.sizes["posts"]
        long_posts = self.sizes["long_topic_posts"]
        rest = n_posts - long_posts
        per_topic = [long_posts] + [
            rest // (n_topics - 1) + (1 if k < rest % (n_topics - 1) else 0)
            for k in range(n_topics - 1)
        ]
        start = self.now - dt.timedelta(days=900)
        topics = []
        for k in range(n_topics):
            category = categories[0] if k == 0 else categories[k % len(categories)]
            title = LONG_TOPIC_TITLE if k == 0 else f"{self.paragraph(1)[:120].rstrip('.?')}?"
            topics.append(
                Topic(
                    category=category,
                    title=title,
                    author_id=self.learner_ids[k % len(self.learner_ids)],
                    created_at=start + dt.timedelta(minutes=k * 600),
                    is_pinned=k in (0, 1),
                )
            )
        for batch in batched(topics):
            Topic.objects.bulk_create(batch)

        def posts() -> Iterator[Post]:
            for topic, count in zip(topics, per_topic, strict=True):
                for j in range(count):
                    pick = self.rng.randrange(len(bodies))
                    body, html = bodies[pick]
                    yield Post(
                        topic=topic,
                        author_id=self.learner_ids[self.rng.randrange(len(self.learner_ids))],
                        body=body,
                        html=html,
                        search_vector=vectors[pick],
                        created_at=topic.created_at + dt.timedelta(minutes=j * 5 + 1),
                        is_hidden=j > 0 and j % 250 == 0,
                    )

        insert(Post, posts())
        self.forum_stats(topics)
        bench_learner = self.learner_ids[0]
        ReadState.objects.bulk_create(
            ReadState(user_id=bench_learner, topic=t, last_read_post_id=t.first_post_id)
            for t in topics[: max(1, len(topics) // 2)]
        )

    def search_vectors(self, texts: list[str]) -> list[str | None]:
        """What `index_post_for_search` stores for a reply with each body, computed once per
        body rather than once per post (PostgreSQL; nothing elsewhere)."""
        if connection.vendor != "postgresql":
            return [None] * len(texts)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setweight(to_tsvector('english', t), 'B')::text FROM unnest(%s::text[]) "
                "WITH ORDINALITY AS u(t, n) ORDER BY n",
                [texts],
            )
            return [row[0] for row in cursor.fetchall()]

    def forum_stats(self, topics: list[Topic]) -> None:
        """The counters `forum.services.refresh_topic_stats` keeps, for every topic at once,
        and the search vectors `index_post_for_search` writes (PostgreSQL)."""
        visible = (
            Post.objects.filter(is_hidden=False)
            .values("topic_id")
            .annotate(n=Count("id"), last=Max("id"))
        )
        stats = {row["topic_id"]: row for row in visible}
        firsts = dict(
            Post.objects.values("topic_id")
            .annotate(first=Min("id"))
            .values_list("topic_id", "first")
        )
        last_posts = Post.objects.in_bulk([row["last"] for row in stats.values()])
        for topic in topics:
            row = stats[topic.pk]
            last = last_posts[row["last"]]
            topic.post_count = row["n"]
            topic.first_post_id = firsts[topic.pk]
            topic.last_post_id = last.pk
            topic.last_post_at = last.created_at
            topic.last_poster_id = last.author_id
        Topic.objects.bulk_update(
            topics,
            ["post_count", "first_post_id", "last_post_id", "last_post_at", "last_poster"],
            batch_size=500,
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

    # Newsletter --------------------------------------------------------------------------------

    def make_newsletter(self) -> None:
        n = self.sizes["subscribers"]
        statuses = [Subscriber.Status.CONFIRMED] * 17 + [
            Subscriber.Status.PENDING,
            Subscriber.Status.UNSUBSCRIBED,
            Subscriber.Status.BOUNCED,
        ]

        def readers() -> Iterator[Subscriber]:
            for i in range(1, n + 1):
                created = self.now - dt.timedelta(minutes=i * 5)
                status = statuses[i % len(statuses)]
                yield Subscriber(
                    email=f"reader{i:06d}@{DOMAIN}",
                    status=status,
                    token=secrets.token_urlsafe(24),
                    created_at=created,
                    confirmed_at=created if status != Subscriber.Status.PENDING else None,
                )

        insert(Subscriber, readers())
        Issue.objects.bulk_create(
            Issue(
                number=k,
                title=f"TIFT {k}: {THEMES[k % len(THEMES)]}",
                body=f"<p>{self.paragraph(6)}</p>",
                status=Issue.Status.SENT,
                sent_at=self.now - dt.timedelta(days=14 * (30 - k)),
            )
            for k in range(1, 30)
        )

    def counts(self) -> str:
        rows: list[tuple[str, models.QuerySet]] = [
            ("courses", Course.objects.all()),
            ("lessons", Lesson.objects.all()),
            ("cohorts", Cohort.objects.all()),
            ("learners", User.objects.filter(is_staff=False)),
            ("enrolments", Enrollment.objects.all()),
            ("progress rows", Progress.objects.all()),
            ("questions", Question.objects.all()),
            ("library entries", LibraryEntry.objects.all()),
            ("forum topics", Topic.objects.all()),
            ("forum posts", Post.objects.all()),
            ("newsletter readers", Subscriber.objects.all()),
        ]
        lines = [f"  {name:<19} {qs.count():>9,}" for name, qs in rows]
        long_topic = Topic.objects.get(title=LONG_TOPIC_TITLE)
        lines.append(
            f"  {'the long topic':<19} {long_topic.posts.count():>9,} posts "
            f"({long_topic.post_count:,} visible)"
        )
        return "\n".join(lines)

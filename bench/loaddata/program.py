"""The load being built: its shared state, the curriculum, the learners and their progress."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from array import array
from collections.abc import Iterator

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from accounts.models import User
from bench.loaddata.names import (
    AT_SCALE_1,
    COURSES,
    CREDENTIALS,
    DOMAIN,
    FIRST_NAMES,
    INSTRUCTOR_EMAIL,
    SENTENCES,
    STAFF_EMAIL,
    THEMES,
    UNUSABLE_PASSWORD,
)
from bench.loaddata.writing import batched, create, insert
from courses.models import Cohort, Course, Enrollment, FaqItem, Testimonial
from forum.models import ForumProfile
from lessons.demo import LESSONS
from lessons.models import Lesson, Progress
from zoomgroups.models import GroupSession


class Load:
    """What the steps share. Large collections are never kept: learners are an array of
    primary keys, and anything per learner is derived from the learner's number."""

    def __init__(self, *, scale: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
        self.sizes = {key: max(1, round(value * scale)) for key, value in AT_SCALE_1.items()}
        self.sizes["lessons_per_course"] = AT_SCALE_1["lessons_per_course"]
        for key in ("topics", "long_topic_posts"):
            self.sizes[key] = max(2, self.sizes[key])
        self.sizes["posts"] = max(self.sizes["posts"], self.sizes["long_topic_posts"] + 2)
        self.learner_ids = array("q")
        self.courses: list[Course] = []
        self.lessons: dict[int, list[Lesson]] = {}
        self.cohorts: list[Cohort] = []

    def paragraph(self, n: int) -> str:
        return " ".join(
            self.rng.choice(SENTENCES).format(t=self.rng.choice(THEMES)) for _ in range(n)
        )

    def current_cohorts(self) -> list[Cohort]:
        """The last run of each trimester: open for enrolment now."""
        per = self.sizes["cohorts_per_course"]
        return [self.cohorts[c * per + per - 1] for c in range(len(self.courses))]

    def cohorts_of(self, index: int) -> list[Cohort]:
        """Learner number `index` is in cohort `index` (round robin); the benchmark's learner
        (number 0) is in the current run of every trimester."""
        if index == 0:
            return self.current_cohorts()
        return [self.cohorts[index % len(self.cohorts)]]

    @staticmethod
    def token() -> str:
        return secrets.token_urlsafe(24)

    @staticmethod
    def is_refunded(index: int) -> bool:
        return index % 20 == 19  # one enrolment in twenty was refunded

    # Program: courses, lessons, cohorts, Friday groups, FAQ, staff ------------------------

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
            self.lessons[course.pk] = [
                self.make_lesson(course, order)
                for order in range(1, self.sizes["lessons_per_course"] + 1)
            ]
        self.make_cohorts()

    def make_lesson(self, course: Course, order: int) -> Lesson:
        names = LESSONS[course.number]
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
            podcast_url=f"https://media.{DOMAIN}/podcast/{course.number}-{order}.mp3",
            podcast_bytes=30_000_000,
            podcast_duration=dt.timedelta(minutes=40 + order),
            podcast_transcript=self.paragraph(30),
            free_preview=order == 1,
        )
        lesson.save()  # derived fields and the search vector, as the admin saves it
        # Later steps need the lesson's key and course only: drop the 15,000-character chapter.
        return Lesson(pk=lesson.pk, course_id=course.pk, order=order)

    def make_cohorts(self) -> None:
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

        def sessions() -> Iterator[GroupSession]:
            for cohort in self.cohorts:
                first = dt.datetime.combine(cohort.starts_on, dt.time(17), tzinfo=dt.UTC)
                first += dt.timedelta(days=(4 - first.weekday()) % 7)
                for slot in range(1, 11):
                    yield GroupSession(
                        cohort=cohort,
                        slot=slot,
                        starts_at=first + dt.timedelta(days=7 * (slot - 1)),
                        topic=f"Friday group {slot}: {THEMES[slot % len(THEMES)]}",
                        join_url="https://zoom.us/j/1234567890",
                    )

        create(GroupSession, sessions())

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
                    feed_token=self.token(),
                    date_joined=joined + dt.timedelta(minutes=i * 7),
                )

        for batch in batched(users()):
            User.objects.bulk_create(batch)
            EmailAddress.objects.bulk_create(
                EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in batch
            )
            ForumProfile.objects.bulk_create(
                ForumProfile(user=u, handle=u.email.split("@")[0]) for u in batch
            )
            self.learner_ids.extend(u.pk for u in batch)
        create(Enrollment, self.enrollments())

    def enrollments(self) -> Iterator[Enrollment]:
        for i, user_id in enumerate(self.learner_ids):
            status = Enrollment.Status.REFUNDED if self.is_refunded(i) else Enrollment.Status.ACTIVE
            for cohort in self.cohorts_of(i):
                yield Enrollment(
                    user_id=user_id,
                    cohort=cohort,
                    status=status,
                    source=Enrollment.Source.STRIPE,
                    amount_paid_cents=120000,
                    stripe_payment_intent=f"pi_load_{i}_{cohort.pk}",
                    created_at=self.now - dt.timedelta(days=self.rng.randrange(1, 1200)),
                )

    def make_progress(self) -> None:
        target = self.sizes["progress"]

        def rows() -> Iterator[Progress]:
            made = 0
            for index, user_id in enumerate(self.learner_ids):
                for cohort in self.cohorts_of(index):
                    for lesson in self.lessons[cohort.course_id]:
                        if made == target:
                            return
                        made += 1
                        seen = self.now - dt.timedelta(hours=(index * 7 + lesson.order * 13) % 2000)
                        done = (index + lesson.order) % 4  # 0 to 3 materials used
                        stamps = [seen if k < done else None for k in range(3)]
                        yield Progress(
                            user_id=user_id,
                            lesson_id=lesson.pk,
                            chapter_done_at=stamps[0],
                            video_done_at=stamps[1],
                            podcast_done_at=stamps[2],
                            completed_at=seen if done == 3 else None,
                            last_seen_at=seen,
                        )

        insert(Progress, rows())

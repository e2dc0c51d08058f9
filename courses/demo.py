"""Demo program for `manage.py seed_demo`: the three trimesters, a current open run of each,
the demo learner enrolled in trimester 1, the FAQ and a few testimonials. Idempotent."""

import datetime as dt

from django.core.management.base import OutputWrapper
from django.utils import timezone

from accounts.demo import demo_user
from courses.models import Cohort, Course, Enrollment, FaqItem, Testimonial

COURSES = [
    (
        1,
        "how-therapy-works",
        "How Therapy Works",
        "The Affect Avoidance Model — theory built for practice.",
        "<p>Why people get stuck, how one pattern covers another, and what actually changes "
        "in therapy. The first trimester lays out the model the whole program builds on.</p>",
    ),
    (
        2,
        "what-therapists-do",
        "What Therapists Do",
        "Practical session management: what to follow and how.",
        "<p>From the first session to the last: formulation, the flow of a session, working "
        "with emotion, transference and the adjustments every case needs.</p>",
    ),
    (
        3,
        "treatable-problems",
        "Treatable Problems & Practical Approaches",
        "Beyond disorders: a catalog of real problems and their management.",
        "<p>The problems clients actually bring — compulsions, shame, grief, anxiety, trauma — "
        "and practical ways to work with each.</p>",
    ),
]

FAQ = [
    (
        "Can I study at my own pace?",
        "<p>Yes. Every lesson is open from the first day of your run, and you may use the "
        "chapter, the video and the podcast in any order. Nothing is locked behind anything "
        "else.</p>",
    ),
    (
        "Do I keep access after the trimester ends?",
        "<p>Yes. You keep the lessons, the podcast feed and the Q&amp;A Video Library after "
        "your run ends, so you can come back to a lesson when a client brings it to mind.</p>",
    ),
    (
        "How much time does it take each week?",
        "<p>Plan on two to three hours a week: about an hour for a lesson's chapter, video and "
        "podcast, and 75 minutes for the Friday group if you join it live.</p>",
    ),
    (
        "What if I can't afford it?",
        "<p>Tell us. A few places in every run are offered at a reduced price or free to "
        "therapists who could not otherwise join. Ask through the enrolment page or write to "
        "us; the request stays between you and the staff.</p>",
    ),
    (
        "How do the Friday groups work?",
        "<p>Ten live Zoom groups of 75 minutes each trimester, on Fridays. The instructor "
        "answers questions and works through cases (de-identified). Every group is recorded "
        "for those who cannot attend.</p>",
    ),
    (
        "Do I need the textbook?",
        "<p>The course follows a textbook that is sold separately. The lessons stand on their "
        "own, but many learners like to read along.</p>",
    ),
]

TESTIMONIALS = [
    (
        "I finally have words for what I was doing intuitively — and for what I was avoiding "
        "doing. My sessions feel less like improvising.",
        "R. M.",
        "LMHC, early-career therapist",
    ),
    (
        "The podcast episodes fit my commute, and the Friday groups made the ideas concrete "
        "with cases like mine.",
        "J. K.",
        "Clinical psychologist",
    ),
    (
        "I came for the theory and stayed for the practical chapters. The Q&A answers were "
        "personal and thoughtful.",
        "S. A.",
        "LCSW, private practice",
    ),
]

TEXTBOOK_TITLE = "How Therapy Works (the textbook)"
TEXTBOOK_URL = "https://books.example/how-therapy-works"

INSTRUCTOR_BIO = (
    "A clinical psychologist who has practised, supervised and taught psychotherapy for more "
    "than twenty-five years, and the author of the textbook this program follows.\n\n"
    "The program grew out of years of teaching therapists who wanted a model they could use "
    "in the room — not only a list of techniques."
)


def season_name(day: dt.date) -> str:
    season = ("Winter", "Spring", "Summer", "Fall")[(day.month % 12) // 3]
    return f"{season} {day.year}"


# Trimester 3's run is a small pilot, full: its one seat is offered to the first person on the
# waitlist, so the course page shows "full, join the waitlist" (and the others show seats).
SEAT_CAPS = {1: 24, 2: 24, 3: 1}


def run_dates(number: int, today: dt.date, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """(starts_on, enrolment_closes_at). Trimester 1, the demo learner's, is under way: it
    began on the Monday before the Friday four weeks ago, so four of its ten Friday groups
    are past (zoomgroups/demo.py schedules them from the run's first Friday) and late
    enrolment stays open three more weeks. The others start later, one after the other."""
    if number == 1:
        this_friday = today + dt.timedelta(days=(4 - today.weekday()) % 7)
        return this_friday - dt.timedelta(weeks=4, days=4), now + dt.timedelta(weeks=3)
    starts = today + dt.timedelta(days=14 + 120 * (number - 1))
    return starts, now + dt.timedelta(days=90 + 120 * (number - 1))


def seed(stdout: OutputWrapper) -> None:
    now = timezone.now()
    today = timezone.localdate()
    courses = []
    for number, slug, title, subtitle, description in COURSES:
        course, _ = Course.objects.get_or_create(
            number=number,
            defaults={
                "slug": slug,
                "title": title,
                "subtitle": subtitle,
                "description": description,
                "order": number,
                # An example address: staff set the real one in the admin.
                "textbook_title": TEXTBOOK_TITLE,
                "textbook_url": TEXTBOOK_URL,
            },
        )
        courses.append(course)
        starts, closes = run_dates(number, today, now)
        Cohort.objects.get_or_create(
            course=course,
            slug="current-run",
            defaults={
                "name": season_name(starts),
                "starts_on": starts,
                "ends_on": starts + dt.timedelta(weeks=12),
                "enrolment_opens_at": now - dt.timedelta(days=7),
                "enrolment_closes_at": closes,
                "seat_cap": SEAT_CAPS[number],
                "price_cents": 95000,
                "currency": "usd",
                "status": Cohort.Status.OPEN,
            },
        )

    first_run = Cohort.objects.get(course=courses[0], slug="current-run")
    Enrollment.objects.get_or_create(
        user=demo_user("learner@demo.test"),
        cohort=first_run,
        defaults={"status": Enrollment.Status.ACTIVE, "source": Enrollment.Source.STAFF},
    )

    for order, (question, answer) in enumerate(FAQ, start=1):
        FaqItem.objects.get_or_create(
            question=question, defaults={"answer": answer, "order": order}
        )
    for order, (quote, name, role) in enumerate(TESTIMONIALS, start=1):
        Testimonial.objects.get_or_create(
            name=name, quote=quote, defaults={"role": role, "order": order}
        )

    instructor = demo_user("instructor@demo.test")
    if not instructor.bio:
        instructor.bio = INSTRUCTOR_BIO
        instructor.save(update_fields=["bio"])
    stdout.write("Courses: three trimesters, an open run of each, FAQ and testimonials.")
    seed_enrolment(stdout)


def seed_enrolment(stdout: OutputWrapper) -> None:
    """The waitlist, a pending offer and aid requests, for staff to try in the admin."""
    from courses.models import FinancialAidRequest, Offer, WaitlistEntry

    now = timezone.now()
    trimester = {course.number: course for course in Course.objects.filter(number__in=[1, 2, 3])}
    for position, (number, name, email) in enumerate(
        [
            (3, "Alex Moreno", "alex.moreno@demo.test"),
            (3, "Morgan Ellis", "morgan.ellis@demo.test"),
            (3, "Riley Chen", "riley.chen@demo.test"),
        ],
        start=1,
    ):
        WaitlistEntry.objects.get_or_create(
            course=trimester[number],
            cohort=None,
            email=email,
            defaults={"name": name, "position": position, "message": "Any run works for me."},
        )
    first_run = Cohort.objects.get(course=trimester[1], slug="current-run")
    pilot_run = Cohort.objects.get(course=trimester[3], slug="current-run")
    entry = WaitlistEntry.objects.get(course=trimester[3], email="alex.moreno@demo.test")
    if not Offer.objects.filter(waitlist_entry=entry).exists():
        Offer.objects.create(
            cohort=pilot_run,
            waitlist_entry=entry,
            name=entry.name,
            email=entry.email,
            price_cents=pilot_run.price_cents,
            currency=pilot_run.currency,
            expires_at=now + dt.timedelta(hours=48),
        )
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.OFFERED)
    FinancialAidRequest.objects.get_or_create(
        course=trimester[2],
        email="sasha.kim@demo.test",
        defaults={
            "name": "Sasha Kim",
            "can_pay": "About a third of the price",
            "message": "I am a trainee counsellor working part-time.",
        },
    )
    FinancialAidRequest.objects.get_or_create(
        course=trimester[1],
        email="newcomer@demo.test",
        defaults={
            "name": "Jordan Pike",
            "can_pay": "Nothing this year",
            "message": "Between jobs; I would love to join the next run.",
            "cohort": first_run,
            "granted_price_cents": 0,
        },
    )
    stdout.write("Enrolment: a waitlist, a pending offer, two financial-aid requests.")

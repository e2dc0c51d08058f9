"""Demo Friday groups for `manage.py seed_demo`: ten sessions per demo cohort. Idempotent.

Every run's sessions are its Fridays from the first one on or after its start, so they fall
within its dates. The demo learner's run is under way (courses/demo.py): its past sessions
have recordings (all but the second attended) and the next one an RSVP, so every state of
the page is there to look at.
"""

import datetime as dt

from django.core.management.base import OutputWrapper
from django.utils import timezone

from accounts.models import User
from courses.models import Cohort
from zoomgroups import services
from zoomgroups.models import RSVP, Attendance, GroupSession

TOPICS = {
    1: [
        "Psychopathology",
        "Entrenched maladaptive patterns",
        "How one pattern covers another",
        "Change mechanisms",
        "Role of emotion",
        "Therapeutic relationship",
        "Development",
        "Case discussion",
        "Case discussion",
        "Review and questions",
    ],
    2: [
        "Initial session",
        "Formulation",
        "Flow of sessions",
        "Exploration and emotion",
        "Transference and the inner child",
        "Adjustments",
        "Case discussion",
        "Case discussion",
        "Case discussion",
        "Review and questions",
    ],
    3: [
        "Behavioral choices",
        "Compulsive behaviors",
        "Problem emotions",
        "Shame & guilt",
        "Automatic thoughts",
        "Grief & depression",
        "Anxiety related",
        "Trauma & dissociation",
        "Case discussion",
        "Review and questions",
    ],
}


def first_friday(on_or_after: dt.date) -> dt.date:
    return on_or_after + dt.timedelta(days=(4 - on_or_after.weekday()) % 7)


def seed(stdout: OutputWrapper) -> None:
    learner = User.objects.filter(email="learner@demo.test").first()
    for cohort in Cohort.objects.select_related("course"):
        if GroupSession.objects.filter(cohort=cohort).exists():
            continue
        is_learners = bool(learner and cohort.enrollments.filter(user=learner).exists())
        start = first_friday(cohort.starts_on)
        topics = TOPICS.get(cohort.course.number, TOPICS[1])
        sessions = services.schedule_sessions(
            cohort=cohort,
            starts=services.fridays(first=start, time=dt.time(12), count=10),
            topic="Friday group",
        )
        now = timezone.now()
        next_session = next((s for s in sessions if s.ends_at >= now), None)
        for number, session in enumerate(sessions, start=1):
            session.topic = topics[number - 1]
            session.join_url = f"https://zoom.example/j/{123000000 + cohort.pk * 100 + number}"
            session.passcode = f"demo{number:02d}"
            if session.ends_at < now:
                session.recording_url = f"https://video.example/friday-groups/{session.pk}"
                session.recording_announced_at = now  # no "recording is up" email for demo data
            session.save()
            if is_learners and session.ends_at < now and number != 2:
                Attendance.objects.get_or_create(session=session, user=learner)
            if is_learners and session == next_session:  # the first one still to come
                RSVP.objects.get_or_create(
                    session=session, user=learner, defaults={"response": "attending"}
                )
        stdout.write(f"Friday groups: 10 sessions for {cohort}")

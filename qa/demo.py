"""Demo Q&A for `manage.py seed_demo`: topics, library entries and learner@demo.test's
questions (one answered with consent and published, one overdue and waiting, one with a
follow-up). Idempotent: rows are found by their titles."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import OutputWrapper
from django.utils import timezone

from accounts.models import User
from lessons.models import Lesson
from qa.models import Answer, LibraryEntry, Question, Reply, Topic

TOPICS = [
    ("Affect avoidance", "affect-avoidance"),
    ("Emotion in session", "emotion-in-session"),
    ("The therapeutic relationship", "therapeutic-relationship"),
    ("Shame & guilt", "shame-and-guilt"),
    ("Session management", "session-management"),
    ("Formulation", "formulation"),
]

# title, question, answer (HTML), video, topic slugs, lesson titles
ENTRIES = [
    (
        "What do I do when a client goes silent after naming a feeling?",
        "A client names sadness for the first time, then goes quiet and changes the subject. "
        "Should I bring them back to the feeling or follow where they go?",
        "<p>Silence right after a feeling is named is often the avoidance itself. Stay with it "
        "gently: <em>“Something happened just now when you said ‘sad’.”</em></p>"
        "<p>Following the new subject is not wrong, but notice the pattern and name it later.</p>",
        "https://vimeo.com/76979871",
        ["emotion-in-session", "affect-avoidance"],
        ["Role of emotion"],
    ),
    (
        "How do I tell shame from guilt in the room?",
        "Clients use the words interchangeably. What should I listen for to tell which one is "
        "active, and does it change what I do?",
        "<p>Guilt is about a <strong>deed</strong> and moves toward repair; shame is about the "
        "<strong>self</strong> and moves toward hiding.</p><ul><li>Listen for “I did” versus "
        "“I am”.</li><li>Watch the body: shame looks down and away.</li></ul>",
        "",
        ["shame-and-guilt"],
        ["Shame & guilt"],
    ),
    (
        "Is it a problem that I like some clients more than others?",
        "I notice I look forward to some sessions and dread others. Is that countertransference "
        "I should work on, or normal?",
        "<p>It is normal and it is information. Ask what the dread protects you from feeling, "
        "and what the client might evoke in others too.</p>",
        "",
        ["therapeutic-relationship"],
        ["Therapeutic relationship", "Transference and the inner child"],
    ),
    (
        "How much history should I take in a first session?",
        "I run out of time every first session because I try to get a full history. What is "
        "essential?",
        "<p>Enough to understand the presenting problem, risk, and what the client hopes for. "
        "The rest of the history arrives when it matters.</p>",
        "https://vimeo.com/76979871",
        ["session-management", "formulation"],
        ["Initial session"],
    ),
    (
        "When one pattern covers another, which do I work on first?",
        "A client's people-pleasing seems to cover anger. Do I address the anger directly?",
        "<p>Start with the pattern the client can see — the people-pleasing — and let the "
        "anger become visible through it. Going straight at the covered feeling usually "
        "strengthens the cover.</p>",
        "",
        ["affect-avoidance", "formulation"],
        ["How one pattern covers another"],
    ),
]


def _lessons_by_title(titles: list[str]) -> list[Lesson]:
    return list(Lesson.objects.filter(title__in=titles))


def seed(stdout: OutputWrapper) -> None:
    now = timezone.now()
    topics = {}
    for order, (name, slug) in enumerate(TOPICS):
        topics[slug], _ = Topic.objects.get_or_create(
            slug=slug, defaults={"name": name, "order": order}
        )

    entries = []
    for days_ago, (title, question, answer, video, topic_slugs, lesson_titles) in enumerate(
        ENTRIES
    ):
        entry = LibraryEntry.objects.filter(title=title).first()
        if entry is None:
            published = now - dt.timedelta(days=3 + days_ago * 6)
            entry = LibraryEntry.objects.create(
                title=title,
                question=question,
                answer=answer,
                video_url=video,
                consent_given_at=published - dt.timedelta(days=5),
                deidentified_confirmed=True,
                status=LibraryEntry.Status.PUBLISHED,
                published_at=published,
            )
            entry.topics.set([topics[s] for s in topic_slugs])
        if not entry.lessons.exists():
            entry.lessons.set(_lessons_by_title(lesson_titles))
        entries.append(entry)

    learner = User.objects.filter(email="learner@demo.test").first()
    instructor = User.objects.filter(email="instructor@demo.test").first()
    if learner is None:
        return
    lesson = next(iter(_lessons_by_title(["Role of emotion"])), None)
    course = lesson.course if lesson else None

    asked = now - dt.timedelta(days=20)
    answered_q, created = Question.objects.get_or_create(
        asker=learner,
        title="My client changes the subject whenever sadness comes up",
        defaults={
            "text": "In our third session a client started to talk about her father, said she "
            "felt sad, then went quiet and asked about scheduling. I followed her lead. Should "
            "I have stayed with the sadness?",
            "course": course,
            "lesson": lesson,
            "consent_to_publish": True,
            "status": Question.Status.ANSWERED,
            "created_at": asked,
            "waiting_since": asked,
            "answered_at": asked + dt.timedelta(days=2),
            "library_entry": entries[0],
        },
    )
    if created:
        Answer.objects.create(
            question=answered_q,
            author=instructor,
            text="<p>Following her lead was kind, and the shift itself is worth noticing. Next "
            "time, try naming the moment: <em>“Something happened when you said ‘sad’.”</em></p>",
            video_url="https://vimeo.com/76979871",
            sent_at=asked + dt.timedelta(days=2),
        )

    waiting_since = now - dt.timedelta(days=9)
    Question.objects.get_or_create(
        asker=learner,
        title="Formulation for a client with two covering patterns",
        defaults={
            "text": "I have a client whose perfectionism seems to cover both anxiety and anger. "
            "How do I decide which to formulate around first?",
            "course": course,
            "consent_to_publish": False,
            "created_at": waiting_since,
            "waiting_since": waiting_since,
        },
    )

    followed = now - dt.timedelta(days=6)
    followed_q, created = Question.objects.get_or_create(
        asker=learner,
        title="Ending sessions on time with a client in tears",
        defaults={
            "text": "How do I end on time when a client is crying in the last five minutes?",
            "consent_to_publish": True,
            "status": Question.Status.WAITING,
            "created_at": followed,
            "waiting_since": now - dt.timedelta(days=1),
            "answered_at": followed + dt.timedelta(days=1),
        },
    )
    if created:
        Answer.objects.create(
            question=followed_q,
            author=instructor,
            text="<p>Signal the ending ten minutes early and name it warmly; tears are not an "
            "emergency, and a reliable ending is part of the holding.</p>",
            sent_at=followed + dt.timedelta(days=1),
        )
        Reply.objects.create(
            question=followed_q,
            author=learner,
            text="Thank you. What if the client says the ending feels like rejection?",
            created_at=now - dt.timedelta(days=1),
        )
    stdout.write(f"Q&A: {len(entries)} library entries, {len(topics)} topics, demo questions.")

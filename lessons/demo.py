"""Demo lessons for `manage.py seed_demo`: every lesson of the three trimesters with original
placeholder text, a sample video link, a short generated audio episode and a transcript.
Idempotent: existing lessons are left as they are."""

import datetime as dt
import io
import math
import struct
import wave

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import OutputWrapper
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify

from accounts.demo import demo_user
from courses.models import Course
from lessons.models import Lesson, Note, Progress

LESSONS = {
    1: [
        "Psychopathology",
        "Entrenched Maladaptive Patterns",
        "How one pattern covers another",
        "Change mechanisms",
        "Role of emotion",
        "Therapeutic relationship",
        "Development",
    ],
    2: [
        "Initial session",
        "Formulation",
        "Flow of sessions",
        "Exploration and emotion",
        "Transference and the inner child",
        "Adjustments",
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
    ],
}
FREE_PREVIEWS = {(1, 1), (2, 1)}
# A public sample video (Vimeo's own demo); every demo lesson embeds it.
SAMPLE_VIDEO_URL = "https://vimeo.com/76979871"
AUDIO_NAME = "lessons/audio/demo-episode.wav"
AUDIO_SECONDS = 4


def demo_audio() -> bytes:
    """A few seconds of a soft two-note chime as a 16-bit mono WAV (about 64 KB)."""
    rate = 8000
    frames = bytearray()
    for i in range(rate * AUDIO_SECONDS):
        t = i / rate
        freq = 440.0 if t < AUDIO_SECONDS / 2 else 554.37
        envelope = math.exp(-3 * (t % (AUDIO_SECONDS / 2)))
        frames += struct.pack("<h", int(9000 * envelope * math.sin(2 * math.pi * freq * t)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def ensure_audio() -> str:
    if not default_storage.exists(AUDIO_NAME):
        default_storage.save(AUDIO_NAME, ContentFile(demo_audio()))
    return AUDIO_NAME


def chapter_html(course: Course, number: int, title: str) -> str:
    t = escape(title)
    lower = escape(title.lower())
    return f"""
<p>This chapter is placeholder text for the demo site. It stands where the book chapter on
<strong>{t}</strong> will be, so that you can see how a lesson reads on a phone and on a wide
screen. Lesson {number} of <em>{escape(course.title)}</em> asks one question: what does
{lower} tell us about how therapy works, and what do we do with it in the room?</p>
<h2>Why it matters in practice</h2>
<p>Clients rarely arrive with a tidy account of their difficulties. They bring a situation, a
feeling they would rather not have, and a habit of steering away from it. Thinking about
{lower} gives the therapist a map: where the avoidance is, what it protects against, and what
it costs the person over time.</p>
<p>The aim is not to label but to understand. A good formulation is one the client
recognises — and one that suggests a next step.</p>
<h2>Three ideas to hold on to</h2>
<ol>
  <li><strong>Feelings are information.</strong> What a client avoids feeling points to what
  matters most to them.</li>
  <li><strong>Patterns are solutions that stopped working.</strong> Each once made sense.</li>
  <li><strong>Change happens in experience.</strong> Insight helps; new experience in the
  session is what moves people.</li>
</ol>
<blockquote><p>Notice what the client moves away from, and gently move toward it together.</p>
</blockquote>
<h3>A short vignette</h3>
<p>A client describes a week of long hours and says she is “fine, just tired.” When the
therapist slows down and asks what the tiredness is like, her voice changes. The conversation
that follows is the real work of the session — and a small example of {lower} at work.</p>
<h3>Questions for reflection</h3>
<ul>
  <li>Where do you notice this in your own caseload?</li>
  <li>What do you tend to do when a client steers away from a feeling?</li>
  <li>What would you try differently next week?</li>
</ul>
<p>Listen to the podcast episode for an interview on this lesson, and bring your questions to
the Friday group or to the Q&amp;A.</p>
""".strip()


def transcript(title: str) -> str:
    return (
        f"Host: Welcome back. Today we are talking about {title.lower()}.\n\n"
        "Instructor: Thanks. I want to start with a question therapists ask me a lot: what do "
        "you do when a client keeps changing the subject just as things get important?\n\n"
        "Host: And what do you do?\n\n"
        "Instructor: First, notice it without judgement. The change of subject is doing a job "
        "for the client. Our work is to understand that job before we ask them to give it up.\n\n"
        "Host: That is a good place to stop for this short demo episode. Thanks for listening."
    )


def seed(stdout: OutputWrapper) -> None:
    audio = ensure_audio()
    created = 0
    for course in Course.objects.filter(number__in=LESSONS):
        for order, title in enumerate(LESSONS[course.number], start=1):
            lesson = Lesson.objects.filter(course=course, slug=slugify(title)).first()
            if lesson is not None:
                continue
            lesson = Lesson(
                course=course,
                order=order,
                title=title,
                slug=slugify(title),
                summary=f"What {title.lower()} means for the work — and what to do in session.",
                chapter=chapter_html(course, order, title),
                video_url=SAMPLE_VIDEO_URL,
                podcast_duration=dt.timedelta(seconds=AUDIO_SECONDS),
                podcast_transcript=transcript(title),
                free_preview=(course.number, order) in FREE_PREVIEWS,
                # A weekly episode each, the last one this week: the feed's dates differ.
                podcast_published_at=timezone.now()
                - dt.timedelta(weeks=len(LESSONS[course.number]) - order),
            )
            lesson.podcast_file.name = audio
            lesson.save()
            created += 1

    learner = demo_user("learner@demo.test")
    first = list(Lesson.objects.filter(course__number=1).order_by("order")[:2])
    if len(first) == 2 and not Progress.objects.filter(user=learner).exists():
        now = timezone.now()
        Progress.objects.create(
            user=learner,
            lesson=first[0],
            chapter_done_at=now,
            video_done_at=now,
            podcast_done_at=now,
            completed_at=now,
            last_seen_at=now - dt.timedelta(days=2),
        )
        Progress.objects.create(
            user=learner, lesson=first[1], chapter_done_at=now, last_seen_at=now
        )
        Note.objects.create(
            user=learner,
            lesson=first[0],
            text=(
                "Avoided affect as the organiser of symptoms: look for what the client "
                "steers away from just before the symptom shows up. Bring to Friday group."
            ),
        )
    stdout.write(f"Lessons: {created} created, {Lesson.objects.count()} in all.")

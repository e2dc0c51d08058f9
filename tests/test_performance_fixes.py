"""What the issue-9 performance work changed in behaviour: lesson visits that do not write on
every reload, and the course pages' cached fragments. (The forum's and the library's tests
moved to tests/forum/test_long_topics_and_fresh_pages.py and tests/qa/test_library_fresh.py.)"""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lessons.models import Progress
from tests import factories

pytestmark = pytest.mark.django_db


def test_reloading_a_lesson_within_a_minute_writes_nothing(client_for, learner, course):
    lesson = factories.make_lesson(course)
    c = client_for(learner)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        c.get(lesson.get_absolute_url())  # the first visit creates the row
    first_seen = Progress.objects.get(user=learner, lesson=lesson).last_seen_at
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(lesson.get_absolute_url()).status_code == 200
        assert not [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert Progress.objects.get(user=learner, lesson=lesson).last_seen_at == first_seen
    later = start + dt.timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        c.get(lesson.get_absolute_url())
    assert Progress.objects.get(user=learner, lesson=lesson).last_seen_at == later


def test_course_syllabus_rows_follow_the_learners_progress_and_edits(client_for, learner, course):
    from django.core.cache import cache

    from lessons import services as lesson_services

    cache.clear()
    lesson = factories.make_lesson(course, title="Cached lesson")
    c = client_for(learner)
    url = course.get_absolute_url()
    first = c.get(url)
    assert "✓ Video" not in first.content.decode()
    lesson_services.record_material(user=learner, lesson=lesson, material="video")
    assert "✓ Video" in c.get(url).content.decode()
    lesson.title = "Renamed lesson"
    lesson.save()
    assert "Renamed lesson" in c.get(url).content.decode()


def test_home_cards_and_faq_follow_edits(client, course):
    from django.core.cache import cache

    from courses.models import FaqItem

    cache.clear()
    item = FaqItem.objects.create(question="Is it online?", answer="<p>Yes, all of it.</p>")
    factories.make_lesson(course, title="Cached on the home page")
    first = client.get("/").content.decode()
    assert "Is it online?" in first
    assert "Cached on the home page" in first
    item.answer = "<p>Yes, every part.</p>"
    item.save()
    factories.make_lesson(course, title="A new lesson")
    again = client.get("/").content.decode()
    assert "Yes, every part." in again
    assert "A new lesson" in again

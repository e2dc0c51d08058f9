"""Demo content: the demo learner has saved a lesson, a library entry and a forum topic for
later (their dashboard lists them). Idempotent."""

from django.core.management.base import OutputWrapper

from accounts.demo import demo_user
from bookmarks.models import Bookmark
from forum.models import Topic
from lessons.models import Lesson
from qa.models import LibraryEntry


def seed(stdout: OutputWrapper) -> None:
    learner = demo_user("learner@demo.test")
    if Bookmark.objects.filter(user=learner).exists():
        return
    lesson = Lesson.objects.filter(course__number=1).order_by("order").last()
    entry = LibraryEntry.objects.published().order_by("published_at").first()
    topic = Topic.objects.visible_to(learner).order_by("pk").first()
    for target in (lesson, entry, topic):
        if target is not None:
            field = {Lesson: "lesson", LibraryEntry: "library_entry", Topic: "topic"}[type(target)]
            Bookmark.objects.create(user=learner, **{field: target})
    stdout.write(f"Saved for later: {Bookmark.objects.filter(user=learner).count()} items.")

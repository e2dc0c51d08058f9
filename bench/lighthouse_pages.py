"""The pages bench/lighthouse.py audits, found in the demo content (`seed_demo`), and a session
of the demo learner to see them with.

    DJANGO_SETTINGS_MODULE=config.bench_settings DATABASE_URL=... python bench/lighthouse_pages.py

Prints one JSON line: {"cookie": "sessionid=...", "pages": [[name, path], ...]}. To audit a new
page, add one line to PAGES: its name and how to find its path for the demo learner.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def pages() -> dict[str, Callable[[Any], str]]:
    from django.urls import reverse

    from forum.models import Topic
    from lessons.models import Lesson

    def lesson(learner: Any) -> str:
        found = Lesson.objects.filter(course__cohorts__enrollments__user=learner).order_by(
            "course__order", "order"
        )
        return found.first().get_absolute_url()  # type: ignore[union-attr]

    def lesson_pk(learner: Any) -> int:
        found = Lesson.objects.filter(course__cohorts__enrollments__user=learner).order_by(
            "course__order", "order"
        )
        return found.values_list("pk", flat=True)[0]

    def topic(learner: Any) -> str:
        # The demo's longest topic a learner may see: the forum page with the most to show.
        topic = Topic.objects.visible_to(learner).order_by("-post_count", "pk").first()
        return topic.get_absolute_url()  # type: ignore[union-attr]

    return {
        "home": lambda learner: reverse("home"),
        "dashboard": lambda learner: reverse("courses:dashboard"),
        "lesson": lesson,
        "forum_topic": topic,
        "groups": lambda learner: reverse("zoomgroups:index"),
        "library": lambda learner: reverse("qa:library"),
        "newsletter": lambda learner: reverse("newsletter:archive"),
        # Issue 24's new pages: the site search, a lesson's notes, the email settings, and the
        # CE transcript of the learner's first trimester.
        "search": lambda learner: reverse("search") + "?q=emotion",
        "notes": lambda learner: lesson(learner) + "notes/",
        "email_settings": lambda learner: reverse("accounts:email_settings"),
        "transcript": lambda learner: reverse(
            "ce:transcript",
            args=[Lesson.objects.get(pk=lesson_pk(learner)).course.slug],
        ),
    }


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.bench_settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from accounts.models import User

    learner = User.objects.get(email="learner@demo.test")
    client = Client()
    client.force_login(learner, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    wanted = sys.argv[1:] or list(pages())
    found = [(name, pages()[name](learner)) for name in wanted]
    print(json.dumps({"cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", "pages": found}))


if __name__ == "__main__":
    main()

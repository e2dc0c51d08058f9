import importlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Each app that has demo content provides `<app>/demo.py` with `seed(stdout)`; order matters.
DEMO_MODULES = [
    "accounts.demo",
    "courses.demo",
    "lessons.demo",
    "zoomgroups.demo",
    "qa.demo",
    "forum.demo",
    "newsletter.demo",
    "ce.demo",
    "bookmarks.demo",
]


class Command(BaseCommand):
    help = "Load demo content (idempotent: running it twice changes nothing). Development only."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with known passwords; it runs only with DEBUG on."
            )
        with transaction.atomic():
            for name in DEMO_MODULES:
                try:
                    module = importlib.import_module(name)
                except ModuleNotFoundError as exc:
                    if exc.name != name:
                        raise
                    continue
                module.seed(self.stdout)
        from accounts.demo import describe

        self.stdout.write(self.style.SUCCESS("Demo content is loaded. Sign in with:"))
        for line in describe():
            self.stdout.write(line)

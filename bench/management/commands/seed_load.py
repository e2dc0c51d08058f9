"""`manage.py seed_load --scale N`: synthetic data at the size a successful program reaches,
for the benchmarks (bench/run.py, bench/admin.py) and for looking at query plans. What it
makes, and how it keeps memory flat, is told in bench/loaddata/__init__.py.

Every account has an address at @load.example; `--reset` empties the program's tables only
when every account there is one of these, so it cannot wipe a real database.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from accounts.models import User
from bench.loaddata import content, enrolment, tables
from bench.loaddata.program import Load
from bench.loaddata.writing import peak_rss_mb
from courses.models import Course


class Command(BaseCommand):
    help = "Build deterministic synthetic data at scale (see bench/loaddata/__init__.py)."

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
            tables.reset()
            self.stdout.write("seed_load: load data removed.")
        elif Course.objects.exists() or User.objects.exists():
            raise CommandError(
                "The database has data already: use --reset (load data only) or --if-empty."
            )
        load = Load(scale=scale, seed=seed)
        with transaction.atomic():
            self.step("program", load.make_program)
            self.step("learners", load.make_learners)
            self.step("progress", load.make_progress)
            self.step("enrolment", lambda: self.enrolment(load))
            self.step("questions", lambda: content.make_questions(load))
            self.step("library", lambda: content.make_library(load))
            self.step("forum", lambda: content.make_forum(load))
            self.step("newsletter", lambda: content.make_newsletter(load))
        if connection.vendor == "postgresql":
            # VACUUM sets the visibility map, so that index-only scans need no heap visits;
            # it cannot run inside a transaction (a test), where statistics have to do.
            sql = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            self.step("vacuum", lambda: connection.cursor().execute(sql))
        self.stdout.write(tables.counts())
        self.stdout.write(
            f"seed_load: done in {time.monotonic() - started:.1f} s, peak RSS {peak_rss_mb()} MB"
        )

    @staticmethod
    def enrolment(load: Load) -> None:
        enrolment.make_holds(load)
        enrolment.make_waitlist(load)
        enrolment.make_aid_requests(load)

    def step(self, name: str, work: Callable[[], object]) -> None:
        started = time.monotonic()
        work()
        self.stdout.write(
            f"  {name:<11} {time.monotonic() - started:6.1f} s  (peak RSS {peak_rss_mb()} MB)"
        )

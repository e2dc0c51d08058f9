"""Sign in the benchmark's learner and list the pages to load, from the seeded database.

    DJANGO_SETTINGS_MODULE=config.bench_settings DATABASE_URL=... python bench/discover.py

Prints one JSON line: {"cookie": "sessionid=...", "pages": [[name, path], ...]}. The learner
is the one `seed_load` enrols in a current run of every trimester; the session is made by
Django's own `login()` (through the test client's `force_login`: load accounts have unusable
passwords). The pages are those of bench/pages.py.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.bench_settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from bench.pages import bench_learner, benchmark_pages

    learner = bench_learner()
    client = Client()
    client.force_login(learner, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    pages = benchmark_pages(learner)
    print(json.dumps({"cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", "pages": pages}))


if __name__ == "__main__":
    main()

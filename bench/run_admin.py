"""Time the admin pages the instructor and staff use (issue 23), server side, at scale 4.

    .venv/bin/python bench/run_admin.py                   # scale 4, 15 requests per page
    .venv/bin/python bench/run_admin.py --repeat 30 --only 'queue|question'
    .venv/bin/python bench/run_admin.py --scale 1 --database-url postgres://…/htw_bench_admin1

Builds (once, `seed_load --if-empty`) its own PostgreSQL database `htw_bench_admin`
(`BENCH_ADMIN_DATABASE_URL` or `--database-url` for another), then requests each page of
bench/admin_pages.py through Django's test client with the benchmark settings (DEBUG off,
each process's memory as cache), signed in as the load data's instructor (or staff, for the
reader list) in a session that passed a second factor: one warm-up request, then `--repeat`
timed requests. It prints the median and 90th percentile of the server time (the request
through middleware, view and template, as the WSGI handler runs it, without a network), the
median time spent in queries, and the queries per request; first a baseline, the admin's
JavaScript catalogue, to show how fast the machine serves anything at that moment.
Not named `admin.py`: the admin would import that module from the installed `bench` app
looking for registrations.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import bench_env, ensure_database, manage  # noqa: E402

STAFF_PAGES = {"subscribers", "subscribers_change"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="4")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="a regular expression on page names")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/htw_bench_admin"
        ),
    )
    args = parser.parse_args()

    ensure_database(args.database_url)
    env = bench_env(args.database_url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_load", "--scale", args.scale, "--if-empty")
    manage(env, "collectstatic", "--noinput", "-v0")
    os.environ.update(env)

    import django

    django.setup()
    from allauth.account.internal.flows.login import record_authentication
    from django.db import connection
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from accounts.models import User
    from bench.admin_pages import admin_pages
    from bench.loaddata.names import INSTRUCTOR_EMAIL, STAFF_EMAIL

    setup_test_environment()  # the test client needs it (and it keeps email in memory)

    def signed_in(email: str) -> Client:
        """A session that signed in with a password and an authenticator code."""
        user = User.objects.get(email=email)
        client = Client()
        client.force_login(user)
        request = RequestFactory().get("/")
        request.session = client.session
        record_authentication(request, user, "password", email=email)
        record_authentication(request, user, "mfa", type="totp")
        request.session.save()
        return client

    clients = {email: signed_in(email) for email in (INSTRUCTOR_EMAIL, STAFF_EMAIL)}
    pattern = re.compile(args.only) if args.only else None
    print(f"{'page':<24} {'median ms':>9} {'p90 ms':>7} {'db ms':>6} {'queries':>7}")
    # The admin's smallest page (its JavaScript catalogue: session, user, no query of ours):
    # how fast this machine serves anything through the admin right now.
    for name, url in [("baseline (jsi18n)", reverse("admin:jsi18n")), *admin_pages()]:
        if pattern and not pattern.search(name):
            continue
        client = clients[STAFF_EMAIL if name in STAFF_PAGES else INSTRUCTOR_EMAIL]
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        times, db = [], []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            db.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        times.sort()
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        print(
            f"{name:<24} {statistics.median(times):>9.1f} {p90:>7.1f} "
            f"{statistics.median(db):>6.1f} {len(ctx.captured_queries):>7}",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""Profile the benchmark's pages in-process: Python calls per request and where they go.

    .venv/bin/python bench/profile_pages.py                    # every page, scale-0.05 data
    .venv/bin/python bench/profile_pages.py --only dashboard --top 40
    .venv/bin/python bench/profile_pages.py --only topic_first --top 25 --sort tottime
    .venv/bin/python bench/profile_pages.py --redis-url redis://127.0.0.1:6379/13

Builds (once) a small load database `htw_prof` with `seed_load`, then requests each page of
bench/pages.py through Django's test client with the benchmark settings, as the load data's
learner: a warm-up request, then `--repeat` requests under cProfile. It prints the function
calls per request beside the baseline view's (a CPU measure that the machine's load does not
blur) and, with `--top`, the functions with the most cumulative time. Query counts do not grow
with the data (tests/test_page_budgets.py), so the small data set profiles the same code paths.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    BASELINE_PATH,
    bench_env,
    empty_redis,
    ensure_database,
    manage,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="0.05")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="a regular expression on page names")
    parser.add_argument("--top", type=int, default=0, help="print the N costliest functions")
    parser.add_argument(
        "--sort", default="cumulative", help="how --top orders them (pstats: tottime, ncalls…)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "PROFILE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/htw_prof"
        ),
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="cache in this Redis database (emptied first; not bench/run.py's, whose keys "
        "belong to another database: e.g. redis://127.0.0.1:6379/13), as in production; "
        "by default each process's memory, so the figures leave out the Redis client",
    )
    args = parser.parse_args()

    ensure_database(args.database_url)
    if args.redis_url:
        empty_redis(args.redis_url)
    env = bench_env(args.database_url, args.redis_url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_load", "--scale", args.scale, "--if-empty")
    manage(env, "collectstatic", "--noinput", "-v0")
    os.environ.update(env)

    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench.pages import bench_learner, benchmark_pages

    setup_test_environment()  # the test client needs it (and it keeps email in memory)
    learner = bench_learner()
    client = Client()
    client.force_login(learner)
    pages = [("baseline", BASELINE_PATH), *benchmark_pages(learner)]
    pattern = re.compile(args.only) if args.only else None
    baseline_calls = None
    print(f"{'page':<16} {'calls/request':>14} {'x baseline':>11}")
    for name, url in pages:
        if pattern and name != "baseline" and not pattern.search(name):
            continue
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.repeat):
            client.get(url)
        profiler.disable()
        stats = pstats.Stats(profiler)
        calls = stats.total_calls / args.repeat  # type: ignore[attr-defined]
        if baseline_calls is None:
            baseline_calls = calls
        print(f"{name:<16} {calls:>14,.0f} {baseline_calls / calls:>10.2f}x")
        if args.top and name != "baseline":
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()

"""Page benchmark: serve the site with gunicorn on PostgreSQL (DEBUG off, persistent
connections), sign in a learner, load each page with wrk, and compare with a baseline view.

    .venv/bin/python bench/run.py                     # seed scale 1 if needed, 10 s per run
    .venv/bin/python bench/run.py --duration 5 --connections 1 16
    .venv/bin/python bench/run.py --reseed            # rebuild the data first
    .venv/bin/python bench/run.py --cache local       # each worker's own memory, no Redis
    .venv/bin/python bench/run.py --connections 16 --duration 2 --slices 8
                                                      # each page in 8 slices of 2 s

Prints a table (req/s, p50, p95, p99 in ms, ratio to the baseline's throughput at the same
concurrency: the mean of the baseline runs just before and just after the page, as the
baseline is loaded between every two pages; with --slices, the median of the slices' ratios)
and writes bench/results/pages.json. Every page is first loaded for a second, unmeasured, so
that each worker has compiled its templates and opened its connection. Needs wrk (apt-get
install wrk) and a PostgreSQL server (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/htw_bench).

The cache is Redis, as in production (`REDIS_URL`; here BENCH_REDIS_URL, default database 14
of the local server, emptied at the start of each run so that every run starts cold), unless
`--cache local`. Celery tasks a page might start go to the same Redis, as in production; no
worker runs them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results"
BASELINE_PATH = "/bench/baseline/"


def bench_env(database_url: str, redis_url: str = "") -> dict[str, str]:
    """The benchmark's environment: production settings, DEBUG off; the cache in Redis when
    `redis_url` is given, else each process's local memory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REQUIRE_", "TEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.bench_settings",
        DEBUG="0",
        SECRET_KEY="benchmark-only-secret-key-0123456789abcdefghijklmnop",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="600",
        REDIS_URL=redis_url,
        EMAIL_URL="locmem://",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True)


def ensure_database(database_url: str) -> None:
    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(env: dict[str, str], scale: int, reseed: bool) -> dict | None:
    manage(env, "migrate", "--noinput", "-v0")
    args = ["seed_load", "--scale", str(scale)] + (["--reset"] if reseed else ["--if-empty"])
    started = time.monotonic()
    out = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
        stdout=subprocess.PIPE,
    ).stdout  # fmt: skip
    print(out, end="", flush=True)
    if "nothing to do" in out:
        return {"skipped": "the database had data already (--reseed rebuilds it)"}
    # seed_load prints its own peak RSS (ru_maxrss of RUSAGE_CHILDREN would include migrate).
    match = re.search(r"peak RSS ([\d.]+) MB", out.strip().splitlines()[-1])
    return {
        "seconds": round(time.monotonic() - started, 1),
        "peak_rss_mb": float(match.group(1)) if match else None,
    }


def empty_redis(url: str) -> None:
    """Empty the benchmark's own Redis database, so that a run starts with nothing cached."""
    import redis

    try:
        redis.Redis.from_url(url).flushdb()
    except redis.exceptions.ConnectionError as exc:
        raise SystemExit(f"Redis at {url} is not reachable ({exc}); or use --cache local") from exc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "sync", "--keep-alive", "5",
         "--log-level", "warning"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.bench_settings"},
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def worker_peak_rss_mb(master_pid: int) -> float:
    """The highest VmHWM (peak resident memory) among the gunicorn workers."""
    peak = 0
    for child in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            peak = max(peak, int(match.group(1)))
    return round(peak / 1024, 1)


def discover(env: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    """A learner's session cookie and the pages to load, read from the seeded database."""
    script = ROOT / "bench" / "discover.py"
    out = subprocess.run(
        [PYTHON, str(script)], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return data["cookie"], [tuple(p) for p in data["pages"]]


def run_wrk(url: str, cookie: str, connections: int, duration: int) -> dict:
    threads = min(2, connections)
    # wrk leaves a response slower than its timeout (2 s by default) out of the latency
    # figures and counts an error: with 10 s, slow pages are measured rather than hidden.
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency",
         "--timeout", "10s",
         "-s", str(ROOT / "bench" / "report.lua"), "-H", f"Cookie: {cookie}", url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    line = next(line for line in out.splitlines() if line.startswith("WRKJSON "))
    return json.loads(line[len("WRKJSON ") :])


def check_page(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/htw_bench"
        ),
    )
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument(
        "--reseed", action="store_true", help="drop the benchmark data and build it again"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 16, 32])
    parser.add_argument(
        "--slices",
        type=int,
        default=1,
        help="load each page this many times for --duration seconds, each between two "
        "baseline runs; its ratio is the median of theirs",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--only", help="regex: load only pages whose name matches")
    parser.add_argument(
        "--cache",
        choices=["redis", "local"],
        default="redis",
        help="Redis as in production (default), or each worker's local memory",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/run.py needs wrk: apt-get install -y wrk")

    redis_url = ""
    if args.cache == "redis":
        redis_url = args.redis_url
        empty_redis(redis_url)
    env = bench_env(args.database_url, redis_url)
    ensure_database(args.database_url)
    seed_stats = seed(env, args.scale, args.reseed)
    manage(env, "collectstatic", "--noinput", "-v0")
    cookie, pages = discover(env)
    pages = [("baseline", BASELINE_PATH), *pages]
    if args.only:
        pages = [p for p in pages if p[0] == "baseline" or re.search(args.only, p[0])]

    load_before = os.getloadavg()
    port = free_port()
    server = start_gunicorn(env, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        for name, path in pages:
            status = check_page(base + path, cookie)
            if status != 200:
                raise SystemExit(f"{name} ({path}) answered {status}; the benchmark needs 200")
        for _name, path in pages:  # warm-up, not recorded
            run_wrk(base + path, cookie, max(args.connections), 1)
        # The baseline is loaded before every page and once more at the end: other
        # processes' load drifts during a run (seen here: the baseline at 194 and 274 req/s
        # in one run), so each page is compared with the baseline runs just before and after
        # it, at the same concurrency.
        # With --slices N, each page is loaded N times for --duration seconds, each time
        # between two baseline slices: this machine's speed can halve for seconds at a time, and
        # a page's ratio is then the median of its slices' ratios (see `combine_slices`).
        sequence = [("baseline", BASELINE_PATH)]
        for page in pages[1:]:
            sequence += [page, ("baseline", BASELINE_PATH)] * args.slices
        for connections in args.connections:
            level = []
            for name, path in sequence:
                result = run_wrk(base + path, cookie, connections, args.duration)
                level.append({"page": name, "path": path, "connections": connections, **result})
                print(
                    f"{name:<22} c={connections:<3} {result['rps']:>8.1f} req/s  "
                    f"p50 {result['p50'] / 1000:>6.1f}  p95 {result['p95'] / 1000:>6.1f}  "
                    f"p99 {result['p99'] / 1000:>6.1f} ms  errors {result['errors']}",
                    flush=True,
                )
            baselines = [row["rps"] for row in level if row["page"] == "baseline"]
            mean_baseline = sum(baselines) / len(baselines)
            for i, row in enumerate(level):
                if row["page"] == "baseline":
                    nearby = mean_baseline
                else:
                    nearby = (level[i - 1]["rps"] + level[i + 1]["rps"]) / 2
                row["baseline_rps"] = round(nearby, 1)
                row["ratio"] = round(row["rps"] / nearby, 2) if nearby else 0.0
            rows += combine_slices(level)
        worker_rss = worker_peak_rss_mb(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    # Other processes on the machine take CPU from the server and from wrk: say how many.
    load = {
        "before": [round(x, 2) for x in load_before],
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    report = {
        "machine": {"cores": os.cpu_count(), "load_average_1_5_15_min": load},
        "settings": {
            "scale": args.scale,
            "duration": args.duration,
            "slices": args.slices,
            "workers": args.workers,
            "cache": args.cache,
        },
        "seed_load": seed_stats,
        "gunicorn_worker_peak_rss_mb": worker_rss,
        "results": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pages.json").write_text(json.dumps(report, indent=2))
    print_table(rows)
    print(f"\ncache: {args.cache}; gunicorn worker peak RSS: {worker_rss} MB")
    print(f"seed_load: {seed_stats}")
    print(f"load average (1, 5, 15 min) before: {load['before']}, after: {load['after']}")
    print(f"Written: {RESULTS / 'pages.json'}")


def combine_slices(level: list[dict]) -> list[dict]:
    """One row per page from its slices (each already compared with the baseline runs around
    it): the ratio and latencies are the median of the slices', req/s their mean. The
    baseline runs stay rows of their own; the slices are kept in the page's row."""
    combined: list[dict] = [row for row in level if row["page"] == "baseline"]
    pages = [row for row in level if row["page"] != "baseline"]
    for name in dict.fromkeys(row["page"] for row in pages):
        slices = [row for row in pages if row["page"] == name]
        if len(slices) == 1:
            combined.append(slices[0])
            continue
        row = dict(slices[0])
        row["rps"] = round(statistics.mean(s["rps"] for s in slices), 1)
        row["baseline_rps"] = round(statistics.mean(s["baseline_rps"] for s in slices), 1)
        for key in ("ratio", "p50", "p95", "p99"):
            row[key] = statistics.median(s[key] for s in slices)
        row["slices"] = [{k: s[k] for k in ("rps", "baseline_rps", "ratio", "p95")} for s in slices]
        combined.append(row)
    return combined


def print_table(rows: list[dict]) -> None:
    """Pages with their ratio to the baseline runs around them; the baseline as one row per
    concurrency (mean, and the range it drifted over)."""
    print("\n| page | conns | req/s | p50 ms | p95 ms | p99 ms | baseline req/s | × baseline |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for connections in sorted({r["connections"] for r in rows}):
        level = [r for r in rows if r["connections"] == connections]
        base = [r for r in level if r["page"] == "baseline"]
        rps = [r["rps"] for r in base]
        p95 = sorted(r["p95"] / 1000 for r in base)
        print(
            f"| baseline ({len(base)} runs) | {connections} | {sum(rps) / len(rps):.0f} "
            f"({min(rps):.0f}–{max(rps):.0f}) | | {p95[len(p95) // 2]:.1f} (median) | | | — |"
        )
        for r in level:
            if r["page"] != "baseline":
                print(
                    f"| {r['page']} | {connections} | {r['rps']:.0f} | {r['p50'] / 1000:.1f} | "
                    f"{r['p95'] / 1000:.1f} | {r['p99'] / 1000:.1f} | {r['baseline_rps']:.0f} | "
                    f"{r['ratio']:.2f} |"
                )


if __name__ == "__main__":
    main()

"""Lighthouse (mobile preset) on the main pages, as the demo learner sees them (issue 24, point 11).

    make lighthouse                                      # installs lighthouse@12.2.3, then this
    .venv/bin/python bench/lighthouse.py --lighthouse /tmp/node/node_modules/.bin/lighthouse
    .venv/bin/python bench/lighthouse.py --lighthouse ... --pages home lesson groups

Serves the site as in production (gunicorn, `config.bench_settings`, DEBUG off, WhiteNoise's
compressed static files) on its own PostgreSQL database `htw_lighthouse`
(LIGHTHOUSE_DATABASE_URL overrides it) filled with the demo content (`seed_demo`), signs in the
demo learner (bench/lighthouse_pages.py, which lists the pages: add a line there for a new
one), and runs Lighthouse's default mobile preset (a mid-range phone, simulated slow 4G) on
each page with Debian's Chromium (CHROME_PATH, default /usr/bin/chromium). Every host but
127.0.0.1 is unreachable for that browser (its host resolver maps them to nothing), so a page
that asks another site for something shows it as a failed request, never as a fast one.

Prints a table — performance and accessibility scores, the bytes transferred, and the page's
weight: its HTML, CSS and JS gzip-compressed (the budget is 40 KB; tests/test_page_weight.py
holds every main page to it) — and writes bench/results/lighthouse.json and each page's full
Lighthouse report (bench/results/lighthouse-<page>.json).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402  (the page benchmark's server and database helpers)
    PYTHON,
    RESULTS,
    bench_env,
    ensure_database,
    free_port,
    manage,
    start_gunicorn,
)

BLOCK_OUTSIDE = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
CHROME_FLAGS = f'--headless=new --no-sandbox --disable-gpu --host-resolver-rules="{BLOCK_OUTSIDE}"'
CODE_TYPES = {"Document", "Stylesheet", "Script"}
TABLE_BYTES = ("transferred_bytes", "code_transferred_bytes", "code_gzipped_bytes")


def discover(env: dict[str, str], names: list[str]) -> tuple[str, list[tuple[str, str]]]:
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "lighthouse_pages.py"), *names],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    data = json.loads(out.strip().splitlines()[-1])
    return data["cookie"], [tuple(p) for p in data["pages"]]


def run_lighthouse(
    lighthouse: str, url: str, cookie: str, chrome: str, report: Path
) -> dict[str, Any]:
    """Lighthouse's report; tried three times, as on a busy machine Chromium's trace is now
    and then lost (NO_NAVSTART) and Lighthouse gives up on the page."""
    for attempt in range(3):
        done = subprocess.run(
            [lighthouse, url, "--quiet", "--output=json", f"--output-path={report}",
             "--only-categories=performance,accessibility", f"--chrome-flags={CHROME_FLAGS}",
             f"--extra-headers={json.dumps({'Cookie': cookie})}"],
            env={**os.environ, "CHROME_PATH": chrome},
        )  # fmt: skip
        if done.returncode == 0:
            report_data: dict[str, Any] = json.loads(report.read_text())
            return report_data
        print(f"lighthouse failed on {url} (attempt {attempt + 1})", file=sys.stderr)
    raise SystemExit(f"lighthouse failed three times on {url}")


def gzipped_weight(base: str, cookie: str, requests: list[dict[str, Any]]) -> int:
    """The page's own HTML, CSS and JS, each gzip-compressed: what the budget counts."""
    total = 0
    for item in requests:
        if item.get("resourceType") not in CODE_TYPES or not item["url"].startswith(base):
            continue
        request = urllib.request.Request(item["url"], headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=30) as response:
            total += len(gzip.compress(response.read(), compresslevel=9, mtime=0))
    return total


def summary(name: str, path: str, report: dict[str, Any], weight: int) -> dict[str, Any]:
    audits = report["audits"]
    requests = audits["network-requests"]["details"]["items"]
    outside = [r["url"] for r in requests if not r["url"].startswith(("http://127.0.0.1", "data:"))]
    return {
        "page": name,
        "path": path,
        "performance": round(report["categories"]["performance"]["score"] * 100),
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        "transferred_bytes": round(audits["total-byte-weight"]["numericValue"]),
        "code_transferred_bytes": sum(
            r.get("transferSize", 0) for r in requests if r.get("resourceType") in CODE_TYPES
        ),
        "code_gzipped_bytes": weight,
        "requests": len(requests),
        "outside_requests": outside,
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        "| page | performance | accessibility | transferred (all) | HTML + CSS + JS transferred "
        "| HTML + CSS + JS gzipped | requests | outside requests |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        kb = {k: f"{r[k] / 1000:.1f} KB" for k in TABLE_BYTES}
        print(
            f"| {r['page']} | {r['performance']} | {r['accessibility']} "
            f"| {' | '.join(kb.values())} | {r['requests']} | {len(r['outside_requests'])} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--lighthouse",
        default=os.environ.get("LIGHTHOUSE", "lighthouse"),
        help="the lighthouse command (npm lighthouse@12.2.3)",
    )
    parser.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "LIGHTHOUSE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/htw_lighthouse"
        ),
    )
    parser.add_argument("--pages", nargs="*", default=[], help="page names (default: all)")
    args = parser.parse_args()

    env = bench_env(args.database_url)  # each worker's own memory cache; sessions in the database
    ensure_database(args.database_url)
    manage(env, "migrate", "--noinput", "-v0")
    # The demo content; seed_demo runs only with DEBUG on (it makes known passwords).
    subprocess.run(
        [PYTHON, "manage.py", "seed_demo"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"},
    )  # fmt: skip
    manage(env, "collectstatic", "--noinput", "-v0")
    cookie, pages = discover(env, args.pages)

    port = free_port()
    # Without the access log: its lines would bury the results.
    server = start_gunicorn({**env, "GUNICORN_CMD_ARGS": "--access-logfile /dev/null"}, port, 2)
    base = f"http://127.0.0.1:{port}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for _name, path in pages:  # warm-up: each worker compiles its templates first
            for _ in range(4):
                urllib.request.urlopen(
                    urllib.request.Request(base + path, headers={"Cookie": cookie}), timeout=60
                ).read()
        with tempfile.TemporaryDirectory() as tmp:
            for name, path in pages:
                report = run_lighthouse(
                    args.lighthouse, base + path, cookie, args.chrome, Path(tmp) / "report.json"
                )
                if report.get("runtimeError"):
                    raise SystemExit(f"{name}: {report['runtimeError']}")
                (RESULTS / f"lighthouse-{name}.json").write_text(json.dumps(report))
                requests = report["audits"]["network-requests"]["details"]["items"]
                rows.append(summary(name, path, report, gzipped_weight(base, cookie, requests)))
                print(json.dumps(rows[-1]), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    (RESULTS / "lighthouse.json").write_text(json.dumps(rows, indent=2))
    print_table(rows)


if __name__ == "__main__":
    main()

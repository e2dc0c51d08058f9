"""Newsletter sending benchmark: one TIFT issue to N confirmed readers through a local SMTP sink.

    .venv/bin/python bench/newsletter_send.py --subscribers 100000 --workers 2
    .venv/bin/python bench/newsletter_send.py --subscribers 5000 --batch-size 200

Uses its own PostgreSQL database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/htw_bench_newsletter), created and migrated if missing;
each run empties the newsletter tables first. The SMTP sink is aiosmtpd on 127.0.0.1 in a
separate process (so it does not share the sender's CPU core or GIL) and counts every message
per recipient. The sending runs in --workers processes, as a Celery worker with that
concurrency (prefork) runs it: `start_issue` snapshots the audience and fans out one
`send_batch` task per batch; here the "broker" is a multiprocessing queue in place of Redis,
and each worker process takes the next batch from it and runs `newsletter.sending.send_batch`
— the same code a Celery worker runs — on its own database and SMTP connection.

Prints messages per second (from the start of the send, snapshot included, to the last
message recorded), peak memory of a worker process (ru_maxrss), and duplicates seen by the
sink. Stops by itself after --max-seconds (default 900).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import signal
import socket
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/htw_bench_newsletter"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_sink(port: int, ready, stop, results) -> None:
    """The SMTP sink process: accept everything, count messages per recipient."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    counts: Counter[str] = Counter()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            for rcpt in envelope.rcpt_tos:
                counts[rcpt] += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put(
        {
            "cpu": usage.ru_utime + usage.ru_stime,
            "messages": sum(counts.values()),
            "recipients": len(counts),
            "duplicates": sum(n - 1 for n in counts.values() if n > 1),
        }
    )


def run_worker(batches) -> None:
    """One worker process: send the batches the queue hands out until it hands out None. A
    batch that reports a temporary failure is retried, as the Celery task's retry would."""
    from django.db import connections

    from newsletter import sending

    try:
        while (batch := batches.get()) is not None:
            for _ in range(5):
                if sending.send_batch(**batch).transient is None:
                    break
                time.sleep(1)
    finally:
        connections.close_all()


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--max-seconds", type=int, default=900)
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB
    port = free_port()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="bench-newsletter-not-secret",
        DEBUG="0",
        DATABASE_URL=database_url,
        EMAIL_URL=f"smtp://127.0.0.1:{port}?timeout=30",
        NEWSLETTER_BATCH_SIZE=str(args.batch_size),
        LOG_LEVEL="WARNING",
        REDIS_URL="",
        CELERY_BROKER_URL="",
    )
    sys.path.insert(0, str(ROOT))
    ensure_database(database_url)

    ready, stop, results = mp.Event(), mp.Event(), mp.Queue()
    sink = mp.Process(target=run_sink, args=(port, ready, stop, results), daemon=True)
    sink.start()
    if not ready.wait(20):
        print("The SMTP sink did not start", file=sys.stderr)
        return 1

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections
    from django.utils import timezone

    from newsletter import sending, tasks
    from newsletter.models import Delivery, Issue, Subscriber, new_subscriber_token

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE newsletter_delivery, newsletter_issue, newsletter_subscriber RESTART IDENTITY"
        )

    started = time.perf_counter()
    now = timezone.now()
    chunk = 5000
    for first in range(0, args.subscribers, chunk):
        Subscriber.objects.bulk_create(
            [
                Subscriber(
                    email=f"reader{n:07d}@bench.example",
                    status=Subscriber.Status.CONFIRMED,
                    token=new_subscriber_token(),
                    confirmed_at=now,
                )
                for n in range(first, min(first + chunk, args.subscribers))
            ]
        )
    print(f"Created {args.subscribers} confirmed readers in {time.perf_counter() - started:.1f} s")
    issue = Issue.objects.create(
        number=1,
        title="Benchmark issue",
        body="<p>" + "A paragraph of a typical issue, about how therapy works. " * 30 + "</p>",
        status=Issue.Status.SCHEDULED,
        scheduled_for=now,
    )

    def out_of_time(signum, frame):
        raise TimeoutError(f"stopped after {args.max_seconds} s")

    # The broker: fan_out's `send_batch.delay_on_commit(issue_id, first, last)` puts the batch
    # on this queue (the send runs in autocommit, where on_commit would run at once anyway).
    batches: mp.Queue = mp.Queue()
    tasks.send_batch.delay_on_commit = lambda issue_id, first_id, last_id: batches.put(
        {"issue_id": issue_id, "first_id": first_id, "last_id": last_id}
    )
    connections.close_all()  # each worker process opens its own
    workers = [mp.Process(target=run_worker, args=(batches,)) for _ in range(args.workers)]
    for worker in workers:
        worker.start()

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(args.max_seconds)
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    try:
        sending.start_issue(issue_id=issue.pk)
        for _ in workers:
            batches.put(None)
        for worker in workers:
            worker.join()
    except TimeoutError as exc:
        print(f"Benchmark {exc}; the figures below are partial")
        for worker in workers:
            worker.terminate()
            worker.join()
    elapsed = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, joined above
    sender_cpu = (
        (cpu1.ru_utime + cpu1.ru_stime)
        - (cpu0.ru_utime + cpu0.ru_stime)
        + children.ru_utime
        + children.ru_stime
    )
    signal.alarm(0)

    issue.refresh_from_db()
    sent = Delivery.objects.filter(issue=issue, status=Delivery.Status.SENT).count()
    stop.set()
    sink_counts = results.get(timeout=60)
    sink.join(timeout=30)
    peak_mb = children.ru_maxrss / 1024  # before the sink process ended
    snapshot = (issue.snapshot_done_at - issue.send_started_at).total_seconds()

    print(f"Database:            {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"Readers:             {args.subscribers}")
    print(
        f"Batch size:          {settings.NEWSLETTER_BATCH_SIZE}, {args.workers} worker "
        "processes, one SMTP connection per batch"
    )
    print(f"Snapshot:            {snapshot:.1f} s")
    print(f"Send time:           {elapsed:.1f} s (snapshot included)")
    print(f"Recorded sent:       {sent}   issue status: {issue.status}")
    print(f"Received by sink:    {sink_counts['messages']} to {sink_counts['recipients']} readers")
    print(f"Messages per second: {sent / elapsed:.0f}")
    print(f"Peak memory (RSS):   {peak_mb:.0f} MB (the largest worker process)")
    print(f"Duplicates:          {sink_counts['duplicates']}")
    per_message = 1000 / max(sent, 1)
    print(
        f"CPU per message:     sender {sender_cpu * per_message:.2f} ms, "
        f"SMTP sink {sink_counts['cpu'] * per_message:.2f} ms"
    )
    print(f"Load average:        {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
    ok = sink_counts["duplicates"] == 0 and sink_counts["messages"] == args.subscribers
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

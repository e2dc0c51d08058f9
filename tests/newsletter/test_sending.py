"""Sending an issue: the audience snapshot, batches, retries, crashes and recovery."""

import datetime as dt
import smtplib
from collections import Counter

import pytest
import time_machine
from django.core import mail as django_mail
from django.utils import timezone

from newsletter import sending, subscriptions, tasks
from newsletter.models import Delivery, Issue, Subscriber

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: not an Exception, so no handler of ours catches it."""


class FakeClock:
    """Stands in for the `time` module in newsletter.sending: a monotonic clock we move."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def due_issue(make_issue):
    return make_issue(
        7,
        title="Silence & what it says",
        status=Issue.Status.SCHEDULED,
        scheduled_for=timezone.now() - dt.timedelta(minutes=1),
    )


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Tasks are enqueued on commit; run them (inline) as a committed request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def recipients(outbox) -> Counter:
    return Counter(address for message in outbox for address in message.to)


def test_due_issue_goes_to_every_confirmed_reader_once(
    run_tasks, due_issue, make_reader, mailoutbox
):
    readers = [make_reader(f"r{n}@example.com") for n in range(5)]

    with run_tasks():
        assert tasks.send_due_issues.delay().get() == [due_issue.pk]

    assert recipients(mailoutbox) == Counter({r.email: 1 for r in readers})
    due_issue.refresh_from_db()
    assert due_issue.status == "sent"
    assert (due_issue.recipients_total, due_issue.sent_count, due_issue.failed_count) == (5, 5, 0)
    assert mailoutbox[0].subject == "TIFT #7: Silence & what it says"


def test_every_issue_email_has_unsubscribe_headers_both_parts_and_no_pixel(
    run_tasks, due_issue, make_reader, mailoutbox
):
    reader = make_reader("r@example.com")

    with run_tasks():
        sending.send_due_issues()

    message = mailoutbox[0]
    one_click = f"http://127.0.0.1:8000/newsletter/unsubscribe/{reader.token}/one-click/"
    assert message.extra_headers["List-Unsubscribe"] == (
        f"<{one_click}>, <mailto:hello@howtherapyworks.example?subject=unsubscribe>"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html, content_type = message.alternatives[0]
    assert content_type == "text/html"
    visible = f"http://127.0.0.1:8000/newsletter/unsubscribe/{reader.token}/"
    assert visible in message.body
    assert f'href="{visible}"' in html
    assert "Body of issue 7" in message.body and "(https://example.com/x)" in message.body
    assert "<img" not in html
    assert sending.UNSUBSCRIBE_PLACEHOLDER not in html + message.body


def test_pending_unsubscribed_and_bounced_readers_get_nothing(
    run_tasks, due_issue, make_reader, mailoutbox
):
    make_reader("yes@example.com")
    for status in ("pending", "unsubscribed", "bounced"):
        make_reader(f"{status}@example.com", status=status)

    with run_tasks():
        sending.send_due_issues()

    assert recipients(mailoutbox) == Counter({"yes@example.com": 1})
    assert Delivery.objects.count() == 1


def test_reader_who_unsubscribes_after_the_snapshot_is_skipped(
    run_tasks, due_issue, make_reader, mailoutbox
):
    stays, leaves = make_reader("stays@example.com"), make_reader("leaves@example.com")
    Issue.objects.filter(pk=due_issue.pk).update(status=Issue.Status.SENDING)
    sending.snapshot_audience(issue_id=due_issue.pk)

    subscriptions.unsubscribe(subscriber=leaves)
    with run_tasks():
        sending.fan_out(issue_id=due_issue.pk)

    assert recipients(mailoutbox) == Counter({stays.email: 1})
    assert Delivery.objects.get(subscriber=leaves).status == "skipped"
    due_issue.refresh_from_db()
    assert (due_issue.status, due_issue.sent_count) == ("sent", 1)


def test_scheduling_the_same_issue_twice_sends_it_once(
    run_tasks, due_issue, make_reader, mailoutbox
):
    make_reader("a@example.com")
    make_reader("b@example.com")

    with run_tasks():
        first = sending.start_issue(issue_id=due_issue.pk)
    Issue.objects.filter(pk=due_issue.pk).update(status=Issue.Status.SCHEDULED)  # a re-schedule
    with run_tasks():
        second = sending.start_issue(issue_id=due_issue.pk)
    with run_tasks():
        sending.send_due_issues()
    with run_tasks():
        sending.fan_out(issue_id=due_issue.pk)  # duplicate batch tasks find nothing left to claim

    assert (first, second) == (True, True)
    assert recipients(mailoutbox) == Counter({"a@example.com": 1, "b@example.com": 1})
    assert Delivery.objects.count() == 2


def test_a_second_trigger_while_sending_does_not_start_again(
    run_tasks, due_issue, make_reader, mailoutbox
):
    make_reader("a@example.com")
    with run_tasks():
        sending.start_issue(issue_id=due_issue.pk)

    with run_tasks():
        assert sending.start_issue(issue_id=due_issue.pk) is False
    with run_tasks():
        assert tasks.start_issue.delay(due_issue.pk).get() is False
    assert len(mailoutbox) == 1


def test_an_issue_is_not_sent_before_its_time(make_issue, make_reader, mailoutbox):
    make_reader("a@example.com")
    make_issue(
        1, status=Issue.Status.SCHEDULED, scheduled_for=timezone.now() + dt.timedelta(hours=1)
    )
    make_issue(2, status=Issue.Status.DRAFT, scheduled_for=timezone.now() - dt.timedelta(hours=1))

    assert sending.send_due_issues() == []
    assert mailoutbox == []


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_only_the_message_in_flight(
    run_tasks, due_issue, make_reader, mailoutbox, settings, monkeypatch
):
    settings.NEWSLETTER_BATCH_SIZE = 4
    readers = [make_reader(f"r{n:02}@example.com") for n in range(12)]
    real_mark_sent = sending.mark_sent
    recorded = []

    def dies_before_recording_the_sixth(*, delivery_id: int, claim: str) -> bool:
        if len(recorded) == 5:  # the server took message 6; the worker dies before recording it
            raise WorkerKilled
        recorded.append(delivery_id)
        return real_mark_sent(delivery_id=delivery_id, claim=claim)

    monkeypatch.setattr(sending, "mark_sent", dies_before_recording_the_sixth)
    with pytest.raises(WorkerKilled), run_tasks():
        sending.send_due_issues()
    monkeypatch.setattr(sending, "mark_sent", real_mark_sent)
    assert len(mailoutbox) == 6  # batch 1, then two of batch 2: one recorded, one in flight
    in_flight = mailoutbox[5].to[0]
    counts = sending.delivery_counts(due_issue.pk)
    assert (counts["sent"], counts["sending"], counts["queued"]) == (5, 3, 4)

    with run_tasks():
        sending.recover_stalled()  # too early: the claims are not stale yet
    assert len(mailoutbox) == 6
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)), run_tasks():
        sending.recover_stalled()

    got = recipients(mailoutbox)
    assert set(got) == {r.email for r in readers}  # no loss
    assert got - Counter({r.email: 1 for r in readers}) == Counter({in_flight: 1})
    due_issue.refresh_from_db()
    assert (due_issue.status, due_issue.sent_count) == ("sent", 12)


def _on_send(monkeypatch, hooks: dict):
    """Run hooks[n] while the locmem backend sends message n (1-based), then send it."""
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages
    sent = []

    def send_messages(self, messages):
        sent.append(1)
        if len(sent) in hooks:
            hooks[len(sent)]()
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)


def test_a_batch_presumed_dead_stops_at_its_next_write_after_the_message_in_flight(
    run_tasks, due_issue, make_reader, mailoutbox, monkeypatch
):
    """A worker stuck past NEWSLETTER_STALE_MINUTES (say, a very slow SMTP server) wakes up to
    find the sweep gave its rows away: it must not go on sending them."""
    readers = [make_reader(f"r{n:02}@example.com") for n in range(6)]
    later = timezone.now() + dt.timedelta(minutes=16)
    _on_send(monkeypatch, {3: lambda: sending.recover_stalled(now=later)})

    with run_tasks():
        sending.send_due_issues()

    got = recipients(mailoutbox)
    assert got - Counter({r.email: 1 for r in readers}) == Counter({"r02@example.com": 1})
    due_issue.refresh_from_db()
    assert (due_issue.status, due_issue.sent_count) == ("sent", 6)


def test_a_batch_that_finds_its_rows_gone_when_renewing_its_claim_sends_nothing_more(
    run_tasks, due_issue, make_reader, mailoutbox, monkeypatch
):
    readers = [make_reader(f"r{n:02}@example.com") for n in range(6)]
    clock = FakeClock()
    monkeypatch.setattr(sending, "time", clock)
    real_mark_sent = sending.mark_sent

    def swept_after_the_second(*, delivery_id: int, claim: str) -> bool:
        recorded = real_mark_sent(delivery_id=delivery_id, claim=claim)
        if Delivery.objects.filter(status="sent").count() == 2:
            sending.recover_stalled(now=timezone.now() + dt.timedelta(minutes=16))
            clock.now += 100  # past the renewal interval (a tenth of NEWSLETTER_STALE_MINUTES)
        return recorded

    monkeypatch.setattr(sending, "mark_sent", swept_after_the_second)
    with run_tasks():
        sending.send_due_issues()

    assert recipients(mailoutbox) == Counter({r.email: 1 for r in readers})


def test_a_long_batch_renews_its_claim_so_the_sweep_leaves_it_alone(
    run_tasks, due_issue, make_reader, mailoutbox, monkeypatch
):
    readers = [make_reader(f"r{n:02}@example.com") for n in range(6)]
    clock = FakeClock()
    monkeypatch.setattr(sending, "time", clock)
    swept = []

    def twenty_minutes_pass() -> None:
        Delivery.objects.filter(status="sending").update(
            claimed_at=timezone.now() - dt.timedelta(minutes=20)
        )
        clock.now += 20 * 60

    _on_send(
        monkeypatch,
        {3: twenty_minutes_pass, 4: lambda: swept.append(sending.recover_stalled())},
    )
    with run_tasks():
        sending.send_due_issues()

    assert swept == [0]  # before message 4 the batch renewed its claim: nothing was stale
    assert recipients(mailoutbox) == Counter({r.email: 1 for r in readers})


def test_an_issue_whose_snapshot_was_interrupted_is_resumed(
    run_tasks, due_issue, make_reader, mailoutbox
):
    make_reader("a@example.com")
    Issue.objects.filter(pk=due_issue.pk).update(
        status=Issue.Status.SENDING, send_started_at=timezone.now()
    )

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)), run_tasks():
        sending.recover_stalled()

    assert recipients(mailoutbox) == Counter({"a@example.com": 1})


def test_a_temporary_failure_is_retried_and_sends_once(
    run_tasks, due_issue, make_reader, mailoutbox, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    make_reader("a@example.com")
    make_reader("b@example.com")
    real = EmailBackend.send_messages
    calls = []

    def flaky(self, messages):
        calls.append(1)
        if len(calls) == 2:
            raise smtplib.SMTPServerDisconnected("connection dropped")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    with run_tasks():
        sending.send_due_issues()

    assert recipients(mailoutbox) == Counter({"a@example.com": 1, "b@example.com": 1})
    assert sorted(Delivery.objects.values_list("attempts", flat=True)) == [1, 2]
    due_issue.refresh_from_db()
    assert due_issue.status == "sent"


def test_a_permanent_refusal_marks_the_reader_bounced_without_retrying(
    run_tasks, due_issue, make_reader, mailoutbox, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    make_reader("good@example.com")
    bad = make_reader("bad@example.com")
    real = EmailBackend.send_messages
    attempts = []

    def refuses_bad(self, messages):
        if messages[0].to == [bad.email]:
            attempts.append(1)
            raise smtplib.SMTPRecipientsRefused({bad.email: (550, b"no such user")})
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuses_bad)
    with run_tasks():
        sending.send_due_issues()

    assert attempts == [1]
    assert recipients(mailoutbox) == Counter({"good@example.com": 1})
    assert Delivery.objects.get(subscriber=bad).status == "bounced"
    bad.refresh_from_db()
    assert bad.status == "bounced"
    due_issue.refresh_from_db()
    assert (due_issue.status, due_issue.sent_count, due_issue.failed_count) == ("sent", 1, 1)


def test_a_temporary_failure_that_never_clears_ends_as_failed(
    run_tasks, due_issue, make_reader, mailoutbox, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    make_reader("a@example.com")

    def always_busy(self, messages):
        raise smtplib.SMTPResponseException(451, b"try again later")

    monkeypatch.setattr(EmailBackend, "send_messages", always_busy)
    with run_tasks():
        sending.send_due_issues()

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", sending.MAX_ATTEMPTS)
    assert Issue.objects.get().status == "sent"


@time_machine.travel(dt.datetime(2027, 3, 3, 12, 0, tzinfo=dt.UTC), tick=False)  # a Wednesday
def test_default_send_time_without_issues_is_the_next_configured_slot(settings):
    settings.NEWSLETTER_SEND_WEEKDAY = 1  # Tuesday
    settings.NEWSLETTER_SEND_HOUR = 9
    settings.PROGRAM_TIME_ZONE = "America/New_York"

    slot = Issue.default_send_time()

    assert slot == dt.datetime(2027, 3, 9, 14, 0, tzinfo=dt.UTC)  # 09:00 EST


@time_machine.travel(dt.datetime(2027, 3, 3, 12, 0, tzinfo=dt.UTC), tick=False)
def test_default_send_time_is_two_weeks_after_the_last_issue(settings, make_issue):
    settings.NEWSLETTER_SEND_WEEKDAY = 1
    settings.NEWSLETTER_SEND_HOUR = 9
    settings.PROGRAM_TIME_ZONE = "America/New_York"
    make_issue(1, status=Issue.Status.SENT, sent_at=dt.datetime(2027, 3, 2, 14, 5, tzinfo=dt.UTC))

    slot = Issue.default_send_time()

    assert slot == dt.datetime(2027, 3, 16, 13, 0, tzinfo=dt.UTC)  # 09:00 EDT after the change


def test_beat_runs_the_due_check_and_the_recovery_sweep():
    from config.celery import app

    tasks_by_name = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"newsletter.tasks.send_due_issues", "newsletter.tasks.recover_stalled_sends"} <= (
        tasks_by_name
    )


def test_a_staff_test_send_is_marked_as_a_test(
    make_issue, mailoutbox, django_capture_on_commit_callbacks
):
    issue = make_issue(3)
    with django_capture_on_commit_callbacks(execute=True):
        sending.send_test_issue(issue=issue, to="staff@example.com")

    assert mailoutbox[0].subject == "[Test] TIFT #3: Issue 3"
    assert Delivery.objects.count() == 0


def test_subscriber_count_in_the_snapshot_matches_the_confirmed_audience(due_issue, make_reader):
    for n in range(7):
        make_reader(f"r{n}@example.com")
    Issue.objects.filter(pk=due_issue.pk).update(status=Issue.Status.SENDING)

    assert sending.snapshot_audience(issue_id=due_issue.pk) == 7
    assert sending.snapshot_audience(issue_id=due_issue.pk) == 7
    assert Subscriber.objects.confirmed().count() == 7
    assert django_mail.outbox == []

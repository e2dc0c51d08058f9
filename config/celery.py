"""The Celery app. Tasks live in each app's tasks.py; the whole beat schedule is here."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config", include=["lib.health"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def inline_broker(sender: Celery, **kwargs: object) -> None:
    """Without CELERY_BROKER_URL tasks run inline (settings: CELERY_TASK_ALWAYS_EAGER), yet
    Celery still takes a producer for them: give it kombu's in-process transport, not the
    default AMQP on localhost it would warn about ("No hostname was supplied")."""
    if not sender.conf.broker_url:
        sender.conf.broker_url = "memory://localhost/"


@worker_init.connect
def use_task_timeouts(**kwargs: object) -> None:
    """A worker's database connections wait longer than a web request's (DB_TASK_*): sent
    before the pool starts, so every pool process and thread inherits it."""
    from lib import database

    database.use_task_timeouts()


# Every periodic job of the site, in one place. Each entry names a task by its dotted path.
app.conf.beat_schedule = {}
app.conf.beat_schedule["health-heartbeat"] = {
    "task": "lib.health.record_heartbeat",
    "schedule": crontab(minute="*"),  # /healthz: workers degraded when it stops; the mail server
    "options": {"expires": 50},  # the backlog of a stopped worker is not worth running
}
app.conf.beat_schedule["outbox-deliver-due"] = {
    "task": "outbox.tasks.deliver_due",
    "schedule": crontab(minute="*"),  # email the broker could not take, retries after failures
}
app.conf.beat_schedule["outbox-purge"] = {
    "task": "outbox.tasks.purge",
    "schedule": crontab(hour=3, minute=40),  # sent and failed messages past their keeping time
}
app.conf.beat_schedule["courses-sweep-enrolment"] = {
    "task": "courses.tasks.sweep_enrolment",
    "schedule": crontab(minute="*/5"),  # lapsed seat holds and offers pass to the next person
}
app.conf.beat_schedule["courses-stripe-reconcile"] = {
    "task": "courses.tasks.reconcile_stripe",
    "schedule": crontab(hour=4, minute=20),  # what missed webhooks did not tell us
}
app.conf.beat_schedule["qa-daily-digest"] = {
    "task": "qa.tasks.send_question_digest",
    "schedule": crontab(hour=12, minute=0),  # 07:00 / 08:00 in the program's time zone
}
app.conf.beat_schedule["zoomgroups-reminders"] = {
    "task": "zoomgroups.tasks.send_due_reminders",
    "schedule": crontab(minute="*/5"),  # 24-hour and 1-hour reminders; each sent once
}
app.conf.beat_schedule["zoomgroups-purge-zoom-events"] = {
    "task": "zoomgroups.tasks.purge_zoom_events",
    "schedule": crontab(hour=3, minute=50),  # handled Zoom webhook events after 90 days
}
app.conf.beat_schedule["newsletter-send-due-issues"] = {
    "task": "newsletter.tasks.send_due_issues",
    "schedule": crontab(minute="*"),  # a scheduled TIFT issue starts within a minute
}
app.conf.beat_schedule["newsletter-recover-stalled-sends"] = {
    "task": "newsletter.tasks.recover_stalled_sends",
    "schedule": crontab(minute="*"),  # re-queue batches a killed worker left behind
}
app.conf.beat_schedule["forum-daily-digest"] = {
    "task": "forum.tasks.send_daily_digests",
    "schedule": crontab(hour=11, minute=30),  # 06:30 / 07:30 in the program's time zone
}
app.conf.beat_schedule["accounts-purge-expired-payment-records"] = {
    "task": "accounts.tasks.purge_expired_payment_records",
    "schedule": crontab(day_of_month=1, hour=3, minute=15),  # closed accounts, after 7 years
}
app.conf.beat_schedule["ce-purge-expired-certificates"] = {
    "task": "ce.tasks.purge_expired_certificates",
    "schedule": crontab(day_of_month=1, hour=3, minute=25),  # deleted accounts', after 6 years
}
app.conf.beat_schedule["contact-purge-old-messages"] = {
    "task": "contact.tasks.purge_old_messages",
    "schedule": crontab(hour=3, minute=55),  # contact-form messages past CONTACT_RETENTION_DAYS
}

__all__ = ["app", "crontab"]

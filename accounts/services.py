"""A learner's own data: download all of it as JSON, or delete the account.

Deleting an account erases what is personal and keeps only what must be kept:
- erased: the profile, email addresses, private questions (with their answers and follow-ups),
  lesson progress, Friday-group RSVPs and attendance, forum subscriptions, read state, forum
  handle and circle memberships, reports the learner filed, waitlist and financial-aid
  requests, the TIFT newsletter subscription and offers' names and addresses;
- kept: payment records (enrolments and checkout holds: what was paid, when, for which run,
  the Stripe reference) for PAYMENT_RECORD_YEARS years, as tax law requires, attached to an
  anonymous, deactivated account that can never sign in again; a monthly task
  (`purge_expired_payment_records`) then deletes them;
- forum posts: kept under the name "Former member", or erased, as the learner chooses.

`DELETION_PLAN` says, for every model that points to a user, which of these happens; a test
fails when a new model points to a user without an entry here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User, new_feed_token
from ce import privacy as ce_privacy
from outbox.services import forget_address, messages_to, queue_email, queue_task

# How long payment records are kept after an account is deleted (US federal and most state
# tax rules ask for up to seven years; EU member states for six to ten). Shown on the pages.
PAYMENT_RECORD_YEARS = 7
FORMER_MEMBER = "Former member"
CLOSED_ACCOUNT_DOMAIN = "deleted.invalid"  # a closed account's address: deleted-<id>@…
# The longest window any rate-limit counter (keyed by IP address or account) is kept for; the
# privacy page states it, and a test checks every `ratelimit.allow(... period=...)` against it.
LONGEST_RATE_LIMIT_SECONDS = 3600

# "app_label.Model.field" (a foreign key to the user) → what deleting the account does to it.
DELETION_PLAN: dict[str, str] = {
    "account.EmailAddress.user": "erased",
    "mfa.Authenticator.user": "erased",
    "admin.LogEntry.user": "kept: staff actions in the admin (learners have none)",
    "audit.AuditEvent.actor": "kept: the audit log records staff actions, not learners'",
    "courses.Enrollment.user": "kept: payment record, access ended",
    "courses.SeatHold.user": "kept: payment record, an active hold is released",
    "courses.WaitlistEntry.user": "erased",
    "courses.FinancialAidRequest.user": "erased",
    "courses.Offer.accepted_by": "kept: anonymised (part of the payment record)",
    "lessons.Progress.user": "erased",
    "zoomgroups.RSVP.user": "erased",
    "zoomgroups.Attendance.user": "erased",
    "zoomgroups.ReminderSent.user": "erased",
    "zoomgroups.AttendanceCorrection.user": "erased",
    "zoomgroups.ZoomRegistrant.user": "erased, and cancelled in Zoom",
    "qa.Question.asker": "erased, with the answer and follow-ups",
    "qa.Answer.author": "kept: instructors' answers to other people",
    "qa.Reply.author": "erased with the learner's questions",
    "forum.CircleMembership.user": "erased",
    "forum.Topic.author": "kept as a former member's, or erased by choice",
    "forum.Topic.last_poster": "kept: a counter, recomputed when posts are erased",
    "forum.Post.author": "kept as a former member's, or erased by choice",
    "forum.Post.hidden_by": "kept: staff moderation",
    "forum.Subscription.user": "erased",
    "forum.ReadState.user": "erased",
    "forum.ForumProfile.user": "erased",
    "forum.Report.reporter": "erased",
    "forum.Report.resolved_by": "kept: staff moderation",
    # Continuing education: ce/privacy.py says what and why.
    **ce_privacy.DELETION_PLAN,
}


class AccountDeletionError(Exception):
    pass


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value else None


def export_user_data(*, user: User) -> dict[str, Any]:
    """Everything the site keeps about `user`, as JSON-ready data. No secrets (feed tokens,
    passwords, authenticator keys) and nothing about other people beyond what the learner
    saw on their own pages (the instructor's sent answers)."""
    from allauth.account.models import EmailAddress

    from courses.models import Enrollment, FinancialAidRequest, WaitlistEntry
    from forum.models import CircleMembership, ForumProfile, Post, Report, Subscription
    from lessons.models import Progress
    from newsletter.models import Subscriber
    from qa.models import Question
    from zoomgroups.models import RSVP, Attendance

    email = user.email.lower()
    questions = (
        Question.objects.filter(asker=user)
        .select_related("course", "lesson", "answer")
        .prefetch_related("replies")
        .order_by("created_at")
    )
    forum_profile = ForumProfile.objects.filter(user=user).first()
    return {
        "format": "How Therapy Works personal data export, version 1",
        "exported_at": _iso(timezone.now()),
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "credentials": user.credentials,
            "time_zone": user.time_zone,
            "bio": user.bio,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "email_addresses": [
                {"email": a.email, "verified": a.verified, "primary": a.primary}
                for a in EmailAddress.objects.filter(user=user).order_by("email")
            ],
        },
        "enrolments": [
            {
                "course": e.cohort.course.title,
                "trimester_run": e.cohort.name,
                "status": e.status,
                "how": e.get_source_display(),
                "amount_paid": e.amount_paid_cents / 100,
                "currency": e.currency,
                "stripe_payment": e.stripe_payment_intent,
                "enrolled_at": _iso(e.created_at),
                "access_ended_at": _iso(e.ended_at),
            }
            for e in Enrollment.objects.filter(user=user).select_related("cohort__course")
        ],
        "lesson_progress": [
            {
                "course": p.lesson.course.title,
                "lesson": p.lesson.title,
                "chapter_done_at": _iso(p.chapter_done_at),
                "video_done_at": _iso(p.video_done_at),
                "podcast_done_at": _iso(p.podcast_done_at),
                "completed_at": _iso(p.completed_at),
                "last_seen_at": _iso(p.last_seen_at),
            }
            for p in Progress.objects.filter(user=user)
            .select_related("lesson__course")
            .order_by("lesson__course__order", "lesson__order")
        ],
        "questions": [_export_question(q) for q in questions],
        "continuing_education": ce_privacy.export(user),
        "friday_groups": {
            "rsvps": [
                {
                    "session": str(r.session),
                    "starts_at": _iso(r.session.starts_at),
                    "response": r.response,
                }
                for r in RSVP.objects.filter(user=user).select_related("session__cohort__course")
            ],
            "attended": [
                {"session": str(a.session), "starts_at": _iso(a.session.starts_at)}
                for a in Attendance.objects.filter(user=user).select_related(
                    "session__cohort__course"
                )
            ],
        },
        "forum": {
            "handle": forum_profile.handle if forum_profile else None,
            "email_mode": forum_profile.email_mode if forum_profile else None,
            "posts": [
                {
                    "topic": p.topic.title,
                    "category": p.topic.category.name,
                    "opens_topic": p.pk == p.topic.first_post_id,
                    "body": p.body,
                    "format": p.format,
                    "created_at": _iso(p.created_at),
                    "edited_at": _iso(p.edited_at),
                    "deleted": p.is_deleted,
                    "hidden_by_staff": p.is_hidden,
                }
                for p in Post.objects.filter(author=user).select_related("topic__category")
            ],
            "following": [
                s.topic.title
                for s in Subscription.objects.filter(user=user).select_related("topic")
            ],
            "circles": [
                m.category.name
                for m in CircleMembership.objects.filter(user=user).select_related("category")
            ],
            "reports_filed": [
                {
                    "post": r.post_id,
                    "reason": r.reason,
                    "details": r.details,
                    "status": r.status,
                    "created_at": _iso(r.created_at),
                }
                for r in Report.objects.filter(reporter=user)
            ],
        },
        "newsletter": [
            {
                "email": s.email,
                "name": s.name,
                "status": s.status,
                "subscribed_at": _iso(s.created_at),
                "confirmed_at": _iso(s.confirmed_at),
                "unsubscribed_at": _iso(s.unsubscribed_at),
                "provider_report": s.feedback,
                "provider_report_at": _iso(s.feedback_at),
            }
            for s in Subscriber.objects.filter(email=email)
        ],
        "waitlist": [
            {
                "course": w.course.title,
                "trimester_run": w.cohort.name if w.cohort else None,
                "name": w.name,
                "email": w.email,
                "message": w.message,
                "status": w.status,
                "created_at": _iso(w.created_at),
            }
            for w in WaitlistEntry.objects.filter(Q(user=user) | Q(email__iexact=email))
            .select_related("course", "cohort")
            .order_by("created_at")
        ],
        "financial_aid_requests": [
            {
                "course": a.course.title,
                "name": a.name,
                "email": a.email,
                "could_pay": a.can_pay,
                "message": a.message,
                "status": a.status,
                "created_at": _iso(a.created_at),
            }
            for a in FinancialAidRequest.objects.filter(Q(user=user) | Q(email__iexact=email))
            .select_related("course")
            .order_by("created_at")
        ],
        # Our record of the emails sent (or waiting) to them: which, when, whether it went.
        "emails": [
            {
                "email": m.name,
                "status": m.status,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.done_at),
            }
            for m in messages_to(email)
            if m.kind != m.Kind.TASK
        ],
    }


def _export_question(question: Any) -> dict[str, Any]:
    answer = getattr(question, "answer", None)
    sent = answer is not None and answer.is_sent
    return {
        "title": question.title,
        "text": question.text,
        "course": question.course.title if question.course else None,
        "lesson": question.lesson.title if question.lesson else None,
        "consent_to_publish": question.consent_to_publish,
        "status": question.status,
        "asked_at": _iso(question.created_at),
        # A draft the instructor has not sent yet is theirs, not the learner's.
        "answer": {
            "text_html": answer.text,
            "video_url": answer.video_url,
            "sent_at": _iso(answer.sent_at),
        }
        if sent and answer is not None
        else None,
        "follow_ups": [
            {
                "from": "instructor" if r.from_instructor else "you",
                "text": r.text,
                "at": _iso(r.created_at),
            }
            for r in question.replies.all()
        ],
    }


def may_delete_account(user: User) -> bool:
    """Staff and instructor accounts are closed by a superuser in the admin, not from here:
    their answers, moderation and admin history belong to the program."""
    return not (user.is_staff or user.is_superuser)


@transaction.atomic
def delete_account(*, user: User, keep_forum_posts: bool) -> None:
    """Erase `user`'s personal data, keep payment records, and close the account for good.

    The user row stays, anonymised and inactive, because payment records and kept forum posts
    point to it; nothing in it identifies the person any more.
    """
    from allauth.account.models import EmailAddress

    from courses import tasks as course_tasks
    from courses.models import Enrollment, FinancialAidRequest, Offer, SeatHold, WaitlistEntry
    from courses.services import release_hold, withdraw_offer
    from newsletter.models import Subscriber
    from zoomgroups import zoom_sync

    if not may_delete_account(user):
        raise AccountDeletionError("Staff accounts are closed by an administrator.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise AccountDeletionError("This account is already closed.")
    email = user.email.lower()
    name = user.get_short_name()
    now = timezone.now()

    _erase_forum(user, keep_posts=keep_forum_posts)
    ce_privacy.erase(user)
    user.questions.all().delete()
    user.lesson_progress.all().delete()
    user.group_rsvps.all().delete()
    user.group_attendances.all().delete()
    user.group_reminders.all().delete()
    user.attendance_corrections.all().delete()
    zoom_sync.forget_registrations(user_id=user.pk)

    for hold_id in SeatHold.objects.filter(user=user, state=SeatHold.State.ACTIVE).values_list(
        "pk", flat=True
    ):
        release_hold(hold_id=hold_id)
    offers = Offer.objects.filter(Q(accepted_by=user) | Q(email__iexact=email))
    for offer_id in offers.filter(status=Offer.Status.PENDING).values_list("pk", flat=True):
        withdraw_offer(offer_id=offer_id)
    anonymous_email = f"deleted-{user.pk}@{CLOSED_ACCOUNT_DOMAIN}"
    offers.update(name=FORMER_MEMBER, email=anonymous_email)
    WaitlistEntry.objects.filter(Q(user=user) | Q(email__iexact=email)).delete()
    FinancialAidRequest.objects.filter(Q(user=user) | Q(email__iexact=email)).delete()
    Subscriber.objects.filter(email=email).delete()

    ending = Enrollment.objects.filter(user=user, status__in=Enrollment.ACCESS_STATUSES)
    cohort_ids = set(ending.values_list("cohort_id", flat=True))
    ending.update(status=Enrollment.Status.CANCELLED, ended_at=now)
    for cohort_id in cohort_ids:
        queue_task(course_tasks.offer_free_seats, cohort_id=cohort_id)

    EmailAddress.objects.filter(user=user).delete()
    if apps.is_installed("allauth.mfa"):
        apps.get_model("mfa", "Authenticator").objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()
    user.email = anonymous_email
    user.display_name = FORMER_MEMBER
    user.credentials = ""
    user.bio = ""
    user.time_zone = "UTC"
    user.is_active = False
    user.last_login = None
    user.feed_token = new_feed_token()
    user.set_unusable_password()  # also ends every other session (the auth hash changes)
    user.save()

    # Including what the steps above queued for them (an offer withdrawn, a seat released).
    forget_address(email=email)
    queue_email(
        "account_deleted",
        [email],
        {
            "name": name,
            "kept_forum_posts": keep_forum_posts,
            "payment_record_years": PAYMENT_RECORD_YEARS,
        },
    )


def _erase_forum(user: User, *, keep_posts: bool) -> None:
    from forum.models import CircleMembership, ForumProfile, Report, Subscription
    from forum.services import delete_post, refresh_topic_stats

    Subscription.objects.filter(user=user).delete()
    user.forum_read_states.all().delete()
    CircleMembership.objects.filter(user=user).delete()
    Report.objects.filter(reporter=user).delete()
    ForumProfile.objects.filter(user=user).delete()
    if keep_posts:
        return
    for topic in user.forum_topics.all():
        if not topic.posts.exclude(author=user).exists():
            topic.delete()
        else:
            topic.title = "A topic by a former member"
            topic.save(update_fields=["title"])
    touched = set()
    for post in user.forum_posts.select_related("topic"):
        delete_post(post=post)
        touched.add(post.topic)
    for topic in touched:
        refresh_topic_stats(topic)


def purge_expired_payment_records(*, now: dt.datetime | None = None) -> int:
    """Delete the payment records of closed accounts made more than PAYMENT_RECORD_YEARS ago:
    enrolments, checkout holds and the offers they accepted. Run monthly by beat; returns how
    many enrolments went. Open accounts keep their history (it is their own, and exported)."""
    from courses.models import Enrollment, Offer, SeatHold

    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=round(365.25 * PAYMENT_RECORD_YEARS))
    closed = User.objects.filter(
        is_active=False, email__endswith=f"@{CLOSED_ACCOUNT_DOMAIN}"
    ).values("pk")
    with transaction.atomic():
        SeatHold.objects.filter(user__in=closed, created_at__lt=cutoff).delete()
        Offer.objects.filter(
            email__endswith=f"@{CLOSED_ACCOUNT_DOMAIN}", created_at__lt=cutoff
        ).delete()
        deleted, _ = Enrollment.objects.filter(user__in=closed, created_at__lt=cutoff).delete()
    return deleted

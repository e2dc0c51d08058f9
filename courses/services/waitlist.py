"""The waitlist and the offers of a free seat made from it: joining, leaving, offering in
order or by hand, expiry, withdrawal, and taking up a free place."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.notifications import optional_email
from courses.models import Cohort, Course, Enrollment, FinancialAidRequest, Offer, WaitlistEntry
from courses.services.seats import (
    EnrolmentError,
    SeatUnavailable,
    _free_seats,
    _grant_seat,
    _has_access,
    _lock_cohort,
    _lock_course,
    _offers_in_trimester,
    _pass_on,
    _seat_changed,
    money,
    offer_duration,
    site_link,
)
from outbox.services import queue_email

logger = logging.getLogger(__name__)


def _next_position(course: Course) -> int:
    """The end of the course's line; call with the course row locked (`_lock_course`), or two
    people joining at once read the same end."""
    top = WaitlistEntry.objects.filter(course=course).aggregate(top=Max("position"))["top"]
    return (top or 0) + 1


@transaction.atomic
def join_waitlist(
    *,
    course: Course,
    cohort: Cohort | None,
    name: str,
    email: str,
    message: str = "",
    user: User | None = None,
) -> bool:
    """Add a person to the waitlist. True when they were added (and a confirmation is sent)."""
    email = email.strip().lower()
    _lock_course(course.pk)
    entry = (
        WaitlistEntry.objects.select_for_update()
        .filter(course=course, cohort=cohort, email=email)
        .first()
    )
    if entry is not None:
        if entry.status not in {WaitlistEntry.Status.LAPSED, WaitlistEntry.Status.REMOVED}:
            return False
        entry.status = WaitlistEntry.Status.WAITING
        entry.position = _next_position(course)
        entry.name, entry.message = name, message
        entry.save()
    else:
        try:
            with transaction.atomic():
                entry = WaitlistEntry.objects.create(
                    course=course,
                    cohort=cohort,
                    name=name,
                    email=email,
                    message=message,
                    user=user if user and user.is_authenticated else None,
                    position=_next_position(course),
                )
        except IntegrityError:
            return False
    optional = optional_email("waitlist_news", email=email)
    if optional is not None:
        off, headers = optional
        context = {
            "name": name,
            "course_title": course.title,
            "cohort_name": cohort.name if cohort else "",
            "leave_link": site_link(entry.get_leave_url()),
        }
        queue_email("waitlist_joined", [email], {**context, **off}, headers)
    if cohort is not None:
        _seat_changed(cohort.pk)
    return True


def _send_offer_email(offer: Offer, cohort: Cohort) -> None:
    queue_email(
        "offer_made",
        [offer.email],
        {
            "name": offer.name,
            "course_title": cohort.course.title,
            "cohort_name": cohort.name,
            "price": money(offer.price_cents, offer.currency) if offer.price_cents else "",
            "free": offer.is_free,
            "aid": offer.aid_request_id is not None,
            "expires_at": offer.expires_at.strftime("%A %-d %B %Y, %H:%M UTC"),
            "link": site_link(offer.get_absolute_url()),
            "leave_link": (
                site_link(offer.waitlist_entry.get_leave_url()) if offer.waitlist_entry else ""
            ),
        },
    )


def create_offer(
    cohort: Cohort,
    *,
    name: str,
    email: str,
    price_cents: int,
    now: dt.datetime,
    entry: WaitlistEntry | None = None,
    aid_request: FinancialAidRequest | None = None,
) -> Offer:
    """Offer a seat of `cohort` (the caller holds the run's lock and counted the seat)."""
    offer = Offer.objects.create(
        cohort=cohort,
        waitlist_entry=entry,
        aid_request=aid_request,
        name=name,
        email=email,
        price_cents=price_cents,
        currency=cohort.currency,
        expires_at=now + offer_duration(),
        created_at=now,
    )
    if entry is not None:
        entry.status = WaitlistEntry.Status.OFFERED
        entry.save(update_fields=["status"])
    _send_offer_email(offer, cohort)
    return offer


def _lists_of(cohort: Cohort) -> Q:
    """The waitlists `cohort`'s seats are offered from: its own, and its course's next run."""
    return Q(cohort=cohort) | Q(cohort__isnull=True, course_id=cohort.course_id)


def _waiting_for(cohort: Cohort) -> QuerySet[WaitlistEntry]:
    """Who is next for a seat in `cohort`, in order. A person who already holds an offer in
    any run of the trimester (from their other place in line, or for financial aid) waits:
    two offers to one person would hold a seat nobody else can take."""
    holds_an_offer = Exists(
        _offers_in_trimester(cohort.course_id, OuterRef("email")).filter(
            status__in=Offer.LIVE_STATUSES
        )
    )
    return (
        WaitlistEntry.objects.filter(_lists_of(cohort), status=WaitlistEntry.Status.WAITING)
        .exclude(holds_an_offer)
        .order_by("position", "created_at", "pk")
    )


@transaction.atomic
def offer_free_seats(*, cohort_id: int, now: dt.datetime | None = None) -> list[Offer]:
    """Offer every free seat of an open cohort to the waitlist, in order."""
    now = now or timezone.now()
    cohort = _lock_cohort(cohort_id)
    if not cohort.is_open_for_enrolment(now):
        return []
    _lock_course(cohort.course_id)
    offers = []
    free = _free_seats(cohort, now)
    while free > 0:
        entry = _waiting_for(cohort).select_for_update().first()
        if entry is None:
            break
        if (
            Enrollment.objects.filter(cohort=cohort, user__email__iexact=entry.email)
            .granting_access()
            .exists()
        ):
            entry.status = WaitlistEntry.Status.ENROLLED
            entry.save(update_fields=["status"])
            continue
        offers.append(
            create_offer(
                cohort,
                name=entry.name,
                email=entry.email,
                price_cents=cohort.price_cents,
                now=now,
                entry=entry,
            )
        )
        free -= 1
    return offers


@transaction.atomic
def offer_seat_by_hand(*, entry_id: int, cohort_id: int | None = None) -> Offer:
    """Staff offer a seat to one waitlist entry now, out of turn."""
    now = timezone.now()
    entry = WaitlistEntry.objects.get(pk=entry_id)
    target = cohort_id or entry.cohort_id
    if target is None:
        target = (
            Cohort.objects.filter(course_id=entry.course_id, status=Cohort.Status.OPEN)
            .order_by("starts_on")
            .values_list("pk", flat=True)
            .first()
        )
    if target is None:
        raise EnrolmentError(f"No open run of {entry.course.title} to offer a seat in.")
    cohort = _lock_cohort(target)
    _lock_course(cohort.course_id)
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
    if entry.status in {WaitlistEntry.Status.OFFERED, WaitlistEntry.Status.ENROLLED}:
        raise EnrolmentError(f"{entry.name} already has an offer or a seat.")
    live = _offers_in_trimester(cohort.course_id, entry.email).filter(
        status__in=Offer.LIVE_STATUSES
    )
    if live.exists():
        raise EnrolmentError(f"{entry.name} already has an offer for {cohort.course.title}.")
    if _free_seats(cohort, now) <= 0:
        raise SeatUnavailable(f"{cohort} has no free seat. Raise its seat cap first.")
    return create_offer(
        cohort,
        name=entry.name,
        email=entry.email,
        price_cents=cohort.price_cents,
        now=now,
        entry=entry,
    )


def expire_offer(offer: Offer) -> None:
    """The offer's time is up: its seat passes on, and the person is told."""
    offer.status = Offer.Status.EXPIRED
    offer.save(update_fields=["status"])
    cohort = Cohort.objects.select_related("course").get(pk=offer.cohort_id)
    if offer.waitlist_entry_id:
        WaitlistEntry.objects.filter(
            pk=offer.waitlist_entry_id, status=WaitlistEntry.Status.OFFERED
        ).update(status=WaitlistEntry.Status.LAPSED)
        # Nor is the run offered to them again from their other place in line.
        WaitlistEntry.objects.filter(
            _lists_of(cohort), email__iexact=offer.email, status=WaitlistEntry.Status.WAITING
        ).update(status=WaitlistEntry.Status.LAPSED)
    aid = offer.aid_request_id is not None
    again = "courses:aid_request" if aid else "courses:waitlist"
    optional = optional_email("waitlist_news", email=offer.email)
    if optional is not None:
        off, headers = optional
        context = {
            "name": offer.name,
            "course_title": cohort.course.title,
            "cohort_name": cohort.name,
            "aid": aid,
            "link": site_link(reverse(again, args=[cohort.course.slug])),
        }
        queue_email("offer_lapsed", [offer.email], {**context, **off}, headers)


def mark_offer_accepted(offer: Offer, user: User, now: dt.datetime) -> None:
    """The offer became an enrolment (under the run's lock, with the enrolment)."""
    offer.status = Offer.Status.ACCEPTED
    offer.accepted_by = user
    offer.accepted_at = now
    offer.save(update_fields=["status", "accepted_by", "accepted_at"])
    if offer.waitlist_entry_id:
        WaitlistEntry.objects.filter(pk=offer.waitlist_entry_id).update(
            status=WaitlistEntry.Status.ENROLLED
        )


def _withdraw(offer: Offer, cohort: Cohort) -> None:
    """Take back an offer in `cohort`: its seat goes to the next person at once, and the
    person leaves the lists it came from, so that seat is not offered to them again."""
    WaitlistEntry.objects.filter(
        _lists_of(cohort), email__iexact=offer.email, status__in=WaitlistEntry.ON_THE_LIST
    ).update(status=WaitlistEntry.Status.REMOVED)
    _pass_on(offer)


@transaction.atomic
def withdraw_offer(*, offer_id: int) -> bool:
    """Staff take back a pending offer (see `_withdraw`)."""
    cohort_id = Offer.objects.values_list("cohort_id", flat=True).get(pk=offer_id)
    cohort = _lock_cohort(cohort_id)
    offer = Offer.objects.select_for_update().get(pk=offer_id)
    if offer.status != Offer.Status.PENDING:
        return False
    _withdraw(offer, cohort)
    return True


@transaction.atomic
def leave_waitlist(*, entry_id: int) -> bool:
    """The person takes themselves off one waitlist (by their link: no account needed). An
    offer made to them from it is withdrawn (`_withdraw`). False if they were not on it."""
    course_id = WaitlistEntry.objects.values_list("course_id", flat=True).get(pk=entry_id)
    # Its offer may be in any run of the course: lock them all (in id order), then the offer,
    # then the entry, as everywhere (see the top).
    runs = {
        run.pk: run
        for run in Cohort.objects.select_for_update().filter(course_id=course_id).order_by("pk")
    }
    offers = list(
        Offer.objects.select_for_update().filter(
            waitlist_entry_id=entry_id, cohort_id__in=list(runs), status__in=Offer.LIVE_STATUSES
        )
    )
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
    if not entry.is_on_the_list:
        return False
    for offer in offers:
        _withdraw(offer, runs[offer.cohort_id])
    entry.status = WaitlistEntry.Status.REMOVED
    entry.save(update_fields=["status"])
    course = Course.objects.get(pk=course_id)
    optional = optional_email("waitlist_news", email=entry.email)
    if optional is not None:
        off, headers = optional
        context = {
            "name": entry.name,
            "course_title": course.title,
            "cohort_name": entry.cohort.name if entry.cohort else "",
            "link": site_link(reverse("courses:waitlist", args=[course.slug])),
        }
        queue_email("waitlist_left", [entry.email], {**context, **off}, headers)
    return True


@transaction.atomic
def accept_free_offer(*, offer: Offer, user: User, now: dt.datetime | None = None) -> Enrollment:
    now = now or timezone.now()
    cohort = _lock_cohort(offer.cohort_id)
    _lock_course(cohort.course_id)  # before the offer: the lock order (see the top)
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if not offer.is_for(user):
        raise EnrolmentError("This offer was made to someone else.")
    if not offer.is_open(now) or not offer.is_free:
        raise EnrolmentError("This offer is no longer open.")
    if _has_access(user.pk, cohort):
        raise EnrolmentError("You are already enrolled in this run.")
    enrollment = _grant_seat(
        cohort=cohort,
        user=user,
        status=Enrollment.Status.COMPED,
        source=Enrollment.Source.OFFER,
        taking_up=offer,
    )
    mark_offer_accepted(offer, user, now)
    return enrollment

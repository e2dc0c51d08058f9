"""The enrolment side of the load: seat holds behind the enrolments, the waitlist, the
offers sent from it, and financial aid requests, at the ratios of `names.AT_SCALE_1`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from bench.loaddata.names import DOMAIN, FIRST_NAMES, THEMES
from bench.loaddata.program import Load
from bench.loaddata.writing import batched, create
from courses.models import Cohort, FinancialAidRequest, Offer, SeatHold, WaitlistEntry

PRICE = 120000


def make_holds(load: Load) -> None:
    """A converted hold behind every paid enrolment (its Stripe checkout), an abandoned one
    for one learner in ten, and a few checkouts in progress in the open runs."""

    def holds() -> Iterator[SeatHold]:
        others = load.cohorts
        current = load.current_cohorts()
        for i, user_id in enumerate(load.learner_ids):
            started = load.now - dt.timedelta(days=1 + (i * 37) % 1200)
            for cohort in load.cohorts_of(i):
                yield SeatHold(
                    cohort=cohort,
                    user_id=user_id,
                    state=SeatHold.State.CONVERTED,
                    expires_at=started + dt.timedelta(minutes=40),
                    checkout_expires_at=started + dt.timedelta(minutes=30),
                    amount_cents=PRICE,
                    stripe_session_id=f"cs_load_{i}_{cohort.pk}",
                    created_at=started,
                )
            if i % 10 == 5:
                cohort = others[(i + 1) % len(others)]
                yield SeatHold(
                    cohort=cohort,
                    user_id=user_id,
                    state=SeatHold.State.EXPIRED if i % 20 == 5 else SeatHold.State.RELEASED,
                    expires_at=started + dt.timedelta(minutes=40),
                    amount_cents=PRICE,
                    stripe_session_id=f"cs_load_{i}_{cohort.pk}_abandoned",
                    created_at=started,
                )
            if i % 500 == 250:
                cohort = current[(i // 500) % len(current)]
                yield SeatHold(
                    cohort=cohort,
                    user_id=user_id,
                    state=SeatHold.State.ACTIVE,
                    expires_at=load.now + dt.timedelta(minutes=20),
                    checkout_expires_at=load.now + dt.timedelta(minutes=10),
                    amount_cents=PRICE,
                    stripe_session_id=f"cs_load_{i}_{cohort.pk}_open",
                    created_at=load.now - dt.timedelta(minutes=10),
                )

    create(SeatHold, holds())


def person(prefix: str, k: int) -> tuple[str, str]:
    name = f"{FIRST_NAMES[k % len(FIRST_NAMES)]} {chr(65 + (k * 7) % 26)}."
    return name, f"{prefix}{k:05d}@{DOMAIN}"


def make_waitlist(load: Load) -> None:
    """Three in five entries are for past runs (half of them enrolled from an offer, a
    quarter let the offer lapse, a quarter left), a quarter wait for an open run (one in
    eight of those holds an offer now), the rest wait for a trimester's next run. An offer
    went to everyone who enrolled, lapsed or holds one."""
    n = load.sizes["waitlist"]
    past = [c for c in load.cohorts if c.status != Cohort.Status.OPEN]
    current = load.current_cohorts()
    statuses = [WaitlistEntry.Status.ENROLLED] * 2 + [
        WaitlistEntry.Status.LAPSED,
        WaitlistEntry.Status.REMOVED,
    ]

    def entries() -> Iterator[WaitlistEntry]:
        for k in range(n):
            name, email = person("waiting", k)
            share = k % 20
            cohort: Cohort | None
            if share < 12 and past:
                cohort = past[k % len(past)]
                status = statuses[k % len(statuses)]
                joined = dt.datetime.combine(cohort.starts_on, dt.time(9), tzinfo=dt.UTC)
                joined -= dt.timedelta(days=5 + k % 40)
            elif share < 17:
                cohort = current[k % len(current)]
                offered = k % 8 == 0
                status = WaitlistEntry.Status.OFFERED if offered else WaitlistEntry.Status.WAITING
                joined = load.now - dt.timedelta(hours=1 + k % 900)
            else:
                cohort = None
                status = WaitlistEntry.Status.WAITING
                joined = load.now - dt.timedelta(hours=1 + k % 2000)
            yield WaitlistEntry(
                course_id=(cohort.course_id if cohort else load.courses[k % 3].pk),
                cohort=cohort,
                name=name,
                email=email,
                message=load.paragraph(1) if k % 3 == 0 else "",
                status=status,
                position=k,
                created_at=joined,
            )

    for batch in batched(entries()):
        WaitlistEntry.objects.bulk_create(batch)
        Offer.objects.bulk_create(offer_for(load, entry) for entry in batch if offered(entry))


def offered(entry: WaitlistEntry) -> bool:
    return entry.status in (
        WaitlistEntry.Status.ENROLLED,
        WaitlistEntry.Status.LAPSED,
        WaitlistEntry.Status.OFFERED,
    )


def offer_for(load: Load, entry: WaitlistEntry) -> Offer:
    """Past offers were accepted or expired; a live one lapses within three days, some of
    them within the day (the admin's "about to lapse")."""
    assert entry.cohort is not None
    sent = entry.created_at + dt.timedelta(days=2)
    status = {
        WaitlistEntry.Status.ENROLLED: Offer.Status.ACCEPTED,
        WaitlistEntry.Status.LAPSED: Offer.Status.EXPIRED,
    }.get(entry.status, Offer.Status.PENDING)
    if status == Offer.Status.PENDING:
        sent = load.now - dt.timedelta(hours=1 + entry.pk % 60)
    return Offer(
        cohort=entry.cohort,
        waitlist_entry=entry,
        name=entry.name,
        email=entry.email,
        price_cents=PRICE,
        status=status,
        expires_at=sent + dt.timedelta(hours=72),
        accepted_at=sent + dt.timedelta(hours=5) if status == Offer.Status.ACCEPTED else None,
        created_at=sent,
    )


def make_aid_requests(load: Load) -> None:
    """Three in ten are new (for an open run), four in ten were granted (an offer at a
    reduced price or free, most accepted), three in ten declined."""
    n = load.sizes["aid_requests"]
    current = load.current_cohorts()
    current_ids = {c.pk for c in current}

    def requests() -> Iterator[FinancialAidRequest]:
        for k in range(n):
            name, email = person("aid", k)
            share = k % 10
            cohort = current[k % len(current)] if share < 3 else load.cohorts[k % len(load.cohorts)]
            if share < 3:
                status = FinancialAidRequest.Status.NEW
            elif share < 7:
                status = FinancialAidRequest.Status.GRANTED
            else:
                status = FinancialAidRequest.Status.DECLINED
            granted = status == FinancialAidRequest.Status.GRANTED
            yield FinancialAidRequest(
                course_id=cohort.course_id,
                cohort=cohort,
                name=name,
                email=email,
                can_pay=["Nothing for now", "About $300", "Half the price", ""][k % 4],
                message=f"I work in community mental health, mostly with {THEMES[k % 16]}. "
                + load.paragraph(2),
                status=status,
                granted_price_cents=(0 if k % 2 else PRICE // 2) if granted else None,
                created_at=load.now - dt.timedelta(hours=3 + k * 13 % 4000),
            )

    for batch in batched(requests()):
        FinancialAidRequest.objects.bulk_create(batch)
        Offer.objects.bulk_create(
            Offer(
                cohort_id=request.cohort_id,
                aid_request=request,
                name=request.name,
                email=request.email,
                price_cents=request.granted_price_cents or 0,
                status=Offer.Status.PENDING if live else Offer.Status.ACCEPTED,
                expires_at=(
                    load.now + dt.timedelta(hours=2 + request.pk % 40)
                    if live
                    else request.created_at + dt.timedelta(hours=96)
                ),
                created_at=(
                    load.now - dt.timedelta(hours=30)
                    if live
                    else request.created_at + dt.timedelta(days=1)
                ),
            )
            for request in batch
            if request.status == FinancialAidRequest.Status.GRANTED
            for live in [request.cohort_id in current_ids]
        )

"""The enrolment side of the admin index's "Needs attention" panel (templates/admin/
attention_index.html): seats and waitlist per open run, offers about to lapse."""

import datetime as dt

from django import template
from django.utils import timezone

from courses.models import Cohort, Offer

register = template.Library()

# An offer that lapses within this long is "about to lapse".
LAPSING_WITHIN = dt.timedelta(hours=24)


@register.simple_tag(takes_context=True)
def enrolment_attention(context) -> dict | None:
    """Open runs with their seats and waitlist, and pending offers lapsing within a day
    (two queries); None for those who may not view runs."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.has_perm("courses.view_cohort"):
        return None
    now = timezone.now()
    runs = list(
        Cohort.objects.filter(status=Cohort.Status.OPEN)
        .select_related("course")
        .with_seat_counts(now)
        .order_by("course__order", "starts_on")
    )
    for run in runs:
        run.seats_open = max(run.seat_cap - run.seats_taken - run.seats_held, 0)  # type: ignore[attr-defined]
    lapsing = Offer.objects.holding(now).filter(expires_at__lte=now + LAPSING_WITHIN).count()
    return {"runs": runs, "offers_lapsing": lapsing, "lapsing_hours": 24}

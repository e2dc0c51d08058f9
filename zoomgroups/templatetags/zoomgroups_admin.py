"""Today's Friday group for the admin index's "Needs attention" panel."""

import datetime as dt

from django import template
from django.utils import timezone

from zoomgroups.models import GroupSession, program_tz

register = template.Library()


@register.simple_tag(takes_context=True)
def friday_today(context) -> dict | None:
    """Today's sessions in the program's time zone (one query), with the date parts of the
    list's date filter; None for those who may not view sessions."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.has_perm("zoomgroups.view_groupsession"):
        return None
    today = timezone.now().astimezone(program_tz()).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=program_tz())
    sessions = list(
        GroupSession.objects.filter(
            starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1)
        )
        .select_related("cohort__course")
        .order_by("starts_at")
    )
    return {"sessions": sessions, "day": today}

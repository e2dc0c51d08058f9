"""Template tags of enrolment partials:

- `{% enrol_cta cohort course as cta %}`: what the enrol call to action should offer.
- `{% my_waitlist as entries %}`: the signed-in person's places on waitlists, for the profile.
"""

from typing import Any

from django import template
from django.urls import reverse

from courses import payments
from courses.models import Cohort, Course, WaitlistEntry, access_grants

register = template.Library()


@register.simple_tag(takes_context=True)
def enrol_cta(
    context: template.Context, cohort: Cohort | None, course: Course | None
) -> dict[str, Any]:
    """One of: enrolled, enrol, no_payment, by_staff, full, closed, none (no run)."""
    course = course or (cohort.course if cohort else None)
    user = context.get("user")
    result: dict[str, Any] = {"course": course, "cohort": cohort, "state": "none"}
    if course is not None:
        result["waitlist_url"] = reverse("courses:waitlist", args=[course.slug])
        result["aid_url"] = reverse("courses:aid_request", args=[course.slug])
    if cohort is None or cohort.status == Cohort.Status.DRAFT:
        return result
    if cohort.pk in access_grants(user):
        result["state"] = "enrolled"
        result["enrolled_url"] = reverse("courses:enrolled", args=[cohort.pk])
        return result
    if not cohort.is_open_for_enrolment():
        result["state"] = "closed"
        return result
    result["seats_free"] = cohort.seats_free
    if result["seats_free"] <= 0:
        result["state"] = "full"
        result["waitlist_url"] = reverse("courses:waitlist", args=[cohort.course.slug, cohort.slug])
    elif cohort.price_cents == 0:
        result["state"] = "by_staff"
    elif not payments.is_enabled():
        result["state"] = "no_payment"
    else:
        result["state"] = "enrol"
        result["enrol_url"] = reverse("courses:enrol", args=[cohort.pk])
    return result


@register.simple_tag(takes_context=True)
def my_waitlist(context: template.Context) -> list[WaitlistEntry]:
    """The waitlists the signed-in person is on, by their account's (verified) email."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return []
    return list(
        WaitlistEntry.objects.filter(
            email__iexact=user.email, status__in=WaitlistEntry.ON_THE_LIST
        ).select_related("course", "cohort")
    )

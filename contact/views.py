"""The contact form, its thanks page and the coaching-and-mentoring page."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from contact import services
from contact.forms import HONEYPOT, ContactForm
from contact.models import ContactMessage
from courses.models import Course
from courses.services import join_waitlist
from lib import ratelimit

# An hour's messages per client address, and per email address (so that one address cannot
# flood staff from many connections): README, "Rate limits".
LIMIT_PER_ADDRESS = 5
LIMIT_PER_EMAIL = 3


def _initial(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    if request.user.is_authenticated:
        initial.update(name=request.user.get_full_name(), email=request.user.email)
    topic = request.GET.get("topic", "")
    if topic in ContactMessage.Topic.values:
        initial["topic"] = topic
    course_slug = request.GET.get("course", "")
    if course_slug:
        initial["course"] = (
            Course.objects.filter(slug=course_slug).values_list("pk", flat=True).first()
        )
    return initial


def _within_limits(request: HttpRequest, form: ContactForm) -> bool:
    """Count this message; add the error that says why it was refused, if it was."""
    # The address only as a digest: the cache holds no one's email address.
    email = hashlib.sha256(form.cleaned_data["email"].strip().lower().encode()).hexdigest()
    address = ratelimit.client_network(request)
    if not ratelimit.allow(f"contact:{address}", limit=LIMIT_PER_ADDRESS, period=3600):
        form.add_error(
            None,
            "You have sent several messages from this connection in the last hour. Please try "
            f"again in an hour, or write to {settings.CONTACT_EMAIL}.",
        )
        return False
    if not ratelimit.allow(f"contact-email:{email}", limit=LIMIT_PER_EMAIL, period=3600):
        form.add_error(
            "email",
            "We have several messages from this address in the last hour. Please wait for our "
            "answer, or try again in an hour.",
        )
        return False
    return True


@never_cache  # the form is filled in with a signed-in person's name and address
@sensitive_post_parameters("name", "email", "message", HONEYPOT)
def contact(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None, initial=_initial(request))
    if request.method == "POST" and form.is_valid():
        if form.is_bot:  # looks sent; nothing is stored or emailed
            return redirect("contact_thanks")
        if _within_limits(request, form):
            data = form.cleaned_data
            user = request.user if request.user.is_authenticated else None
            if data["topic"] == ContactMessage.Topic.WAITLIST:
                course: Course = data["course"]
                # The waitlist's own rules and emails: the next run of the chosen trimester.
                join_waitlist(
                    course=course,
                    cohort=None,
                    name=data["name"],
                    email=data["email"],
                    message=data["message"],
                    user=user,
                )
                return redirect("courses:waitlist_thanks", course_slug=course.slug)
            services.receive_message(
                name=data["name"],
                email=data["email"],
                topic=data["topic"],
                message=data["message"],
                user=user,
            )
            return redirect("contact_thanks")
    return render(
        request,
        "pages/contact.html",
        {
            "form": form,
            "honeypot": HONEYPOT,
            "contact_retention_days": settings.CONTACT_RETENTION_DAYS,
        },
    )


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/contact_thanks.html")


def coaching(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/coaching.html", {"topic": ContactMessage.Topic.COACHING})

"""Enrolment pages: enrol and pay, the waitlist, financial aid, offers, the Stripe webhook."""

import logging
from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from courses import payments, services
from courses.models import (
    Cohort,
    Course,
    Enrollment,
    FinancialAidRequest,
    Offer,
    SeatHold,
    WaitlistEntry,
    is_program_staff,
)
from lib import ratelimit

logger = logging.getLogger(__name__)


class WaitlistForm(forms.ModelForm[WaitlistEntry]):
    class Meta:
        model = WaitlistEntry
        fields = ["name", "email", "message"]
        labels = {"name": "Your name", "email": "Email", "message": "Message (optional)"}
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}


class AidForm(forms.ModelForm[FinancialAidRequest]):
    class Meta:
        model = FinancialAidRequest
        fields = ["name", "email", "can_pay", "message"]
        labels = {"name": "Your name", "email": "Email"}
        help_texts = {"message": "A few sentences are enough. Only staff read this."}
        widgets = {"message": forms.Textarea(attrs={"rows": 5})}


def visible_cohorts(user: object) -> QuerySet[Cohort]:
    """Cohorts a person may see on enrolment pages: drafts are staff-only."""
    cohorts = Cohort.objects.select_related("course")
    return cohorts if is_program_staff(user) else cohorts.exclude(status=Cohort.Status.DRAFT)


def course_link(course: Course) -> str:
    try:
        return reverse("courses:course", args=[course.slug])
    except NoReverseMatch:
        return reverse("courses:dashboard")


def _initial_for(request: HttpRequest) -> dict[str, str]:
    user = request.user
    if not user.is_authenticated:
        return {}
    return {"name": user.get_full_name(), "email": user.email}


def _allowed(request: HttpRequest, scope: str) -> bool:
    return ratelimit.allow(f"{scope}:{ratelimit.client_ip(request)}", limit=5, period=3600)


def enrol(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(visible_cohorts(request.user), pk=cohort_id)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        success = reverse("courses:enrol_success", args=[cohort.pk])
        try:
            url = services.start_checkout(
                cohort_id=cohort.pk,
                user=request.user,
                success_url=request.build_absolute_uri(success)
                + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=request.build_absolute_uri(
                    reverse("courses:enrol_cancelled", args=[cohort.pk])
                ),
            )
        except services.EnrolmentError as exc:
            messages.error(request, str(exc))
            return redirect("courses:enrol", cohort_id=cohort.pk)
        return HttpResponseRedirect(url)
    context = {
        "cohort": cohort,
        "course": cohort.course,
        "hold_minutes": int(services.hold_duration().total_seconds() // 60),
    }
    return render(request, "courses/enrol/enrol.html", context)


@never_cache
@login_required
def enrol_success(request: HttpRequest, cohort_id: int) -> HttpResponse:
    hold = get_object_or_404(
        SeatHold.objects.select_related("cohort__course"),
        cohort_id=cohort_id,
        user=request.user,
        stripe_session_id=request.GET.get("session_id") or "-",
    )
    result = None
    if hold.state not in services.SETTLED_HOLD_STATES:
        try:
            result = services.fulfil_from_success_page(hold=hold)
        except payments.PaymentError:
            logger.warning("Success page could not reach Stripe for hold %s", hold.pk)
        except services.EnrolmentBusy:
            pass  # the page refreshes itself and tries again
        hold.refresh_from_db()
    if (
        Enrollment.objects.for_user(request.user)
        .granting_access()
        .filter(cohort_id=cohort_id)
        .exists()
    ):
        return redirect("courses:enrolled", cohort_id=cohort_id)
    context = {
        "hold": hold,
        "cohort": hold.cohort,
        "refunded": hold.state
        in {SeatHold.State.REFUND_DUE, SeatHold.State.REFUNDED, SeatHold.State.UNREFUNDED},
        "not_kept": hold.state == SeatHold.State.CANCELLED,
        "ended": hold.state == SeatHold.State.CONVERTED,  # enrolled, then refunded or cancelled
        "result": result,
    }
    return render(request, "courses/enrol/processing.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol_cancelled(request: HttpRequest, cohort_id: int) -> HttpResponse:
    """Where Stripe sends someone who leaves checkout. The seat stays held until the hold
    lapses; only the page's button (a POST, with CSRF) gives it up sooner, so that a link
    elsewhere cannot cancel anyone's checkout."""
    cohort = get_object_or_404(visible_cohorts(request.user), pk=cohort_id)
    holds = SeatHold.objects.filter(
        cohort=cohort, user=cast(User, request.user), state=SeatHold.State.ACTIVE
    )
    if request.method == "POST":
        try:
            for hold_id in holds.values_list("pk", flat=True):
                services.release_hold(hold_id=hold_id)
        except services.EnrolmentBusy:
            messages.info(
                request,
                "Nothing was charged. Your seat is released by itself in a few minutes.",
            )
        else:
            messages.info(request, "Your seat is released, and nothing was charged.")
        return redirect(course_link(cohort.course))
    context = {
        "cohort": cohort,
        "course": cohort.course,
        "course_url": course_link(cohort.course),
        "hold": holds.holding().select_related("offer").first(),
    }
    return render(request, "courses/enrol/cancelled.html", context)


@never_cache
@login_required
def enrolled(request: HttpRequest, cohort_id: int) -> HttpResponse:
    enrollment = get_object_or_404(
        Enrollment.objects.for_user(request.user)
        .granting_access()
        .select_related("cohort__course"),
        cohort_id=cohort_id,
    )
    course = enrollment.cohort.course
    return render(
        request,
        "courses/enrol/enrolled.html",
        {
            "enrollment": enrollment,
            "cohort": enrollment.cohort,
            "course": course,
            "course_url": course_link(course),
        },
    )


def waitlist(request: HttpRequest, course_slug: str, cohort_slug: str = "") -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    cohort = (
        get_object_or_404(visible_cohorts(request.user), course=course, slug=cohort_slug)
        if cohort_slug
        else None
    )
    form = WaitlistForm(request.POST or None, initial=_initial_for(request))
    if request.method == "POST" and form.is_valid():
        if not _allowed(request, "waitlist"):
            form.add_error(None, "Too many requests from your connection. Try again later.")
        else:
            services.join_waitlist(
                course=course,
                cohort=cohort,
                user=request.user if request.user.is_authenticated else None,
                **form.cleaned_data,
            )
            return redirect("courses:waitlist_thanks", course_slug=course.slug)
    return render(
        request,
        "courses/enrol/waitlist.html",
        {
            "form": form,
            "course": course,
            "cohort": cohort,
            "offer_hours": settings.WAITLIST_OFFER_HOURS,
        },
    )


def waitlist_thanks(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    return render(request, "courses/enrol/waitlist_thanks.html", {"course": course})


@never_cache
@require_http_methods(["GET", "POST"])
def waitlist_leave(request: HttpRequest, token: str) -> HttpResponse:
    """The person's own link to leave one waitlist, from its emails or their profile; the
    secret token is the credential, no account needed. GET asks (mail scanners follow
    links), only POST leaves. The page names the course, never the person."""
    entry = get_object_or_404(
        WaitlistEntry.objects.select_related("course", "cohort"), leave_token=token
    )
    if request.method == "POST":
        if services.leave_waitlist(entry_id=entry.pk):
            messages.success(request, "Done. We have sent you a confirmation by email.")
        return redirect("courses:waitlist_leave", token=token)
    return render(
        request,
        "courses/enrol/waitlist_leave.html",
        {"entry": entry, "course": entry.course, "cohort": entry.cohort},
    )


def aid_request(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    form = AidForm(request.POST or None, initial=_initial_for(request))
    if request.method == "POST" and form.is_valid():
        if not _allowed(request, "aid"):
            form.add_error(None, "Too many requests from your connection. Try again later.")
        else:
            services.request_aid(
                course=course,
                user=request.user if request.user.is_authenticated else None,
                **form.cleaned_data,
            )
            return redirect("courses:aid_thanks", course_slug=course.slug)
    return render(request, "courses/enrol/aid.html", {"form": form, "course": course})


def aid_thanks(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    return render(request, "courses/enrol/aid_thanks.html", {"course": course})


@never_cache
def offer(request: HttpRequest, token: str) -> HttpResponse:
    found = get_object_or_404(
        Offer.objects.select_related("cohort__course", "waitlist_entry"), token=token
    )
    user = request.user
    if user.is_authenticated and not found.is_for(user):
        # Personal link opened by another account: refuse without revealing more (404).
        return render(request, "courses/enrol/offer_refused.html", status=404)
    context = {
        "offer": found,
        "cohort": found.cohort,
        "course": found.cohort.course,
        "payments_enabled": payments.is_enabled(),
        "offer_open": found.is_open(),
    }
    if request.method != "POST":
        return render(request, "courses/enrol/offer.html", context)
    if not user.is_authenticated:
        return redirect(f"{reverse('account_login')}?next={request.path}")
    try:
        if found.is_free:
            services.accept_free_offer(offer=found, user=user)
            return redirect("courses:enrolled", cohort_id=found.cohort_id)
        success = reverse("courses:enrol_success", args=[found.cohort_id])
        url = services.start_checkout(
            cohort_id=found.cohort_id,
            user=user,
            offer=found,
            success_url=request.build_absolute_uri(success) + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=request.build_absolute_uri(request.path),
        )
    except services.EnrolmentError as exc:
        messages.error(request, str(exc))
        return redirect("courses:offer", token=token)
    return HttpResponseRedirect(url)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's signed events. Bad signature: 400 and nothing stored (anyone can send one).
    A signed body we cannot read: 400, logged and stored for staff. Busy: 503, and Stripe
    retries."""
    try:
        event = payments.verified_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE", ""))
    except payments.MalformedEvent as exc:
        return _malformed(exc.event_id, exc.type, exc.reason)
    except ValueError:
        return HttpResponseBadRequest("invalid payload or signature")
    try:
        record, is_new = services.process_event(event=event)
    except services.EnrolmentBusy:
        return HttpResponse("busy, retry later", status=503, headers={"Retry-After": "60"})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return _malformed(event["id"], event["type"], f"unreadable field ({type(exc).__name__})")
    return JsonResponse({"received": True, "duplicate": not is_new, "outcome": record.outcome})


def _malformed(event_id: str, kind: str, reason: str) -> HttpResponse:
    logger.warning("Stripe event %s refused as malformed: %s", event_id, reason)
    services.record_malformed_event(event_id=event_id, kind=kind, reason=reason)
    return HttpResponseBadRequest("malformed event")

"""The learner's Friday groups page, RSVP, the join redirect and the calendar files.

The join link is never written into a page: the Join button points at `join`, which checks
access and the time at the moment of the click and only then redirects to Zoom. So a page
left open, a fragment, a feed or a forwarded email cannot carry it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from courses.models import Cohort, Enrollment, is_program_staff
from lib.typed import AuthenticatedHttpRequest
from zoomgroups import services
from zoomgroups.calendar import CONTENT_TYPE, build_calendar
from zoomgroups.models import RSVP, Attendance, GroupSession, ZoomRegistrant, max_per_cohort

PAST_PER_PAGE = 20


class RSVPForm(forms.Form):
    response = forms.ChoiceField(choices=RSVP.Response.choices)


def joinable_cohort_ids(user: User) -> set[int] | None:
    """Cohorts whose join links `user` may use (None: all, for staff)."""
    if is_program_staff(user):
        return None
    return set(
        Enrollment.objects.for_user(user).granting_access().values_list("cohort_id", flat=True)
    )


@dataclass
class Card:
    """A session as one person sees it: their RSVP and attendance, and what they may do."""

    session: GroupSession
    my_rsvp: str = ""
    attended: bool = False
    is_member: bool = False
    past: bool = False
    can_join: bool = False
    link_pending: bool = False
    may_rsvp: bool = False
    poll: bool = False


def cards_for(sessions: list[GroupSession], user: User, now: dt.datetime) -> list[Card]:
    """What this user needs to see on each card, in three queries whatever the number."""
    ids = [s.pk for s in sessions]
    if not ids:
        return []
    rsvps = dict(
        RSVP.objects.filter(user=user, session_id__in=ids).values_list("session_id", "response")
    )
    attended = set(
        Attendance.objects.filter(user=user, session_id__in=ids).values_list(
            "session_id", flat=True
        )
    )
    cohorts = joinable_cohort_ids(user)
    cards = []
    for s in sessions:
        member = cohorts is None or s.cohort_id in cohorts
        past = s.is_past(now)
        cards.append(
            Card(
                session=s,
                my_rsvp=rsvps.get(s.pk, ""),
                attended=s.pk in attended,
                is_member=member,
                past=past,
                can_join=member and s.join_window_open(now),
                link_pending=member and not s.join_url and s.join_opens_at <= now,
                may_rsvp=member and cohorts is not None and not past,
                # Cards of sessions starting soon refresh themselves (htmx) so Join shows on time.
                poll=not past and s.starts_at - now < dt.timedelta(hours=3),
            )
        )
    return cards


def usage_for(user: User) -> list[dict[str, Any]]:
    """For each of the learner's cohorts: how many of their groups they have used."""
    if is_program_staff(user):
        return []
    counts = dict(
        Attendance.objects.filter(user=user)
        .values_list("session__cohort_id")
        .annotate(n=Count("id"))
        .values_list("session__cohort_id", "n")
    )
    limit = max_per_cohort()
    return [
        {"cohort": c, "used": counts.get(c.pk, 0), "limit": limit}
        for c in Cohort.objects.accessible_to(user).select_related("course")
    ]


def signed_in(request: HttpRequest) -> User:
    """The user of a @login_required view."""
    assert isinstance(request.user, User)
    return request.user


def page_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "program_tz": settings.PROGRAM_TIME_ZONE,
        "join_opens_minutes": settings.ZOOMGROUPS_JOIN_OPENS_MINUTES,
        "same_zone": getattr(request.user, "time_zone", "") == settings.PROGRAM_TIME_ZONE,
    }


@never_cache
@login_required
@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = timezone.now()
    visible = GroupSession.objects.visible_to(request.user).select_related("cohort__course")
    upcoming = [s for s in visible.upcoming(now) if not s.is_past(now)]
    running = [s.pk for s in upcoming if s.starts_at <= now]  # listed under Upcoming
    past_page = Paginator(
        visible.filter(starts_at__lte=now).exclude(pk__in=running).order_by("-starts_at", "-id"),
        PAST_PER_PAGE,
    ).get_page(request.GET.get("page"))
    past = list(past_page)
    cards = cards_for(upcoming + past, request.user, now)
    feed_url = request.build_absolute_uri(
        reverse("zoomgroups:feed", kwargs={"token": signed_in(request).feed_token})
    )
    return render(
        request,
        "zoomgroups/index.html",
        {
            "upcoming": cards[: len(upcoming)],
            "past": cards[len(upcoming) :],
            "past_page": past_page,
            "uses_htmx": any(card.poll or card.may_rsvp for card in cards),
            "usage": usage_for(request.user),
            "feed_url": feed_url,
            "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
            **page_context(request),
        },
    )


def visible_session(request: HttpRequest, pk: int) -> GroupSession:
    return get_object_or_404(
        GroupSession.objects.visible_to(request.user).select_related("cohort__course"), pk=pk
    )


@never_cache
@login_required
@require_GET
def session_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One session; htmx asks for just its card (to refresh the Join button in place)."""
    session = visible_session(request, pk)
    (card,) = cards_for([session], request.user, timezone.now())
    context = {"card": card, "session": session, **page_context(request)}
    context["uses_htmx"] = card.poll or card.may_rsvp
    if request.headers.get("HX-Request"):
        return render(request, "zoomgroups/_session.html", context)
    return render(request, "zoomgroups/session.html", context)


@never_cache
@login_required
@require_POST
def rsvp(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = visible_session(request, pk)
    now = timezone.now()
    (card,) = cards_for([session], request.user, now)
    if not card.may_rsvp:
        raise Http404("Only learners of this trimester run answer for an upcoming session.")
    form = RSVPForm(request.POST)
    if form.is_valid():
        card.my_rsvp = form.cleaned_data["response"]
        services.set_rsvp(session=session, user=signed_in(request), response=card.my_rsvp)
        note = (
            "See you there."
            if card.my_rsvp == RSVP.Response.ATTENDING
            else ("Thanks for letting us know. The recording will be here afterwards.")
        )
    else:
        note = "Choose “Attending” or “Can't make it”."
    if request.headers.get("HX-Request"):
        context = {"card": card, "session": session, "rsvp_note": note, **page_context(request)}
        return render(request, "zoomgroups/_session.html", context)
    (messages.success if form.is_valid() else messages.error)(request, note)
    return redirect(f"{reverse('zoomgroups:index')}#session-{session.pk}")


@never_cache
@login_required
@require_GET
def join(request: HttpRequest, pk: int) -> HttpResponse:
    """Check access and the join window now, then send the learner to Zoom."""
    session = visible_session(request, pk)
    if session.may_join(request.user):
        # With Zoom, each learner has their own registrant link; staff use the meeting's.
        personal = (
            ZoomRegistrant.objects.filter(session=session, user=signed_in(request))
            .values_list("join_url", flat=True)
            .first()
        )
        return HttpResponseRedirect(personal or session.join_url)
    now = timezone.now()
    if session.is_past(now):
        messages.info(request, "This session is over. The recording appears here once posted.")
    elif not session.join_url and session.join_opens_at <= now:
        messages.info(request, "The Zoom link is not posted yet. Please try again in a minute.")
    else:
        messages.info(
            request,
            f"The Join button opens {settings.ZOOMGROUPS_JOIN_OPENS_MINUTES} minutes before "
            "the start. Come back then.",
        )
    return redirect(f"{reverse('zoomgroups:index')}#session-{session.pk}")


def calendar_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@never_cache
@login_required
@require_GET
def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    session = visible_session(request, pk)
    body = build_calendar([session], name="How Therapy Works — Friday group")
    response = calendar_response(body, f"friday-group-{session.pk}.ics")
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "inline", "attachment"
    )
    return response


@never_cache
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private calendar feed: the secret token is the only credential calendar apps have.
    It answers 404 once the person has no cohort (e.g. after a refund) or the token is reset."""
    user = User.objects.filter(feed_token=token, is_active=True).first()
    if user is None or not Cohort.objects.accessible_to(user).exists():
        raise Http404("No such calendar.")
    since = timezone.now() - dt.timedelta(days=180)
    sessions = (
        GroupSession.objects.visible_to(user)
        .filter(starts_at__gte=since)
        .select_related("cohort__course")
    )
    return calendar_response(
        build_calendar(sessions, name="How Therapy Works — Friday groups"), "friday-groups.ics"
    )

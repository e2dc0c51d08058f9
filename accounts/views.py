import datetime as dt
import json
import math

from allauth.mfa.totp import views as totp_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import mfa, notifications, services
from accounts.forms import DeleteAccountForm, ProfileForm, SetupCodeForm
from accounts.models import EmailSettings
from lib import ratelimit
from lib.typed import AuthenticatedHttpRequest
from outbox import models as outbox
from outbox.services import queue_email


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@never_cache
def email_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every email the person can get, with its switch; the ones that cannot be turned off."""
    form = notifications.EmailSettingsForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your email settings are saved.")
        return redirect("accounts:email_settings")
    return render(request, "accounts/email_settings.html", {"form": form})


@csrf_exempt
@never_cache
def email_off(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click link of an optional email: no sign-in needed, the signed token is the
    key. A GET asks (mail scanners follow links); a POST, from the page's button or a mail
    client's RFC 8058 List-Unsubscribe-Post, turns that email off."""
    parsed = notifications.read_off_token(token)
    if parsed is None:
        raise Http404
    user_id, kind = parsed
    done = request.method == "POST"
    if done:
        EmailSettings.turn_off(user_id=user_id, kind=kind)
    context = {"done": done, "what": EmailSettings.KINDS[kind]}
    return render(request, "accounts/email_off.html", context)


@login_required
@require_POST
def reset_feed_token(request: AuthenticatedHttpRequest) -> HttpResponse:
    request.user.reset_feed_token()
    messages.success(
        request,
        "Your private feed addresses are new. Subscribe again in your podcast and calendar apps; "
        "the old addresses no longer work.",
    )
    return redirect("accounts:profile")


@login_required
@never_cache
def export_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    """All of the learner's data as one JSON file (a download, never cached)."""
    data = services.export_user_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    filename = f"how-therapy-works-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@never_cache
def delete_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    allowed = services.may_delete_account(user)
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and allowed:
        # The password check is a guessing target for whoever holds a stolen session.
        if not ratelimit.allow(f"delete-account:{user.pk}", limit=5, period=3600):
            form.add_error(None, "Too many attempts. Try again in an hour.")
        elif form.is_valid():
            services.delete_account(
                user=user, keep_forum_posts=form.cleaned_data["forum_posts"] == "keep"
            )
            logout(request)
            return redirect("accounts:deleted")
    context = {
        "form": form,
        "allowed": allowed,
        "payment_record_years": services.PAYMENT_RECORD_YEARS,
        **services.privacy_page_context(),
        "has_payments": user.enrollments.filter(amount_paid_cents__gt=0).exists(),
    }
    return render(request, "accounts/delete.html", context)


def _safe_next(request: HttpRequest) -> str:
    next_url = request.GET.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


@never_cache
@login_required
def activate_totp(request: AuthenticatedHttpRequest) -> HttpResponse:
    """allauth's "set up an authenticator app", after an emailed code for the first app of an
    account with staff powers (accounts.mfa)."""
    if not mfa.may_set_up_first_app(request):
        query = urlencode({"next": _safe_next(request)}) if _safe_next(request) else ""
        return redirect(reverse("accounts:mfa_setup_code") + (f"?{query}" if query else ""))
    response: HttpResponse = totp_views.activate_totp(request)
    return response


SETUP_CODE_SENDS = (5, 3600)


@never_cache
@login_required
def mfa_setup_code(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step one of a staff account's first authenticator app: a code emailed to the account's
    verified address, which the password alone does not give."""
    next_url = _safe_next(request)
    activate_url = reverse("mfa_activate_totp") + (
        f"?{urlencode({'next': next_url})}" if next_url else ""
    )
    if mfa.may_set_up_first_app(request):
        return redirect(activate_url)
    address = mfa.verified_email(request.user)
    form = SetupCodeForm(request.POST if request.POST.get("action") == "verify" else None)
    if request.method == "POST" and address:
        if request.POST.get("action") == "send":
            if ratelimit.allow(
                f"mfa-setup-code:{request.user.pk}",
                limit=SETUP_CODE_SENDS[0],
                period=SETUP_CODE_SENDS[1],
            ):
                code = mfa.start_setup_code(request)
                queue_email(
                    "mfa_setup_code",
                    [address],
                    {"code": code, "minutes": mfa.SETUP_CODE_MINUTES},
                    # A late code is no use: it has expired by then.
                    send_by=timezone.now() + dt.timedelta(minutes=mfa.SETUP_CODE_MINUTES),
                )
                messages.success(request, f"We sent a code to {address}.")
            else:
                messages.error(request, "Several codes were sent already. Try again in an hour.")
            return redirect(request.get_full_path())
        if form.is_valid():
            if mfa.check_setup_code(request, form.cleaned_data["code"]):
                return redirect(activate_url)
            form.add_error("code", "This code is not right, or it has expired. Ask for a new one.")
    context = {
        "form": form,
        "address": address,
        "code_pending": mfa.setup_code_pending(request),
        "minutes": mfa.SETUP_CODE_MINUTES,
    }
    return render(request, "accounts/mfa_setup_code.html", context)


def deleted(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/deleted.html", {"payment_record_years": services.PAYMENT_RECORD_YEARS}
    )


def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy page. Durations come from the settings and code that enforce them."""
    context = {
        "session_days": settings.SESSION_COOKIE_AGE // 86400,
        "payment_record_years": services.PAYMENT_RECORD_YEARS,
        **services.privacy_page_context(),
        "newsletter_confirm_days": settings.NEWSLETTER_CONFIRM_DAYS,
        "rate_limit_hours": math.ceil(services.LONGEST_RATE_LIMIT_SECONDS / 3600),
        "sent_email_days": outbox.KEEP_DONE.days,
        "failed_email_days": outbox.KEEP_FAILED.days,
    }
    return render(request, "pages/privacy.html", context)

import json
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import DeleteAccountForm, ProfileForm
from lib import ratelimit
from lib.typed import AuthenticatedHttpRequest


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


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
        "has_payments": user.enrollments.filter(amount_paid_cents__gt=0).exists(),
    }
    return render(request, "accounts/delete.html", context)


def deleted(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/deleted.html", {"payment_record_years": services.PAYMENT_RECORD_YEARS}
    )


def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy page. Durations come from the settings and code that enforce them."""
    context = {
        "session_days": settings.SESSION_COOKIE_AGE // 86400,
        "payment_record_years": services.PAYMENT_RECORD_YEARS,
        "newsletter_confirm_days": settings.NEWSLETTER_CONFIRM_DAYS,
        "rate_limit_hours": math.ceil(services.LONGEST_RATE_LIMIT_SECONDS / 3600),
    }
    return render(request, "pages/privacy.html", context)

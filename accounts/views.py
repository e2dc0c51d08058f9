from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import ProfileForm


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_POST
def reset_feed_token(request: HttpRequest) -> HttpResponse:
    request.user.reset_feed_token()
    messages.success(
        request,
        "Your private feed addresses are new. Subscribe again in your podcast and calendar apps; "
        "the old addresses no longer work.",
    )
    return redirect("accounts:profile")

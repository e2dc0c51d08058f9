from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from lib import ratelimit, uploads
from lib.typed import AuthenticatedHttpRequest
from newsletter import subscriptions
from newsletter.forms import SignupForm
from newsletter.models import Infographic, Issue, Subscriber

SIGNUPS_PER_IP = 10  # an hour
SIGNUPS_PER_EMAIL = 3  # an hour
# Set in the session of whoever confirmed (or opened the link of a confirmed reader): the
# confirmed page then offers the welcome gift.
CONFIRMED_IN_SESSION = "tift_confirmed"


def archive(request: HttpRequest) -> HttpResponse:
    issues = Issue.objects.in_archive().only("number", "title", "sent_at", "body")
    page = Paginator(issues, 20).get_page(request.GET.get("page"))
    return render(request, "newsletter/archive.html", {"page": page, "signup_form": SignupForm()})


def issue_detail(request: HttpRequest, number: int) -> HttpResponse:
    issue = get_object_or_404(Issue.objects.in_archive(), number=number)
    return render(request, "newsletter/issue.html", {"issue": issue, "signup_form": SignupForm()})


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if not ratelimit.allow(
            f"tift-signup-ip:{ratelimit.client_ip(request)}", limit=SIGNUPS_PER_IP, period=3600
        ):
            form.is_valid()
            form.add_error(None, "Too many sign-ups from your network. Please try again later.")
            return render(request, "newsletter/signup.html", {"signup_form": form}, status=429)
        if form.is_valid():
            address = form.cleaned_data["email"].strip().lower()
            # Over the per-address limit the answer is the same page, and nothing is sent.
            if ratelimit.allow(f"tift-signup:{address}", limit=SIGNUPS_PER_EMAIL, period=3600):
                subscriptions.subscribe(email=address, name=form.cleaned_data["name"])
            return redirect("newsletter:check_email")
    return render(request, "newsletter/signup.html", {"signup_form": form})


def check_email(request: HttpRequest) -> HttpResponse:
    return render(
        request, "newsletter/check_email.html", {"days": settings.NEWSLETTER_CONFIRM_DAYS}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); POST confirms."""
    try:
        subscriber = subscriptions.subscriber_from_token(token)
    except signing.SignatureExpired:
        return render(
            request,
            "newsletter/confirm_invalid.html",
            {"expired": True, "signup_form": SignupForm()},
            status=400,
        )
    if subscriber is None:
        return render(
            request,
            "newsletter/confirm_invalid.html",
            {"expired": False, "signup_form": SignupForm()},
            status=400,
        )
    if request.method == "POST" and subscriber.status == Subscriber.Status.PENDING:
        subscriptions.confirm_subscriber(subscriber=subscriber)
        subscriber.refresh_from_db()
    if subscriber.status == Subscriber.Status.CONFIRMED:
        request.session[CONFIRMED_IN_SESSION] = True
        return redirect("newsletter:thanks")
    return render(request, "newsletter/confirm.html", {"subscriber": subscriber})


@never_cache
def thanks(request: HttpRequest) -> HttpResponse:
    """The confirmed page; the infographic's link only for whoever just confirmed."""
    current = Infographic.current() if request.session.get(CONFIRMED_IN_SESSION) else None
    return render(
        request,
        "newsletter/thanks.html",
        {
            "infographic": current,
            "infographic_url": subscriptions.infographic_url(current) if current else "",
            "infographic_days": settings.NEWSLETTER_INFOGRAPHIC_DAYS,
        },
    )


def infographic(request: HttpRequest, token: str) -> HttpResponse | FileResponse:
    """The welcome gift, by the signed and expiring link confirmed readers get."""
    gift = subscriptions.infographic_from_token(token)
    if gift is None:
        raise Http404("This download link does not work.")
    try:
        handle = gift.file.open("rb")
        # The type comes from the content (checked at upload), never from the uploaded name.
        kind = uploads.content_type(handle) or "application/octet-stream"
    except FileNotFoundError as exc:
        raise Http404("The infographic file is missing.") from exc
    except Exception as exc:  # with FILE_STORAGE=s3: the bucket not answering is a 503
        if not uploads.storage_unreachable(exc):
            raise
        return uploads.storage_unavailable()
    name = (gift.file.name or "").rsplit("/", 1)[-1]
    return uploads.served_from_our_origin(FileResponse(handle, content_type=kind), filename=name)


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The visible link: a GET only shows the button, so link scanners change nothing."""
    subscriber = get_object_or_404(Subscriber, token=token)
    if request.method == "POST":
        subscriptions.unsubscribe(subscriber=subscriber)
        messages.success(request, "You are unsubscribed. You will get no more issues of TIFT.")
        return redirect("newsletter:unsubscribe", token=token)
    return render(request, "newsletter/unsubscribe.html", {"subscriber": subscriber})


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def one_click(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058 one-click: the mail client POSTs `List-Unsubscribe=One-Click`, without a
    session or CSRF token (the unguessable token in the URL is the authority). A GET (a
    person or a scanner opening the URL) only leads to the page with the button."""
    subscriber = get_object_or_404(Subscriber, token=token)
    if request.method == "GET":
        return redirect("newsletter:unsubscribe", token=token)
    subscriptions.unsubscribe(subscriber=subscriber)
    return HttpResponse("You are unsubscribed from TIFT.\n", content_type="text/plain")


@login_required
@require_POST
def profile_subscription(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.POST.get("action") == "subscribe":
        subscriber = subscriptions.subscribe_account(user=request.user)
        if subscriber.status == Subscriber.Status.CONFIRMED:
            messages.success(
                request, "You are subscribed to TIFT. Your welcome email is on its way."
            )
        else:
            messages.success(request, "Check your inbox to confirm your subscription to TIFT.")
    elif request.POST.get("action") == "unsubscribe":
        existing = Subscriber.objects.filter(email=request.user.email.lower()).first()
        if existing is not None:
            subscriptions.unsubscribe(subscriber=existing)
        messages.success(request, "You are unsubscribed from TIFT.")
    return redirect("accounts:profile")

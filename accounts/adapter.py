from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse

from accounts import mfa
from lib import ratelimit
from lib.email import with_footer
from outbox.services import queue_rendered_email


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter, with its email recorded in the outbox and sent by a worker instead
    of in the request."""

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # The context allauth's own send_mail adds: its templates name the site ("register
        # an account on How Therapy Works") and build links from the request.
        request = allauth_context.request
        context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
        }
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            "",
        )
        text, html = with_footer(message.body, html)
        queue_rendered_email(
            subject=message.subject,
            text=text,
            html=html,
            to=list(message.to),
            from_email=message.from_email,
            name=template_prefix,
        )

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Staff and the instructor work in the admin: they land there after signing in
        (a `next` address still wins; allauth asks this only without one). The second factor
        is asked before this, at sign-in; a staff session without one is sent from the admin
        to confirm or set it up (config/admin.py)."""
        if request.user.is_authenticated and request.user.is_staff:
            return reverse("admin:index")
        url: str = super().get_login_redirect_url(request)
        return url

    def get_client_ip(self, request: HttpRequest) -> str:
        """The same address our own rate limits use (TRUSTED_PROXY_COUNT decides)."""
        ip = ratelimit.client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """Failed sign-ins count per account *and* client network, not per account alone:
        otherwise five wrong passwords from anywhere lock the owner out everywhere. The
        per-address limits of ACCOUNT_RATE_LIMITS["login_failed"] cap guessing across
        accounts. allauth offers no public hook for this key; it builds the key here both when
        counting a failure and when a password reset clears the count (for the resetting
        request's network). tests/security/test_ratelimits.py fails if that ever changes."""
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{account}:{ratelimit.client_network(request)}"


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff keep their authenticator app: without it they could not open the admin."""
        if authenticator.type == Authenticator.Type.TOTP and mfa.is_required_for(
            authenticator.user
        ):
            return False
        allowed: bool = super().can_delete_authenticator(authenticator)
        return allowed

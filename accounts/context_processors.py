from typing import Any

from django.http import HttpRequest
from django.utils.http import urlencode

from accounts import mfa

# The pages that unlock them need not say so again.
UNLOCK_PAGES = {
    "mfa_setup_code",
    "mfa_activate_totp",
    "mfa_reauthenticate",
    "account_reauthenticate",
}


def staff_powers(request: HttpRequest) -> dict[str, Any]:
    """For a staff account whose session has not passed a second factor: where to unlock its
    staff tools (base.html shows it on every page)."""
    match = request.resolver_match
    if (match and match.url_name in UNLOCK_PAGES) or not mfa.staff_powers_locked(request):
        return {}
    return {"staff_unlock_url": f"{mfa.unlock_url(request)}?{urlencode({'next': request.path})}"}

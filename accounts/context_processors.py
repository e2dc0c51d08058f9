from django.http import HttpRequest
from django.utils.http import urlencode

from accounts import mfa


def staff_powers(request: HttpRequest) -> dict:
    """For a staff account whose session has not passed a second factor: where to unlock its
    staff tools (base.html shows it on every page)."""
    if not mfa.staff_powers_locked(request):
        return {}
    return {"staff_unlock_url": f"{mfa.unlock_url(request)}?{urlencode({'next': request.path})}"}

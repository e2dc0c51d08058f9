"""Error reports (the emails to ADMIN_EMAILS, the debug page) without what people typed.

A request body can hold a clinical question, a forum post or a password; a traceback frame's
local variables can hold the same text after the view read it. Reports keep the field names,
the URL path, the user and the traceback, and replace every submitted value, query-string
value, uploaded file and frame variable with a placeholder. Settings (and request.META, which
under runserver holds the environment) keep their hosts but lose any password or key written
into a URL: `redis://:PASSWORD@host` appears as `redis://:********************@host`.
"""

import re
from collections.abc import ItemsView
from typing import Any

from django.http import HttpRequest
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

HIDDEN = "[not included in error reports]"

# A URL's scheme, then its userinfo: everything up to the authority's last "@" (client
# libraries split there too, so a password may hold an unescaped "@"). The authority ends at
# "/", "?", "#", whitespace or the next URL, for settings that list several ("redis://a,redis://b").
# A scheme is looked for only where a word starts, which keeps the search linear: request
# headers pass through here too, and anyone can send 8 KB of letters.
_SCHEME = r"(?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]*://"
_URL_USERINFO = re.compile(
    rf"(?P<scheme>{_SCHEME})(?P<userinfo>(?:(?!{_SCHEME})[^/?#\s])*)@", re.IGNORECASE
)


def mask_url_credentials(text: str, mask: str) -> str:
    """`text` with the password of every URL in it replaced by `mask`.

    A userinfo without a password is masked whole: there the user name is the key (Sentry-style
    DSNs, `https://KEY@host`). The host, port, path and user names beside a password stay.
    """

    def masked(match: re.Match[str]) -> str:
        user, colon, password = match["userinfo"].partition(":")
        if colon:
            userinfo = f"{user}:{mask}" if password else match["userinfo"]
        else:
            userinfo = mask if user else ""
        return f"{match['scheme']}{userinfo}@"

    return _URL_USERINFO.sub(masked, text)


class PrivateExceptionReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True  # also with DEBUG on: the debug page is a report too

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        # Django hides settings by name (…PASSWORD, …KEY); a URL's password hides in REDIS_URL,
        # CELERY_BROKER_URL or CACHES' LOCATION. Dicts, lists and tuples come back here per item.
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return mask_url_credentials(cleansed, self.cleansed_substitute)
        return cleansed

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, str]:
        if request is None:
            return {}
        return dict.fromkeys(request.POST, HIDDEN)

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)
        for key in ("QUERY_STRING", "HTTP_REFERER", "RAW_URI", "REQUEST_URI"):
            if key in meta:
                meta[key] = HIDDEN
        return meta

    def get_traceback_frame_variables(
        self, request: HttpRequest | None, tb_frame: Any
    ) -> ItemsView[str, Any]:
        return dict.fromkeys(tb_frame.f_locals, HIDDEN).items()


class PrivateExceptionReporter(ExceptionReporter):
    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if self.request is not None:
            data["request_GET_items"] = [(key, HIDDEN) for key in self.request.GET]
            data["request_FILES_items"] = [(key, HIDDEN) for key in self.request.FILES]
            data["request_insecure_uri"] = self.request.path
        return data

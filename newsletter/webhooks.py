"""The email provider's tracking webhook: anymail's view for `EMAIL_FEEDBACK_PROVIDER`, with a
report it cannot read answered 400 instead of 500.

anymail reads each provider's reports as that provider documents them and lets any other shape
fail where it fails (a KeyError, a JSON error...), which Django answers with a 500 and an error
report. A body the provider would never send is the sender's mistake: it gets a 400 that says
so, and nothing is changed (the reports are read before any is acted on).
"""

from django.core.exceptions import BadRequest, ImproperlyConfigured
from django.urls import URLPattern, path
from django.views import View

UNREADABLE = (ValueError, TypeError, KeyError, AttributeError, IndexError)


def tracking_urlpatterns(provider: str) -> list[URLPattern]:
    """The one tracking webhook of `provider`, at anymail's own path for it."""
    from anymail import urls as anymail_urls

    name = f"{provider}_tracking_webhook"
    for pattern in anymail_urls.urlpatterns:
        if isinstance(pattern, URLPattern) and pattern.name == name:
            view = readable_reports(pattern.callback.view_class)  # type: ignore[attr-defined]
            return [path(str(pattern.pattern), view.as_view(), name=name)]
    raise ImproperlyConfigured(
        f"EMAIL_FEEDBACK_PROVIDER: anymail has no tracking webhook named {name!r}"
    )


def readable_reports(view_class: type[View]) -> type[View]:
    """`view_class` whose reports are all read first, and refused with a 400 if any cannot be."""

    class ReadableReportsView(view_class):  # type: ignore[valid-type,misc]
        def parse_events(self, request):  # type: ignore[no-untyped-def]
            try:
                return list(super().parse_events(request))
            except UNREADABLE as error:
                raise BadRequest("The report could not be read.") from error

    ReadableReportsView.__name__ = ReadableReportsView.__qualname__ = view_class.__name__
    return ReadableReportsView

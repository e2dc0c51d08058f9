"""Requests carrying NUL or bytes that are not UTF-8 are refused (400) before any view sees them.

PostgreSQL refuses NUL in text (a DataError, so a 500), and Django quietly turns bytes that are
not UTF-8 into U+FFFD, so such a value would reach a form or a query as something the sender did
not send. Our pages never send either. Refused, with templates/400.html:
- the path, the query string or an urlencoded form whose text, percent-decoded, holds NUL or
  is not UTF-8 (raw or percent-encoded alike);
- a multipart form with NUL in a field's name or value (Django strips it from file names), when
  it is small enough to be read into memory (DATA_UPLOAD_MAX_MEMORY_SIZE): it is read as the
  raw body first, so that a view may still read that. A larger one, an upload to the admin,
  streams to its view as before: the admin's form fields refuse NUL themselves. Undecodable
  bytes in a multipart form are not refused: Django's parser has already replaced them by
  U+FFFD, which a chapter pasted into the admin may hold too, and refusing it would lose it;
- a request declaring a charset other than UTF-8, in which Django would read the query string
  (UTF-7 spells NUL "+AAA-"; an urlencoded body in another charset Django refuses itself).
A cookie holding NUL (a quoted cookie may write it as \\000) is dropped instead: a browser stuck
with one still gets pages, with a new session.
"""

import codecs
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.views.defaults import bad_request


def is_clean_text(raw: bytes) -> bool:
    """True when `raw`, percent-decoded, is UTF-8 without NUL."""
    decoded = unquote_to_bytes(raw)
    if b"\0" in decoded:
        return False
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def is_clean_path(path_info: str) -> bool:
    # Django has already decoded the path, writing undecodable bytes back as %XX escapes; so
    # the path is decoded once more. A path percent-encoded twice is refused too: none of ours is.
    return "\0" not in path_info and is_clean_text(path_info.encode())


def is_utf8(encoding: str | None) -> bool:
    return encoding is None or codecs.lookup(encoding).name == "utf-8"


def is_clean_multipart(request: HttpRequest) -> bool:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True  # the server refuses such a request before it gets here
    if limit is None or length > limit:
        return True
    request.body  # noqa: B018  (read and kept: request.POST is then parsed from it)
    return not any(
        "\0" in name or any("\0" in value for value in values)
        for name, values in request.POST.lists()
    )


def is_well_formed(request: HttpRequest) -> bool:
    if not is_utf8(request.encoding) or not is_clean_path(request.path_info):
        return False
    # WSGI hands the query string over as Latin-1 text of the bytes received (PEP 3333).
    if not is_clean_text(request.META.get("QUERY_STRING", "").encode("latin-1")):
        return False
    if request.method != "POST":
        return True
    if request.content_type == "application/x-www-form-urlencoded":
        return is_clean_text(request.body)
    if request.content_type == "multipart/form-data":
        return is_clean_multipart(request)
    return True


class WellFormedRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_well_formed(request):
            # The page itself, not a raised BadRequest: with DEBUG on, that would be the debug
            # page, which shows what was sent.
            return bad_request(request, BadRequest("NUL or bytes that are not UTF-8"))
        for name, value in list(request.COOKIES.items()):
            if "\0" in name or "\0" in value:
                del request.COOKIES[name]
        return self.get_response(request)

"""Serve a stored file with HTTP range requests, so audio and video players can seek.

One range per request (what players send): `bytes=START-END`, `bytes=START-` or `bytes=-N`.
A satisfiable range answers 206 with Content-Range; a malformed or unsatisfiable one 416;
no Range header (or several ranges) the whole file with 200. Every answer says
`Accept-Ranges: bytes`. A file served from local storage carries an ETag and Last-Modified,
so podcast apps revalidate (304 Not Modified) and resume only the same file (If-Range).

Files in a private bucket (FILE_STORAGE=s3) are not streamed through the web process, which
would hold one of its threads for the length of every film: after the view's access check the
answer is a redirect to a signed link that lasts MEDIA_SIGNED_URL_SECONDS, and the bucket
answers the ranges itself (206, Content-Range), which podcast apps follow like any redirect.
Captions are the exception (`redirect=False`): a <track> from another origin needs CORS, and
they are small. A file that is gone is a 404; a bucket that does not answer, a 503.
"""

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from typing import Literal

from django.core.files import File
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import http_date
from django.views.decorators.http import condition

from lib import uploads

# Positions of at most 18 digits (an exabyte): a longer number is malformed rather than an
# int() of thousands of digits, which Python refuses with a ValueError.
RANGE = re.compile(r"^bytes=([0-9]{0,18})-([0-9]{0,18})$")
CHUNK = 64 * 1024


def parse_range(header: str, size: int) -> tuple[int, int] | Literal[False] | None:
    """(start, end) inclusive for a single satisfiable range; None to send the whole file;
    False when the range is malformed or cannot be satisfied."""
    header = header.strip()
    if not header:
        return None
    if "," in header:
        return None  # several ranges: answering with the whole file is allowed
    match = RANGE.match(header.replace(" ", ""))
    if not match or (not match.group(1) and not match.group(2)):
        return False
    first, last = match.groups()
    if first:
        start = int(first)
        end = int(last) if last else size - 1
        if start >= size or end < start:
            return False
        return start, min(end, size - 1)
    suffix = int(last)
    if suffix == 0 or size == 0:
        return False
    return max(0, size - suffix), size - 1


def _chunks(handle: File[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            data = handle.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


def serve_file(
    request: HttpRequest, field_file: File[bytes], content_type: str, *, redirect: bool = True
) -> HttpResponse | StreamingHttpResponse:
    """Answer a GET or HEAD for `field_file`, honouring a Range header, with the headers of
    every upload we serve (sandboxed, not sniffed: lib.uploads.served_from_our_origin); for a
    file in a bucket, a redirect to its signed link unless `redirect` is False."""
    try:
        if redirect and uploads.in_bucket(field_file):
            if not field_file.storage.exists(field_file.name):  # type: ignore[attr-defined]
                raise Http404("No such file.")
            method = "HEAD" if request.method == "HEAD" else "GET"
            return HttpResponseRedirect(
                uploads.signed_link(field_file, content_type=content_type, method=method)
            )
        return _serve(request, field_file, content_type)
    except FileNotFoundError as exc:
        raise Http404("No such file.") from exc
    except Exception as exc:
        if not uploads.storage_unreachable(exc):
            raise
        return uploads.storage_unavailable(exc)


def file_validators(field_file: File[bytes], size: int) -> tuple[str, dt.datetime | None]:
    """A strong ETag (from the stored name, size and modification time: a replaced file gets
    a new one) and the modification time, when the storage knows it."""
    try:
        modified: dt.datetime | None = field_file.storage.get_modified_time(  # type: ignore[attr-defined]
            field_file.name
        ).replace(microsecond=0)
    except (NotImplementedError, OSError):
        # Storages without modification times (Django's default raises NotImplementedError),
        # or a file gone since it was sized: the ETag alone validates, with no Last-Modified.
        modified = None
    key = f"{field_file.name}\0{size}\0{modified.isoformat() if modified else ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:32], modified


def _serve(
    request: HttpRequest, field_file: File[bytes], content_type: str
) -> HttpResponse | StreamingHttpResponse:
    size = field_file.size
    etag, modified = file_validators(field_file, size)

    @condition(etag_func=lambda request: etag, last_modified_func=lambda request: modified)
    def respond(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        ranged = _range_applies(request, etag, modified)
        response = _ranged(request, field_file, content_type, size, ranged=ranged)
        return uploads.served_from_our_origin(response)

    return respond(request)  # a 304 has no body: the stored answer's headers stay in force


def _range_applies(request: HttpRequest, etag: str, modified: dt.datetime | None) -> bool:
    """If-Range: the range is for this very file (its ETag or date), else send it whole."""
    if_range = request.headers.get("If-Range", "").strip()
    if not if_range:
        return True
    return if_range == f'"{etag}"' or (
        modified is not None and if_range == http_date(modified.timestamp())
    )


def _ranged(
    request: HttpRequest, field_file: File[bytes], content_type: str, size: int, *, ranged: bool
) -> HttpResponse | StreamingHttpResponse:
    wanted = parse_range(request.headers.get("Range", "") if ranged else "", size)
    response: HttpResponse | StreamingHttpResponse
    if wanted is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    start, end = wanted if wanted else (0, size - 1)
    length = max(0, end - start + 1)
    if request.method == "HEAD":
        response = HttpResponse(status=206 if wanted else 200, content_type=content_type)
    else:
        field_file.open("rb")
        response = StreamingHttpResponse(
            _chunks(field_file, start, length),
            status=206 if wanted else 200,
            content_type=content_type,
        )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response

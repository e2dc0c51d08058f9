"""Upload validation by content, not by name: each kind lists the file signatures it accepts.

Use as model-field validators: `validators=[uploads.audio]`. SVG is never accepted (it can
carry script). Size limits are per kind. Uploaded images are re-encoded (`reencode_image`):
only the pixels survive, not metadata (a phone photo's location) or bytes hidden after the
image data. Files are served with the type their content announces (`content_type`), never
one guessed from the uploaded name, and with the headers of `served_from_our_origin`.

With FILE_STORAGE=s3 the files are private objects in a bucket; `signed_link` gives the
short-lived link to one that an access-checked view hands out after its check (issue 27).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import PurePath
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils.deconstruct import deconstructible
from django.utils.http import content_disposition_header

MB = 1024 * 1024
logger = logging.getLogger(__name__)


def _sniff(head: bytes) -> str | None:
    """The content type that the first bytes of a file announce, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"  # raw AAC in ADTS frames (layer bits 00), not an MP3 frame
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "audio/mp4" if brand in (b"M4A ", b"M4B ") else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    text = head.lstrip(b"\xef\xbb\xbf")
    if text.startswith(b"WEBVTT"):
        return "text/vtt"
    return None


@deconstructible
@dataclass
class UploadValidator:
    label: str
    accepted: tuple[str, ...]
    max_bytes: int
    names: str = ""  # what the refusal names, e.g. "MP3 or M4A (AAC)"; else from `accepted`

    def __call__(self, upload: File[bytes]) -> None:
        if upload is None:
            return
        size = getattr(upload, "size", None) or 0
        if size > self.max_bytes:
            raise ValidationError(
                f"This file is {size / MB:.1f} MB; {self.label} files may be at most "
                f"{self.max_bytes // MB} MB."
            )
        position = upload.tell() if hasattr(upload, "tell") else 0
        upload.seek(0)
        head = upload.read(64)
        upload.seek(position)
        if isinstance(head, str):
            head = head.encode()
        kind = _sniff(head)
        if kind not in self.accepted:
            kinds = sorted({a.split("/")[1].upper() for a in self.accepted})
            names = self.names or ", ".join(kinds)
            raise ValidationError(f"This is not a {self.label} file we accept ({names}).")


# Podcast episodes: the formats Apple Podcasts and Spotify play (issue 24, point 10).
audio = UploadValidator("podcast audio", ("audio/mpeg", "audio/mp4"), 200 * MB, "MP3 or M4A (AAC)")
video = UploadValidator("video", ("video/mp4", "video/webm"), 1024 * MB)
captions = UploadValidator("caption (WebVTT)", ("text/vtt",), 2 * MB)
image = UploadValidator("image", ("image/png", "image/jpeg", "image/gif", "image/webp"), 10 * MB)
document = UploadValidator(
    "document or image", ("application/pdf", "image/png", "image/jpeg", "image/webp"), 25 * MB
)


def content_type(upload: File[bytes]) -> str | None:
    """The content type the file's first bytes announce (None: not a kind we know)."""
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(64)
    upload.seek(position)
    return _sniff(head.encode() if isinstance(head, str) else head)


# Re-encoding decodes the whole picture: refuse sizes that would take the server's memory.
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


def reencode_image(upload: File[bytes]) -> ContentFile[bytes]:
    """A fresh copy of an uploaded PNG, JPEG, GIF or WebP with nothing but its pixels, named
    with the extension of its real format. Raises ValidationError when it cannot be read."""
    from PIL import Image, ImageOps

    kind = content_type(upload)
    if kind not in IMAGE_FORMATS:
        raise ValidationError("This is not an image we accept (PNG, JPEG, GIF or WebP).")
    fmt = IMAGE_FORMATS[kind]
    upload.seek(0)
    try:
        with Image.open(upload) as original:
            if original.width * original.height > MAX_IMAGE_PIXELS:
                raise ValidationError("This image is too large; please use at most 40 megapixels.")
            original.load()
            image = ImageOps.exif_transpose(original)  # keep the orientation, drop the EXIF
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            output = io.BytesIO()
            image.save(output, format=fmt, **({"quality": 90} if fmt != "PNG" else {}))
    except ValidationError:
        raise
    except Exception as exc:  # Pillow raises many kinds for broken or hostile files
        raise ValidationError("This image could not be read; is the file damaged?") from exc
    stem = PurePath(getattr(upload, "name", "") or "image").stem or "image"
    return ContentFile(output.getvalue(), name=f"{stem}.{fmt.lower().replace('jpeg', 'jpg')}")


# Serving uploads from the site's own origin ---------------------------------------------------

# A sandboxed response is a document of a unique, opaque origin that may run nothing and load
# nothing: a PDF's JavaScript or an HTML-looking file cannot reach our cookies or pages. The
# policy of a media response does not apply to the <audio>, <video> or <track> that loads it.
SANDBOX_POLICY = "sandbox; default-src 'none'"
# What browsers play or show as itself; everything else (PDFs, unknown bytes) is downloaded.
SHOWN_INLINE = ("audio/", "video/", "image/", "text/vtt")

Response = TypeVar("Response", bound=HttpResponseBase)


def served_from_our_origin(response: Response, *, filename: str = "") -> Response:
    """The headers of every uploaded file the site serves (the infographic, lesson media):
    sandboxed, never sniffed, documents as downloads. The CSP middleware (django-csp) leaves
    a policy already set alone."""
    response["Content-Security-Policy"] = SANDBOX_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    kind = response.get("Content-Type", "").split(";")[0].strip().lower()
    disposition = content_disposition_header(not kind.startswith(SHOWN_INLINE), filename)
    if disposition:
        response["Content-Disposition"] = disposition
    return response


# Files in a private bucket (FILE_STORAGE=s3) -------------------------------------------------


def in_bucket(field_file: File[bytes]) -> bool:
    """Whether the file is an object in a bucket that signs its links (not on this disk)."""
    storage = getattr(field_file, "storage", None)
    return bool(getattr(storage, "querystring_auth", False) and getattr(storage, "bucket_name", ""))


def signed_link(field_file: File[bytes], *, content_type: str, method: str = "GET") -> str:
    """A link straight to the object that works for MEDIA_SIGNED_URL_SECONDS, for `method`
    (GET or HEAD: the method is part of the signature). The bucket answers it with the type
    and disposition we chose (from the content, checked at upload), never what it stored; the
    link is made only after the view's access check, so a revoked learner's last link dies soon.
    The response may be cached by the browser for the link's lifetime, never by a proxy."""
    seconds = settings.MEDIA_SIGNED_URL_SECONDS
    name = (field_file.name or "").rsplit("/", 1)[-1]
    as_attachment = not content_type.startswith(SHOWN_INLINE)
    parameters = {
        "ResponseContentType": content_type,
        "ResponseCacheControl": f"private, max-age={seconds}",
        "ResponseContentDisposition": content_disposition_header(as_attachment, name) or "",
    }
    storage = field_file.storage  # type: ignore[attr-defined]
    return str(
        storage.url(field_file.name, parameters=parameters, expire=seconds, http_method=method)
    )


def storage_unreachable(exc: BaseException) -> bool:
    """Whether `exc` is the bucket failing to answer or refusing us (an outage, not a bug)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - django-storages[s3] is a runtime dependency
        return False
    return isinstance(exc, BotoCoreError | ClientError)


def storage_unavailable(exc: BaseException) -> HttpResponse:
    """The 503 of a file view while the bucket does not answer; the log (and Sentry) say why."""
    logger.error("The media bucket did not answer: %s", exc)
    response = HttpResponse(
        "This file cannot be fetched right now; please try again in a minute.",
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = "60"
    return response

"""Path converters for the secret tokens in URLs (private feeds, offers, unsubscribe and
confirmation links), registered in config/urls.py. A URL matches only a well-formed token, so
anything else (NUL, other characters, a megabyte of text) is a plain 404 before any view or
query sees it.
"""

from django.urls.converters import StringConverter

# URL-safe base64 without padding, the alphabet of both kinds of token.
URLSAFE = "A-Za-z0-9_-"


class RandomToken(StringConverter):
    """`<token:...>`: secrets.token_urlsafe() — 32 characters for 24 bytes (feeds, readers),
    43 for 32 (offers); the columns hold at most 64."""

    regex = f"[{URLSAFE}]{{32,64}}"


class SignedToken(StringConverter):
    """`<signed:...>`: django.core.signing.dumps() — payload:timestamp:signature. The payload
    (a reader's id and address, at most a few hundred characters) starts with "." when
    compressed; the timestamp is base 62; the signature an HMAC-SHA256, 43 characters."""

    regex = rf"\.?[{URLSAFE}]{{1,1000}}:[0-9A-Za-z]{{1,12}}:[{URLSAFE}]{{43}}"

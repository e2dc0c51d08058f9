"""The request guard (lib/wellformed.py): NUL and bytes that are not UTF-8 are answered 400,
with a short page, before a view or the database sees them; well-formed text beyond ASCII is
served as before."""

import pytest
from django.test import Client
from django.test.client import BOUNDARY

from newsletter.models import Subscriber

pytestmark = pytest.mark.django_db

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
SIGNUP = "/newsletter/signup/"


def refused(response) -> bool:
    return response.status_code == 400 and "We could not read that address" in (
        response.content.decode()
    )


def multipart(*parts: tuple[bytes, bytes]) -> bytes:
    """A multipart body from (Content-Disposition parameters, value) pairs, byte for byte."""
    lines = []
    for disposition, value in parts:
        lines += [b"--" + BOUNDARY.encode(), b"Content-Disposition: form-data; " + disposition]
        lines += [b"", value]
    return b"\r\n".join([*lines, b"--" + BOUNDARY.encode() + b"--", b""])


@pytest.mark.parametrize("path", ["/newsletter/a%00b/", "/offer/%00/", "/courses/%C3%28/"])
def test_nul_or_bytes_that_are_not_utf8_in_the_path_are_refused(
    client, path, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert refused(client.get(path))


def test_a_raw_byte_that_is_not_utf8_in_the_path_is_refused(client):
    # WSGI hands the path over as Latin-1 text of the bytes received.
    assert refused(client.get("/", PATH_INFO="/courses/\xff/"))


@pytest.mark.parametrize("query", ["q=a%00b", "a%00b=1", "q=%FF", "q=%C3%28", "%ED%A0%80=1"])
def test_nul_or_bytes_that_are_not_utf8_in_the_query_string_are_refused(client, query):
    assert refused(client.get("/?" + query))


def test_a_raw_byte_that_is_not_utf8_in_the_query_string_is_refused(client):
    assert refused(client.get("/", QUERY_STRING="q=\xff"))


@pytest.mark.parametrize(
    "body",
    [
        b"email=a%00b%40example.com",
        b"email=a%40example.com&name=Zo%00",
        b"email=a%40example.com&na%00me=Zo",
        b"email=a%40example.com&name=Zo%EB",
        b"email=a%40example.com&name=Zo\xeb",
    ],
)
def test_nul_or_bytes_that_are_not_utf8_in_a_form_are_refused_and_save_nothing(client, body):
    assert refused(client.post(SIGNUP, body, content_type=URLENCODED))
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(
    "part",
    [
        (b'name="email"', b"a\x00b@example.com"),
        (b'name="na\x00me"', b"Zo"),
    ],
)
def test_nul_in_a_multipart_form_is_refused(client, part):
    body = multipart((b'name="email"', b"a@example.com"), part)

    assert refused(client.generic("POST", SIGNUP, body, content_type=MULTIPART))
    assert not Subscriber.objects.exists()


def test_bytes_that_are_not_utf8_in_a_multipart_form_are_read_as_replacement_characters(client):
    """Not refused: Django's parser has replaced them already, and U+FFFD may be real text (a
    chapter pasted into the admin's multipart lesson form)."""
    body = multipart((b'name="email"', b"a@example.com"), (b'name="name"', b"Zo\xeb"))

    assert client.generic("POST", SIGNUP, body, content_type=MULTIPART).status_code == 302
    assert Subscriber.objects.get().name == "Zo\ufffd"


@pytest.mark.parametrize("charset", ["utf-16", "utf-7", "latin-1"])
def test_a_request_declaring_a_charset_other_than_utf8_is_refused(client, charset):
    # Django would read the query string in it: in UTF-7, "+AAA-" is NUL without a zero byte.
    # (An urlencoded body in another charset Django refuses itself.)
    response = client.get("/?q=%2BAAA-", CONTENT_TYPE=f"text/plain; charset={charset}")

    assert refused(response)


def test_well_formed_text_beyond_ascii_is_served_as_before(client):
    assert client.get("/?q=Zo%C3%AB%F0%9F%98%80").status_code == 200
    body = b"email=a%40example.com&name=Zo%C3%AB%F0%9F%98%80"

    response = client.post(SIGNUP, body, content_type=f"{URLENCODED}; charset=UTF-8")

    assert response.status_code == 302
    assert Subscriber.objects.get().name == "Zoë😀"


def test_a_cookie_holding_nul_is_dropped_and_the_page_served():
    # A quoted cookie may write NUL as \000; as a session key it would reach the database.
    client = Client(HTTP_COOKIE='sessionid="abcdefgh\\000"; csrftoken="\\000"')

    response = client.get("/")

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_a_view_reading_the_raw_body_still_can_after_a_multipart_form_is_checked(client):
    body = multipart((b'name="text"', b"x"))

    response = client.generic("POST", "/stripe/webhook/", body, content_type=MULTIPART)

    assert response.status_code == 400  # no Stripe signature; not a 500


def test_a_multipart_form_too_large_for_memory_streams_to_its_view_whose_form_refuses_nul(
    client, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = multipart((b'name="email"', b"a\x00b@example.com"), (b'name="name"', b"Zo"))
    assert len(body) > 100

    response = client.generic("POST", SIGNUP, body, content_type=MULTIPART)

    assert response.status_code == 200
    assert not Subscriber.objects.exists()

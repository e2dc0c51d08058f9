"""Staff powers need a second factor in the session, on every path (accounts/mfa.py).

An instructor, staff or superuser account signed in with its password alone sees what a
signed-in person without an enrolment sees: no learner's private question or answer, no circle
it is not a member of, no hidden post, no enrolment or payment detail, no audit log — on the
site and in the admin. The walk below visits every URL pattern of the site and every admin
list and change page as such an account and fails on any private text; the same walk with a
second factor shows the text, so the markers are where staff would see them.
"""

import pytest
from allauth.account.internal.flows.login import record_authentication
from django.apps import apps
from django.contrib import admin
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from audit.models import AuditEvent
from courses.models import Enrollment
from forum import services as forum_services
from forum.models import Post
from qa.models import Answer, Question
from tests import factories
from tests.security.test_access_matrix import all_routes, url_for
from tests.security.world import World

pytestmark = pytest.mark.django_db

MARKERS = {
    "question": "Quixote-private-question-5521",
    "answer": "Answer-marker-6107",
    "circle": "Circle-only-case-8812",
    "hidden post": "Hidden-post-text-7731",
    "payment": "pi_marker_4419",
    "audit": "Audit-marker-9020",
}
STAFF_KINDS = ["instructor", "staff", "superuser"]


@pytest.fixture
def private_world(world: World, learner, staff) -> World:
    """The security world (tests/security/world.py) plus one private thing of each kind."""
    question = Question.objects.create(
        asker=learner, title="Second question", text="Another private question."
    )
    Answer.objects.create(
        question=question, text=f"<p>{MARKERS['answer']}</p>", sent_at=timezone.now()
    )
    post = forum_services.create_reply(topic=world.topic, author=learner, body="x", fmt="plain")
    Post.objects.filter(pk=post.pk).update(body=MARKERS["hidden post"], html=MARKERS["hidden post"])
    forum_services.hide_post(post=post, by=staff)
    Enrollment.objects.filter(user=learner).update(stripe_payment_intent=MARKERS["payment"])
    AuditEvent.objects.create(action=AuditEvent.Action.QUESTION_VIEWED, detail=MARKERS["audit"])
    return world


def staff_account(kind: str):
    if kind == "superuser":
        return factories.make_user("root@example.com", is_staff=True, is_superuser=True)
    return factories.make_user(
        f"{kind}-2@example.com", role=roles.INSTRUCTOR if kind == "instructor" else roles.STAFF
    )


def signed_in(user, *, second_factor: bool) -> Client:
    """A client whose session signed in with the password, and with a code if asked."""
    client = Client()
    client.force_login(user)
    fake = RequestFactory().get("/")
    fake.session = client.session
    record_authentication(fake, user, "password", email=user.email)
    if second_factor:
        record_authentication(fake, user, "mfa", type="totp")
    fake.session.save()
    return client


def admin_urls(w: World) -> list[str]:
    """Every admin list, and the change page of each private object."""
    urls = [reverse("admin:index")]
    for model in apps.get_models():
        if admin.site.is_registered(model):
            urls.append(
                reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            )
    enrollment = Enrollment.objects.get(user__email="learner@example.com")
    for name, pk in [
        ("qa_question", w.question.pk),
        ("qa_question", Answer.objects.get(text__contains=MARKERS["answer"]).question_id),
        ("courses_enrollment", enrollment.pk),
        ("forum_post", Post.objects.get(is_hidden=True).pk),
        ("forum_topic", Post.objects.get(is_hidden=True).topic_id),
        ("forum_category", w.circle.pk),
        ("audit_auditevent", AuditEvent.objects.get(detail=MARKERS["audit"]).pk),
    ]:
        urls.append(reverse(f"admin:{name}_change", args=[pk]))
    return urls


def every_page(client: Client, w: World) -> dict[str, str]:
    """url → body of a GET of every site URL pattern and admin page (redirects not followed:
    a redirect's body is empty, and its target is visited on its own)."""
    pages = {}
    for url in [url_for(route, w) for route in all_routes()] + admin_urls(w):
        cache.clear()
        response = client.get(url)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        pages[url] = content.decode(errors="replace")
    return pages


@pytest.mark.parametrize("kind", STAFF_KINDS)
def test_staff_without_a_second_factor_see_no_private_text_on_any_url(private_world, kind):
    pages = every_page(signed_in(staff_account(kind), second_factor=False), private_world)

    leaks = [
        (what, url) for url, body in pages.items() for what, text in MARKERS.items() if text in body
    ]
    assert leaks == []


def test_the_same_staff_with_a_second_factor_see_what_their_roles_allow(private_world):
    seen: dict[str, set[str]] = {}
    for kind in STAFF_KINDS:
        pages = every_page(signed_in(staff_account(kind), second_factor=True), private_world)
        seen[kind] = {
            what for what, text in MARKERS.items() if any(text in b for b in pages.values())
        }

    # The instructor reads questions and answers; staff and the superuser see circles,
    # hidden posts and payments; only the superuser sees the audit log.
    assert {"question", "answer", "circle", "hidden post", "payment"} <= seen["instructor"]
    assert {"circle", "hidden post", "payment"} <= seen["staff"]
    assert set(MARKERS) == seen["superuser"]
    assert "audit" not in seen["instructor"] | seen["staff"]


def test_an_instructor_confirms_a_code_and_then_reads_the_question(private_world, instructor):
    client = signed_in(instructor, second_factor=False)
    url = reverse("qa:question", args=[private_world.question.pk])
    assert client.get(url).status_code == 404

    page = client.get(reverse("courses:dashboard")).content.decode()
    assert "Your staff tools are locked in this session" in page

    session_with_code = signed_in(instructor, second_factor=True)
    response = session_with_code.get(url)
    assert MARKERS["question"] in response.content.decode()
    assert "Your staff tools are locked" not in response.content.decode()


def test_a_permission_given_to_a_learner_counts_only_after_a_second_factor(private_world, outsider):
    """A permission is a staff power too, whatever is_staff says."""
    from django.contrib.auth.models import Permission

    outsider.user_permissions.add(Permission.objects.get(codename="view_question"))
    url = reverse("qa:question", args=[private_world.question.pk])

    assert signed_in(outsider, second_factor=False).get(url).status_code == 404
    assert signed_in(outsider, second_factor=True).get(url).status_code == 200


def test_outside_a_request_an_account_keeps_the_powers_of_its_roles(private_world, instructor):
    """Tasks and commands have no session: rules asked there follow the account's roles."""
    assert Question.objects.visible_to(instructor).filter(pk=private_world.question.pk).exists()

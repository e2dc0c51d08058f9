"""The XSS corpus in a real browser: stored as names, titles, posts, questions and follow-ups,
then opened by the people who read them. No script runs (alert, confirm and prompt are
counted, and so are dialogs), and the Content-Security-Policy never has to block anything
(a violation would mean the sanitizer let a script through and only the CSP stopped it)."""

import pytest

from forum import services as forum_services
from forum.models import Category
from qa.models import Question, Reply
from tests import factories
from tests.security.xss import VECTORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__xss = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__xss.push(name + ":" + args.join(",")); };
}
document.addEventListener("securitypolicyviolation", (e) => {
  window.__xss.push("csp:" + e.violatedDirective + ":" + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def stored_corpus(learner, cohort):
    """Every vector as a member's name, a topic title, a post, a question and a follow-up."""
    category = Category.objects.create(name="Practice", slug="practice", order=1)
    thread = forum_services.create_topic(
        category=category, author=learner, title="All the vectors", body="Start.", fmt="plain"
    )
    for n, vector in enumerate(VECTORS):
        author = factories.make_user(f"v{n}@example.com", display_name=vector[:80])
        factories.enrol(author, cohort)
        forum_services.create_reply(
            topic=thread, author=author, body=vector, fmt="markdown" if n % 2 else "plain"
        )
        forum_services.create_topic(
            category=category, author=author, title=vector[:200], body=vector, fmt="markdown"
        )
    question = Question.objects.create(
        asker=learner, title=VECTORS[0], text="\n".join(VECTORS)[:10000]
    )
    Reply.objects.bulk_create(Reply(question=question, author=learner, text=v) for v in VECTORS)
    learner.bio = "\n".join(VECTORS)[:1000]
    learner.display_name = VECTORS[1][:80]
    learner.save()
    return {"category": category, "thread": thread, "question": question}


def test_no_stored_vector_runs_script_in_the_browser(
    page, live_server, login_browser, learner, other_learner, stored_corpus
):
    other_learner_pages = (
        [f"/forum/t/{stored_corpus['thread'].pk}/?page={n}" for n in range(1, 6)]
        + [f"/forum/c/practice/?page={n}" for n in range(1, 5)]
        + ["/forum/"]
    )
    learner_pages = [
        f"/questions/{stored_corpus['question'].pk}/",
        "/questions/",
        "/profile/",
        "/forum/search/?q=alert",
    ]
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(WATCH)
    fired: dict[str, list[str]] = {}

    for user, paths in [(other_learner, other_learner_pages), (learner, learner_pages)]:
        login_browser(user)
        for path in paths:
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            page.wait_for_timeout(150)  # onerror/onload/ontoggle handlers would have run
            if path != "/forum/":
                assert "1337" in page.content(), f"{path} does not show the corpus"
            got = page.evaluate("window.__xss")
            if got:
                fired[path] = got

    assert fired == {}
    assert dialogs == []


def test_the_watch_sees_a_script_that_does_run(page, live_server):
    """The detector itself works: a page that calls alert() is caught."""
    page.add_init_script(WATCH)
    page.goto(live_server.url + "/privacy/")
    page.evaluate("alert(1337)")

    assert page.evaluate("window.__xss") == ["alert:1337"]

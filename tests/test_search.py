"""The site search (/search/, config/search.py): everything a person may see, grouped by kind,
through the same access rules as the pages — on SQLite by substring, on PostgreSQL in full
text (tests marked `postgres`)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forum import services as forum_services
from forum.models import Category, CircleMembership, Post
from lib.search import Query, highlight, plain_snippet
from qa.models import LibraryEntry, Question
from tests import factories

pytestmark = pytest.mark.django_db
SEARCH = reverse("search")


@pytest.fixture
def corpus(course, other_course, learner, other_learner, staff):
    """Avoidance everywhere: in a lesson of each course, a library entry and a draft, the
    learner's and the other learner's questions, an open topic, a circle's topic and a hidden
    post. Each title says whose or what it is."""
    factories.make_lesson(
        course, title="Avoidance in the open course", chapter="<p>Avoidance of affect.</p>"
    )
    factories.make_lesson(
        other_course,
        title="Locked lesson of another course",
        chapter="<p>Avoidance, locked.</p>",
    )
    factories.make_lesson(
        course,
        title="Podcast only",
        chapter="<p>Nothing here.</p>",
        podcast_transcript="In this episode we talk about avoidance at length.",
    )
    LibraryEntry.objects.create(
        title="Published avoidance entry",
        question="How do I notice avoidance?",
        answer="<p>Look for it.</p>",
        consent_given_at=timezone.now(),
        deidentified_confirmed=True,
        status=LibraryEntry.Status.PUBLISHED,
    )
    LibraryEntry.objects.create(title="Draft avoidance entry", question="Avoidance draft.")
    Question.objects.create(asker=learner, title="My avoidance question", text="Avoidance, mine.")
    Question.objects.create(
        asker=other_learner, title="Someone else's avoidance question", text="Avoidance, theirs."
    )
    open_category = Category.objects.create(name="Practice", slug="practice", order=1)
    circle = Category.objects.create(name="Circle", slug="circle", order=2, is_private=True)
    forum_services.create_topic(
        category=open_category, author=learner, title="Open avoidance topic",
        body="Avoidance in the open.", fmt=Post.Format.PLAIN,
    )  # fmt: skip
    forum_services.create_topic(
        category=circle, author=staff, title="Circle avoidance topic",
        body="Avoidance in the circle.", fmt=Post.Format.PLAIN,
    )  # fmt: skip
    hidden_topic = forum_services.create_topic(
        category=open_category, author=other_learner, title="Topic with a hidden reply",
        body="Nothing to see.", fmt=Post.Format.PLAIN,
    )  # fmt: skip
    hidden = forum_services.create_reply(
        topic=hidden_topic, author=other_learner, body="Hidden avoidance remark", fmt="plain"
    )
    forum_services.hide_post(post=hidden, by=staff)
    return circle


def page_for(client, q="avoidance", **params) -> str:
    response = client.get(SEARCH, {"q": q, **params})
    assert response.status_code == 200
    return response.content.decode()


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get(SEARCH, {"q": "avoidance"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_learner_finds_every_kind_they_may_see_grouped_by_kind(client_for, learner, corpus):
    page = page_for(client_for(learner))

    for title in [
        "Avoidance in the open course",
        "Podcast only",  # found by its podcast transcript
        "Published avoidance entry",
        "My avoidance question",
        "Open avoidance topic",
    ]:
        assert title in page, title
    headings = ["<h2 id=\"search-group-lessons\">Lessons</h2>", "Q&amp;A Video Library",
                ">Forum</h2>", "Your questions</h2>"]  # fmt: skip
    positions = [page.index(h) for h in headings]
    assert positions == sorted(positions)


def test_the_learner_never_finds_what_the_pages_would_not_show(client_for, learner, corpus):
    page = page_for(client_for(learner))

    assert "Locked lesson of another course" not in page  # a course without access
    assert "Someone else" not in page  # another learner's question
    assert "Circle avoidance topic" not in page  # a circle they are not in
    assert "Hidden avoidance remark" not in page and "Topic with a hidden reply" not in page
    assert "Draft avoidance entry" not in page  # not published


def test_a_topic_hidden_by_staff_leaves_the_results(client_for, learner, corpus):
    from forum.models import Topic

    Topic.objects.filter(title="Open avoidance topic").update(is_hidden=True)
    assert "Open avoidance topic" not in page_for(client_for(learner))


def test_a_circle_member_finds_the_circle(client_for, learner, corpus):
    CircleMembership.objects.create(category=corpus, user=learner)
    assert "Circle avoidance topic" in page_for(client_for(learner))


def test_someone_not_enrolled_finds_only_their_questions_and_free_previews(
    client_for, outsider, course, corpus
):
    factories.make_lesson(
        course, title="Free avoidance preview", chapter="<p>Avoidance.</p>", free_preview=True
    )
    Question.objects.create(asker=outsider, title="Outsider avoidance question", text="Hm.")

    page = page_for(client_for(outsider))

    assert "Free avoidance preview" in page
    assert "Outsider avoidance question" in page
    for title in ["Avoidance in the open course", "Published avoidance entry",
                  "Open avoidance topic", "My avoidance question"]:  # fmt: skip
        assert title not in page, title


def test_staff_find_every_course_and_circle_but_only_their_own_questions(client_for, staff, corpus):
    page = page_for(client_for(staff))

    assert "Locked lesson of another course" in page
    assert "Circle avoidance topic" in page
    assert "My avoidance question" not in page
    assert "Someone else" not in page


def test_a_refund_takes_the_results_away_at_once(client_for, learner, cohort, corpus):
    client = client_for(learner)
    assert "Open avoidance topic" in page_for(client)

    learner.enrollments.update(status="refunded")

    page = page_for(client)
    assert "Avoidance in the open course" not in page
    assert "Open avoidance topic" not in page
    assert "Published avoidance entry" not in page
    assert "My avoidance question" in page  # their own, still


def test_snippets_are_highlighted_and_content_cannot_inject_markup(client_for, learner, course):
    factories.make_lesson(
        course,
        title="<b>Bold</b> title",
        summary="",
        chapter="<p>avoidance &lt;script&gt;alert(1)&lt;/script&gt; \x02</p>",
    )

    page = page_for(client_for(learner))

    assert "<script>alert(1)" not in page
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in page
    assert "<mark>avoidance</mark>" in page.lower()


def test_more_results_of_one_kind_come_in_pages(client_for, learner, course):
    for n in range(26):
        factories.make_lesson(course, title=f"Avoidance part {n}", chapter="<p>Avoidance.</p>")
    client = client_for(learner)

    overview = page_for(client)
    assert overview.count('class="search-hit-title"') == 3
    assert "More results in Lessons" in overview and "kind=lessons" in overview

    first = page_for(client, kind="lessons")
    last = page_for(client, kind="lessons", page=3)
    assert first.count('class="search-hit-title"') == 10
    assert last.count('class="search-hit-title"') == 6
    assert "26 results in Lessons, page 1 of 3" in first
    assert 'rel="next"' in first and 'rel="prev"' in last


def test_the_overview_links_to_more_only_when_a_kind_has_more(client_for, learner, course):
    for n in range(3):
        factories.make_lesson(course, title=f"Avoidance part {n}", chapter="<p>Avoidance.</p>")
    client = client_for(learner)
    assert page_for(client).count('class="search-hit-title"') == 3
    assert "More results in Lessons" not in page_for(client)

    factories.make_lesson(course, title="Avoidance part 3", chapter="<p>Avoidance.</p>")
    assert page_for(client).count('class="search-hit-title"') == 3
    assert "More results in Lessons" in page_for(client)


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "Type a word or two to search for."),
        ("   \t ", "Type a word or two to search for."),
        ("x" * 201, "Keep your search to 200 characters (this one has 201)."),
        ("!!! && ||", "Search for words: use letters or numbers."),
    ],
)
def test_a_query_that_cannot_be_searched_says_why_next_to_the_field(
    client_for, learner, q, message
):
    page = page_for(client_for(learner), q=q)
    assert message in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="search-page-q-error"' in page


@pytest.mark.parametrize(
    "q",
    ["'", '"unclosed', "a & | ! :* <>", "-", "or or", "(avoidance", "avoidance:*", "é ß 漢字",
     "%_\\", "<script>alert(1)</script>", "the and of", "a:b c&d", "naïve café"],
)  # fmt: skip
def test_odd_queries_answer_a_page_never_a_500(client_for, learner, corpus, q):
    response = client_for(learner).get(SEARCH, {"q": q, "kind": "nonsense", "page": "x"})
    assert response.status_code == 200
    assert b"<script>alert(1)" not in response.content


def test_the_page_without_a_query_shows_the_form_and_no_error(client_for, learner):
    response = client_for(learner).get(SEARCH)
    assert response.status_code == 200
    assert 'id="search-page-q"' in response.content.decode()
    assert b'aria-invalid="true"' not in response.content
    assert b"search-group" not in response.content


def test_the_results_are_never_kept_by_a_shared_cache(client_for, learner, corpus):
    response = client_for(learner).get(SEARCH, {"q": "avoidance"})
    cache_control = response["Cache-Control"]
    assert "private" in cache_control
    assert "no-store" in cache_control


def test_every_signed_in_page_has_the_search_box_and_a_visitors_page_has_none(
    client_for, learner, client
):
    page = client_for(learner).get(reverse("courses:dashboard")).content.decode()
    assert 'class="site-search"' in page
    assert f'action="{SEARCH}"' in page
    assert 'class="site-search"' not in client.get(reverse("home")).content.decode()


def test_the_search_logs_nothing_of_the_query(client_for, learner, corpus, caplog):
    with caplog.at_level("DEBUG"):
        client_for(learner).get(SEARCH, {"q": "Quixote-secret-9931"})
    assert "Quixote-secret-9931" not in caplog.text


def test_the_query_count_stays_the_same_as_results_grow(client_for, learner, course, cohort):
    client = client_for(learner)
    client.get(SEARCH, {"q": "avoidance"})

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(SEARCH, {"q": "avoidance"}).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(8):
        factories.make_lesson(course, title=f"Avoidance {n}", chapter="<p>Avoidance.</p>")
        Question.objects.create(asker=learner, title=f"Avoidance {n}", text="Avoidance.")
    assert count() == few <= 12


def test_highlight_escapes_first_and_balances_the_marks():
    assert (
        highlight("<i>\x02a\x03</i> \x03b\x02c")
        == "&lt;i&gt;<mark>a</mark>&lt;/i&gt; b<mark>c</mark>"
    )


def test_plain_snippet_marks_every_word_of_the_query():
    snippet = plain_snippet(["", "Shame hides behind anger and shame."], Query("shame anger"))
    assert snippet == "<mark>Shame</mark> hides behind <mark>anger</mark> and <mark>shame</mark>."


def test_a_kinds_pages_read_the_ranked_ids_once_and_show_every_result_once(
    client_for, learner, course
):
    """The ids are paged in Python (lib.search.ranked_page): no COUNT ranks them twice."""
    for n in range(26):
        factories.make_lesson(course, title=f"Avoidance part {n}", chapter="<p>Avoidance.</p>")
    client = client_for(learner)
    titles = []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            page = page_for(client, kind="lessons", page=number)
        assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)
        titles += [t.split("</a>")[0] for t in page.split('class="search-hit-title">')[1:]]
    assert len(titles) == 26 and len(set(titles)) == 26


@pytest.mark.parametrize(
    ("query", "text", "marked"),
    [
        ("cries", "When clients cry.", "cry"),
        ("avoiding", "They avoided it.", "avoided"),
        ("feelings", "What we feel.", "feel"),
        ("therapy", "Two therapies.", "therapies"),
        ("shame", "Shaming talk.", "Shaming"),
    ],
)
def test_a_snippet_marks_the_forms_of_a_word_that_stemming_matches(query, text, marked):
    assert f"<mark>{marked}</mark>" in plain_snippet([text], Query(query))


def test_a_snippet_marks_whole_words_only_and_short_words_exactly():
    assert plain_snippet(["A flashback, ashamed."], Query("shame")) == "A flashback, ashamed."
    assert plain_snippet(["a an and"], Query("an")) == "a <mark>an</mark> and"


def test_a_snippet_is_cut_around_the_first_match_of_a_long_text():
    text = "Opening words. " * 1000 + "Here grief is named. " + "Closing words. " * 1000
    snippet = plain_snippet(["A summary.", text], Query("grief"))
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert "Here <mark>grief</mark> is named." in snippet and len(snippet) < 300


def test_a_snippet_is_tidied_from_the_text_it_is_cut_from():
    """Spacing and stray markers are tidied in the text the match is in, whichever it is."""
    texts = ["A  summary\n without it.", "Opening\n\n\t words \x02 before\x03  grief,\n  named."]
    snippet = plain_snippet(texts, Query("grief"))
    assert snippet == "Opening words before <mark>grief</mark>, named."
    assert plain_snippet(texts, Query("absent")) == "A summary without it."
    assert plain_snippet(["  ", "Then grief."], Query("grief")) == "Then <mark>grief</mark>."


@pytest.mark.postgres
def test_a_lessons_snippet_shows_a_match_deep_in_its_chapter(client_for, learner, course):
    deep = "<p>" + "Opening words. " * 1000 + "Here grief is named.</p>"
    factories.make_lesson(course, title="Long chapter", chapter=deep)
    page = page_for(client_for(learner), q="grief")
    assert "Here <mark>grief</mark> is named." in page


def test_query_alternatives_read_or_quotes_and_minus():
    assert Query('"inner child" or shame -guilt').alternatives() == [["inner", "child"], ["shame"]]


@pytest.mark.postgres
def test_postgres_ranks_stems_and_highlights(client_for, learner, course):
    factories.make_lesson(course, title="Avoiding feelings", chapter="<p>We avoided it.</p>")
    factories.make_lesson(course, title="Other", chapter="<p>Once, avoiding.</p>")
    page = page_for(client_for(learner), q="avoid")
    assert page.index("Avoiding feelings") < page.index(">Other<")  # the title weighs more
    assert "<mark>avoided</mark>" in page


@pytest.mark.postgres
def test_postgres_search_uses_the_indexes(learner):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN ('lessons_lesson_search_gin', "
            "'qa_libraryentry_search_gin', 'forum_post_search_gin', 'qa_question_search')"
        )
        assert len(cursor.fetchall()) == 4


def test_the_production_access_log_leaves_out_query_strings_and_referrers():
    """gunicorn's default line has the request line (%(r)s, with the query) and the referrer
    (%(f)s: the search URL again, on the result opened next)."""
    import runpy
    from pathlib import Path

    conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    line_format = conf["access_log_format"]
    atoms = {"h": "1.2.3.4", "l": "-", "u": "-", "t": "[now]", "m": "GET", "U": "/search/",
             "H": "HTTP/1.1", "s": "200", "b": "10", "a": "Firefox", "q": "q=secret",
             "r": "GET /search/?q=secret HTTP/1.1", "f": "/search/?q=secret"}  # fmt: skip
    line = line_format % atoms
    assert "/search/" in line
    assert "secret" not in line

"""The library's list, search and browse counts show every change at once (issue 22): the
list and search are not cached, and the browse counts are kept only until an entry changes
(qa/browse.py; tests/qa/test_browse_counts.py). Moved here from tests/test_performance_fixes.py
(issue 9's work), less the assertions about the old caches, which went with them."""

import pytest
from django.urls import reverse

from qa.models import LibraryEntry
from tests import factories
from tests.qa.conftest import make_entry, make_topic, shown_entries

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_library_entries_keep_a_search_vector_that_follows_their_text(client_for, learner):
    entry = make_entry(title="Working with grief", question="A client lost a parent.")
    entry.refresh_from_db()
    assert entry.search_vector is not None
    search = lambda q: list(LibraryEntry.objects.published().search(q))  # noqa: E731
    assert search("grief") == [entry]
    entry.title = "Working with silence"
    entry.save()
    assert search("grief") == []
    assert search("silence") == [entry]
    page = client_for(learner).get(reverse("qa:library") + "?q=silence")
    assert shown_entries(page) == [entry]


@pytest.mark.postgres
def test_library_search_ranks_only_the_newest_matches(monkeypatch):
    monkeypatch.setattr("lib.search.CANDIDATES", 2)
    entries = [make_entry(title=f"Shame, part {i}") for i in range(3)]
    found = set(LibraryEntry.objects.published().search("shame"))
    assert found == set(entries[1:])


def test_library_browse_counts_follow_a_new_entry_at_once(client_for, learner):
    shame = make_topic("Shame")
    make_entry(topics=[shame])
    c = client_for(learner)

    def counts() -> dict[str, int]:
        topics = c.get(reverse("qa:library")).context["topics"]
        return {t["name"]: t["entry_count"] for t in topics}

    assert counts() == {"Shame": 1}
    make_entry(topics=[shame])
    assert counts() == {"Shame": 2}
    grief = make_topic("Grief")
    make_entry(topics=[grief])
    assert counts() == {"Shame": 2, "Grief": 1}


def test_library_browse_counts_follow_a_renamed_topic_or_lesson_at_once(
    client_for, learner, course
):
    shame = make_topic("Shame")
    lesson = factories.make_lesson(course, title="Shame & guilt")
    entry = make_entry(topics=[shame])
    entry.lessons.add(lesson)
    c = client_for(learner)

    def names() -> tuple[list[str], list[str]]:
        context = c.get(reverse("qa:library")).context
        return [t["name"] for t in context["topics"]], [x["title"] for x in context["lessons"]]

    assert names() == (["Shame"], ["Shame & guilt"])
    shame.name = "Shame and pride"
    shame.save()
    lesson.title = "Shame, guilt and pride"
    lesson.save()
    assert names() == (["Shame and pride"], ["Shame, guilt and pride"])


def test_a_library_search_follows_added_edited_and_withdrawn_entries(
    client_for, learner, other_learner
):
    first = make_entry(title="Silence in the room")
    url = reverse("qa:library") + "?q=silence"
    c = client_for(learner)
    assert [e.title for e in shown_entries(c.get(url))] == ["Silence in the room"]

    second = make_entry(title="More silence")
    assert {e.title for e in shown_entries(c.get(url))} == {"Silence in the room", "More silence"}

    first.title = "Silence, revisited"
    first.save()
    page = client_for(other_learner).get(url)  # and another member alike
    assert {e.title for e in shown_entries(page)} == {"Silence, revisited", "More silence"}
    assert "Silence in the room" not in page.content.decode()

    second.status = LibraryEntry.Status.DRAFT
    second.save()
    assert [e.title for e in shown_entries(c.get(url))] == ["Silence, revisited"]
    second.delete()
    first.delete()
    assert shown_entries(c.get(url)) == []
    assert "Nothing found" in c.get(url).content.decode()


def test_library_cards_follow_edits_at_once(client_for, learner):
    entry = make_entry(title="Before the edit")
    c = client_for(learner)
    assert "Before the edit" in c.get(reverse("qa:library")).content.decode()
    entry.title = "After the edit"
    entry.save()
    assert "After the edit" in c.get(reverse("qa:library")).content.decode()

"""The site search's shared parts (templates/search.html): the query a person typed, checked
and cleaned; the sections the apps contribute; and snippets highlighted safely.

Each app that has something to find contributes `SEARCH_SECTIONS` in its own `search.py`
(lessons, qa, forum); config/search.py puts them on one page. A section's `matches` starts
from the app's own access rule (`visible_to(user)` and the like), so search shows exactly what
the pages show.

On PostgreSQL a section ranks stored (GIN-indexed) search vectors; elsewhere (SQLite,
`make run`) every word must appear as a substring. On both, a result's snippet is cut in
Python from the texts of the shown results only (`snippet`): PostgreSQL's `ts_headline` reads
the whole text for every result (about 6 ms for a lesson's chapter and transcript). The
matches are marked with private markers first: the text is escaped, then only the markers
become <mark>, so no content reaches the page unescaped.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.postgres.search import SearchQuery
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_LENGTH = 200
# Around matches in snippets; control characters that no form lets through in a title.
START, STOP = "\x02", "\x03"
# A common word can match much of the forum: only the newest matches of a section are ranked,
# so that a search costs the same however large the site grows. 200 is 20 pages of results;
# finding and ranking them is most of a search's time (a common word on the benchmark's data:
# the page of every kind took a quarter less time than with 500, bench/README.md).
CANDIDATES = 200
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class Query:
    """What a person searches for: `text` as PostgreSQL's web-search syntax reads it
    (words, "a phrase", or, -word)."""

    text: str

    def for_postgres(self) -> SearchQuery:
        return SearchQuery(self.text, search_type="websearch", config="english")

    def alternatives(self) -> list[list[str]]:
        """The query as word lists, any of which matches when all its words do (without
        PostgreSQL: quotes are ignored, "or" separates alternatives, -words are dropped)."""
        groups: list[list[str]] = [[]]
        for word in self.text.replace('"', " ").lower().split():
            if word == "or":
                groups.append([])
            elif not word.startswith("-") and _WORD.search(word):
                groups[-1].append(word)
        return [group for group in groups if group]

    def words(self) -> list[str]:
        return [word for group in self.alternatives() for word in group]

    def contains(self, *fields: str) -> Q:
        """Without PostgreSQL: every word of an alternative in one of `fields`."""
        condition = Q(pk__in=[])
        for group in self.alternatives():
            every = Q()
            for word in group:
                anywhere = Q(pk__in=[])
                for name in fields:
                    anywhere |= Q(**{f"{name}__icontains": word})
                every &= anywhere
            condition |= every
        return condition


def clean_query(raw: str) -> str:
    """Printable characters, single spaces: what is searched and shown back."""
    text = "".join(c if c.isprintable() else " " for c in unicodedata.normalize("NFC", raw))
    return " ".join(text.split())


class SearchForm(forms.Form):
    q = forms.CharField(label="Search for", required=False, strip=False)

    def clean_q(self) -> str:
        raw: str = self.cleaned_data["q"]
        text = clean_query(raw)
        if not text:
            raise forms.ValidationError("Type a word or two to search for.")
        if len(text) > MAX_LENGTH:
            raise forms.ValidationError(
                f"Keep your search to {MAX_LENGTH} characters (this one has {len(text)})."
            )
        if not Query(text).words():
            raise forms.ValidationError("Search for words: use letters or numbers.")
        return text


@dataclass
class Hit:
    """One result as the search page shows it."""

    title: str
    url: str
    snippet: SafeString
    context: str = ""
    when: dt.datetime | None = None


@dataclass(frozen=True)
class Section:
    """One kind of result. `matches(user, query)` returns what `user` may see that matches,
    best first; `rows(ids)` loads some of them again by id (ids `matches` returned: it
    checks no access), as `matches` loads them; `hit(row, query)` turns one into a Hit."""

    kind: str
    label: str
    order: int
    matches: Callable[[Any, Query], QuerySet[Any]]
    rows: Callable[[list[int]], QuerySet[Any]]
    hit: Callable[[Any, Query], Hit]


def newest_matches(rows: QuerySet[Any], query: Query, *order: str) -> QuerySet[Any]:
    """Ids of the newest `CANDIDATES` rows whose stored `search_vector` matches (PostgreSQL)."""
    return (
        rows.filter(search_vector=query.for_postgres()).order_by(*order).values("id")[:CANDIDATES]
    )


def ranked_page(
    matches: QuerySet[Any],
    number: int | str,
    per_page: int,
    rows: Callable[[list[int]], QuerySet[Any]],
) -> Page[Any]:
    """Page `number` of ranked `matches`: the ids of the best `CANDIDATES` are read once and
    paged in Python, then `rows(ids)` loads the page's rows. (A Paginator over `matches` would
    first COUNT them, finding and ranking the candidates a second time.)"""
    ids = list(matches.values_list("pk", flat=True)[:CANDIDATES])
    page = Paginator(ids, per_page).get_page(number)
    loaded = rows(list(page.object_list)).in_bulk()
    page.object_list = [loaded[pk] for pk in page.object_list if pk in loaded]
    return page


def highlight(text: str) -> SafeString:
    """Escape `text`, then turn the markers (only they) into <mark>…</mark>."""
    escaped = str(escape(text))
    opened = False
    out = []
    for piece in re.split(f"([{START}{STOP}])", escaped):
        if piece == START and not opened:
            out.append("<mark>")
            opened = True
        elif piece == STOP and opened:
            out.append("</mark>")
            opened = False
        elif piece not in (START, STOP):
            out.append(piece)
    if opened:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above; only balanced <mark> added


# Endings taken off a query's word (again and again, while three letters remain) so that a
# snippet marks about what PostgreSQL's English stemming matched, a little more widely:
# "avoiding" marks avoid and avoided, "feelings" feel, "therapy" therapies, "cries" cry.
_ENDING = re.compile(r"(?<=\w{3})(?:ies|es|ing|ed|ly|s|y|e)$")


def word_pattern(word: str) -> str:
    """A regular expression for the words `word` stands for: its stem and any ending, a
    final y or i either ("cry", "cries"). A word of one or two letters stands for itself."""
    if len(word) < 3:
        return rf"{re.escape(word)}\b"
    stem = word.lower()
    while (shorter := _ENDING.sub("", stem)) != stem:
        stem = shorter
    if stem[-1] in "iy":
        return rf"{re.escape(stem[:-1])}[iy]\w*"
    return rf"{re.escape(stem)}\w*"


def marked_words(query: Query) -> re.Pattern[str] | None:
    """The words of `query` and their forms, at the start of a word (case-insensitive)."""
    words = set(re.findall(r"\w+", " ".join(query.words())))
    if not words:
        return None
    alternatives = "|".join(sorted(map(word_pattern, words), key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})", re.IGNORECASE)


def snippet(row: Any, query: Query, *fields: str) -> SafeString:
    """A result's snippet, cut from its `fields` (`plain_snippet`): the one rule for snippets,
    on every database. The fields are read for the shown results only."""
    return plain_snippet([getattr(row, name) for name in fields], query)


def plain_snippet(texts: Iterable[str], query: Query, width: int = 220) -> SafeString:
    """An excerpt of the first of `texts` in which a word of the query appears (or the start
    of the first text), with those words marked."""
    texts = [t for t in texts if t]
    pattern = marked_words(query)
    # Whether a word matches does not depend on spacing, so only the text the excerpt is cut
    # from is tidied (a lesson's chapter and transcript are tens of kilobytes each).
    text = next((t for t in texts if pattern and pattern.search(t)), texts[0] if texts else "")
    text = " ".join(text.replace(START, " ").replace(STOP, " ").split())
    match = pattern.search(text) if pattern else None
    at = match.start() if match else 0
    start = max(0, at - width // 3)
    if start:
        start = text.find(" ", start) + 1 or start
    end = min(len(text), start + width)
    if end < len(text) and " " in text[start:end]:
        end = text.rfind(" ", start, end)
    excerpt = text[start:end]
    if pattern:
        excerpt = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", excerpt)
    return highlight(("… " if start else "") + excerpt + (" …" if end < len(text) else ""))

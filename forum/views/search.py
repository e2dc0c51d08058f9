"""The forum's own search page: the forum's part of the site search (forum/search.py, the one
definition of what a member's forum search finds), on a page of its own with the forum's
breadcrumbs and paging."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from forum.forms import SearchForm
from forum.search import post_hit, post_matches, post_rows
from forum.views.access import POSTS_PER_PAGE, MemberRequest, member_required, page_number
from lib import search as sitesearch


@member_required
def search(request: MemberRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query = sitesearch.clean_query(form.cleaned_data["q"]) if form.is_valid() else ""
    results: list[dict[str, Any]] = []
    page = None
    if query and sitesearch.Query(query).words():
        found = sitesearch.Query(query)
        page = sitesearch.ranked_page(
            post_matches(request.user, found), page_number(request), POSTS_PER_PAGE, post_rows
        )
        results = [
            {"post": post, "snippet": post_hit(post, found).snippet} for post in page.object_list
        ]
    capped = page is not None and page.paginator.count >= sitesearch.CANDIDATES
    return render(
        request,
        "forum/search.html",
        {
            "form": form,
            "query": query,
            "results": results,
            "page": page,
            "capped": capped,
            "candidates": sitesearch.CANDIDATES,
        },
    )

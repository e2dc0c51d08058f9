"""One search over everything a person may see (/search/): the sections the apps contribute in
their own `search.py` (`SEARCH_SECTIONS`, lib/search.py), found through their AppConfigs.

Without a kind, the page shows the best few results of every section; `?kind=forum` pages
through one section. The query stays in the URL (it is the person's own search, and a link
to it can be kept), and the page is never stored by a shared cache (`never_cache`: private,
no-store): questions are private.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lib.discovery import app_modules
from lib.search import Query, SearchForm, Section, ranked_page

# Results of each section on the page of all sections: an overview that stays short on a
# phone (four kinds of three, each with its excerpt); "More results in …" pages through one.
PREVIEW = 3
# Results on a page of one section.
PER_PAGE = 10


def search_sections() -> list[Section]:
    """Every installed app's `search.SEARCH_SECTIONS`, in their `order`."""
    sections = [s for part in app_modules("search") for s in getattr(part, "SEARCH_SECTIONS", [])]
    return sorted(sections, key=lambda section: section.order)


@never_cache
@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET if "q" in request.GET else None)
    sections = search_sections()
    chosen = next((s for s in sections if s.kind == request.GET.get("kind")), None)
    context: dict[str, Any] = {"form": form, "chosen": chosen, "groups": [], "page": None}
    if form.is_valid():
        query = Query(form.cleaned_data["q"])
        context["query"] = query.text
        if chosen is not None:
            page = ranked_page(
                chosen.matches(request.user, query),
                request.GET.get("page", "")[:12],
                PER_PAGE,
                chosen.rows,
            )
            context["page"] = page
            context["hits"] = [chosen.hit(row, query) for row in page.object_list]
        else:
            for section in sections:
                rows = list(section.matches(request.user, query)[: PREVIEW + 1])
                context["groups"].append(
                    {
                        "section": section,
                        "hits": [section.hit(row, query) for row in rows[:PREVIEW]],
                        "more": len(rows) > PREVIEW,
                    }
                )
            context["found"] = any(group["hits"] for group in context["groups"])
    return render(request, "search.html", context)

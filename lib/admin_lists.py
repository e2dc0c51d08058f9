"""The admin's list pages at scale (issue 23): what a row and a page count cost.

- `QuickRowsMixin` makes two parts of every row cheaper, with the same markup
  (tests/test_admin_lists.py compares them with Django's). Django's `action_checkbox` renders
  a form widget through the template engine for each row's selection checkbox, the most
  expensive cell of a row; it is written directly here. And on a filtered list Django adds
  the filters to each row's link by resolving that link through every URL pattern of the
  site, once per row; `QuickRowsChangeList` puts them in the links itself (the filters are
  the same for every row).
- `CappedCountPaginator` counts at most `count_limit` rows instead of every row a list or
  search matches (400,000 readers, 20,000 questions for one common word). Past the limit the
  list pages through the first `count_limit` rows and says that there are more
  (templates/admin/pagination.html, search_form.html and actions.html).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext


class QuickRowsChangeList(ChangeList):
    """Each row links to its change page with the list's filters, as Django's rows do, built
    once for the page: Django reads `preserved_filters` only to add them to the rows' links
    (admin_list.items_for_result), so with the filters already in the link it has nothing
    left to merge and resolves nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.row_link_query, self.preserved_filters = self.preserved_filters, ""

    def url_for_result(self, result: Model) -> str:
        url = super().url_for_result(result)
        return f"{url}?{self.row_link_query}" if self.row_link_query else url


class QuickRowsMixin:
    """For a ModelAdmin (listed before it): rows without the widget templates and without a
    URL resolved per row."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return QuickRowsChangeList

    def action_checkbox(self, obj: Model) -> SafeString:
        # As forms.CheckboxInput renders it, attributes in the same order, so that the
        # admin's actions.js and its styles find what they expect.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )


class CappedCountPaginator(Paginator[Any]):
    """Counts a list up to `count_limit` rows: exactly up to the limit; past it, `capped` is
    true, the pages cover the first `count_limit` rows, and the page says there are more.

    The count reads at most `count_limit + 1` rows, in no particular order (the list's order
    would make PostgreSQL walk its index and test each row against a search), on every
    database."""

    count_limit = 1000

    @cached_property
    def counted(self) -> int:
        """Rows found, at most `count_limit + 1`."""
        rows: Any = self.object_list
        if isinstance(rows, QuerySet):
            return rows.order_by()[: self.count_limit + 1].count()
        return min(len(rows), self.count_limit + 1)

    @property
    def capped(self) -> bool:
        """There are more rows than `count_limit`: the count shown is a lower bound."""
        return self.counted > self.count_limit

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.count_limit)

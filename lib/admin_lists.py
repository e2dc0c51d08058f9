"""The admin's list pages at scale (issue 23): what a row costs.

- `QuickRowsMixin` makes two parts of every row cheaper, with the same markup
  (tests/test_admin_lists.py compares them with Django's). Django's `action_checkbox` renders
  a form widget through the template engine for each row's selection checkbox, the most
  expensive cell of a row; it is written directly here. And on a filtered list Django adds
  the filters to each row's link by resolving that link through every URL pattern of the
  site, once per row; `QuickRowsChangeList` puts them in the links itself (the filters are
  the same for every row).
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.db.models import Model
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

"""Pagination for long ordered lists (issue 9)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


class EitherEndPaginator(Paginator[Any]):
    """A paginator that reads a page in the second half of the list from its end.

    An OFFSET makes the database step over every row before the page, so with the plain
    paginator the last page of a 5,000-post topic cost the most, and that is the page
    people open most ("last" is where the new replies are). Given the same query in reverse
    order, this one reads a page near the end as a short OFFSET from the end and turns it
    round: no page steps over more than half the list.
    """

    def __init__(self, object_list: QuerySet[Any], reverse: QuerySet[Any], per_page: int) -> None:
        super().__init__(object_list, per_page)
        self.reverse = reverse

    def page(self, number: Any) -> Page[Any]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if bottom <= self.count - top:
            return Page(self.object_list[bottom:top], number, self)
        rows = list(self.reverse[self.count - top : self.count - bottom])
        rows.reverse()
        return Page(rows, number, self)

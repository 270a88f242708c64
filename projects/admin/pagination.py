"""Changelists over tables of millions of rows: an estimated count when unfiltered, pages by primary key."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from projects.database.vendor import estimated_table_rows


class LargeTablePaginator(Paginator):
    """Counts an unfiltered list of a big table from the planner's estimate; every other list exactly.

    COUNT(*) over millions of rows costs more than the rest of the page. The estimate (pg_class.reltuples
    as of the last ANALYZE, scaled to the table's current size as the planner does) is off by the rows
    written since, so the pages show it as "about N". Filtered lists, small tables and other databases
    count exactly.
    """

    # Below this many rows an exact count is cheap and an estimate would only be less true.
    exact_below = 100_000

    @cached_property
    def estimated_count(self) -> int | None:
        """The estimated number of rows, or None when the list is counted exactly."""
        estimate = estimated_table_rows(self.object_list)
        if estimate is None or estimate < self.exact_below:
            return None
        return estimate

    @cached_property
    def count(self) -> int:
        if self.estimated_count is not None:
            return self.estimated_count
        return super().count

    def page(self, number: int | str) -> Page:
        """A page whose primary keys are found first, then its rows by key (a deferred join).

        The keys' query sorts and skips narrow rows of one table (OFFSET over the primary key's index is an
        index-only scan); the list's own query would first join every sorted or skipped row to its project,
        batch, annotator and vendor and carry its JSON along. Seconds become tenths at millions of rows.
        """
        number = self.validate_number(number)
        if not isinstance(self.object_list, QuerySet) or self.object_list.query.distinct:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        return self._get_page(self.object_list.filter(pk__in=keys), number, self)


class LargeTableChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        if self.paginator.estimated_count is not None:
            # The whole table is listed: the search bar has no "N results" of a search to show.
            self.full_result_count = self.result_count


class LargeTableAdmin(admin.ModelAdmin):
    """A changelist over a table of millions of rows: estimated count when unfiltered, no second full count,
    each page's keys found before its rows.

    Its pagination.html (admin/projects/<model>/pagination.html) includes admin/estimated_count_pagination.html.
    """

    paginator = LargeTablePaginator
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return LargeTableChangeList

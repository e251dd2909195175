"""Admin pieces shared by every app's back office, built for tables of millions of rows.

* ``LargeTablePaginator``: never runs a full ``COUNT(*)``. An unfiltered list on
  PostgreSQL shows the planner's estimate (``pg_class.reltuples``); anything else is
  counted up to a cap ("1000+"). Pages past the counted ones still open.
* ``LargeTableAdminMixin``: the ModelAdmin options that go with it (no full count, no
  facet counts).
* ``PaginatedInlineMixin``: an inline that shows one page of its rows at a time
  (``?<prefix>_page=N``), for children that can be many (materials, relations).
* ``autocomplete_source(request)``: which field an admin autocomplete request serves,
  so a ModelAdmin can offer different choices to different fields.
"""

from math import ceil

from django.contrib import admin
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connections
from django.forms.models import BaseInlineFormSet
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _


class LargeTablePaginator(Paginator):
    """A paginator whose count costs at most ``max_exact_count`` rows of work.

    ``count_is_exact`` tells whether ``count`` is the real number; ``count_display`` is
    what to show ("1,234", "1000+", "约 1,234,567").
    """

    # Count exactly up to this many rows; beyond it say "N+".
    max_exact_count = 1000

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.count_is_exact = True
        self.count_is_estimate = False

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if not hasattr(object_list, "query"):
            return super().count
        estimate = self._planner_estimate(object_list)
        if estimate is not None and estimate > self.max_exact_count:
            self.count_is_exact = False
            self.count_is_estimate = True
            return estimate
        # COUNT over at most max_exact_count + 1 rows; ordering is irrelevant to a count.
        counted = object_list.order_by().values("pk")[: self.max_exact_count + 1].count()
        if counted > self.max_exact_count:
            self.count_is_exact = False
            return counted
        return counted

    def _planner_estimate(self, queryset) -> int | None:
        """``pg_class.reltuples`` for an unfiltered list on PostgreSQL, else None."""
        query = queryset.query
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        if query.where or query.distinct or query.combinator or query.is_sliced:
            return None
        table = queryset.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(table)],
            )
            row = cursor.fetchone()
        # -1 means the table was never analysed.
        if not row or row[0] is None or row[0] < 0:
            return None
        return int(row[0])

    @property
    def count_display(self) -> str:
        count = self.count
        if self.count_is_estimate:
            return _("约 %(count)s") % {"count": number_format(count, force_grouping=True)}
        if not self.count_is_exact:
            return f"{number_format(self.max_exact_count, force_grouping=True)}+"
        return number_format(count, force_grouping=True)

    def validate_number(self, number):
        self.count  # noqa: B018 -- counting decides whether the count is exact
        if self.count_is_exact:
            return super().validate_number(number)
        # More rows may lie past the counted pages: accept any positive page number.
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        if self.count_is_exact:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        object_list = self.object_list[bottom : bottom + self.per_page]
        if number > self.num_pages:
            object_list = list(object_list)
            if not object_list:
                raise EmptyPage(self.error_messages["no_results"])
        return self._get_page(object_list, number, self)


class LargeTableAdminMixin:
    """ModelAdmin options for a list that can grow without bound."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER


def autocomplete_source(request) -> tuple[str, str, str] | None:
    """``(app_label, model_name, field_name)`` when ``request`` is an admin autocomplete call."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "autocomplete":
        return None
    return (
        request.GET.get("app_label", ""),
        request.GET.get("model_name", ""),
        request.GET.get("field_name", ""),
    )


class PaginatedInlineFormSet(BaseInlineFormSet):
    """An inline formset over one page of the parent's rows.

    The page comes from ``?<prefix>_page=N`` on the change page's URL; the form posts to
    the same URL, so the page bound on POST is the page shown on GET. Rows are ordered
    (model ordering, then pk) so a page holds the same rows between the two requests.
    """

    per_page = 20
    page_param = "page"
    requested_page = 1
    query = None  # the request's QueryDict, to build the page links

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A total order, so GET and POST slice the same rows (the inline's ordering, then pk).
        order = [*self.queryset.query.order_by]
        if not {"pk", "-pk", self.model._meta.pk.name} & set(order):
            order.append("pk")
        queryset = self.queryset.order_by(*order)
        self.total_count = 0 if self.instance._state.adding else queryset.count()
        self.num_pages = max(1, ceil(self.total_count / self.per_page))
        self.page_number = min(max(1, self.requested_page), self.num_pages)
        start = (self.page_number - 1) * self.per_page
        self.queryset = queryset[start : start + self.per_page]

    @property
    def is_paginated(self) -> bool:
        return self.num_pages > 1

    def page_links(self) -> list[dict]:
        links = []
        for number in range(1, self.num_pages + 1):
            query = self.query.copy() if self.query is not None else None
            if query is None:
                url = f"?{self.page_param}={number}"
            else:
                query[self.page_param] = str(number)
                url = f"?{query.urlencode()}"
            links.append({"number": number, "url": url, "current": number == self.page_number})
        return links


class PaginatedInlineMixin:
    """For an InlineModelAdmin: show ``per_page`` rows at a time with page links.

    Set ``template`` to ``admin/edit_inline/paginated_tabular.html`` or
    ``admin/edit_inline/paginated_stacked.html``.
    """

    formset = PaginatedInlineFormSet
    per_page = 20
    template = "admin/edit_inline/paginated_tabular.html"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        page_param = f"{formset.get_default_prefix()}_page"
        try:
            requested = int(request.GET.get(page_param, 1))
        except ValueError:
            requested = 1
        attributes = {
            "per_page": self.per_page,
            "page_param": page_param,
            "requested_page": requested,
            "query": request.GET.copy(),
        }
        return type(formset.__name__, (formset,), attributes)

"""Home, search and navigation pages: the portal's own views over the catalogue."""

import hashlib

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from matters import cache as catalogue_cache
from matters import search as matter_search
from matters import selectors as matter_selectors
from portal.context_processors import LARGE_TEXT_COOKIE
from portal.models import Notice

SEARCH_PAGE_SIZE = 20
# Longer input is not a search term; it would only make the query expensive.
SEARCH_MAX_LENGTH = 100


def home(request):
    return render(
        request,
        "portal/home.html",
        {
            "life_themes": matter_selectors.themes_for("citizen"),
            "enterprise_themes": matter_selectors.themes_for("enterprise"),
            "popular_matters": matter_selectors.popular_matters(limit=10),
            "departments": matter_selectors.departments_with_matters(),
            "notices": Notice.objects.published()[:5],
        },
    )


def search(request):
    """Search results, or suggestions when the query is empty or finds nothing.

    What shows under the search box is the same for everyone who sends the same query string:
    it is rendered once per catalogue version and language (matters.cache).
    """
    query = " ".join(request.GET.get("q", "").split())[:SEARCH_MAX_LENGTH]
    params = catalogue_cache.query_params(request.GET, exclude=("q",))
    if params is None:  # an odd, very long query string: not worth a cache entry
        results = _search_results(request, query)
    else:
        key = catalogue_cache.fragment_key("search", query, params, _synonym_table_digest())
        results = catalogue_cache.fragment(key, lambda: _search_results(request, query))
    return render(request, "portal/search.html", {"query": query, "results": results})


_synonym_digest: tuple[object, str] | None = None


def _synonym_table_digest() -> str:
    """A digest of the synonym table this process expands queries with.

    matters.search keeps the table in each process for a few seconds, so just after an edit a
    process may still expand with the old one: its results then go under another key than
    the fresh processes' results, instead of being served to everyone as current.
    """
    global _synonym_digest
    table = matter_search.synonyms()
    memo = _synonym_digest
    if memo is None or memo[0] is not table:
        digest = hashlib.blake2b(repr(sorted(table.items())).encode(), digest_size=8).hexdigest()
        memo = _synonym_digest = (table, digest)
    return memo[1]


def _search_results(request, query: str) -> str:
    context = {"query": query, "page_obj": None}
    if query:
        page = _search_page(matter_search.search(matter_selectors.published_matters(), query), request)
        context["page_obj"] = page
        context["page_range"] = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    if context["page_obj"] is None or context["page_obj"].paginator.count == 0:
        context["suggested_matters"] = matter_selectors.popular_matters(limit=8)
        context["life_themes"] = matter_selectors.themes_for("citizen")
        context["enterprise_themes"] = matter_selectors.themes_for("enterprise")
    return render_to_string("portal/_search_results.html", context, request=request)


def _search_page(results, request) -> Page:
    """One page of ranked results: the ranking query returns only the ids of the page (sorting
    narrow rows), then one query fetches those matters for display."""
    paginator = Paginator(results, SEARCH_PAGE_SIZE)
    number = paginator.get_page(request.GET.get("page")).number
    if not paginator.count:
        return Page([], number, paginator)
    start = (number - 1) * SEARCH_PAGE_SIZE
    ids = list(results.values_list("pk", flat=True)[start : start + SEARCH_PAGE_SIZE])
    rows = matter_selectors.published_matters().in_bulk(ids)
    return Page([rows[pk] for pk in ids if pk in rows], number, paginator)


@require_POST
def toggle_large_text(request):
    """适老化 large-text mode, kept per browser in a cookie so it works without JavaScript."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if request.COOKIES.get(LARGE_TEXT_COOKIE) == "1":
        response.delete_cookie(LARGE_TEXT_COOKIE, samesite="Lax")
    else:
        response.set_cookie(
            LARGE_TEXT_COOKIE,
            "1",
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure(),
            httponly=True,
        )
    return response


def bench_minimal(request):
    """The comparison view of `make bench`: a bare template view through the full middleware stack
    (RECIPES.md measures pages against such a view), with no query and no layout."""
    return render(request, "portal/bench_minimal.html", {"site_name": settings.PORTAL_SITE_NAME})

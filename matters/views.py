"""Public catalogue pages: list, service guide, printable guide and smart guidance (智能导办)."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from matters import cache, selectors
from matters.filters import MatterFilter
from matters.models import Matter

PAGE_SIZE = 20


def matter_list(request):
    """The catalogue: filters in the query string, so every combination has its own URL.

    The filter form and the results are the same for everyone who sends the same query string:
    each is rendered once per catalogue version and language (matters.cache), the form for the
    filter values whatever the page.
    """
    htmx = request.headers.get("HX-Request") and request.headers.get("HX-Target") == "matter-results"
    built: dict[str, MatterFilter] = {}

    def matter_filter() -> MatterFilter:
        if "filter" not in built:
            built["filter"] = MatterFilter(request.GET, queryset=selectors.catalogue_matters())
        return built["filter"]

    def results() -> dict:
        return _catalogue_results(matter_filter(), request)

    def filters() -> str:
        return render_to_string("matters/_matter_filters.html", {"filter": matter_filter()})

    params = cache.query_params(request.GET)
    if params is None:  # an odd, very long query string: not worth a cache entry
        parts = {"results": results(), "filters": "" if htmx else filters()}
    else:
        wanted = {"results": (cache.fragment_key("catalogue-results", params), results)}
        if not htmx:
            filter_params = tuple(item for item in params if item[0] != "page")
            wanted["filters"] = (cache.fragment_key("catalogue-filters", filter_params), filters)
        parts = cache.fragments(wanted)
    # htmx swaps only the results when a filter changes; the full page stays the no-JS path.
    if htmx:
        response = HttpResponse(parts["results"]["html"])
    else:
        catalogue = {**parts["results"], "filters": parts["filters"], "results": parts["results"]["html"]}
        response = render(request, "matters/matter_list.html", {"catalogue": catalogue})
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _catalogue_results(matter_filter: MatterFilter, request) -> dict:
    """The rendered results of the catalogue, with what the page title shows of them."""
    paginator = Paginator(matter_filter.qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    active_filters = _active_filters(matter_filter, request)
    context = {
        "page_obj": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "active_filters": active_filters,
    }
    return {
        "html": render_to_string("matters/_matter_results.html", context, request=request),
        "active_values": [item["value"] for item in active_filters],
        "page_number": page.number,
    }


def _active_filters(matter_filter: MatterFilter, request) -> list[dict]:
    """The filters in effect, each with its label and the URL that removes it."""
    form = matter_filter.form
    form.is_valid()  # fills cleaned_data with the valid fields even when another one is invalid
    active = []
    for name, value in form.cleaned_data.items():
        if value in (None, "", []) or name in form.errors:
            continue
        field = form.fields[name]
        if isinstance(value, bool):
            shown = _("是") if value else _("否")
        elif getattr(field, "queryset", None) is not None:
            shown = str(value)
        else:
            shown = str({str(key): label for key, label in field.choices}.get(str(value), value))
        remaining = request.GET.copy()
        remaining.pop(name, None)
        remaining.pop("page", None)
        query = remaining.urlencode()
        active.append(
            {
                "label": field.label,
                "value": shown,
                "remove_url": reverse("matters:list") + (f"?{query}" if query else ""),
            }
        )
    return active


def _guide_or_404(code: str) -> Matter:
    try:
        return selectors.matter_for_guide(code)
    except Matter.DoesNotExist:
        raise Http404(_("未找到该事项，或该事项尚未发布。")) from None


def matter_detail(request, code):
    """The guide page. Its catalogue parts are rendered once per matter, catalogue version and
    language (matters.cache): a visit served from the cache reads no catalogue row."""
    guide = cache.fragment(cache.fragment_key("guide", code), lambda: _guide_parts(code))
    return render(request, "matters/matter_detail.html", {"guide": guide})


def _guide_parts(code: str) -> dict:
    matter = _guide_or_404(code)
    context = {"matter": matter, "relation_groups": selectors.relations_by_kind(matter)}
    return {
        "name": matter.name,
        "summary": matter.summary,
        "department_name": matter.department.name,
        "department_url": matter.department.get_absolute_url(),
        "header": render_to_string("matters/_guide_header.html", context),
        "actions": render_to_string("matters/_guide_actions.html", context),
        "layout": render_to_string("matters/_guide_layout.html", context),
        "print_url": reverse("matters:print", args=[matter.implementation_code]),
        # Favourites come with a later issue; the button shows once the URL exists.
        "favourite_url": _url_or_empty("citizens:favourite", matter.implementation_code),
    }


def _url_or_empty(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def matter_print(request, code):
    matter = _guide_or_404(code)
    return render(
        request,
        "matters/matter_print.html",
        {"matter": matter, "relation_groups": selectors.relations_by_kind(matter)},
    )


def _guide_url(option_ids: list[int]) -> str:
    """The bookmarkable URL of a guidance step: the chosen option ids, in order."""
    base = reverse("guide:start")
    return f"{base}?{urlencode([('a', pk) for pk in option_ids])}" if option_ids else base


def _answers(request) -> tuple[list[int], bool]:
    """The option ids of ``?a=…&a=…``; anything that is not an id ends the path there."""
    ids: list[int] = []
    for raw in request.GET.getlist("a"):
        if not raw.isdigit() or len(raw) > 12:
            return ids, True
        ids.append(int(raw))
    return ids, False


def smart_guide(request):
    """智能导办: each step is a plain GET URL, so it works without JavaScript and can be bookmarked."""
    ids, malformed = _answers(request)
    path = selectors.guidance_path(ids)
    chosen = path.option_ids
    context = {
        "path": path,
        "truncated": malformed or path.truncated,
        # Each answer given links back to its question, to change it.
        "answers": [
            {"step": step, "change_url": _guide_url(chosen[:index])} for index, step in enumerate(path.steps)
        ],
        "back_url": _guide_url(chosen[:-1]) if chosen else "",
        "questions": [
            {
                "question": question,
                "options": [
                    {"option": option, "url": _guide_url([*chosen, option.pk])} for option in question.choices
                ],
            }
            for question in path.questions
        ],
    }
    if path.end is not None:
        recommended = selectors.guidance_recommendations(path)
        context["recommended"] = recommended
        context["materials"] = selectors.combined_materials(recommended)
    return render(request, "matters/smart_guide.html", context)

"""Public catalogue pages: list, service guide, printable guide and smart guidance (智能导办)."""

from django.http import Http404
from django.shortcuts import render

from matters import selectors
from matters.models import GuideQuestion, Matter


def matter_list(request):
    matters = selectors.published_matters()
    return render(request, "matters/matter_list.html", {"matters": matters[:50]})


def _guide_or_404(code: str) -> Matter:
    try:
        return selectors.matter_for_guide(code)
    except Matter.DoesNotExist:
        raise Http404 from None


def matter_detail(request, code):
    return render(request, "matters/matter_detail.html", {"matter": _guide_or_404(code)})


def matter_print(request, code):
    return render(request, "matters/matter_print.html", {"matter": _guide_or_404(code)})


def smart_guide(request):
    question = GuideQuestion.objects.filter(is_start=True).prefetch_related("options").first()
    return render(request, "matters/smart_guide.html", {"question": question})

"""Chinese full-text search over the catalogue.

Interface used by the pages and the API: ``search(queryset, query)`` returns the
queryset filtered to the matters that match, best first.
"""

from django.db.models import QuerySet

from matters.models import Matter


def search(queryset: QuerySet[Matter], query: str) -> QuerySet[Matter]:
    query = (query or "").strip()
    if not query:
        return queryset
    return queryset.filter(name__icontains=query)

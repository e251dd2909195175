"""Rebuild the search index of every matter (after bulk loads or a change of search_dict.txt)."""

import time

from django.core.management.base import BaseCommand

from matters import search
from matters.cache import bump_catalogue_version
from matters.models import Matter


class Command(BaseCommand):
    help = "Rebuild the full-text search index (search_document, search_vector) of all matters."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Matters per UPDATE (default 500).")

    def handle(self, *args, batch_size=500, **options):
        started = time.monotonic()
        count = search.reindex_queryset(Matter.objects.all(), batch_size=max(1, batch_size))
        bump_catalogue_version()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Reindexed {count} matters in {elapsed:.2f}s."))

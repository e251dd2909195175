"""The PostgreSQL side of the catalogue search: the weighted tsvector and its GIN index."""

import pytest
from django.db import connection

from matters import search
from matters.models import Matter
from matters.selectors import published_matters
from tests import factories

pytestmark = pytest.mark.postgres


def lexemes(matter: Matter) -> dict[str, str]:
    """lexeme → its weights, as PostgreSQL stored them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme, array_to_string(weights, '') FROM unnest("
            "(SELECT search_vector FROM matters_matter WHERE id = %s))",
            [matter.pk],
        )
        return dict(cursor.fetchall())


def test_the_vector_weights_name_pinyin_tags_and_materials(db):
    matter = factories.MatterFactory(name="居民身份证换领", acceptance_conditions="须本人到场办理。")
    factories.MaterialRequirementFactory(matter=matter, name="户口簿")
    matter.tags.add(factories.TagFactory(name="户籍"))

    stored = lexemes(matter)

    assert "A" in stored["身份证"]
    assert stored["sfzhl"] == "B"
    assert stored["shenfenzhenghuanling"] == "B"
    assert stored["户籍"] == "B"
    assert stored["户口簿"] == "C"
    assert stored["到场"] == "D"


def test_the_match_is_answered_by_the_gin_index(db):
    factories.MatterFactory(name="居民身份证换领")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a one-row table would be scanned

    plan = search.search(Matter.objects.all(), "身份证").explain()

    assert "matter_search_vector_gin" in plan


def test_a_name_filter_by_substring_is_answered_by_the_trigram_index(db):
    factories.MatterFactory(name="居民身份证换领")
    with connection.cursor() as cursor:
        # A tiny table: without these the planner may walk any index in the list's order
        # (depending on the statistics earlier tests left) and filter; a bitmap scan needs
        # an index condition, which only the trigram index can give.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")

    plan = Matter.objects.filter(name__icontains="身份证换").order_by().explain()

    assert "matter_name_upper_trgm" in plan


def test_tsquery_operators_typed_by_the_user_are_plain_text(db):
    factories.MatterFactory(name="居民身份证换领")

    assert list(search.search(published_matters(), "身份证:* | !换领 & (sfz)")) != []

"""manage.py seed_bulk: synthetic matters for benchmarks."""

from io import StringIO

import pytest
from django.core.management import call_command

from matters import codes
from matters.management.commands.seed_bulk import ACTIVITIES
from matters.models import Department, Matter

pytestmark = pytest.mark.django_db


def seed(n: int) -> None:
    call_command("seed_bulk", matters=n, batch_size=7, stdout=StringIO())


def test_seed_bulk_creates_the_requested_number_of_published_matters():
    seed(20)

    assert Matter.objects.published().count() == 20


def test_every_generated_matter_passes_the_catalogue_rules():
    seed(30)

    for matter in Matter.objects.select_related("department", "region").prefetch_related("steps"):
        matter.full_clean()
        matter.clean_steps(matter.steps.all())


def test_every_generated_matter_has_3_to_6_materials_and_2_to_4_steps():
    seed(30)

    for matter in Matter.objects.prefetch_related("steps", "materials"):
        assert 3 <= len(matter.materials.all()) <= 6
        assert 2 <= len(matter.steps.all()) <= 4


def test_generated_matters_are_spread_over_the_demo_departments():
    seed(30)

    assert Department.objects.filter(matters__isnull=False).distinct().count() >= 25


def test_generated_basic_codes_start_with_49_and_a_second_run_continues_them():
    seed(5)
    seed(5)

    basic_codes = list(Matter.objects.values_list("basic_code", flat=True))
    assert len(set(basic_codes)) == 10
    assert all(code.startswith("49") for code in basic_codes)


def test_generated_names_pair_an_activity_with_an_action_that_fits_it():
    seed(10)

    fitting = {activity + action[0] for activity, _, actions in ACTIVITIES for action in actions}
    for name in Matter.objects.values_list("name", flat=True):
        assert any(name.endswith(pair) for pair in fitting), name


def test_generated_matters_are_applicant_initiated():
    seed(10)

    assert set(Matter.objects.values_list("matter_type", flat=True)) <= set(codes.APPLICANT_INITIATED_TYPES)

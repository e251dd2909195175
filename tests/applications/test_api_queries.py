"""The API's lists and pages cost the same few queries whatever their length."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from applications.api import CaseSummarySerializer, QueueRowSerializer
from applications.models import Case, State
from tests.applications.test_api_support import token_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rendered_documents")]


def queries(api, url: str, **params) -> int:
    api.get(url, params)  # warm the per-process caches (calendar, form specs)
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def test_my_list_costs_the_same_for_one_case_or_many(build, citizen):
    api = token_client(citizen)
    build(State.ACCEPTED)
    one = queries(api, "/api/v1/applications/")
    for state in (State.SUBMITTED, State.UNDER_REVIEW, State.DRAFT, State.COMPLETED):
        build(state)
    assert queries(api, "/api/v1/applications/") == one
    assert one <= 5


def test_the_queue_costs_the_same_for_one_case_or_many(build, clerk):
    api = token_client(clerk)
    build(State.ACCEPTED)
    one = queries(api, "/api/v1/queue/", due_soon="true", overdue="false")
    for state in (State.SUBMITTED, State.UNDER_REVIEW, State.CORRECTION_REQUESTED, State.COMPLETED):
        build(state)
    assert queries(api, "/api/v1/queue/", due_soon="true", overdue="false") == one
    assert one <= 5


def test_a_case_page_costs_the_same_however_long_its_history(build, citizen):
    api = token_client(citizen)
    short = build(State.SUBMITTED)
    long = build(State.DELIVERED)
    assert queries(api, f"/api/v1/applications/{short.serial}/") == queries(
        api, f"/api/v1/applications/{long.serial}/"
    )


def test_the_document_store_costs_the_same_for_one_document_or_many(citizen):
    from applications import materials, uploads
    from tests.applications.test_api_support import pdf_bytes

    api = token_client(citizen)
    materials.store_document(owner=citizen, checked=uploads.check(pdf_bytes("red"), name="a.pdf"))
    one = queries(api, "/api/v1/documents/")
    for colour in ("blue", "green", "yellow"):
        materials.store_document(owner=citizen, checked=uploads.check(pdf_bytes(colour), name="b.pdf"))
    assert queries(api, "/api/v1/documents/") == one


def _context(user) -> dict:
    request = Request(APIRequestFactory().get("/api/v1/"))
    request.user = user
    return {"request": request}


@pytest.mark.parametrize("state", [State.DRAFT, State.SUBMITTED, State.ACCEPTED, State.COMPLETED])
def test_a_row_of_my_list_renders_as_the_generic_serializer_would(build, citizen, state):
    case = Case.objects.select_related("matter", "department", "submission").get(pk=build(state).pk)
    serializer = CaseSummarySerializer(context=_context(citizen))
    assert serializer.to_representation(case) == serializers.Serializer.to_representation(serializer, case)


@pytest.mark.parametrize("state", [State.SUBMITTED, State.ACCEPTED, State.COMPLETED])
def test_a_queue_row_renders_as_the_generic_serializer_would(build, clerk, state):
    case = Case.objects.select_related("matter", "department", "submission").get(pk=build(state).pk)
    serializer = QueueRowSerializer(context=_context(clerk))
    assert serializer.to_representation(case) == serializers.Serializer.to_representation(serializer, case)

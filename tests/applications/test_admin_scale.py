"""The queue at scale: the same queries for 3 or 15 rows, and never a COUNT(*) without a cap."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import State
from tests import factories
from tests.applications.test_admin_helpers import case_url, listed, queue_url

STATES = [
    State.SUBMITTED,
    State.PRE_REVIEW,
    State.ACCEPTED,
    State.UNDER_REVIEW,
    State.DECIDED,
    State.COMPLETED,
]


def make_cases(build, department, count: int, states=STATES) -> None:
    """Cases in several states over several matters (each row reads its own matter and applicant)."""
    for i in range(count):
        matter = factories.MatterFactory(department=department)
        build(states[i % len(states)], matter=matter)


def queries_of(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize(
    "query", ["", "deadline=overdue", "deadline=due_soon", "queue=todo", "state=accepted"]
)
def test_the_queue_runs_the_same_queries_for_3_or_15_cases(client, build, clerk, department, query):
    make_cases(build, department, 3)
    client.force_login(clerk)
    client.get(queue_url(query))  # warm the process caches (working-day calendars)
    few = queries_of(client, queue_url(query))
    make_cases(build, department, 12)
    many = queries_of(client, queue_url(query))
    assert len(many) == len(few), "\n".join(many)


def test_the_queue_shows_thirty_rows_from_one_query(client, build, clerk, department):
    make_cases(build, department, 30)
    client.force_login(clerk)
    response = client.get(queue_url())
    assert len(listed(response)) == 30


def test_every_count_of_the_queue_is_capped(client, build, clerk, department):
    make_cases(build, department, 3)
    client.force_login(clerk)
    counts = [sql for sql in queries_of(client, queue_url()) if "COUNT(" in sql.upper()]
    assert counts, "the queue says how many cases it holds"
    assert all("LIMIT" in sql.upper() for sql in counts), counts


def test_a_supervisors_queue_runs_the_same_queries_for_few_or_many_cases(
    client, build, supervisor, department, other_department
):
    make_cases(build, department, 3)
    client.force_login(supervisor)
    client.get(queue_url())
    few = queries_of(client, queue_url())
    make_cases(build, other_department, 12, states=[State.SUBMITTED])
    assert len(queries_of(client, queue_url())) == len(few)


def test_the_case_page_runs_the_same_queries_for_a_short_or_long_history(client, build, clerk, reviewer):
    short = build(State.SUBMITTED)
    long = build(State.COMPLETED)
    client.force_login(clerk)
    client.get(case_url(short))
    few = queries_of(client, case_url(short))
    many = queries_of(client, case_url(long))
    # The completed case offers one transition (deliver) against the submitted case's four:
    # each button's form reads nothing more; the history is one query whatever its length.
    assert len(many) <= len(few)

"""Serial numbers under real concurrency, on PostgreSQL (row locks; SQLite serialises writers)."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from applications import services
from applications.models import Case, SerialCounter, State
from portal.models import User
from tests.applications.conftest import APPLICANT

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20
PER_THREAD = 10


class Doomed(Exception):
    """Raised after a submission to roll it back."""


def run_in_threads(work_per_thread):
    barrier = threading.Barrier(len(work_per_thread))
    errors: list[BaseException] = []

    def worker(work):
        try:
            close_old_connections()
            barrier.wait()
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(work,)) for work in work_per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)


def test_200_concurrent_submissions_get_200_distinct_consecutive_numbers_with_rollbacks_leaving_no_gap(
    matter, citizen, time_machine
):
    time_machine.move_to("2026-11-16 10:00 +0800", tick=True)
    drafts = [
        services.create_draft(applicant=citizen, matter=matter, data=APPLICANT)
        for _ in range(THREADS * PER_THREAD)
    ]
    doomed = [services.create_draft(applicant=citizen, matter=matter, data=APPLICANT) for _ in range(THREADS)]
    chunks = [drafts[i::THREADS] for i in range(THREADS)]

    def work_for(chunk, doomed_case):
        def work():
            applicant = User.objects.get(pk=citizen.pk)
            for index, case in enumerate(chunk):
                if index == PER_THREAD // 2:
                    # Half-way, a submission that fails after taking its number.
                    try:
                        with transaction.atomic():
                            services.submit(case=doomed_case, actor=applicant)
                            raise Doomed
                    except Doomed:
                        pass
                services.submit(case=case, actor=applicant)

        return work

    run_in_threads([work_for(chunk, doomed[i]) for i, chunk in enumerate(chunks)])

    submitted = Case.objects.filter(state=State.SUBMITTED)
    serials = sorted(submitted.values_list("serial", flat=True))
    assert submitted.count() == 200
    assert len(set(serials)) == 200
    assert [int(s[-4:]) for s in serials] == list(range(1, 201))
    assert {s[:39] for s in serials} == {f"{matter.implementation_code}20261116"}
    assert not Case.objects.filter(pk__in=[c.pk for c in doomed]).exclude(serial=None).exists()
    assert SerialCounter.objects.get(implementation_code=matter.implementation_code).last_value == 200


def test_different_matters_number_independently_at_the_same_time(matter, department, citizen, time_machine):
    from tests import factories

    time_machine.move_to("2026-11-16 10:00 +0800", tick=True)
    other = factories.MatterFactory(department=department)
    drafts = {
        m.pk: [services.create_draft(applicant=citizen, matter=m, data=APPLICANT) for _ in range(20)]
        for m in (matter, other)
    }

    def work_for(cases):
        def work():
            applicant = User.objects.get(pk=citizen.pk)
            for case in cases:
                services.submit(case=case, actor=applicant)

        return work

    run_in_threads([work_for(cases[i::5]) for cases in drafts.values() for i in range(5)])
    for m in (matter, other):
        numbers = sorted(int(s[-4:]) for s in Case.objects.filter(matter=m).values_list("serial", flat=True))
        assert numbers == list(range(1, 21))

"""Retries wait exponentially longer, with full jitter, up to a cap."""

import pytest

from integrations import delivery


@pytest.fixture
def backoff(settings):
    settings.OUTBOX_BACKOFF_BASE = 10.0
    settings.OUTBOX_BACKOFF_MAX = 3600.0


@pytest.mark.parametrize(
    ("attempts", "ceiling"), [(1, 10), (2, 20), (3, 40), (6, 320), (9, 2560), (10, 3600), (12, 3600)]
)
def test_each_wait_lies_between_zero_and_the_exponential_ceiling(backoff, attempts, ceiling):
    delays = [delivery.backoff_delay(attempts) for _ in range(500)]
    assert all(0 <= delay <= ceiling for delay in delays)
    # Full jitter: the waits spread over the whole range, they do not cluster at the ceiling.
    assert min(delays) < ceiling * 0.1 and max(delays) > ceiling * 0.9


def test_two_workers_that_failed_together_do_not_come_back_together(backoff):
    assert len({round(delivery.backoff_delay(5), 6) for _ in range(50)}) > 45


def test_the_base_and_the_cap_come_from_the_settings(settings):
    settings.OUTBOX_BACKOFF_BASE = 0.01
    settings.OUTBOX_BACKOFF_MAX = 0.05
    assert all(delivery.backoff_delay(n) <= 0.05 for n in range(1, 20) for _ in range(20))

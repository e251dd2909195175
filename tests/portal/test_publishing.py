"""portal.publishing: tasks published after commit, inline when eager, else off the request."""

import threading

import pytest
from django.db import transaction

from portal import publishing


class FakeTask:
    name = "tests.fake"

    def __init__(self, eager: bool, fail: bool = False):
        self.app = type("App", (), {"conf": type("Conf", (), {"task_always_eager": eager})()})()
        self.fail = fail
        self.calls: list[tuple] = []
        self.threads: list[str] = []

    def _record(self, args):
        self.threads.append(threading.current_thread().name)
        if self.fail:
            raise ConnectionRefusedError("broker down")
        self.calls.append(tuple(args))

    def delay(self, *args):
        self._record(args)

    def apply_async(self, args, **kwargs):
        self._record(args)


@pytest.mark.django_db(transaction=True)
def test_published_after_commit_and_never_on_rollback():
    task = FakeTask(eager=True)
    with transaction.atomic():
        publishing.on_commit(task, 1)
        assert task.calls == []
    assert task.calls == [(1,)]
    with pytest.raises(RuntimeError), transaction.atomic():
        publishing.on_commit(task, 2)
        raise RuntimeError
    assert task.calls == [(1,)]


@pytest.mark.django_db(transaction=True)
def test_the_production_shape_publishes_from_the_background_thread():
    task = FakeTask(eager=False)
    with transaction.atomic():
        publishing.on_commit(task, 7)
    assert publishing.wait_idle(timeout=5)
    assert task.calls == [(7,)]
    assert task.threads[0].startswith("publish") and task.threads[0] != threading.current_thread().name


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_is_not_tried_again_for_a_while():
    down = FakeTask(eager=False, fail=True)
    for n in range(3):
        with transaction.atomic():
            publishing.on_commit(down, n)
    assert publishing.wait_idle(timeout=5)
    assert len(down.threads) == 1  # the first failure pauses publishing; the rest wait for the sweeps
    publishing.publisher.forget_broker_failure()
    up = FakeTask(eager=False)
    with transaction.atomic():
        publishing.on_commit(up, 9)
    assert publishing.wait_idle(timeout=5)
    assert up.calls == [(9,)]

"""Publishing Celery tasks after a commit, without making the request wait for the broker.

Every change that has follow-up work (send a notification's SMS, render a PDF, deliver an
outbox message) writes its row in the change's transaction and publishes a task after commit
with ``on_commit(task, *args)``. Publishing costs a request a round trip to Redis at best, and
seconds when the broker is down; so in the production shape one background thread per process
publishes, and after a failed publish it pauses for ``BROKER_PAUSE`` seconds instead of
queueing more waits. A task that is never published is not lost: its row is there, and the
sweeps (``notifications_resend``, ``render_missing_documents``, the outbox sweep) pick it up.

When tasks run eagerly (the embedded default, the tests), the task runs inline after commit,
as before, so what it does is done when the request returns.
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


class BackgroundWork:
    """What a process has handed to its background threads and not finished yet, and a way to
    wait until that is nothing (tests, and shutting down cleanly)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)

    def _finished(self) -> None:
        with self._lock:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        end = time.monotonic() + timeout
        with self._lock:
            while self._pending:
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True


class _Publisher(BackgroundWork):
    BROKER_PAUSE = 30.0

    def __init__(self) -> None:
        super().__init__()
        self._executor: ThreadPoolExecutor | None = None
        self._broker_down_until = 0.0

    def submit(self, task, args: tuple) -> None:
        with self._lock:
            if time.monotonic() < self._broker_down_until:
                logger.info("broker down: %s not published; the sweep will do it", task.name)
                return
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish")
            self._pending += 1
            self._executor.submit(self._send, task, args)

    def _send(self, task, args: tuple) -> None:
        try:
            with self._lock:
                # Queued before the broker was found down: do not wait for it once more.
                if time.monotonic() < self._broker_down_until:
                    return
            task.apply_async(args, retry=False)
        except Exception:
            with self._lock:
                self._broker_down_until = time.monotonic() + self.BROKER_PAUSE
            logger.warning("could not publish %s; the sweep will do it", task.name, exc_info=True)
        finally:
            self._finished()

    def forget_broker_failure(self) -> None:
        """Publish again at once (tests that stop and start the broker)."""
        with self._lock:
            self._broker_down_until = 0.0


publisher = _Publisher()
wait_idle = publisher.wait_idle


def publish(task, *args) -> None:
    """Publish ``task(*args)`` now: inline when tasks run eagerly, else from the background thread."""
    if task.app.conf.task_always_eager:
        task.delay(*args)
    else:
        publisher.submit(task, args)


def on_commit(task, *args) -> None:
    """Publish ``task(*args)`` once the current transaction commits (never if it rolls back).

    ``robust``: a task that fails inline, or a publish that fails, never turns the committed
    change into an error page.
    """
    transaction.on_commit(partial(publish, task, *args), robust=True)

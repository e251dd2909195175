"""Deliver outbox messages: claim, send through the destination's sender, record the outcome.

Entry points (all idempotent; running two of them at once is safe):

* ``kick(message_id, destination)``: called on commit by ``outbox.enqueue``. Production
  shape: publishes the Celery task ``deliver_message`` from the background publisher
  (``portal.publishing``: a broker that is down makes a publish hang for seconds; the request
  does not wait, and publishing pauses for 30 s after a failure). Embedded mode
  (``CELERY_TASK_ALWAYS_EAGER``): hands the destination to a small process-wide thread pool
  that drains it, so the request that wrote the message never waits for the peer.
  ``OUTBOX_KICK`` forces ``"task"``, ``"thread"`` or ``"none"``.
* ``deliver_one(message_id)``: the task's body; sends that message if it is due and first
  in its ordering key, then kicks the next one of the key.
* ``drain(destination=None, limit=...)``: a worker loop's body (and the benchmark's): claims
  due messages in small batches and sends them until none is due or ``limit`` is reached.
* ``sweep(dispatch=...)``: the beat job: sends messages stuck in "sending" (their worker was
  lost) back to the queue, then drains every destination that has due messages, in
  this process or by publishing ``drain_destination`` tasks.

Claiming is one short transaction: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (so
workers never take the same row), the write lock at BEGIN on SQLite. A message is
claimable when it is pending, due, its destination is registered and enabled, and no older
message with the same destination and ordering key is unsent (pending, sending or dead):
the records of one case go in order, and a dead one holds the rest of its case until an
operator retries or discards it. The HTTP call runs outside any transaction.

Outcomes: sent; ``PeerUnavailable`` (or any unexpected error): back to pending after
``backoff_delay(attempts)``, dead after ``OUTBOX_MAX_ATTEMPTS``; ``PeerRejected``: dead at
once. An outcome is written only if the worker's claim is still current.
"""

import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from integrations import destinations, requestlog
from integrations.destinations import Envelope
from integrations.errors import PeerRejected, PeerUnavailable
from integrations.models import OutboxMessage
from portal import publishing

logger = logging.getLogger(__name__)

State = OutboxMessage.State


# --- settings ---------------------------------------------------------------------


def max_attempts() -> int:
    return int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", 12))


def backoff_base() -> float:
    return float(getattr(settings, "OUTBOX_BACKOFF_BASE", 10.0))


def backoff_cap() -> float:
    return float(getattr(settings, "OUTBOX_BACKOFF_MAX", 3600.0))


def sending_timeout() -> float:
    return float(getattr(settings, "OUTBOX_SENDING_TIMEOUT", 600.0))


def claim_batch() -> int:
    return max(1, int(getattr(settings, "OUTBOX_CLAIM_BATCH", 10)))


def kick_mode() -> str:
    mode = getattr(settings, "OUTBOX_KICK", "auto") or "auto"
    if mode == "auto":
        return "thread" if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) else "task"
    return mode


def backoff_delay(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones: exponential, full jitter.

    Uniform in ``[0, min(cap, base * 2 ** (attempts - 1))]``, so workers that failed together
    do not come back together.
    """
    ceiling = min(backoff_cap(), backoff_base() * 2 ** max(0, attempts - 1))
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not secrecy


# --- claiming ---------------------------------------------------------------------


def _claimable(now, names):
    older_unsent = OutboxMessage.objects.filter(
        destination=OuterRef("destination"),
        ordering_key=OuterRef("ordering_key"),
        id__lt=OuterRef("id"),
        state__in=OutboxMessage.UNSENT_STATES,
    )
    return OutboxMessage.objects.filter(
        Q(ordering_key="") | ~Exists(older_unsent),
        state=State.PENDING,
        next_attempt_at__lte=now,
        destination__in=names,
    )


def claim(*, destination: str | None = None, limit: int = 1, ids=None, exclude=()) -> list[OutboxMessage]:
    """Mark up to ``limit`` claimable messages as sending and return them (oldest first)."""
    names = [destination] if destination else destinations.enabled_names()
    names = [name for name in names if name not in exclude and destinations.is_enabled(name)]
    if not names:
        return []
    token = uuid.uuid4().hex
    with transaction.atomic():
        now = timezone.now()
        candidates = _claimable(now, names)
        if ids is not None:
            candidates = candidates.filter(pk__in=list(ids))
        picked = list(
            candidates.select_for_update(skip_locked=True).order_by("id").values_list("pk", flat=True)[:limit]
        )
        if not picked:
            return []
        OutboxMessage.objects.filter(pk__in=picked, state=State.PENDING).update(
            state=State.SENDING, claimed_at=now, claim_token=token
        )
        return list(OutboxMessage.objects.filter(pk__in=picked, claim_token=token).order_by("id"))


def _release(messages: list[OutboxMessage]) -> None:
    """Claimed but not attempted (their destination just failed): back to the queue, no attempt counted."""
    for message in messages:
        OutboxMessage.objects.filter(
            pk=message.pk, state=State.SENDING, claim_token=message.claim_token
        ).update(state=State.PENDING, claimed_at=None, claim_token="")


# --- sending ----------------------------------------------------------------------


@dataclass
class Outcome:
    state: str
    error: str = ""


def relax_commit(using: str | None = None) -> None:
    """Inside ``transaction.atomic()``: its commit does not wait for the WAL to reach the disk
    (PostgreSQL's asynchronous commit; elsewhere nothing). Only for writes whose loss in a
    database crash costs at most one more, idempotent delivery: an outcome, a log row, a
    mapping's bookkeeping. Saves an fsync per message."""
    connection = transaction.get_connection(using)
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def send(message: OutboxMessage) -> Outcome:
    """Call the sender of a claimed message and record the outcome (if the claim still holds)."""
    destination = destinations.get(message.destination)
    attempt = message.attempts + 1
    envelope = Envelope(
        id=message.pk,
        topic=message.topic,
        destination=message.destination,
        key=message.idempotency_key,
        payload=message.payload,
        ordering_key=message.ordering_key,
        attempt=attempt,
        created_at=message.created_at,
    )
    retry_after = None
    marker = requestlog.current_message.set(message.pk)
    try:
        with requestlog.collect() as log_rows:
            if destination is None:
                raise PeerUnavailable(f"no sender registered for {message.destination!r}")
            destination.sender(envelope)
    except PeerRejected as exc:
        outcome = Outcome(State.DEAD, f"rejected: {exc}")
    except PeerUnavailable as exc:
        outcome = Outcome(State.PENDING, f"unavailable: {exc}")
        retry_after = exc.retry_after
    except Exception as exc:
        logger.exception("sender of %s failed on message %s", message.destination, message.pk)
        outcome = Outcome(State.PENDING, f"error: {type(exc).__name__}: {exc}")
    else:
        outcome = Outcome(State.SENT)
    finally:
        requestlog.current_message.reset(marker)

    now = timezone.now()
    changes = {"attempts": attempt, "last_attempt_at": now, "claimed_at": None, "claim_token": ""}
    if outcome.state == State.SENT:
        changes.update(state=State.SENT, sent_at=now, last_error="")
    elif outcome.state == State.PENDING and attempt < max_attempts():
        delay = backoff_delay(attempt)
        if retry_after is not None:
            delay = max(delay, float(retry_after))
        changes.update(state=State.PENDING, next_attempt_at=now + timedelta(seconds=delay))
    else:
        outcome.state = State.DEAD
    if outcome.state != State.SENT:
        changes.update(state=outcome.state, last_error=outcome.error[:4000])
    still_claimed = OutboxMessage.objects.filter(
        pk=message.pk, state=State.SENDING, claim_token=message.claim_token
    )
    try:
        with transaction.atomic():
            relax_commit()
            updated = still_claimed.update(**changes)
            requestlog.save(log_rows)
    except DatabaseError:  # the log must never cost the outcome
        logger.exception("could not write the request log of outbox message %s", message.pk)
        updated = still_claimed.update(**changes)
    if not updated:
        logger.warning("outbox message %s was taken over while being sent; outcome not recorded", message.pk)
    elif outcome.state == State.DEAD:
        logger.error("outbox message %s to %s is dead: %s", message.pk, message.destination, outcome.error)
    return outcome


def deliver_one(message_id: int) -> str | None:
    """Send one message if it is claimable now; the state it ended in, or None if skipped."""
    claimed = claim(ids=[message_id], limit=1)
    if not claimed:
        return None
    message = claimed[0]
    outcome = send(message)
    if outcome.state == State.SENT and message.ordering_key:
        successor = (
            OutboxMessage.objects.filter(
                destination=message.destination,
                ordering_key=message.ordering_key,
                id__gt=message.pk,
                state=State.PENDING,
            )
            .order_by("id")
            .values_list("pk", flat=True)
            .first()
        )
        if successor:
            kick(successor, message.destination)
    return outcome.state


@dataclass
class DrainResult:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    failed_destinations: set = field(default_factory=set)

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.dead


def drain(
    *, destination: str | None = None, limit: int | None = None, seconds: float | None = None
) -> DrainResult:
    """Send due messages until none is left, ``limit`` were attempted or ``seconds`` passed.

    A destination whose peer fails is left alone for the rest of the call (its other
    claimed messages go back untouched), so one dead peer does not eat a worker's time.
    """
    limit = limit if limit is not None else int(getattr(settings, "OUTBOX_DRAIN_LIMIT", 1000))
    deadline = time.monotonic() + seconds if seconds else None
    result = DrainResult()
    while result.attempted < limit and (deadline is None or time.monotonic() < deadline):
        batch = claim(
            destination=destination,
            limit=min(claim_batch(), limit - result.attempted),
            exclude=result.failed_destinations,
        )
        if not batch:
            break
        for index, message in enumerate(batch):
            if message.destination in result.failed_destinations:
                _release([message])
                continue
            outcome = send(message)
            if outcome.state == State.SENT:
                result.sent += 1
            elif outcome.state == State.DEAD:
                result.dead += 1
            else:
                result.retrying += 1
                result.failed_destinations.add(message.destination)
            if deadline is not None and time.monotonic() >= deadline:
                _release(batch[index + 1 :])
                break
    return result


# --- sweeping ---------------------------------------------------------------------


def requeue_stuck(now=None) -> int:
    """Messages left in "sending" longer than ``OUTBOX_SENDING_TIMEOUT``: their worker was lost.

    The lost attempt counts; they are due again at once (or dead if it was the last one).
    The peer may have received them: the idempotency key lets it keep one copy.
    """
    now = now or timezone.now()
    stuck = OutboxMessage.objects.filter(
        state=State.SENDING, claimed_at__lt=now - timedelta(seconds=sending_timeout())
    )
    count = 0
    for message in stuck.only("pk", "attempts", "claim_token"):
        attempts = message.attempts + 1
        changes = {
            "attempts": attempts,
            "claimed_at": None,
            "claim_token": "",
            "last_attempt_at": now,
            "last_error": "worker lost during delivery (stuck in sending)",
            "state": State.DEAD if attempts >= max_attempts() else State.PENDING,
            "next_attempt_at": now,
        }
        count += OutboxMessage.objects.filter(
            pk=message.pk, state=State.SENDING, claim_token=message.claim_token
        ).update(**changes)
    if count:
        logger.warning("outbox: %d message(s) stuck in sending were re-queued", count)
    return count


def due_destinations(now=None) -> list[str]:
    now = now or timezone.now()
    names = destinations.enabled_names()
    if not names:
        return []
    due = OutboxMessage.objects.filter(state=State.PENDING, next_attempt_at__lte=now, destination__in=names)
    return sorted(set(due.values_list("destination", flat=True).distinct()))


@dataclass
class SweepResult:
    requeued: int = 0
    dispatched: list = field(default_factory=list)
    drained: dict = field(default_factory=dict)


def sweep(*, dispatch: bool = False, limit: int | None = None, seconds: float | None = None) -> SweepResult:
    """The periodic job: re-queue stuck messages, then drain every destination with due messages,
    here (cron, ``manage.py outbox_sweep``) or by publishing one drain task per destination."""
    result = SweepResult(requeued=requeue_stuck())
    for name in due_destinations():
        if dispatch:
            from integrations import tasks

            interval = float(getattr(settings, "OUTBOX_SWEEP_INTERVAL", 30.0))
            tasks.drain_destination.apply_async((name,), expires=interval, retry=False)
            result.dispatched.append(name)
        else:
            result.drained[name] = drain(destination=name, limit=limit, seconds=seconds)
    return result


# --- kicking ----------------------------------------------------------------------


def kick(message_id: int | None, destination: str) -> None:
    """Start delivery soon, outside the caller's request. Never raises: the sweep is the safety net."""
    try:
        mode = kick_mode()
        if mode == "none" or not destinations.is_enabled(destination):
            return
        if mode == "thread":
            _threads.kick(destination)
        else:
            _publish(message_id, destination)
    except Exception:
        logger.warning("could not kick delivery to %s; the sweep will deliver it", destination, exc_info=True)


def _publish(message_id: int | None, destination: str) -> None:
    """The production shape: a Celery task does the delivery, published from the background
    publisher (``portal.publishing``: a broker that is down costs the request nothing)."""
    from integrations import tasks

    if message_id is None:
        publishing.publisher.submit(tasks.drain_destination, (destination,))
    else:
        publishing.publisher.submit(tasks.deliver_message, (message_id,))


class _ThreadKicker(publishing.BackgroundWork):
    """Embedded mode (``kick``): a few background threads, one drain per destination at a
    time; kicks that arrive while a destination is being drained are folded into one more pass.
    """

    def __init__(self):
        super().__init__()
        self._executor: ThreadPoolExecutor | None = None
        self._running: set[str] = set()
        self._again: set[str] = set()

    def kick(self, destination: str) -> None:
        with self._lock:
            if destination in self._running:
                self._again.add(destination)
                return
            if self._executor is None:
                workers = int(getattr(settings, "OUTBOX_THREADS", 2))
                self._executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="outbox")
            self._running.add(destination)
            self._pending += 1
            self._executor.submit(self._run, destination)

    def _run(self, destination: str) -> None:
        try:
            while True:
                try:
                    drain(destination=destination)
                except Exception:
                    logger.exception("background delivery to %s failed", destination)
                finally:
                    connections.close_all()
                with self._lock:
                    if destination in self._again:
                        self._again.discard(destination)
                        continue
                    self._running.discard(destination)
                    return
        finally:
            self._finished()


_threads = _ThreadKicker()


def wait_idle(timeout: float = 30.0) -> bool:
    """Wait until no background delivery runs and every delivery task is published (tests,
    and shutting down cleanly)."""
    end = time.monotonic() + timeout
    return _threads.wait_idle(timeout) and publishing.wait_idle(max(0.0, end - time.monotonic()))

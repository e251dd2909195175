"""Deliver the outbox: re-queue messages stuck in sending, then send every due message.

Cron-friendly twin of the beat task ``integrations.tasks.outbox_sweep``; it delivers in
this process (cron needs no worker), unless ``--dispatch`` hands the work to Celery:

    manage.py outbox_sweep                         # one pass over every destination
    manage.py outbox_sweep --destination provincial --limit 500
    manage.py outbox_sweep --loop --interval 5     # a delivery loop (embedded mode, demos)
    manage.py outbox_sweep --dispatch              # publish drain tasks, like beat does
"""

import time

from django.core.management.base import BaseCommand

from integrations import delivery


class Command(BaseCommand):
    help = "Deliver due outbox messages and re-queue those stuck in sending (发件箱投递)."

    def add_arguments(self, parser):
        parser.add_argument("--destination", help="Only this destination.")
        parser.add_argument(
            "--limit", type=int, default=None, help="At most this many messages per destination."
        )
        parser.add_argument("--dispatch", action="store_true", help="Publish Celery drain tasks instead.")
        parser.add_argument("--loop", action="store_true", help="Run until interrupted.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between passes with --loop.")

    def handle(
        self, *args, destination=None, limit=None, dispatch=False, loop=False, interval=5.0, **options
    ):
        while True:
            self._pass(destination, limit, dispatch)
            if not loop:
                return
            time.sleep(max(0.1, interval))

    def _pass(self, destination, limit, dispatch):
        if destination:
            requeued = delivery.requeue_stuck()
            drained = {destination: delivery.drain(destination=destination, limit=limit)}
            dispatched = []
        else:
            result = delivery.sweep(dispatch=dispatch, limit=limit)
            requeued, drained, dispatched = result.requeued, result.drained, result.dispatched
        if requeued:
            self.stdout.write(f"{requeued} message(s) stuck in sending re-queued.")
        for name, outcome in drained.items():
            self.stdout.write(
                f"{name}: {outcome.sent} sent, {outcome.retrying} to retry, {outcome.dead} dead."
            )
        for name in dispatched:
            self.stdout.write(f"{name}: drain task published.")

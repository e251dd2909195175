"""One full cycle of the provincial exchange (省网上办事大厅数据交换):

1. pull the catalogue feed (new, changed, withdrawn matters → catalogue versions);
2. pull the cases applied for on the provincial hall (→ cases here, with our serial number);
3. re-queue messages stuck in sending and deliver what waits for the province.

Cron-friendly twin of the beat task ``integrations.provincial.tasks.provincial_sync``:

    manage.py provincial_sync
    manage.py provincial_sync --limit 500 --seconds 60
"""

from django.core.management.base import BaseCommand

from integrations.provincial import services


class Command(BaseCommand):
    help = "Pull the provincial catalogue and cases, push waiting records (省网数据交换)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="At most this many messages delivered.")
        parser.add_argument("--seconds", type=float, default=None, help="Time budget of the delivery.")

    def handle(self, *args, limit=None, seconds=None, **options):
        result = services.sync(drain_limit=limit, drain_seconds=seconds)
        if result.catalogue is None:
            self.stdout.write("provincial exchange not configured (PROVINCIAL_EXCHANGE_URL is empty)")
            return
        for name, pulled in (("catalogue", result.catalogue), ("cases", result.cases)):
            line = (
                f"{name}: {pulled.applied} applied, {pulled.skipped} skipped, {pulled.failed} failed, "
                f"cursor {pulled.position}"
            )
            if pulled.error:
                line += f" (stopped: {pulled.error})"
            self.stdout.write(line)
        drained = result.drained
        self.stdout.write(
            f"push: {drained.sent} sent, {drained.retrying} to retry, {drained.dead} dead, "
            f"{result.requeued} re-queued"
        )

"""Re-encrypt every peer secret under the current key (after changing INTEGRATIONS_ENCRYPTION_KEY
or SECRET_KEY, with the old value still listed in the fallbacks; see integrations.keys)."""

from django.core.management.base import BaseCommand, CommandError

from integrations import credentials, keys


class Command(BaseCommand):
    help = "Re-encrypt the peers' HMAC secrets under the current encryption key."

    def handle(self, *args, **options):
        try:
            count = credentials.reencrypt_all()
        except keys.UndecryptableSecret as exc:
            raise CommandError(f"{exc}: list the old key in the fallbacks first") from exc
        self.stdout.write(f"{count} secret(s) re-encrypted.")
